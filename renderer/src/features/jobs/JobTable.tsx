import { useRef, type KeyboardEvent } from 'react';
import type { Job } from '../../api/types';
import { ProgressBar } from '../../components/ProgressBar';
import { formatDateTime, formatDuration, formatTimestamp } from '../../lib/format';
import { useNow } from '../../lib/useNow';
import { displayFraction, jobDuration, listMessage, progressTone } from './jobView';
import { JobStateBadge } from './JobStateBadge';

interface JobTableProps {
  jobs: readonly Job[];
  selectedId: string | null;
  /** `viaKeyboard` selections replace the history entry instead of adding one per arrow press. */
  onSelect: (id: string, viaKeyboard: boolean) => void;
  onClear: () => void;
}

/**
 * Jobs, one row each. One row is in the tab order (the selected one, else the first); arrow keys,
 * Home and End move the selection, Enter or Space selects the focused row, Escape clears it.
 */
export function JobTable({ jobs, selectedId, onSelect, onClear }: JobTableProps) {
  const rows = useRef(new Map<string, HTMLTableRowElement>());
  const now = useNow(jobs.some((j) => j.state === 'running'));
  const focusableId = jobs.some((j) => j.id === selectedId) ? selectedId : (jobs[0]?.id ?? null);

  const move = (from: string, key: string): string | undefined => {
    const index = jobs.findIndex((j) => j.id === from);
    const target = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: jobs.length - 1 }[key];
    return target === undefined ? undefined : jobs[Math.min(Math.max(target, 0), jobs.length - 1)]?.id;
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTableRowElement>, id: string): void => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onSelect(id, false);
      return;
    }
    if (event.key === 'Escape') {
      onClear();
      return;
    }
    const next = move(id, event.key);
    if (next === undefined) return;
    event.preventDefault();
    onSelect(next, true);
    rows.current.get(next)?.focus();
  };

  return (
    <table className="table jobs-table" role="grid" aria-label="Jobs" aria-readonly="true" data-testid="job-table">
      <thead>
        <tr>
          <th scope="col">Kind</th>
          <th scope="col">State</th>
          <th scope="col" className="col-progress">Progress</th>
          <th scope="col" className="col-message">Message</th>
          <th scope="col">Created</th>
          <th scope="col" className="col-started">Started</th>
          <th scope="col" className="num">Duration</th>
        </tr>
      </thead>
      <tbody>
        {jobs.map((job) => (
          <tr
            key={job.id}
            ref={(el) => {
              if (el) rows.current.set(job.id, el);
              else rows.current.delete(job.id);
            }}
            className="row-selectable"
            tabIndex={job.id === focusableId ? 0 : -1}
            aria-selected={job.id === selectedId}
            data-testid={`job-row-${job.id}`}
            data-state={job.state}
            onClick={() => onSelect(job.id, false)}
            onKeyDown={(e) => onKeyDown(e, job.id)}
          >
            <td className="mono">{job.kind}</td>
            <td>
              <JobStateBadge state={job.state} />
            </td>
            <td className="col-progress">
              <ProgressBar
                fraction={displayFraction(job)}
                label={`Progress of ${job.kind}`}
                tone={progressTone(job)}
                showPercent
              />
            </td>
            <td className={`truncate col-message${job.state === 'failed' && job.error ? ' job-error-line' : ''}`} title={job.state === 'failed' && job.error ? job.error : job.progress.message} data-testid="job-message">
              {listMessage(job)}
            </td>
            <td title={formatDateTime(job.createdAt)}>{formatTimestamp(job.createdAt, now)}</td>
            <td className="col-started" title={job.startedAt === null ? undefined : formatDateTime(job.startedAt)}>
              {formatTimestamp(job.startedAt, now)}
            </td>
            <td className="num">{formatDuration(jobDuration(job, now))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
