import { useState } from 'react';
import { api, errorMessage } from '../../api/client';
import type { Job } from '../../api/types';
import { useJobs } from '../../state/jobs';
import { useNavigation } from '../../state/navigation';

export interface JobActionHandlers {
  onCancel: () => void;
  onPause: () => void;
  onResume: () => void;
  onRetry: () => void;
  /** An action is under way. */
  busy: boolean;
  actionError: string | null;
}

/**
 * Cancel, pause, resume and retry through the engine, for JobProgress or JobActions; the store gets the updated job.
 * A retry is a new job: `onRetried` gets it, else the Jobs page opens it.
 */
export function useJobActions(job: Job, onRetried?: (job: Job) => void): JobActionHandlers {
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const upsert = useJobs((s) => s.upsert);
  const navigate = useNavigation((s) => s.navigate);

  const run = async (action: () => Promise<Job>, retried = false): Promise<void> => {
    setBusy(true);
    setActionError(null);
    try {
      const updated = await action();
      upsert(updated);
      if (retried) {
        if (onRetried) onRetried(updated);
        else navigate('jobs', updated.id);
      }
    } catch (e) {
      setActionError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const { id } = job;
  return {
    onCancel: () => void run(() => api.jobs.cancel.mutate({ id })),
    onPause: () => void run(() => api.jobs.pause.mutate({ id })),
    onResume: () => void run(() => api.jobs.resume.mutate({ id })),
    onRetry: () => void run(() => api.jobs.retry.mutate({ id }), true),
    busy,
    actionError,
  };
}
