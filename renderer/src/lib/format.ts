export { formatBytes } from '../../../shared/format-bytes';

/** 850 -> "850 ms", 12_300 -> "12.3 s", 185_000 -> "3m 05s", 7_260_000 -> "2h 01m". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return '—';
  const clamped = Math.max(0, ms);
  if (clamped < 1000) return `${Math.round(clamped)} ms`;
  if (clamped < 60_000) return `${(clamped / 1000).toFixed(1)} s`;
  const totalSeconds = Math.floor(clamped / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** Epoch milliseconds -> "14:03:22" today, "Nov 3, 2025, 14:03:22" otherwise. */
export function formatTimestamp(epochMs: number | null | undefined, now: number = Date.now()): string {
  if (epochMs == null) return '—';
  const date = new Date(epochMs);
  return date.toDateString() === new Date(now).toDateString() ? timeFormat.format(date) : dateTimeFormat.format(date);
}

/** Full date and time, for tooltips. */
export function formatDateTime(epochMs: number): string {
  return dateTimeFormat.format(new Date(epochMs));
}

/** 0.4567 -> 46. */
export function toPercent(fraction: number): number {
  return Math.round(Math.min(1, Math.max(0, fraction)) * 100);
}

/** Pretty JSON for display. */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
