/** Messages between the job supervisor and a job worker process (Node IPC channel). */

export interface StartMessage {
  type: 'start';
  jobId: string;
  kind: string;
  input: unknown;
  /** What the kind's supervisor-side resolver found (library records…): the worker never opens whittle.db itself. */
  resolved: unknown;
  stagingDir: string;
  dataDir: string;
}

/** Instead of a job: run one named function (worker-calls.ts) in this short-lived worker and report its value. No job record, no staging. */
export interface CallMessage {
  type: 'call';
  fn: string;
  input: unknown;
}

export interface StagedArtifact {
  /** A file or folder, relative to the job's staging folder; or, when `external`, an absolute path left where it is. */
  file: string;
  kind: string;
  name: string;
  parents?: string[];
  meta?: Record<string, unknown>;
  tags?: string[];
  /** Registered by reference (an imported model, the user's Hugging Face cache): never moved, never deleted by Whittle. */
  external?: boolean;
  /** Known digest and size (verified by the worker), so the supervisor does not hash gigabytes twice. Required for folders and external paths. */
  sha256?: string;
  sizeBytes?: number;
}

export type WorkerMessage =
  | { type: 'progress'; fraction: number | null; message: string }
  /** One point of a metric series; stored (batched) and streamed to clients as it arrives. `at`: epoch ms. */
  | { type: 'metric'; name: string; value: number; step: number | null; unit: string | null; at: number }
  /** A batch of typed records (e.g. per-sample eval results); kept by the runner and stored only if the job succeeds. */
  | { type: 'rows'; kind: string; records: unknown[] }
  | { type: 'done'; result: unknown; artifacts: StagedArtifact[] }
  /** `code` classifies the failure: 'model-format' when the model's files are damaged or not what they claim. */
  | { type: 'error'; message: string; code?: string };

export interface JobOutput<R = unknown> {
  result: R;
  artifacts?: StagedArtifact[];
}

/** What a job kind's run function gets inside the worker process. */
export interface WorkerContext {
  jobId: string;
  stagingDir: string;
  dataDir: string;
  progress: (fraction: number | null, message: string) => void;
  log: (line: string) => void;
  /** Reports a metric point (loss, throughput…); `step` orders the points of a series. */
  metric: (name: string, value: number, opts?: { step?: number; unit?: string }) => void;
  /** Reports typed records of a kind; they reach the job's outputs only if it succeeds. */
  rows: (kind: string, records: unknown[]) => void;
  /** Aborted when the supervisor stops the job (SIGTERM): finish writing resumable state and return. */
  signal: AbortSignal;
}
