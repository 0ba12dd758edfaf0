import { z } from 'zod';
import { DownloadModelInput } from './hub';
import { ConvertModelInput, ImportModelInput, InspectPathInput } from './models';
import { ToolchainInstallInput } from './toolchain';

/** `paused` is only reachable by resumable kinds (downloads): not running, not final, resumed in place. */
export const JOB_STATES = ['queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled', 'interrupted'] as const;
export const JobState = z.enum(JOB_STATES);
export type JobState = z.infer<typeof JobState>;

export const FINAL_JOB_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled', 'interrupted'];
export const isFinalJobState = (s: JobState): boolean => FINAL_JOB_STATES.includes(s);

/** Inputs per job kind. Later capabilities add their kinds here. */
export const SystemReportInput = z.object({}).strict();
export const TestSleepInput = z
  .object({
    seconds: z.number().positive().max(3600),
    steps: z.number().int().min(1).max(10_000).default(10),
    heavy: z.boolean().default(true),
    failAt: z.number().int().min(1).optional(),
    /** Reports `loss` and `throughput` metrics at every step. */
    metrics: z.boolean().optional(),
    /** Sends this many `sample` rows at the first step (committed only if the job succeeds). */
    rows: z.number().int().min(0).max(100_000).optional(),
  })
  .strict();

/**
 * Optional on every job: a running job still going after this many seconds fails ("timed out after N s"), its
 * worker process tree is killed and its staging folder removed. The runner keeps it in the job's input JSON.
 */
export const JobTimeoutSeconds = z.number().positive().max(7 * 24 * 3600);

export const StartJobRequest = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('system-report'), input: SystemReportInput.default({}), timeoutSeconds: JobTimeoutSeconds.optional() }).strict(),
  z.object({ kind: z.literal('test.sleep'), input: TestSleepInput, timeoutSeconds: JobTimeoutSeconds.optional() }).strict(),
  z.object({ kind: z.literal('model.import'), input: ImportModelInput, timeoutSeconds: JobTimeoutSeconds.optional() }).strict(),
  z.object({ kind: z.literal('model.inspect'), input: InspectPathInput, timeoutSeconds: JobTimeoutSeconds.optional() }).strict(),
  z.object({ kind: z.literal('model.download'), input: DownloadModelInput, timeoutSeconds: JobTimeoutSeconds.optional() }).strict(),
  z.object({ kind: z.literal('toolchain.install'), input: ToolchainInstallInput, timeoutSeconds: JobTimeoutSeconds.optional() }).strict(),
  z.object({ kind: z.literal('model.convert'), input: ConvertModelInput, timeoutSeconds: JobTimeoutSeconds.optional() }).strict(),
]);
export type StartJobRequest = z.infer<typeof StartJobRequest>;
export type JobKind = StartJobRequest['kind'];
export type JobInput<K extends JobKind> = Extract<StartJobRequest, { kind: K }>['input'];

export const JobProgress = z.object({
  /** 0..1, or null when the amount of work is unknown. */
  fraction: z.number().min(0).max(1).nullable(),
  message: z.string(),
});
export type JobProgress = z.infer<typeof JobProgress>;

export const JobRecord = z.object({
  id: z.string(),
  kind: z.string(),
  state: JobState,
  input: z.json(),
  progress: JobProgress,
  result: z.json().nullable(),
  error: z.string().nullable(),
  heavy: z.boolean(),
  device: z.string(),
  retryOf: z.string().nullable(),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  updatedAt: z.number(),
});
export type JobRecord = z.infer<typeof JobRecord>;

export type JobEvent =
  | { type: 'job'; job: JobRecord }
  /** `from` is the 0-based line number of `lines[0]` in the job's log, so clients can join a fetched tail with live lines exactly. */
  | { type: 'log'; jobId: string; from: number; lines: string[] }
  /** Metric points as the runner stores them (batched, in the order the worker reported them). */
  | { type: 'metrics'; jobId: string; metrics: JobMetric[] };

export interface JobLogTail {
  /** Line number of `lines[0]`. */
  from: number;
  lines: string[];
}

export const ListJobsRequest = z
  .object({
    states: z.array(JobState).optional(),
    kind: z.string().optional(),
    limit: z.number().int().min(1).max(1000).default(200),
  })
  .strict();
export type ListJobsRequest = z.infer<typeof ListJobsRequest>;

export const JobIdRequest = z.object({ id: z.string().min(1) }).strict();
export const JobLogRequest = z
  .object({ id: z.string().min(1), tailLines: z.number().int().min(1).max(1_000_000).default(5000) })
  .strict();

/** One point of a job's metric series (a loss curve, a throughput): `step` orders points within a series when set. */
export const JobMetric = z.object({
  name: z.string(),
  step: z.number().int().nullable(),
  value: z.number(),
  unit: z.string().nullable(),
  /** Epoch ms when the worker reported it. */
  at: z.number(),
});
export type JobMetric = z.infer<typeof JobMetric>;

/** A job's metrics in the order they were reported; `name` picks one series, `sinceStep` only points with a larger step. */
export const JobMetricsRequest = z
  .object({ id: z.string().min(1), name: z.string().min(1).optional(), sinceStep: z.number().int().optional() })
  .strict();
export type JobMetricsRequest = z.infer<typeof JobMetricsRequest>;

/** A page of a succeeded job's rows of one kind; `cursor` is the previous page's `nextCursor` (none for the first page). */
export const JobRowsRequest = z
  .object({
    id: z.string().min(1),
    kind: z.string().min(1),
    cursor: z.number().int().min(0).nullable().optional(),
    limit: z.number().int().min(1).max(10_000).default(500),
  })
  .strict();
export type JobRowsRequest = z.infer<typeof JobRowsRequest>;

export interface JobRowsPage {
  rows: { seq: number; data: unknown }[];
  /** Pass back as `cursor` for the next page; null when this page was the last. */
  nextCursor: number | null;
}
