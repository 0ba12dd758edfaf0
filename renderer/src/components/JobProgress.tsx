import type { ReactNode } from 'react';
import type { Job } from '../api/types';
import { JobStateBadge } from '../features/jobs/JobStateBadge';
import { canCancel, canPause, canResume, canRetry, displayFraction, estimateRemaining, jobDuration, kindTitle, progressTone } from '../features/jobs/jobView';
import { formatDuration } from '../lib/format';
import { useNow } from '../lib/useNow';
import { ErrorNote } from './ErrorNote';
import { ProgressBar } from './ProgressBar';

export interface JobActionCallbacks {
  onCancel?: () => void;
  onPause?: () => void;
  onResume?: () => void;
  onRetry?: () => void;
  /** An action is under way: the buttons wait. */
  busy?: boolean;
  actionError?: string | null;
}

interface JobActionButtonsProps extends JobActionCallbacks {
  job: Job;
  /** Buttons' test ids: `${prefix}-cancel`, `-pause`, `-resume`, `-retry`. */
  testIdPrefix: string;
}

/**
 * The buttons a job's state allows, for the callbacks given: Cancel while queued, running or paused; Pause and
 * Resume for resumable kinds (downloads), which keep their partial work; Retry once finished short of success. A
 * failed resumable job retries in place (Resume, labelled Retry); any other retry is a new job.
 */
export function JobActionButtons({ job, testIdPrefix, onCancel, onPause, onResume, onRetry, busy = false, actionError }: JobActionButtonsProps) {
  const resumable = onResume !== undefined && canResume(job);
  const failed = job.state === 'failed';
  return (
    <div className="job-actions">
      {onPause && canPause(job) && (
        <button type="button" className="button" disabled={busy} onClick={onPause} data-testid={`${testIdPrefix}-pause`}>
          Pause
        </button>
      )}
      {resumable && (
        <button
          type="button"
          className="button button-primary"
          disabled={busy}
          onClick={onResume}
          data-testid={`${testIdPrefix}-${failed ? 'retry' : 'resume'}`}
          title={`${failed ? 'Try again' : 'Continue'} from where it stopped, keeping what was already done`}
        >
          {failed ? 'Retry' : 'Resume'}
        </button>
      )}
      {onCancel && canCancel(job) && (
        <button type="button" className="button button-danger" disabled={busy} onClick={onCancel} data-testid={`${testIdPrefix}-cancel`}>
          Cancel
        </button>
      )}
      {onRetry && canRetry(job) && !resumable && (
        <button type="button" className="button" disabled={busy} onClick={onRetry} data-testid={`${testIdPrefix}-retry`}>
          Retry
        </button>
      )}
      {actionError && <ErrorNote message={actionError} testId={`${testIdPrefix}-action-error`} />}
    </div>
  );
}

interface JobProgressProps extends JobActionCallbacks {
  job: Job;
  /** Defaults to the title of the job's kind ("Download model"). */
  title?: string;
  /** What it works on, beside the title (a repository, a file). */
  detail?: ReactNode;
  /** All on one line, for a toolbar or a card's foot. */
  compact?: boolean;
  testId?: string;
  /** Prefix of the parts' test ids: `${prefix}-message`, `${prefix}-time`, `${prefix}-cancel` … */
  testIdPrefix?: string;
  /** After the buttons: links such as "Open job". */
  children?: ReactNode;
}

/** "1m 05s · about 2m 10s left" while running, the run time once finished, nothing before it starts. */
export function jobTimes(job: Job, now: number): string {
  const elapsed = jobDuration(job, now);
  if (elapsed === null) return '';
  const left = estimateRemaining(job);
  return left === null ? formatDuration(elapsed) : `${formatDuration(elapsed)} · about ${formatDuration(left)} left`;
}

/** One job: what it is, its state, how far it is (an indeterminate bar while its size is unknown), time, and actions. */
export function JobProgress(props: JobProgressProps) {
  const { job, detail, compact, testId, testIdPrefix = 'job', children, onCancel, onPause, onResume, onRetry, busy, actionError } = props;
  const actions = { onCancel, onPause, onResume, onRetry, busy, actionError };
  const title = props.title ?? kindTitle(job);
  const now = useNow(job.state === 'running');
  const message = job.progress.message;
  const times = jobTimes(job, now);
  return (
    <div
      className={`job-progress${compact ? ' job-progress-compact' : ''}`}
      data-testid={testId}
      data-state={job.state}
      data-job-id={job.id}
      data-fraction={job.progress.fraction ?? ''}
    >
      <div className="job-progress-head">
        <span className="job-progress-title">{title}</span>
        {detail && <span className="job-progress-detail muted ellipsis">{detail}</span>}
        <JobStateBadge state={job.state} />
      </div>
      <ProgressBar fraction={displayFraction(job)} label={`${title}: progress`} tone={progressTone(job)} showPercent />
      <div className="job-progress-foot">
        <span className="progress-message ellipsis" title={message} data-testid={`${testIdPrefix}-message`}>
          {message}
        </span>
        {times && (
          <span className="job-progress-time muted" data-testid={`${testIdPrefix}-time`}>
            {times}
          </span>
        )}
      </div>
      <div className="job-progress-actions">
        <JobActionButtons job={job} testIdPrefix={testIdPrefix} {...actions} />
        {children}
      </div>
    </div>
  );
}
