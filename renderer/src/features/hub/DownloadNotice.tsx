import { ErrorNote } from '../../components/ErrorNote';
import { useHub } from '../../state/hub';
import { useJobs } from '../../state/jobs';
import { useModels } from '../../state/models';

/**
 * Says that the download just asked for started (with a way to watch it), or why it did not; it follows the job
 * (the jobs feed), so a download that failed or was cancelled says so instead of "Downloading".
 */
export function DownloadNotice() {
  const last = useHub((s) => s.lastDownload);
  const live = useJobs((s) => (last && 'job' in last ? s.jobs[last.job.id] : undefined));
  const setTab = useModels((s) => s.setTab);
  if (!last) return null;
  if ('error' in last) return <ErrorNote message={`Could not download ${last.what}: ${last.error}`} testId="hub-download-error" />;
  const job = live ?? last.job;
  const watch = (
    <button type="button" className="link-button" onClick={() => setTab('downloads')} data-testid="hub-open-downloads">
      {job.state === 'queued' || job.state === 'running' ? 'Watch it in Downloads' : 'See it in Downloads'}
    </button>
  );
  if (job.state === 'failed' || job.state === 'interrupted') {
    const why = job.error?.trim().split('\n')[0] ?? (job.state === 'interrupted' ? 'the engine stopped while it ran' : 'unknown error');
    return (
      <div className="error-note" role="alert" data-testid="hub-download-failed" data-job-id={job.id} data-state={job.state}>
        The download of {last.what} failed: {why}. {watch}
      </div>
    );
  }
  const text =
    job.state === 'succeeded'
      ? `Downloaded ${last.what}: it is in My models.`
      : job.state === 'cancelled'
        ? `The download of ${last.what} was cancelled.`
        : job.state === 'paused'
          ? `The download of ${last.what} is paused.`
          : `Downloading ${last.what}.`;
  return (
    <p className="notice" role="status" data-testid="hub-download-started" data-job-id={job.id} data-state={job.state}>
      {text} {watch}
    </p>
  );
}
