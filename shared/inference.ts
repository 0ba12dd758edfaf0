import { z } from 'zod';
import { InvalidInputError } from './errors';

export const GPU_CHOICES = ['auto', 'cpu', 'cuda', 'vulkan', 'metal'] as const;
export const KV_CACHE_TYPES = ['f16', 'q8_0', 'q4_0'] as const;

export const LoraAdapter = z.object({ path: z.string().min(1), scale: z.number().min(-4).max(4).default(1) }).strict();
export type LoraAdapter = z.infer<typeof LoraAdapter>;

/**
 * The inference runtimes (backends) a model can be loaded into. The engine's registry
 * (electron/engine/inference/backends/) says which model formats each runs and what it can do.
 */
export const INFERENCE_RUNTIMES = ['llama.cpp', 'onnx'] as const;
export type InferenceRuntime = (typeof INFERENCE_RUNTIMES)[number];

/**
 * What a backend can do: the requests it serves (chat … applyTemplate) and the features a request may ask for
 * (tools: function calling; grammar: output constrained to a JSON schema; logprobs: per-token log-probabilities).
 */
export const INFERENCE_CAPABILITIES = [
  'chat',
  'complete',
  'embed',
  'tokenize',
  'score',
  'perplexity',
  'applyTemplate',
  'tools',
  'grammar',
  'logprobs',
] as const;
export type InferenceCapability = (typeof INFERENCE_CAPABILITIES)[number];

/** Load options every runtime has. */
const commonLoadOptions = {
  contextSize: z
    .number()
    .int()
    .min(32)
    .max(1 << 20)
    .default(4096),
  /** CPU threads; 0 or unset: the physical core count (never more: llama.cpp slows down sharply past it). */
  threads: z.number().int().min(0).max(256).optional(),
  /** Parallel sequences: requests beyond this many wait in a queue. */
  parallel: z.number().int().min(1).max(64).default(4),
  /** Unload after this long without requests; 0 keeps it loaded. */
  idleUnloadSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .default(900),
};

/** llama.cpp (GGUF models). `runtime` may be left out: loads that name no runtime are llama.cpp loads. */
export const LlamaCppLoadOptions = z
  .object({
    runtime: z.literal('llama.cpp').default('llama.cpp'),
    gpu: z.enum(GPU_CHOICES).default('auto'),
    gpuLayers: z.union([z.literal('auto'), z.number().int().min(0).max(1000)]).default('auto'),
    contextSize: commonLoadOptions.contextSize,
    batchSize: z
      .number()
      .int()
      .min(1)
      .max(1 << 16)
      .optional(),
    threads: commonLoadOptions.threads,
    flashAttention: z.boolean().default(false),
    kvCacheType: z.enum(KV_CACHE_TYPES).default('f16'),
    parallel: commonLoadOptions.parallel,
    lora: z.array(LoraAdapter).max(8).default([]),
    idleUnloadSeconds: commonLoadOptions.idleUnloadSeconds,
  })
  .strict();
export type LlamaCppLoadOptions = z.infer<typeof LlamaCppLoadOptions>;

export const ONNX_EXECUTION_PROVIDERS = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const;

/** ONNX Runtime (ONNX models, e.g. built by Olive). */
export const OnnxLoadOptions = z
  .object({
    runtime: z.literal('onnx'),
    /** auto: the first of CUDA, DirectML, CoreML the platform has, else the CPU. */
    executionProvider: z.enum(ONNX_EXECUTION_PROVIDERS).default('auto'),
    ...commonLoadOptions,
    // Refused with a pointer to this runtime's device option (and typed, so every LoadOptions has a `gpu` to read).
    gpu: z.never({ error: 'gpu is a llama.cpp option: ONNX Runtime picks its device with executionProvider' }).optional(),
  })
  .strict();
export type OnnxLoadOptions = z.infer<typeof OnnxLoadOptions>;

/** How a model is loaded into its worker, per runtime. Changing any of these reloads it. */
export const LoadOptions = z.discriminatedUnion('runtime', [LlamaCppLoadOptions, OnnxLoadOptions]);
export type LoadOptions = z.infer<typeof LoadOptions>;

export const LoadModelRequest = z.object({ modelId: z.string().min(1), options: LoadOptions.prefault({}) }).strict();
export type LoadModelRequest = z.infer<typeof LoadModelRequest>;

export const SamplingParams = z
  .object({
    temperature: z.number().min(0).max(5).default(0.7),
    topK: z.number().int().min(0).max(1000).default(40),
    topP: z.number().min(0).max(1).default(0.95),
    minP: z.number().min(0).max(1).default(0.05),
    repeatPenalty: z.number().min(0).max(5).default(1.1),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .optional(),
    maxTokens: z
      .number()
      .int()
      .min(1)
      .max(1 << 20)
      .default(512),
    stop: z.array(z.string().min(1)).max(16).default([]),
  })
  .strict();
export type SamplingParams = z.infer<typeof SamplingParams>;

