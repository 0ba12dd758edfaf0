/**
 * Entry point of a model host: one forked process per loaded model, so a model that crashes llama.cpp takes down
 * only its own process. Loads the model once, then serves chat, completion, embedding and tokenize requests over
 * IPC on `parallel` context sequences (the rest queue). Exits when the engine disconnects.
 */
import type { LlamaContextSequence, LlamaEmbeddingContext, Token } from 'node-llama-cpp';
import type { GenerationEvent, LoadOptions } from '../../../shared/inference';
import { chat, complete, type GenerateEnv } from './generate';
import { RequestError } from './request-error';
import type { HostMessage, HostRequest } from './host-protocol';
import { pickSequence, SlotPool } from './sequence-pool';

function send(msg: HostMessage): void {
  if (process.send && process.connected) process.send(msg);
}

process.on('disconnect', () => process.exit(0));

let env: GenerateEnv | null = null;
let pool: SlotPool | null = null;
/**
 * Every sequence is made at load and reused rather than disposed (disposal frees its slot asynchronously). A sequence
 * keeps its KV cache between requests: the next request picks the free sequence sharing the longest prefix with its
 * prompt and evaluates only the rest, so a conversation's next turn costs its new tokens. Least recently used first.
 */
const freeSequences: LlamaContextSequence[] = [];
let embedder: Promise<LlamaEmbeddingContext> | null = null;
let loadOptions: LoadOptions | null = null;
const aborts = new Map<string, AbortController>();
let peakRss = process.memoryUsage.rss();
const sampleRss = (): number => {
  const rss = process.memoryUsage.rss();
  if (rss > peakRss) peakRss = rss;
  return rss;
};
setInterval(() => send({ type: 'rss', rssBytes: sampleRss() }), 2000).unref();

async function load(path: string, options: LoadOptions): Promise<void> {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  // maxThreads 0: the engine resolved `threads` (auto: the physical cores); node-llama-cpp would otherwise cap it, or
  // default to max(4, cores) on the CPU, which oversubscribes small machines.
  const llama = await getLlama({ gpu: options.gpu === 'auto' ? 'auto' : options.gpu === 'cpu' ? false : options.gpu, build: 'never', logLevel: LlamaLogLevel.error, maxThreads: 0 });
  const model = await llama.loadModel({
    modelPath: path,
    gpuLayers: options.gpuLayers,
    defaultContextFlashAttention: options.flashAttention,
    onLoadProgress: (p) => send({ type: 'load-progress', progress: p }),
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
  env = { llama, model, context, peakRss: () => Math.max(peakRss, sampleRss()) };
  loadOptions = options;
  // Checkpoints let a sliding-window (SWA) or recurrent model roll back to a kept prefix; a few per sequence suffice.
  for (let i = 0; i < options.parallel; i++) freeSequences.push(context.getSequence({ checkpoints: { max: 4 } }));
  pool = new SlotPool(options.parallel, (active, queued) => send({ type: 'queue', active, queued }));
  const vram = await llama.getVramState().catch(() => ({ used: 0 }));
  send({ type: 'loaded', info: { backend: llama.gpu === false ? 'cpu' : llama.gpu, gpuLayers: model.gpuLayers, contextSize: context.contextSize / options.parallel, vramBytes: vram.used, trainContextSize: model.trainContextSize, threads: context.idealThreads, totalLayers: model.fileInsights.totalLayers } });
}

async function generate(id: string, run: (e: GenerateEnv, take: (prompt: Token[] | null) => LlamaContextSequence, emit: (ev: GenerationEvent) => void, signal: AbortSignal) => Promise<import('../../../shared/inference').GenerationResult>): Promise<void> {
  if (!env || !pool) throw new RequestError('model is not loaded', 503);
  const ac = new AbortController();
  aborts.set(id, ac);
  let release: (() => void) | null = null;
  try {
    release = await pool.acquire(ac.signal);
    // A slot is held, so a free sequence exists; the request takes it once it knows its prompt.
    let seq: LlamaContextSequence | null = null;
    const take = (prompt: Token[] | null): LlamaContextSequence => (seq ??= pickSequence(freeSequences, prompt));
    let ok = false;
    try {
      const result = await run(env, take, (event) => send({ type: 'event', id, event }), ac.signal);
      ok = true;
      send({ type: 'event', id, event: { type: 'done', result } });
    } finally {
      const used = seq as LlamaContextSequence | null;
      if (used) {
        // A failed request may have left its sequence half-evaluated: start that one afresh.
        if (!ok) await used.clearHistory().catch(() => undefined);
        freeSequences.push(used);
      }
    }
  } finally {
    release?.();
    aborts.delete(id);
  }
}

async function embed(id: string, input: string[]): Promise<void> {
  if (!env) throw new RequestError('model is not loaded', 503);
  const e = env;
  const ac = new AbortController();
  aborts.set(id, ac);
  try {
    embedder ??= e.model.createEmbeddingContext({ contextSize: Math.min(loadOptions?.contextSize ?? 2048, e.model.trainContextSize), threads: loadOptions?.threads || undefined });
    const ctx = await embedder;
    const vectors: number[][] = [];
    let tokens = 0;
    for (const text of input) {
      // Up to 2048 inputs: an abandoned request stops between them.
      if (ac.signal.aborted) throw new RequestError('The request was cancelled: the client went away', 499);
      tokens += e.model.tokenize(text).length;
      vectors.push([...(await ctx.getEmbeddingFor(text)).vector]);
    }
    send({ type: 'embeddings', id, vectors, tokens });
  } finally {
    aborts.delete(id);
  }
}

process.on('message', (msg: HostRequest) => {
  const fail = (id: string, err: unknown): void => {
    const status = err instanceof RequestError ? err.status : 500;
    send({ type: 'request-failed', id, error: err instanceof Error ? err.message : String(err), status });
  };
  switch (msg.type) {
    case 'load':
      load(msg.path, msg.options).catch((err: unknown) => {
        send({ type: 'load-failed', error: err instanceof Error ? err.message : String(err) });
        setTimeout(() => process.exit(1), 50);
      });
      break;
    case 'chat':
      generate(msg.id, (e, take, emit, signal) => chat(e, take, msg.req, emit, signal)).catch((err: unknown) => fail(msg.id, err));
      break;
    case 'complete':
      generate(msg.id, (e, take, emit, signal) => complete(e, take, msg.req, emit, signal)).catch((err: unknown) => fail(msg.id, err));
      break;
    case 'embed':
      embed(msg.id, msg.input).catch((err: unknown) => fail(msg.id, err));
      break;
    case 'tokenize':
      if (!env) fail(msg.id, new RequestError('model is not loaded', 503));
      else send({ type: 'tokens', id: msg.id, count: env.model.tokenize(msg.text).length });
      break;
    case 'abort':
      aborts.get(msg.id)?.abort();
      break;
  }
});
