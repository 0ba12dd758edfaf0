import { toPercent } from '../lib/format';
import type { Tone } from './Badge';

interface ProgressBarProps {
  /** 0..1, or null for work of unknown size (an indeterminate bar). */
  fraction: number | null;
  /** Accessible name, e.g. "Job progress" or "Disk usage". */
  label: string;
  /** `meter` for a level (disk usage), `progressbar` for work under way. */
  role?: 'progressbar' | 'meter';
  tone?: Tone;
  testId?: string;
  /** Show the percentage beside the bar. */
  showPercent?: boolean;
}

export function ProgressBar({ fraction, label, role = 'progressbar', tone = 'info', testId, showPercent }: ProgressBarProps) {
  const percent = fraction === null ? null : toPercent(fraction);
  return (
    <div className="progress">
      <div
        className={`progress-track progress-${tone}${percent === null ? ' progress-indeterminate' : ''}`}
        role={role}
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent ?? undefined}
        aria-valuetext={percent === null ? 'In progress' : `${percent}%`}
        data-testid={testId}
      >
        <div className="progress-fill" style={percent === null ? undefined : { width: `${percent}%` }} />
      </div>
      {showPercent && <span className="progress-percent">{percent === null ? '…' : `${percent}%`}</span>}
    </div>
  );
}
