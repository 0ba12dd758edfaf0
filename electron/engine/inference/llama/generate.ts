// node-llama-cpp is ESM with top-level await: values are imported dynamically, types statically.
import type {
  ChatHistoryItem,
  ChatModelFunctions,
  LlamaChat,
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaModel,
  Token,
} from 'node-llama-cpp';
import { renderChatPrompt } from './chat-prompt';
import { RequestError } from '../request-error';
import { forcingFunctionCall } from './tool-choice';
import type {
  ChatRequest,
  CompletionRequest,
  FinishReason,
  GenerationEvent,
  GenerationMetrics,
  GenerationResult,
  SamplingParams,
  TokenLogprob,
  ToolCall,
} from '../../../../shared/inference';
import { jsonValueComplete } from '../json-complete';
import { encodeText } from './tokens';

export interface GenerateEnv {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  /** Tokens one sequence holds (the context is split evenly between its sequences). */
  sequenceSize: number;
  peakRss(): number;
}

/** Times one request: TTFT from the request's start, prompt rate over TTFT, generation rate after the first token. */
class Meter {
  private readonly started = performance.now();
  private first: number | null = null;
  tokens = 0;
  constructor(private readonly env: GenerateEnv) {}
  token(n = 1): void {
    if (this.first === null) this.first = performance.now();
    this.tokens += n;
  }
  /** `cachedTokens`: prompt tokens reused from the sequence's KV cache, not evaluated; the prompt rate counts the rest. */
  metrics(promptTokens: number, completionTokens = this.tokens, cachedTokens = 0): GenerationMetrics {
    const end = performance.now();
    const ttft = (this.first ?? end) - this.started;
    const genMs = end - (this.first ?? end);
    const evaluated = promptTokens - cachedTokens;
    return {
      ttftMs: Math.round(ttft * 10) / 10,
      promptTokens,
      cachedTokens,
      completionTokens,
      promptTokensPerSec: ttft > 0 && evaluated > 0 ? evaluated / (ttft / 1000) : null,
      genTokensPerSec: completionTokens > 1 && genMs > 0 ? (completionTokens - 1) / (genMs / 1000) : null,
      totalMs: Math.round((end - this.started) * 10) / 10,
      peakRssBytes: this.env.peakRss(),
    };
  }
}

function finish(stop: string): FinishReason {
  if (stop === 'maxTokens') return 'length';
  if (stop === 'abort') return 'abort';
  if (stop === 'functionCalls') return 'tool_calls';
  return 'stop';
}

async function grammarFor(env: GenerateEnv, schema: Record<string, unknown> | undefined): Promise<LlamaGrammar | undefined> {
  if (!schema) return undefined;
  try {
    return await env.llama.createGrammarForJsonSchema(schema as never);
  } catch (err) {
    throw new RequestError(`jsonSchema: ${(err as Error).message}`);
  }
}

function sampling(p: SamplingParams) {
  return {
    temperature: p.temperature,
    topK: p.topK,
    topP: p.topP,
    minP: p.minP,
    seed: p.seed,
    maxTokens: p.maxTokens,
    repeatPenalty: p.repeatPenalty === 1 ? (false as const) : { penalty: p.repeatPenalty },
  };
}

interface LoopOptions {
  params: SamplingParams;
  /** Alternatives to report per token; undefined: no log-probabilities (faster: no full distribution is read). */
  logprobs?: number;
  /** Token sequences that end the reply (the chat template's end-of-turn markers). */
  stopTokens?: Token[][];
}

/**
 * Keeps the part of the sequence's evaluated tokens that starts the prompt and erases the rest, so only the remainder
 * of the prompt is evaluated. At least the prompt's last token is always evaluated (it yields the first token's
 * distribution). A sliding-window or recurrent model rolls back to a checkpoint, or starts afresh. Returns how many
 * prompt tokens were kept.
 */
export async function reusePrefix(seq: LlamaContextSequence, prompt: Token[]): Promise<number> {
  if (seq.nextTokenIndex === 0) return 0;
  // Without shifting: only an erased tail, never a re-evaluated middle.
  await seq.adaptStateToTokens(prompt.slice(0, -1), false);
  const kept = seq.nextTokenIndex;
  if (kept > 0 && seq.compareContextTokens(prompt).firstDifferentIndex >= kept) return kept;
  if (kept > 0) await seq.clearHistory();
  return 0;
}

const endsWith = (tokens: Token[], tail: Token[]): boolean =>
  tail.length > 0 && tokens.length >= tail.length && tail.every((t, i) => tokens[tokens.length - tail.length + i] === t);

