import { z } from 'zod';

/**
 * The shared half of a job kind: what clients may send and get back, and what they need to know to show it.
 * Each capability declares its kinds next to its other schemas (shared/models.ts, shared/hub.ts …);
 * shared/job-kinds.ts lists them, and the engine pairs each with how to schedule and run it.
 */
export interface JobKindContract<K extends string = string, I extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  kind: K;
  title: string;
  input: I;
  /** Checked by the supervisor before the job may succeed: a worker that returns anything else fails its job. */
  result: R;
  /** Artifact kinds a success adds to the library (clients refresh those lists when such a job ends). */
  produces: readonly string[];
  /** Can be paused and resumed in place (keeps partial outputs outside the staging folder). */
  resumable: boolean;
  /** Only registered when the engine is started with test jobs enabled. */
  testOnly: boolean;
}

export function jobKind<const K extends string, I extends z.ZodType, R extends z.ZodType>(
  c: Omit<JobKindContract<K, I, R>, 'resumable' | 'testOnly' | 'produces'> & Partial<Pick<JobKindContract, 'resumable' | 'testOnly' | 'produces'>>,
): JobKindContract<K, I, R> {
  return { produces: [], resumable: false, testOnly: false, ...c };
}

/**
 * Optional on every job: a running job still going after this many seconds fails ("timed out after N s"), its
 * worker process tree is killed and its staging folder removed. The runner keeps it in the job's input JSON.
 */
export const JobTimeoutSeconds = z
  .number()
  .positive()
  .max(7 * 24 * 3600);
