import type { Job } from '../../api/types';
import { JobProgress } from '../../components/JobProgress';
import { useHardware } from '../../state/hardware';
import { routeHash } from '../../state/navigation';
import { useJobActions } from '../jobs/useJobActions';

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
      <button type="button" className="button button-primary" disabled={busy} onClick={() => void runReport()} data-testid="run-system-report">
        {busy ? 'Running system report…' : 'Run system report'}
      </button>
      {job && <ReportJob job={job} />}
    </div>
  );
}

/** The report job, which can be cancelled here; a new report is the button's to start, not a retry's. */
function ReportJob({ job }: { job: Job }) {
  const { onCancel, busy, actionError } = useJobActions(job);
  return (
    <JobProgress job={job} compact testId="hardware-progress" testIdPrefix="hardware-job" onCancel={onCancel} busy={busy} actionError={actionError}>
      <a href={routeHash({ page: 'jobs', jobId: job.id })}>Open job</a>
    </JobProgress>
  );
}
