import { useState } from 'react';
import { api, errorMessage } from '../../api/client';
import type { Job } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { useJobs } from '../../state/jobs';
import { useNavigation } from '../../state/navigation';
import { canCancel, canPause, canResume, canRetry } from './jobView';

interface JobActionsProps {
  job: Job;
  /** Prefix of the buttons' test ids: `job-cancel`, `download-pause`, … */
  testIdPrefix?: string;
  /** What to do with the new job a Retry starts; by default the Jobs page opens it. */
  onRetried?: (job: Job) => void;
}

/**
 * Cancel while queued, running or paused; Pause and Resume for resumable kinds (downloads), which keep
 * their partial work. Retry once finished: a new job, except for a failed resumable job, which
 * continues in place (keeping its partial work).
 */
export function JobActions({ job, testIdPrefix = 'job', onRetried }: JobActionsProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const upsert = useJobs((s) => s.upsert);
  const navigate = useNavigation((s) => s.navigate);

  const run = async (action: () => Promise<Job>, retried = false): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const updated = await action();
      upsert(updated);
      if (retried) {
        if (onRetried) onRetried(updated);
        else navigate('jobs', updated.id);
      }
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const resumable = canResume(job);
  return (
    <div className="job-actions">
      {canPause(job) && (
        <button
          type="button"
          className="button"
          disabled={busy}
          onClick={() => void run(() => api.jobs.pause.mutate({ id: job.id }))}
          data-testid={`${testIdPrefix}-pause`}
        >
          Pause
        </button>
      )}
      {resumable && (
        // After a failure this is the way to try again: the same job, keeping what was already done.
        <button
          type="button"
          className="button button-primary"
          disabled={busy}
          onClick={() => void run(() => api.jobs.resume.mutate({ id: job.id }))}
          data-testid={`${testIdPrefix}-${job.state === 'failed' ? 'retry' : 'resume'}`}
          title={job.state === 'failed' ? 'Try again from where it stopped, keeping what was already done' : 'Continue where it stopped, keeping what was already done'}
        >
          {job.state === 'failed' ? 'Retry' : 'Resume'}
        </button>
      )}
      {canCancel(job) && (
        <button
          type="button"
          className="button button-danger"
          disabled={busy}
          onClick={() => void run(() => api.jobs.cancel.mutate({ id: job.id }))}
          data-testid={`${testIdPrefix}-cancel`}
        >
          Cancel
        </button>
      )}
      {canRetry(job) && !resumable && (
        <button
          type="button"
          className="button"
          disabled={busy}
          onClick={() => void run(() => api.jobs.retry.mutate({ id: job.id }), true)}
          data-testid={`${testIdPrefix}-retry`}
        >
          Retry
        </button>
      )}
      {error && <ErrorNote message={error} testId={`${testIdPrefix}-action-error`} />}
    </div>
  );
}
