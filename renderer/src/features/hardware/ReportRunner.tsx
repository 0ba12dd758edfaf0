import type { Job } from '../../api/types';
import { ProgressBar } from '../../components/ProgressBar';
import { useHardware } from '../../state/hardware';
import { routeHash } from '../../state/navigation';
import { JobStateBadge } from '../jobs/JobStateBadge';
import { displayFraction, progressTone } from '../jobs/jobView';

interface ReportRunnerProps {
  /** The system-report job under way or just finished, if any. */
  job: Job | undefined;
}

/**
 * The "Run system report" button and the live progress of the report job. Laid out right to left,
 * so the button keeps its place at the edge while the progress appears beside it.
 */
export function ReportRunner({ job }: ReportRunnerProps) {
  const starting = useHardware((s) => s.starting);
  const runReport = useHardware((s) => s.runReport);
  const busy = starting || job?.state === 'queued' || job?.state === 'running';

  return (
    <div className="report-runner">
      <button
        type="button"
        className="button button-primary"
        disabled={busy}
        onClick={() => void runReport()}
        data-testid="run-system-report"
      >
        {busy ? 'Running system report…' : 'Run system report'}
      </button>
      {job && (
        <div className="report-job" data-testid="hardware-progress" data-state={job.state} data-job-id={job.id}>
          <JobStateBadge state={job.state} />
          <ProgressBar fraction={displayFraction(job)} label="System report progress" tone={progressTone(job)} showPercent />
          {job.progress.message && (
            <span className="ellipsis muted" title={job.progress.message}>
              {job.progress.message}
            </span>
          )}
          <a href={routeHash({ page: 'jobs', jobId: job.id })}>Open job</a>
        </div>
      )}
    </div>
  );
}
