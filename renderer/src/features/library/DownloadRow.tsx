import type { Job } from '../../api/types';
import { ProgressBar } from '../../components/ProgressBar';
import { formatDateTime, formatTimestamp } from '../../lib/format';
import { useModels } from '../../state/models';
import { routeHash } from '../../state/navigation';
import { JobActions } from '../jobs/JobActions';
import { JobStateBadge } from '../jobs/JobStateBadge';
import { displayFraction, progressTone } from '../jobs/jobView';
import { describeDownload } from './downloadView';
import { splitError } from './modelView';

interface DownloadRowProps {
  job: Job;
}

/** One download: what, how far (bytes, speed, ETA as the engine words them), and what can be done with it. */
export function DownloadRow({ job }: DownloadRowProps) {
  const openJobModel = useModels((s) => s.openJobModel);
  const { repo, files } = describeDownload(job);
  const what = files.length === 0 ? 'whole repository' : files.length === 1 ? files[0]! : `${files.length} files`;

  return (
    <li
      className="card download-row"
      data-testid={`download-row-${job.id}`}
      data-state={job.state}
      data-fraction={job.progress.fraction ?? ''}
      aria-label={`Download of ${repo}, ${job.state}`}
    >
      <div className="download-head">
        <div className="download-title">
          <span className="mono download-repo">{repo}</span>
          <span className="muted ellipsis" title={files.join('\n')}>
            {what}
          </span>
        </div>
        <JobStateBadge state={job.state} />
      </div>
      <ProgressBar fraction={displayFraction(job)} label={`Download of ${repo}`} tone={progressTone(job)} showPercent />
      <div className="download-foot">
        <span className="progress-message" data-testid="download-message">
          {job.progress.message}
        </span>
        <span className="muted" title={formatDateTime(job.createdAt)}>
          {formatTimestamp(job.createdAt)}
        </span>
      </div>
      {job.error && (
        <p className="error-note" data-testid="download-error" title={job.error}>
          {splitError(job.error).headline}
        </p>
      )}
      <div className="download-actions">
        <JobActions job={job} testIdPrefix="download" onRetried={() => undefined} />
        <span className="download-links">
          {job.state === 'succeeded' && (
            <button type="button" className="link-button" onClick={() => void openJobModel(job.id)} data-testid="download-show-in-library">
              Show in library
            </button>
          )}
          <a href={routeHash({ page: 'jobs', jobId: job.id })}>Open job</a>
        </span>
      </div>
    </li>
  );
}