export const ChatRole = z.enum(['system', 'user', 'assistant', 'tool']);
/** A function call the assistant made earlier in the conversation; `id` pairs it with the tool message holding its result. */
export const PastToolCall = z.object({ id: z.string().max(200).optional(), name: z.string().min(1).max(64), arguments: z.unknown() }).strict();
export const ChatMessage = z
  .object({
    role: ChatRole,
    content: z.string(),
    /** On an assistant message: the calls it made (rendered in the model's own function-call syntax). */
    toolCalls: z.array(PastToolCall).max(64).optional(),
    /** On a tool message: the id of the call this is the result of (else it answers the oldest unanswered call). */
    toolCallId: z.string().max(200).optional(),
  })
  .strict();
export type ChatMessage = z.infer<typeof ChatMessage>;

export const FunctionTool = z
  .object({ name: z.string().min(1).max(64), description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional() })
  .strict();
export type FunctionTool = z.infer<typeof FunctionTool>;

const generationCommon = {
  modelId: z.string().min(1),
  params: SamplingParams.prefault({}),
  /** Constrain the output to this JSON schema (a grammar built by llama.cpp). */
  jsonSchema: z.record(z.string(), z.unknown()).optional(),
  /** Per-token log-probabilities, with this many alternatives per token (0: only the chosen token). */
  logprobs: z.number().int().min(0).max(20).optional(),
};

export const ChatRequest = z
  .object({
    ...generationCommon,
    messages: z.array(ChatMessage).min(1),
    /** A Jinja chat template to use instead of the model's. */
    chatTemplate: z.string().max(100_000).optional(),
    tools: z.array(FunctionTool).max(64).optional(),
    /** false: at most one call per reply. */
    parallelToolCalls: z.boolean().optional(),
    /** auto: the model decides; none: no calls; required: at least one call; or the name of the one function to call. */
    toolChoice: z.union([z.enum(['auto', 'none', 'required']), z.object({ name: z.string().min(1).max(64) }).strict()]).optional(),
  })
  .strict();
export type ChatRequest = z.infer<typeof ChatRequest>;

export const CompletionRequest = z.object({ ...generationCommon, prompt: z.string() }).strict();
export type CompletionRequest = z.infer<typeof CompletionRequest>;

export const EmbeddingRequest = z.object({ modelId: z.string().min(1), input: z.array(z.string()).min(1).max(2048) }).strict();
export type EmbeddingRequest = z.infer<typeof EmbeddingRequest>;

/**
 * Log-likelihood of continuations after a context, as lm-evaluation-harness's `loglikelihood` requests: the context
 * is evaluated once and each continuation from that state. Tokens follow lm-eval's split: context and continuation
 * are encoded together and split where the context's own encoding ends; whitespace ending the context moves to the
 * continuation. Special-token text (a chat template's markers) is read as those tokens.
 */
export const ScoreRequest = z
  .object({
    modelId: z.string().min(1),
    context: z.string().max(4 << 20),
    continuations: z
      .array(z.string().max(1 << 20))
      .min(1)
      .max(256),
  })
  .strict();
export type ScoreRequest = z.infer<typeof ScoreRequest>;

export interface ContinuationScore {
  /** Sum of the continuation tokens' log-probabilities (natural log). */
  logprob: number;
  tokens: number;
  /** Every continuation token is the model's most likely next token. */
  isGreedy: boolean;
}

export interface ScoreResult {
  /** Context tokens evaluated (after any truncation). */
  contextTokens: number;
  /** Context tokens dropped from its start so the longest continuation fits the context window (as lm-eval truncates). */
  truncatedTokens: number;
  /** Context tokens found in the KV cache of an earlier request (a shared few-shot prefix), not evaluated again. */
  cachedTokens: number;
  /** Tokens run through the model: the context once (less what was cached), then each continuation but its last token. */
  evaluatedTokens: number;
  continuations: ContinuationScore[];
  totalMs: number;
}

/**
 * Perplexity of a text as llama.cpp's llama-perplexity computes it by default: the text (with BOS) is cut into
 * chunks of `contextSize` tokens, each evaluated from an empty cache with its first token replaced by BOS, and only
 * the tokens of each chunk's second half are scored.
 */
export const PerplexityRequest = z
  .object({
    modelId: z.string().min(1),
    text: z
      .string()
      .min(1)
      .max(64 << 20),
    /** Tokens per chunk (llama-perplexity's -c); default: the loaded model's context per sequence. */
    contextSize: z
      .number()
      .int()
      .min(16)
      .max(1 << 20)
      .optional(),
    /** Score only the first N chunks (--chunks). */
    chunks: z.number().int().min(1).optional(),
  })
  .strict();
export type PerplexityRequest = z.infer<typeof PerplexityRequest>;

export interface PerplexityChunk {
  /** Mean negative log-likelihood of this chunk's scored tokens. */
  meanNll: number;
  ppl: number;
  /** The estimate over chunks 1..this one (what llama-perplexity prints as `[i]value`). */
  runningPpl: number;
}

