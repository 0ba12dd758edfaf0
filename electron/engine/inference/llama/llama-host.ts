import type { LlamaContextSequence, LlamaEmbeddingContext, Token } from 'node-llama-cpp';
import type { LlamaCppLoadOptions } from '../../../../shared/inference';
import type { HostBackend, HostHooks, LoadedBackend } from '../backends/host-backend';
import { RequestError } from '../request-error';
import { pickSequence, SlotPool } from '../sequence-pool';
import { renderChatPrompt } from './chat-prompt';
import { chat, complete, type GenerateEnv, type TakeSequence } from './generate';
import { perplexity } from './perplexity';
import { score } from './score';

/**
 * The llama.cpp backend's host side (node-llama-cpp), in the model host process: loads the GGUF once, then serves
 * requests on `parallel` context sequences (the rest queue).
 */
export const llamaHost: HostBackend = {
  async load(path, options, hooks) {
    if (options.runtime !== 'llama.cpp') throw new Error(`llama.cpp cannot load with ${options.runtime} options`);
    return load(path, options, hooks);
  },
};

async function load(path: string, options: LlamaCppLoadOptions, hooks: HostHooks): Promise<LoadedBackend> {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  // maxThreads 0: the engine resolved `threads` (auto: the physical cores); node-llama-cpp would otherwise cap it, or
  // default to max(4, cores) on the CPU, which oversubscribes small machines.
  const llama = await getLlama({
    gpu: options.gpu === 'auto' ? 'auto' : options.gpu === 'cpu' ? false : options.gpu,
    build: 'never',
    logLevel: LlamaLogLevel.error,
    maxThreads: 0,
  });
  const model = await llama.loadModel({
    modelPath: path,
    gpuLayers: options.gpuLayers,
    defaultContextFlashAttention: options.flashAttention,
    onLoadProgress: (p) => hooks.progress(p),
  });
  const kv = options.kvCacheType.toUpperCase() as 'F16' | 'Q8_0' | 'Q4_0';
  const context = await model.createContext({
    contextSize: Math.min(options.contextSize * options.parallel, model.trainContextSize * options.parallel),
    sequences: options.parallel,
    batchSize: options.batchSize,
    threads: options.threads || undefined,
    flashAttention: options.flashAttention,
    experimentalKvCacheKeyType: kv,
    experimentalKvCacheValueType: kv,
    lora: options.lora.length ? { adapters: options.lora.map((a) => ({ filePath: a.path, scale: a.scale })) } : undefined,
  });
  const sequenceSize = Math.floor(context.contextSize / options.parallel);
  const env: GenerateEnv = { llama, model, context, sequenceSize, peakRss: hooks.peakRss };
  /**
   * Every sequence is made at load and reused rather than disposed (disposal frees its slot asynchronously). A
   * sequence keeps its KV cache between requests: the next request picks the free sequence sharing the longest prefix
   * with its prompt and evaluates only the rest, so a conversation's next turn costs its new tokens. Least recently
   * used first. Checkpoints let a sliding-window (SWA) or recurrent model roll back to a kept prefix.
   */
  const freeSequences: LlamaContextSequence[] = [];
  for (let i = 0; i < options.parallel; i++) freeSequences.push(context.getSequence({ checkpoints: { max: 4 } }));
  const pool = new SlotPool(options.parallel, hooks.queue);
  let embedder: Promise<LlamaEmbeddingContext> | null = null;

  /** Runs a request on a sequence: it waits for a free slot, then takes the sequence that suits its prompt. */
  async function onSequence<T>(signal: AbortSignal, run: (take: TakeSequence) => Promise<T>): Promise<T> {
    const release = await pool.acquire(signal).catch(() => {
      throw new RequestError('The request was cancelled: the client went away', 499);
    });
    let seq: LlamaContextSequence | null = null;
    let ok = false;
    try {
      const result = await run((prompt: Token[] | null) => (seq ??= pickSequence(freeSequences, prompt)));
      ok = true;
      return result;
    } finally {
      const used = seq as LlamaContextSequence | null;
      if (used) {
        // A failed request may have left its sequence half-evaluated: start that one afresh.
        if (!ok) await used.clearHistory().catch(() => undefined);
        freeSequences.push(used);
      }
      release();
    }
  }

  const vram = await llama.getVramState().catch(() => ({ used: 0 }));
  return {
    info: {
      backend: llama.gpu === false ? 'cpu' : llama.gpu,
      gpuLayers: model.gpuLayers,
      contextSize: context.contextSize / options.parallel,
      vramBytes: vram.used,
      trainContextSize: model.trainContextSize,
      threads: context.idealThreads,
      totalLayers: model.fileInsights.totalLayers,
    },
    handlers: {
      chat: (req, { emit, signal }) => onSequence(signal, (take) => chat(env, take, req, emit, signal)),
      complete: (req, { emit, signal }) => onSequence(signal, (take) => complete(env, take, req, emit, signal)),
      score: (req, { signal }) => onSequence(signal, (take) => score(model, take, sequenceSize, req, signal)),
      // Chunks share no prefix with anything: the least recently used sequence is as good as any.
      perplexity: (req, { emit, signal }) => onSequence(signal, (take) => perplexity(model, take(null), sequenceSize, req, emit, signal)),
      tokenize: ({ text }) => Promise.resolve({ count: model.tokenize(text).length }),
      applyTemplate: async (req) => {
        const { tokens } = await renderChatPrompt(model, req);
        return { text: model.detokenize(tokens, true), tokens: tokens.length };
      },
      embed: async ({ input }, { signal }) => {
        embedder ??= model.createEmbeddingContext({
          contextSize: Math.min(options.contextSize, model.trainContextSize),
          threads: options.threads || undefined,
        });
        const ctx = await embedder;
        const vectors: number[][] = [];
        let tokens = 0;
        for (const text of input) {
          // Up to 2048 inputs: an abandoned request stops between them.
          if (signal.aborted) throw new RequestError('The request was cancelled: the client went away', 499);
          tokens += model.tokenize(text).length;
          vectors.push([...(await ctx.getEmbeddingFor(text)).vector]);
        }
        return { vectors, tokens };
      },
    },
  };
}
