import type { ChatRequest, CompletionRequest, GenerationEvent, LoadOptions } from '../../../shared/inference';

/** Engine -> model host (one forked process per loaded model). */
export type HostRequest =
  | { type: 'load'; path: string; options: LoadOptions }
  | { type: 'chat'; id: string; req: ChatRequest }
  | { type: 'complete'; id: string; req: CompletionRequest }
  | { type: 'embed'; id: string; input: string[] }
  | { type: 'tokenize'; id: string; text: string }
  | { type: 'abort'; id: string };

export interface LoadedInfo {
  backend: string;
  gpuLayers: number;
  contextSize: number;
  vramBytes: number;
  trainContextSize: number;
  /** The threads llama.cpp decodes with. */
  threads: number;
  /** Layers in the model (repeating layers and the output layer): fewer on the GPU leaves the rest on the CPU. */
  totalLayers: number;
}

/** Model host -> engine. */
export type HostMessage =
  | { type: 'load-progress'; progress: number }
  | { type: 'loaded'; info: LoadedInfo }
  | { type: 'load-failed'; error: string }
  | { type: 'event'; id: string; event: GenerationEvent }
  | { type: 'embeddings'; id: string; vectors: number[][]; tokens: number }
  | { type: 'tokens'; id: string; count: number }
  | { type: 'request-failed'; id: string; error: string; status: number }
  | { type: 'queue'; active: number; queued: number }
  | { type: 'rss'; rssBytes: number };
