import { useState } from 'react';
import { api, errorMessage } from '../../api/client';
import type { Job } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { useJobs } from '../../state/jobs';
import { useNavigation } from '../../state/navigation';
import { canCancel, canRetry } from './jobView';

interface JobActionsProps {
  job: Job;
}

/** Cancel while queued or running; Retry once finished, which opens the new job. */
export function JobActions({ job }: JobActionsProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const upsert = useJobs((s) => s.upsert);
  const navigate = useNavigation((s) => s.navigate);

  const run = async (action: () => Promise<Job>, open: boolean): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const updated = await action();
      upsert(updated);
      if (open) navigate('jobs', updated.id);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="job-actions">
      {canCancel(job) && (
        <button
          type="button"
          className="button button-danger"
          disabled={busy}
          onClick={() => void run(() => api.jobs.cancel.mutate({ id: job.id }), false)}
          data-testid="job-cancel"
        >
          Cancel
        </button>
      )}
      {canRetry(job) && (
        <button
          type="button"
          className="button"
          disabled={busy}
          onClick={() => void run(() => api.jobs.retry.mutate({ id: job.id }), true)}
          data-testid="job-retry"
        >
          Retry
        </button>
      )}
      {error && <ErrorNote message={error} testId="job-action-error" />}
    </div>
  );
}
