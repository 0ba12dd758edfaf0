/** Messages between the job supervisor and a job worker process (Node IPC channel). */

export interface StartMessage {
  type: 'start';
  jobId: string;
  kind: string;
  input: unknown;
  stagingDir: string;
  dataDir: string;
}

export interface StagedArtifact {
  /** Path relative to the job's staging folder. */
  file: string;
  kind: string;
  name: string;
  parents?: string[];
  meta?: Record<string, unknown>;
}

export type WorkerMessage =
  | { type: 'progress'; fraction: number | null; message: string }
  | { type: 'done'; result: unknown; artifacts: StagedArtifact[] }
  | { type: 'error'; message: string };

export interface JobOutput {
  result: unknown;
  artifacts?: StagedArtifact[];
}

/** What a job kind's run function gets inside the worker process. */
export interface WorkerContext {
  jobId: string;
  stagingDir: string;
  dataDir: string;
  progress(fraction: number | null, message: string): void;
  log(line: string): void;
}
