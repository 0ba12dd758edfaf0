import { z } from 'zod';

export const GPU_CHOICES = ['auto', 'cpu', 'cuda', 'vulkan', 'metal'] as const;
export const KV_CACHE_TYPES = ['f16', 'q8_0', 'q4_0'] as const;

export const LoraAdapter = z.object({ path: z.string().min(1), scale: z.number().min(-4).max(4).default(1) }).strict();
export type LoraAdapter = z.infer<typeof LoraAdapter>;

/** How a model is loaded into its worker. Changing any of these reloads it. */
export const LoadOptions = z
  .object({
    gpu: z.enum(GPU_CHOICES).default('auto'),
    gpuLayers: z.union([z.literal('auto'), z.number().int().min(0).max(1000)]).default('auto'),
    contextSize: z.number().int().min(32).max(1 << 20).default(4096),
    batchSize: z.number().int().min(1).max(1 << 16).optional(),
    /** CPU threads; 0 or unset: the physical core count (never more: llama.cpp slows down sharply past it). */
    threads: z.number().int().min(0).max(256).optional(),
    flashAttention: z.boolean().default(false),
    kvCacheType: z.enum(KV_CACHE_TYPES).default('f16'),
    /** Parallel sequences: requests beyond this many wait in a queue. */
    parallel: z.number().int().min(1).max(64).default(4),
    lora: z.array(LoraAdapter).max(8).default([]),
    /** Unload after this long without requests; 0 keeps it loaded. */
    idleUnloadSeconds: z.number().int().min(0).max(7 * 24 * 3600).default(900),
  })
  .strict();
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
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
    maxTokens: z.number().int().min(1).max(1 << 20).default(512),
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
