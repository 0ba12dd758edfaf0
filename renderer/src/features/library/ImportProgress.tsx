import type { Job } from '../../api/types';
import { JobProgress } from '../../components/JobProgress';
import { routeHash } from '../../state/navigation';
import { ImportError } from './ImportError';

interface ImportProgressProps {
  job: Job | undefined;
  /** The engine refused to start the import (a bad request, a model already in the library). */
  startError: string | null;
}

/** An import job's live progress, and its outcome. */
export function ImportProgress({ job, startError }: ImportProgressProps) {
  if (startError) return <ImportError error={startError} />;
  if (!job) return null;
  return (
    <div className="import-progress" data-testid="import-progress" data-state={job.state} data-job-id={job.id}>
      <JobProgress job={job} compact testIdPrefix="import">
        <a href={routeHash({ page: 'jobs', jobId: job.id })}>Open job</a>
      </JobProgress>
      {job.state === 'succeeded' && <p data-testid="import-done">Imported. The new model is selected below.</p>}
      {job.error && <ImportError error={job.error} />}
    </div>
  );
}