/**
 * The generation loop for completions and template-rendered chats: llama.cpp samples each token (temperature, top-k,
 * top-p, min-p, seed, repeat penalty over the last 64 tokens, grammar) and this loop only detokenizes and checks
 * stops, so a reply costs what llama.cpp's decode costs. With `logprobs`, each step's distribution is read as well.
 */
async function generateTokens(
  env: GenerateEnv,
  seq: LlamaContextSequence,
  prompt: Token[],
  o: LoopOptions,
  grammar: LlamaGrammar | undefined,
  emit: (e: GenerationEvent) => void,
  signal: AbortSignal,
  meter: Meter,
): Promise<{ text: string; finish: FinishReason; logprobs: TokenLogprob[] | null; promptTokens: number; cachedTokens: number }> {
  const { model } = env;
  const p = o.params;
  const logprobs: TokenLogprob[] | null = o.logprobs === undefined ? null : [];
  const generated: Token[] = [];
  let text = '';
  let finishReason: FinishReason = 'length';
  const { LlamaGrammarEvaluationState } = await import('node-llama-cpp');
  const grammarEvaluationState = grammar ? new LlamaGrammarEvaluationState({ model, grammar }) : undefined;
  const options = {
    temperature: p.temperature,
    topK: p.topK,
    topP: p.topP,
    minP: p.minP,
    seed: p.seed,
    grammarEvaluationState,
    repeatPenalty: p.repeatPenalty === 1 ? undefined : { penalty: p.repeatPenalty, punishTokens: () => [...prompt, ...generated].slice(-64) },
  };
  const cached = await reusePrefix(seq, prompt);
  const input = prompt.slice(cached);
  const it = o.logprobs === undefined ? seq.evaluate(input, options) : seq.evaluateWithMetadata(input, { probabilities: true }, options);
  let checkpointed = false;
  const pending: Token[] = [];
  const holdBack = Math.max(0, ...p.stop.map((s) => s.length - 1));
  let shown = 0;
  for await (const out of it) {
    const token: Token = typeof out === 'number' ? out : out.token;
    if (!checkpointed) {
      checkpointed = true;
      // The prompt is evaluated now: a checkpoint here lets a model that cannot erase its tail (sliding window,
      // recurrent) come back to this prompt for the next turn instead of starting over.
      if (seq.needsCheckpoints) await seq.takeCheckpoint();
    }
    if (signal.aborted) {
      finishReason = 'abort';
      break;
    }
    if (model.isEogToken(token)) {
      finishReason = 'stop';
      break;
    }
    meter.token();
    generated.push(token);
    if (o.stopTokens?.some((t) => endsWith(generated, t))) {
      finishReason = 'stop';
      break;
    }
    let lp: TokenLogprob | undefined;
    if (logprobs && typeof out !== 'number') {
      const probs = (out as { probabilities: Map<Token, number> }).probabilities;
      const top = [...probs.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, o.logprobs)
        .map(([t, pr]) => ({ token: model.detokenize([t], true), logprob: Math.log(pr) }));
      lp = { token: model.detokenize([token], true), logprob: Math.log(probs.get(token) ?? 0), top };
      logprobs.push(lp);
    }
    pending.push(token);
    const atLimit = meter.tokens >= p.maxTokens;
    const chunk = model.detokenize(pending);
    // Hold back an incomplete UTF-8 sequence until the next token completes it.
    if (chunk.endsWith('\uFFFD') && pending.length < 4 && !atLimit) continue;
    pending.length = 0;
    text += chunk;
    // A JSON schema's grammar allows newlines after the value: the reply ends with the value instead of padding them.
    const jsonDone = grammar !== undefined && jsonValueComplete(text);
    if (jsonDone) text = text.trimEnd();
    const hit = p.stop
      .map((s) => [s, text.indexOf(s)] as const)
      .filter(([, i]) => i >= 0)
      .sort((a, b) => a[1] - b[1])[0];
    if (hit) {
      text = text.slice(0, hit[1]);
      if (text.length > shown) emit({ type: 'text', text: text.slice(shown), logprob: lp });
      shown = text.length;
      finishReason = 'stop';
      break;
    }
    // Text that could still be the start of a stop string is held until it cannot.
    const safe = text.length - holdBack;
    if (safe > shown) {
      emit({ type: 'text', text: text.slice(shown, safe), logprob: lp });
      shown = safe;
    }
    if (jsonDone) {
      finishReason = 'stop';
      break;
    }
    if (atLimit) {
      finishReason = 'length';
      break;
    }
  }
  if (text.length > shown) emit({ type: 'text', text: text.slice(shown) });
  return { text, finish: finishReason, logprobs, promptTokens: prompt.length, cachedTokens: cached };
}

