// node-llama-cpp is ESM with top-level await: values are imported dynamically, types statically.
import type { ChatHistoryItem, ChatModelFunctions, ChatWrapper, Llama, LlamaContext, LlamaContextSequence, LlamaGrammar, LlamaModel, Token } from 'node-llama-cpp';
import type { ChatMessage, ChatRequest, CompletionRequest, FinishReason, GenerationEvent, GenerationMetrics, GenerationResult, SamplingParams, TokenLogprob, ToolCall } from '../../../shared/inference';

export interface GenerateEnv {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  peakRss(): number;
}

export class RequestError extends Error {
  constructor(message: string, readonly status = 400) {
    super(message);
  }
}

function toHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const out: ChatHistoryItem[] = [];
  for (const m of messages) {
    if (m.role === 'system') out.push({ type: 'system', text: m.content });
    else if (m.role === 'assistant') out.push({ type: 'model', response: [m.content] });
    else if (m.role === 'tool') out.push({ type: 'user', text: `Tool result:\n${m.content}` });
    else out.push({ type: 'user', text: m.content });
  }
  return out;
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
  metrics(promptTokens: number, completionTokens = this.tokens): GenerationMetrics {
    const end = performance.now();
    const ttft = (this.first ?? end) - this.started;
    const genMs = end - (this.first ?? end);
    return {
      ttftMs: Math.round(ttft * 10) / 10,
      promptTokens,
      completionTokens,
      promptTokensPerSec: ttft > 0 && promptTokens ? promptTokens / (ttft / 1000) : null,
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

/**
 * Generates token by token with llama.cpp's sampler, reading each step's probabilities: the path for requests that
 * ask for log-probabilities (LlamaChat does not surface them). Stops at an end-of-generation token, a stop string,
 * maxTokens or the signal.
 */
async function generateWithLogprobs(env: GenerateEnv, seq: LlamaContextSequence, prompt: Token[], req: { params: SamplingParams; logprobs?: number }, grammar: LlamaGrammar | undefined, emit: (e: GenerationEvent) => void, signal: AbortSignal, meter: Meter): Promise<{ text: string; finish: FinishReason; logprobs: TokenLogprob[] }> {
  const { model } = env;
  const p = req.params;
  const topN = req.logprobs ?? 0;
  const logprobs: TokenLogprob[] = [];
  let text = '';
  let finishReason: FinishReason = 'length';
  const { LlamaGrammarEvaluationState } = await import('node-llama-cpp');
  const grammarEvaluationState = grammar ? new LlamaGrammarEvaluationState({ model, grammar }) : undefined;
  const it = seq.evaluateWithMetadata(prompt, { probabilities: true }, {
    temperature: p.temperature,
    topK: p.topK,
    topP: p.topP,
    minP: p.minP,
    seed: p.seed,
    grammarEvaluationState,
    repeatPenalty: p.repeatPenalty === 1 ? undefined : { penalty: p.repeatPenalty, punishTokens: () => [] },
  });
  const pending: Token[] = [];
  for await (const out of it) {
    if (signal.aborted) {
      finishReason = 'abort';
      break;
    }
    const token = out.token;
    if (model.isEogToken(token)) {
      finishReason = 'stop';
      break;
    }
    meter.token();
    const prob = out.probabilities.get(token) ?? 0;
    const top = [...out.probabilities.entries()].sort((a, b) => b[1] - a[1]).slice(0, topN).map(([t, pr]) => ({ token: model.detokenize([t], true), logprob: Math.log(pr) }));
    const lp: TokenLogprob = { token: model.detokenize([token], true), logprob: Math.log(prob), top };
    logprobs.push(lp);
    pending.push(token);
    const chunk = model.detokenize(pending);
    // Hold back incomplete UTF-8 sequences until the next token completes them.
    if (!chunk.endsWith('\uFFFD')) {
      pending.length = 0;
      text += chunk;
      emit({ type: 'text', text: chunk, logprob: lp });
    }
    const hit = p.stop.find((s) => text.includes(s));
    if (hit) {
      text = text.slice(0, text.indexOf(hit));
      finishReason = 'stop';
      break;
    }
    if (meter.tokens >= p.maxTokens) {
      finishReason = 'length';
      break;
    }
  }
  return { text, finish: finishReason, logprobs };
}

export async function chat(env: GenerateEnv, seq: LlamaContextSequence, req: ChatRequest, emit: (e: GenerationEvent) => void, signal: AbortSignal): Promise<GenerationResult> {
  const { JinjaTemplateChatWrapper, LlamaChat } = await import('node-llama-cpp');
  const meter = new Meter(env);
  const grammar = await grammarFor(env, req.jsonSchema);
  let chatWrapper: ChatWrapper | undefined;
  if (req.chatTemplate) {
    try {
      chatWrapper = new JinjaTemplateChatWrapper({ template: req.chatTemplate });
    } catch (err) {
      throw new RequestError(`chatTemplate: ${(err as Error).message}`);
    }
  }
  const history = toHistory(req.messages);
  const llamaChat = new LlamaChat({ contextSequence: seq, chatWrapper: chatWrapper ?? 'auto' });
  try {
    if (req.logprobs !== undefined) {
      if (req.tools?.length) throw new RequestError('logprobs cannot be combined with tools');
      const state = llamaChat.chatWrapper.generateContextState({ chatHistory: [...history, { type: 'model', response: [] }] });
      const prompt = state.contextText.tokenize(env.model.tokenizer);
      const stops = [...req.params.stop];
      const out = await generateWithLogprobs(env, seq, prompt, { ...req, params: { ...req.params, stop: stops } }, grammar, emit, signal, meter);
      return { text: out.text, finishReason: out.finish, metrics: meter.metrics(prompt.length), logprobs: out.logprobs, toolCalls: [] };
    }
    const functions: ChatModelFunctions | undefined = req.tools?.length
      ? Object.fromEntries(req.tools.map((t) => [t.name, { description: t.description, params: t.parameters as never }]))
      : undefined;
    const before = { in: seq.tokenMeter.usedInputTokens, out: seq.tokenMeter.usedOutputTokens };
    const res = await llamaChat.generateResponse(history, {
      ...sampling(req.params),
      ...(functions ? { functions } : { grammar }),
      customStopTriggers: req.params.stop.length ? req.params.stop : undefined,
      signal,
      stopOnAbortSignal: true,
      onToken: (tokens: Token[]) => meter.token(tokens.length),
      onTextChunk: (text: string) => emit({ type: 'text', text }),
    } as never);
    const toolCalls: ToolCall[] = (res.functionCalls ?? []).map((c: { functionName: string; params: unknown }) => ({ name: c.functionName, arguments: c.params ?? {} }));
    return { text: res.response, finishReason: finish(res.metadata.stopReason), metrics: meter.metrics(seq.tokenMeter.usedInputTokens - before.in, seq.tokenMeter.usedOutputTokens - before.out), logprobs: null, toolCalls };
  } finally {
    llamaChat.dispose({ disposeSequence: false });
  }
}

export async function complete(env: GenerateEnv, seq: LlamaContextSequence, req: CompletionRequest, emit: (e: GenerationEvent) => void, signal: AbortSignal): Promise<GenerationResult> {
  const meter = new Meter(env);
  const grammar = await grammarFor(env, req.jsonSchema);
  if (req.logprobs !== undefined) {
    const prompt = env.model.tokenize(req.prompt, true);
    const out = await generateWithLogprobs(env, seq, prompt, req, grammar, emit, signal, meter);
    return { text: out.text, finishReason: out.finish, metrics: meter.metrics(prompt.length), logprobs: out.logprobs, toolCalls: [] };
  }
  const { LlamaCompletion } = await import('node-llama-cpp');
  const completion = new LlamaCompletion({ contextSequence: seq });
  try {
    const before = { in: seq.tokenMeter.usedInputTokens, out: seq.tokenMeter.usedOutputTokens };
    const res = await completion.generateCompletionWithMeta(req.prompt, {
      ...sampling(req.params),
      grammar,
      customStopTriggers: req.params.stop.length ? req.params.stop : undefined,
      signal,
      stopOnAbortSignal: true,
      onToken: (tokens: Token[]) => meter.token(tokens.length),
      onTextChunk: (text: string) => emit({ type: 'text', text }),
    } as never);
    return { text: res.response, finishReason: finish(res.metadata.stopReason), metrics: meter.metrics(seq.tokenMeter.usedInputTokens - before.in, seq.tokenMeter.usedOutputTokens - before.out), logprobs: null, toolCalls: [] };
  } finally {
    completion.dispose({ disposeSequence: false });
  }
}
