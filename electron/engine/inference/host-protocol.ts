import type {
  ApplyTemplateRequest,
  ApplyTemplateResult,
  ChatRequest,
  CompletionRequest,
  GenerationEvent,
  GenerationResult,
  InferenceRuntime,
  LoadOptions,
  PerplexityProgress,
  PerplexityRequest,
  PerplexityResult,
  ScoreRequest,
  ScoreResult,
} from '../../../shared/inference';

/** The requests a model host serves: what each takes, streams while it runs, and answers. */
export interface HostOps {
  chat: { input: ChatRequest; event: GenerationEvent; result: GenerationResult };
  complete: { input: CompletionRequest; event: GenerationEvent; result: GenerationResult };
  embed: { input: { input: string[] }; event: never; result: { vectors: number[][]; tokens: number } };
  tokenize: { input: { text: string }; event: never; result: { count: number } };
  score: { input: ScoreRequest; event: never; result: ScoreResult };
  perplexity: { input: PerplexityRequest; event: PerplexityProgress; result: PerplexityResult };
  applyTemplate: { input: ApplyTemplateRequest; event: never; result: ApplyTemplateResult };
}
export type HostOp = keyof HostOps;

export type HostOpRequest = { [Op in HostOp]: { type: 'request'; id: string; op: Op; input: HostOps[Op]['input'] } }[HostOp];

/** Engine -> model host (one forked process per loaded model). */
export type HostRequest = { type: 'load'; runtime: InferenceRuntime; path: string; options: LoadOptions } | HostOpRequest | { type: 'abort'; id: string };

export interface LoadedInfo {
  /** The compute backend: 'cpu', 'cuda', 'vulkan', 'metal' (llama.cpp), or the execution provider. */
  backend: string;
  gpuLayers: number;
  contextSize: number;
  vramBytes: number;
  trainContextSize: number;
  /** The threads the runtime decodes with. */
  threads: number;
  /** Layers in the model (repeating layers and the output layer): fewer on the GPU leaves the rest on the CPU. */
  totalLayers: number;
}

/** Model host -> engine. */
export type HostMessage =
  | { type: 'load-progress'; progress: number }
  | { type: 'loaded'; info: LoadedInfo }
  | { type: 'load-failed'; error: string }
  | { type: 'event'; id: string; event: HostOps[HostOp]['event'] }
  | { type: 'result'; id: string; result: HostOps[HostOp]['result'] }
  | { type: 'request-failed'; id: string; error: string; status: number }
  | { type: 'queue'; active: number; queued: number }
  | { type: 'rss'; rssBytes: number };
