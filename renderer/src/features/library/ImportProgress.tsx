import type { Job } from '../../api/types';
import { ProgressBar } from '../../components/ProgressBar';
import { routeHash } from '../../state/navigation';
import { JobStateBadge } from '../jobs/JobStateBadge';
import { displayFraction, progressTone } from '../jobs/jobView';
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
      <div className="report-job">
        <JobStateBadge state={job.state} />
        <ProgressBar fraction={displayFraction(job)} label="Import progress" tone={progressTone(job)} showPercent />
        <span className="ellipsis muted" title={job.progress.message}>
          {job.progress.message}
        </span>
        <a href={routeHash({ page: 'jobs', jobId: job.id })}>Open job</a>
      </div>
      {job.state === 'succeeded' && <p data-testid="import-done">Imported. The new model is selected below.</p>}
      {job.error && <ImportError error={job.error} />}
    </div>
  );
}
