import { useMemo, useState } from 'react';
import type { JobState } from '../../../../shared/jobs';
import { ErrorNote } from '../../components/ErrorNote';
import { useJobs } from '../../state/jobs';
import { useNavigation } from '../../state/navigation';
import { JobDetail } from './JobDetail';
import { JobTable } from './JobTable';
import { JOB_STATES, newestFirst } from './jobView';

type Filter = JobState | 'all';
const FILTERS: readonly Filter[] = ['all', ...JOB_STATES];

export function JobsPage() {
  const jobsById = useJobs((s) => s.jobs);
  const loaded = useJobs((s) => s.loaded);
  const listError = useJobs((s) => s.listError);
  const selectedId = useNavigation((s) => s.jobId);
  const navigate = useNavigation((s) => s.navigate);
  const [filter, setFilter] = useState<Filter>('all');

  const all = useMemo(() => Object.values(jobsById).sort(newestFirst), [jobsById]);
  const counts = useMemo(() => {
    const byState = new Map<Filter, number>([['all', all.length]]);
    for (const job of all) byState.set(job.state, (byState.get(job.state) ?? 0) + 1);
    return byState;
  }, [all]);
  const shown = useMemo(() => (filter === 'all' ? all : all.filter((j) => j.state === filter)), [all, filter]);

  return (
    <section className="page page-split" data-testid="page-jobs" aria-labelledby="title-jobs">
      <div className="split-main">
        <header className="page-header">
          <h1 id="title-jobs">Jobs</h1>
          <div className="segmented" role="group" aria-label="Filter by state">
            {FILTERS.map((f) => (
              <button key={f} type="button" className="segment" aria-pressed={filter === f} onClick={() => setFilter(f)} data-testid={`job-filter-${f}`}>
                {f} <span className="segment-count">{counts.get(f) ?? 0}</span>
              </button>
            ))}
          </div>
        </header>
        {listError && <ErrorNote message={listError} testId="jobs-error" />}
        {!loaded && <p className="muted">Loading jobs…</p>}
        {loaded && (
          <JobTable
            jobs={shown}
            selectedId={selectedId}
            onSelect={(id, viaKeyboard) => navigate('jobs', id, { replace: viaKeyboard })}
            onClear={() => navigate('jobs')}
            empty={
              <p className="muted empty" data-testid="jobs-empty">
                {filter === 'all' ? 'No jobs yet. Long-running work (reports, downloads, quantization…) shows up here.' : `No ${filter} jobs.`}
              </p>
            }
          />
        )}
      </div>
      {selectedId && <JobDetail key={selectedId} jobId={selectedId} onClose={() => navigate('jobs')} />}
    </section>
  );
}