/** Hands the request its context sequence: the free one whose cache shares the longest prefix with `prompt`. */
export type TakeSequence = (prompt: Token[] | null) => LlamaContextSequence;

export async function chat(
  env: GenerateEnv,
  take: TakeSequence,
  req: ChatRequest,
  emit: (e: GenerationEvent) => void,
  signal: AbortSignal,
): Promise<GenerationResult> {
  const { LlamaChat, LlamaText } = await import('node-llama-cpp');
  const meter = new Meter(env);
  const grammar = await grammarFor(env, req.jsonSchema);
  const { wrapper, history, tools, state, tokens: prompt } = await renderChatPrompt(env.model, req);
  if (tools.functions && req.jsonSchema) throw new RequestError('jsonSchema cannot be combined with tools (the tool parameters are the schema)');
  const seq = take(prompt);
  let llamaChat = new LlamaChat({ contextSequence: seq, chatWrapper: wrapper });
  try {
    if (!tools.functions) {
      const stopTokens = state.stopGenerationTriggers.map((t) => LlamaText(t).tokenize(env.model.tokenizer, 'trimLeadingSpace')).filter((t) => t.length > 0);
      const out = await generateTokens(env, seq, prompt, { params: req.params, logprobs: req.logprobs, stopTokens }, grammar, emit, signal, meter);
      return {
        text: out.text,
        finishReason: out.finish,
        metrics: meter.metrics(out.promptTokens, undefined, out.cachedTokens),
        logprobs: out.logprobs,
        toolCalls: [],
      };
    }
    if (req.logprobs !== undefined) throw new RequestError('logprobs cannot be combined with tools');
    if (tools.force) {
      // LlamaChat reads its wrapper once, at construction: a forced call needs a chat of its own, on the resolved wrapper.
      const resolved = llamaChat;
      llamaChat = new LlamaChat({ contextSequence: seq, chatWrapper: await forcingFunctionCall(wrapper) });
      resolved.dispose({ disposeSequence: false });
    }
    return await chatWithTools(seq, prompt, req, llamaChat, history, tools.functions, emit, signal, meter);
  } finally {
    llamaChat.dispose({ disposeSequence: false });
  }
}

async function chatWithTools(
  seq: LlamaContextSequence,
  prompt: Token[],
  req: ChatRequest,
  llamaChat: LlamaChat,
  history: ChatHistoryItem[],
  functions: ChatModelFunctions,
  emit: (e: GenerationEvent) => void,
  signal: AbortSignal,
  meter: Meter,
): Promise<GenerationResult> {
  const before = { in: seq.tokenMeter.usedInputTokens, out: seq.tokenMeter.usedOutputTokens };
  // LlamaChat keeps the prefix the sequence shares with its prompt itself; about this many tokens of it.
  const cached = Math.max(0, Math.min(seq.compareContextTokens(prompt).firstDifferentIndex, prompt.length - 1));
  const res = await llamaChat.generateResponse(history, {
    ...sampling(req.params),
    functions,
    maxParallelFunctionCalls: req.parallelToolCalls === false ? 1 : undefined,
    customStopTriggers: req.params.stop.length ? req.params.stop : undefined,
    signal,
    stopOnAbortSignal: true,
    onToken: (tokens: Token[]) => meter.token(tokens.length),
    onTextChunk: (text: string) => emit({ type: 'text', text }),
  });
  const toolCalls: ToolCall[] = (res.functionCalls ?? []).map((c) => ({ name: c.functionName, arguments: c.params ?? {} }));
  return {
    text: res.response,
    finishReason: finish(res.metadata.stopReason),
    metrics: meter.metrics(cached + seq.tokenMeter.usedInputTokens - before.in, seq.tokenMeter.usedOutputTokens - before.out, cached),
    logprobs: null,
    toolCalls,
  };
}

export async function complete(
  env: GenerateEnv,
  take: TakeSequence,
  req: CompletionRequest,
  emit: (e: GenerationEvent) => void,
  signal: AbortSignal,
): Promise<GenerationResult> {
  const meter = new Meter(env);
  const grammar = await grammarFor(env, req.jsonSchema);
  const prompt = encodeText(env.model, req.prompt, true);
  if (prompt.length === 0) throw new RequestError('prompt: empty, and the model has no BOS token to start from');
  const out = await generateTokens(env, take(prompt), prompt, { params: req.params, logprobs: req.logprobs }, grammar, emit, signal, meter);
  return {
    text: out.text,
    finishReason: out.finish,
    metrics: meter.metrics(out.promptTokens, undefined, out.cachedTokens),
    logprobs: out.logprobs,
    toolCalls: [],
  };
}
