import { useEffect, useState } from 'react';
import { api, errorMessage, isApiError } from '../../api/client';
import type { Job } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { Facts, type Fact } from '../../components/Facts';
import { JsonBlock } from '../../components/JsonBlock';
import { ProgressBar } from '../../components/ProgressBar';
import { formatDateTime, formatDuration } from '../../lib/format';
import { useNow } from '../../lib/useNow';
import { useJobs } from '../../state/jobs';
import { routeHash } from '../../state/navigation';
import { JobActions } from './JobActions';
import { JobLog } from './JobLog';
import { JobStateBadge } from './JobStateBadge';
import { displayFraction, jobDuration, progressTone } from './jobView';

interface JobDetailProps {
  jobId: string;
  onClose: () => void;
}

/** The selected job, from the store; one that is not in the list (older than its limit) is fetched. */
function useJob(jobId: string): { job: Job | undefined; error: string | null } {
  const job = useJobs((s) => s.jobs[jobId]);
  const loaded = useJobs((s) => s.loaded);
  const upsert = useJobs((s) => s.upsert);
  const [error, setError] = useState<string | null>(null);
  const missing = loaded && !job;

  useEffect(() => {
    if (!missing) return;
    let live = true;
    api.jobs.get.query({ id: jobId }).then(upsert, (e: unknown) => {
      if (live) setError(isApiError(e) && e.data?.code === 'NOT_FOUND' ? `There is no job ${jobId}.` : errorMessage(e));
    });
    return () => {
      live = false;
    };
  }, [missing, jobId, upsert]);

  return { job, error };
}

function JobTimes({ job }: { job: Job }) {
  const now = useNow(job.state === 'running');
  const facts: Fact[] = [
    ['Created', formatDateTime(job.createdAt)],
    ['Started', job.startedAt === null ? '—' : formatDateTime(job.startedAt)],
    ['Finished', job.finishedAt === null ? '—' : formatDateTime(job.finishedAt)],
    ['Duration', formatDuration(jobDuration(job, now))],
    ['Device', job.heavy ? `${job.device} (heavy)` : job.device],
  ];
  if (job.retryOf) {
    facts.push([
      'Retry of',
      <a className="mono" href={routeHash({ page: 'jobs', jobId: job.retryOf })}>
        {job.retryOf}
      </a>,
    ]);
  }
  return <Facts facts={facts} />;
}

export function JobDetail({ jobId, onClose }: JobDetailProps) {
  const { job, error } = useJob(jobId);
  const viewLog = useJobs((s) => s.viewLog);
  const closeLog = useJobs((s) => s.closeLog);

  useEffect(() => {
    viewLog(jobId);
    return () => closeLog(jobId);
  }, [jobId, viewLog, closeLog]);

  return (
    <aside className="detail" aria-label="Job details" data-testid="job-detail">
      <header className="detail-header">
        <div className="detail-title">
          <h2>{job?.kind ?? 'Job'}</h2>
          <span className="mono muted selectable">{jobId}</span>
        </div>
        <button type="button" className="button button-ghost" onClick={onClose} aria-label="Close job details">
          ✕
        </button>
      </header>
      {error && <ErrorNote message={error} />}
      {!job && !error && <p className="muted">Loading…</p>}
      {job && (
        <>
          <div className="detail-status">
            <JobStateBadge state={job.state} testId="job-state" />
            <JobActions job={job} />
          </div>
          <div className="detail-progress">
            <ProgressBar fraction={displayFraction(job)} label="Job progress" tone={progressTone(job)} testId="job-progress" showPercent />
            <p className="progress-message" data-testid="job-progress-message">
              {job.progress.message}
            </p>
          </div>
          <JobTimes job={job} />
          {job.error && (
            <section className="detail-section">
              <h3>Error</h3>
              <pre className="code-block error-block" data-testid="job-error">
                {job.error}
              </pre>
            </section>
          )}
          <section className="detail-section">
            <h3>Input</h3>
            <JsonBlock value={job.input ?? null} testId="job-input" />
          </section>
          {job.result != null && (
            <details className="detail-section" open>
              <summary>
                <h3>Result</h3>
              </summary>
              <JsonBlock value={job.result} testId="job-result" />
            </details>
          )}
          <section className="detail-section detail-log">
            <h3>Log</h3>
            <JobLog jobId={jobId} />
          </section>
        </>
      )}
    </aside>
  );
}