export interface PerplexityResult {
  ppl: number;
  /** ± of the estimate, as llama-perplexity's final line reports it. */
  stderr: number;
  meanNll: number;
  /** Tokens scored (each chunk's second half). */
  tokens: number;
  /** Tokens of the text read (with BOS): all of it, or with `chunks` just those the chunks take. */
  textTokens: number;
  contextSize: number;
  chunks: PerplexityChunk[];
  totalMs: number;
  /** Tokens evaluated per second (whole chunks). */
  tokensPerSec: number;
}

export interface PerplexityProgress {
  chunk: number;
  chunks: number;
  runningPpl: number;
}

/**
 * The prompt a chat request sends the model: the messages rendered with its chat template (or `chatTemplate`), ending
 * where the model's reply starts (node-llama-cpp's built-in chat wrappers always open that turn).
 */
export const ApplyTemplateRequest = z
  .object({
    modelId: z.string().min(1),
    messages: z.array(ChatMessage).min(1),
    chatTemplate: z.string().max(100_000).optional(),
    tools: z.array(FunctionTool).max(64).optional(),
    toolChoice: ChatRequest.shape.toolChoice,
  })
  .strict();
export type ApplyTemplateRequest = z.infer<typeof ApplyTemplateRequest>;

export interface ApplyTemplateResult {
  /** The prompt, special tokens written as their text (`<bos>`, `<start_of_turn>`…). */
  text: string;
  tokens: number;
}

/** A request for something the model's backend cannot do (scoring on a backend without it, tools, JSON schemas…). */
export class UnsupportedCapabilityError extends InvalidInputError {
  override name = 'UnsupportedCapabilityError';
  constructor(
    readonly runtime: InferenceRuntime,
    readonly capability: InferenceCapability,
    message: string,
  ) {
    super(message);
  }
}

export interface TokenLogprob {
  token: string;
  logprob: number;
  top: { token: string; logprob: number }[];
}

export interface ToolCall {
  name: string;
  arguments: unknown;
}

export interface GenerationMetrics {
  /** Request start to first generated token (includes prompt processing and any wait for a free sequence). */
  ttftMs: number;
  promptTokens: number;
  /** Prompt tokens reused from the KV cache of an earlier request (a conversation's previous turns), not evaluated again. */
  cachedTokens?: number;
  completionTokens: number;
  promptTokensPerSec: number | null;
  genTokensPerSec: number | null;
  totalMs: number;
  /** Peak resident memory of the model's worker process so far. */
  peakRssBytes: number;
}

export type FinishReason = 'stop' | 'length' | 'abort' | 'tool_calls';

export interface GenerationResult {
  text: string;
  finishReason: FinishReason;
  metrics: GenerationMetrics;
  logprobs: TokenLogprob[] | null;
  toolCalls: ToolCall[];
}

export type GenerationEvent = { type: 'text'; text: string; logprob?: TokenLogprob } | { type: 'done'; result: GenerationResult };

export type LoadedModelState = 'loading' | 'ready' | 'failed' | 'unloading';

export interface LoadedModel {
  modelId: string;
  name: string;
  state: LoadedModelState;
  /** 0..1 while loading. */
  progress: number;
  error: string | null;
  options: LoadOptions;
  backend: string | null;
  gpuLayers: number | null;
  contextSize: number | null;
  /** CPU threads its host decodes with (the resolved `threads` option). */
  threads?: number | null;
  pid: number | null;
  rssBytes: number | null;
  vramBytes: number | null;
  loadedAt: number | null;
  lastUsedAt: number | null;
  /** Requests generating now, and waiting for a free sequence. */
  active: number;
  queued: number;
}

/** The OpenAI-compatible API under /v1 of `whittle serve`, as the engine shows it: the key itself never leaves the engine. */
export const OpenAiSettings = z
  .object({
    enabled: z.boolean(),
    /** Requests need `Authorization: Bearer <key>`. Only a salted hash of the key is stored, so it cannot be shown again. */
    apiKeySet: z.boolean(),
    /** Origins allowed by CORS; empty: CORS off. */
    corsOrigins: z.array(z.string()),
  })
  .strict();
export type OpenAiSettings = z.infer<typeof OpenAiSettings>;
/**
 * A change to the /v1 settings: only the fields sent change. No field has a default (zod 4 fills a field's default
 * even inside `.partial()`, which made saving CORS origins clear the key and turn the API back on).
 */
export const UpdateOpenAiSettings = z
  .object({
    enabled: z.boolean(),
    /** A new key (stored hashed), or null for none. */
    apiKey: z.string().min(1).max(200).nullable(),
    corsOrigins: z.array(z.string().url()).max(20),
  })
  .partial()
  .strict();
export type UpdateOpenAiSettings = z.infer<typeof UpdateOpenAiSettings>;

export interface ServerInfo {
  /** /v1 answers requests now. */
  running: boolean;
  /** Base URL of the OpenAI-compatible API (…/v1), when an HTTP server is up. */
  url: string | null;
  settings: OpenAiSettings;
  /** `serve`: the HTTP server also serves this UI, so stopping only turns /v1 off. `electron`: the app starts its own server. */
  host: string;
}
