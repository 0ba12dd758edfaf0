import { RESUMABLE_JOB_KINDS } from '../../../../shared/job-kinds';
import { jobKindTitle, type JobState } from '../../../../shared/jobs';
import type { Job } from '../../api/types';
import type { Tone } from '../../components/Badge';

/** Colour per state. Being a Record over JobState, it fails to compile when a state is added. */
export const STATE_TONES: Record<JobState, Tone> = {
  queued: 'neutral',
  running: 'info',
  paused: 'neutral',
  succeeded: 'success',
  failed: 'danger',
  cancelled: 'warning',
  interrupted: 'warning',
};

/** Every state, in lifecycle order. */
export { JOB_STATES } from '../../../../shared/jobs';

/**
 * Kinds that pause and resume in place, keeping their partial work (the engine's `resumable` job kinds).
 * Declared here rather than imported, for the same reason as JOB_STATES.
 */
export const RESUMABLE_KINDS: readonly string[] = RESUMABLE_JOB_KINDS;

export const isResumable = (job: Job): boolean => RESUMABLE_KINDS.includes(job.kind);
export const canCancel = (job: Job): boolean => job.state === 'queued' || job.state === 'running' || job.state === 'paused';
/** A finished job that did not succeed runs again as a new job (a succeeded one has nothing to retry). */
export const canRetry = (job: Job): boolean => job.state !== 'queued' && job.state !== 'running' && job.state !== 'paused' && job.state !== 'succeeded';

/** What the list says about a job: a failed job's error (its first line), else its progress message. */
export function listMessage(job: Pick<Job, 'state' | 'error' | 'progress'>): string {
  if (job.state === 'failed' && job.error?.trim()) return job.error.trim().split('\n')[0]!.trim();
  return job.progress.message;
}
/** A resumable job stops with its partial work kept while queued or running. */
export const canPause = (job: Job): boolean => isResumable(job) && (job.state === 'queued' || job.state === 'running');
/** A resumable job continues under the same id once paused, interrupted or failed. */
export const canResume = (job: Job): boolean => isResumable(job) && (job.state === 'paused' || job.state === 'interrupted' || job.state === 'failed');

/**
 * What a progress bar shows: the reported fraction while running (null = indeterminate), full once
 * succeeded, and a still bar otherwise, so only live work animates.
 */
export function displayFraction(job: Job): number | null {
  if (job.state === 'succeeded') return 1;
  if (job.state === 'running') return job.progress.fraction;
  return job.progress.fraction ?? 0;
}

export function progressTone(job: Job): Tone {
  return job.state === 'running' || job.state === 'queued' ? 'info' : STATE_TONES[job.state];
}

/** Run time so far (running) or in total (finished); null before it starts. */
export function jobDuration(job: Job, now: number): number | null {
  if (job.startedAt === null) return null;
  return (job.finishedAt ?? now) - job.startedAt;
}

export function newestFirst(a: Job, b: Job): number {
  return b.createdAt - a.createdAt || b.id.localeCompare(a.id);
}

/** "Download model" for `model.download`; the kind itself when this version does not know it. */
export const kindTitle = (job: Pick<Job, 'kind'>): string => jobKindTitle(job.kind);

/** Where a job's fraction stood at an engine time (`updatedAt`). */
export interface ProgressMark {
  at: number;
  fraction: number;
}

/** Too little movement to extrapolate from: below this, no estimate is shown. */
const MIN_ETA_FRACTION = 0.01;
const MIN_ETA_MS = 2000;

/** Time left at the average rate between two marks; null until the work has moved far enough over long enough. */
export function remainingMs(from: ProgressMark, to: ProgressMark): number | null {
  const done = to.fraction - from.fraction;
  const took = to.at - from.at;
  if (done < MIN_ETA_FRACTION || took < MIN_ETA_MS) return null;
  return ((1 - to.fraction) * took) / done;
}

/**
 * First mark of each running job as seen here (kept across remounts: list rows come and go as they scroll). A job
 * that resumed after a pause starts a new mark, so its rate is that of this run, not of the work it kept.
 */
const firstMarks = new Map<string, ProgressMark>();

/** A running job's time left, from how fast its fraction has moved since first seen running; null when unknown. */
export function estimateRemaining(job: Pick<Job, 'id' | 'state' | 'progress' | 'updatedAt'>): number | null {
  const { fraction } = job.progress;
  if (job.state !== 'running' || fraction === null) {
    firstMarks.delete(job.id);
    return null;
  }
  const first = firstMarks.get(job.id);
  if (!first || fraction < first.fraction || job.updatedAt < first.at) {
    firstMarks.set(job.id, { at: job.updatedAt, fraction });
    return null;
  }
  return remainingMs(first, { at: job.updatedAt, fraction });
}
