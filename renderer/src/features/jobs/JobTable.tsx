import { useMemo, type ReactNode } from 'react';
import type { Job } from '../../api/types';
import { DataTable, type DataColumn } from '../../components/DataTable';
import { ProgressBar } from '../../components/ProgressBar';
import { formatDateTime, formatDuration, formatTimestamp } from '../../lib/format';
import { useNow } from '../../lib/useNow';
import { JobStateBadge } from './JobStateBadge';
import { displayFraction, JOB_STATES, jobDuration, listMessage, progressTone } from './jobView';

interface JobTableProps {
  jobs: readonly Job[];
  selectedId: string | null;
  /** `viaKeyboard` selections replace the history entry instead of adding one per arrow press. */
  onSelect: (id: string, viaKeyboard: boolean) => void;
  onClear: () => void;
  /** Shown in the table when there are no jobs. */
  empty?: ReactNode;
}

const jobId = (job: Job): string => job.id;
const rowAttributes = (job: Job) => ({ 'data-testid': `job-row-${job.id}`, 'data-state': job.state });
/** States sort in lifecycle order (queued, running, paused, then the finished ones). */
const stateRank = (job: Job): number => JOB_STATES.indexOf(job.state);

function columns(now: number): DataColumn<Job>[] {
  return [
    { id: 'kind', header: 'Kind', value: (j) => j.kind, cellProps: () => ({ className: 'mono' }) },
    { id: 'state', header: 'State', value: stateRank, cell: (j) => <JobStateBadge state={j.state} /> },
    {
      id: 'progress',
      header: 'Progress',
      className: 'col-progress',
      value: (j) => displayFraction(j),
      cell: (j) => <ProgressBar fraction={displayFraction(j)} label={`Progress of ${j.kind}`} tone={progressTone(j)} showPercent />,
    },
    {
      id: 'message',
      header: 'Message',
      className: 'truncate col-message',
      cell: listMessage,
      cellProps: (j) => {
        const failed = j.state === 'failed' && !!j.error;
        return { className: failed ? 'job-error-line' : undefined, title: failed ? j.error! : j.progress.message, 'data-testid': 'job-message' };
      },
    },
    {
      id: 'created',
      header: 'Created',
      numeric: true,
      value: (j) => j.createdAt,
      cell: (j) => formatTimestamp(j.createdAt, now),
      cellProps: (j) => ({ title: formatDateTime(j.createdAt) }),
    },
    {
      id: 'started',
      header: 'Started',
      numeric: true,
      className: 'col-started',
      value: (j) => j.startedAt,
      cell: (j) => formatTimestamp(j.startedAt, now),
      cellProps: (j) => ({ title: j.startedAt === null ? undefined : formatDateTime(j.startedAt) }),
    },
    { id: 'duration', header: 'Duration', numeric: true, value: (j) => jobDuration(j, now), cell: (j) => formatDuration(jobDuration(j, now)) },
  ];
}

/**
 * Jobs, one row each, sortable by any column but the message (unsorted: newest first). Arrow keys, Home and End
 * move the selection, Enter or Space selects the focused row, Escape clears it.
 */
export function JobTable({ jobs, selectedId, onSelect, onClear, empty }: JobTableProps) {
  const now = useNow(jobs.some((j) => j.state === 'running'));
  const cols = useMemo(() => columns(now), [now]);
  return (
    <DataTable
      rows={jobs}
      columns={cols}
      getRowId={jobId}
      label="Jobs"
      className="jobs-table"
      testId="job-table"
      sortTestIdPrefix="jobs-sort"
      selectedId={selectedId}
      onRowActivate={(job) => onSelect(job.id, false)}
      onRowFocus={(job) => onSelect(job.id, true)}
      onEscape={onClear}
      rowAttributes={rowAttributes}
      empty={empty}
      fill
    />
  );
}
