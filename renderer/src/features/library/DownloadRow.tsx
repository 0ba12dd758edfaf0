import type { Job } from '../../api/types';
import { JobProgress } from '../../components/JobProgress';
import { useModels } from '../../state/models';
import { routeHash } from '../../state/navigation';
import { useJobActions } from '../jobs/useJobActions';
import { describeDownload } from './downloadView';
import { splitError } from './modelView';

interface DownloadRowProps {
  job: Job;
}

const stayHere = (): void => undefined;

/** One download: what, how far (bytes and speed as the engine words them, time left), and what can be done with it. */
export function DownloadRow({ job }: DownloadRowProps) {
  const openJobModel = useModels((s) => s.openJobModel);
  const actions = useJobActions(job, stayHere);
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
      <JobProgress job={job} title={repo} detail={<span title={files.join('\n')}>{what}</span>} testIdPrefix="download" {...actions}>
        <span className="download-links">
          {job.state === 'succeeded' && (
            <button type="button" className="link-button" onClick={() => void openJobModel(job.id)} data-testid="download-show-in-library">
              Show in library
            </button>
          )}
          <a href={routeHash({ page: 'jobs', jobId: job.id })}>Open job</a>
        </span>
      </JobProgress>
      {job.error && (
        <p className="error-note" data-testid="download-error" title={job.error}>
          {splitError(job.error).headline}
        </p>
      )}
    </li>
  );
}
