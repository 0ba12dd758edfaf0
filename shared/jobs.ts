import { z } from 'zod';

/** `paused` is only reachable by resumable kinds (downloads): not running, not final, resumed in place. */
export const JOB_STATES = ['queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled', 'interrupted'] as const;
export const JobState = z.enum(JOB_STATES);
export type JobState = z.infer<typeof JobState>;

export const FINAL_JOB_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled', 'interrupted'];
export const isFinalJobState = (s: JobState): boolean => FINAL_JOB_STATES.includes(s);

export { JobTimeoutSeconds } from './job-kind';
export { JOB_KINDS, StartJobRequest, RESUMABLE_JOB_KINDS, isJobKind, jobContract, jobKindTitle, kindsProducing } from './job-kinds';
export type { JobContract, JobKind, JobInput, JobResult, StartJobRequestInput } from './job-kinds';

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
  /** Memory the job declared it needs on its device (bytes): it starts only when that fits beside loaded models. */
  needsBytes: z.number().nullable().default(null),
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
export const JobLogRequest = z.object({ id: z.string().min(1), tailLines: z.number().int().min(1).max(1_000_000).default(5000) }).strict();

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
export const JobMetricsRequest = z.object({ id: z.string().min(1), name: z.string().min(1).optional(), sinceStep: z.number().int().optional() }).strict();
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
