import type { JobRecord } from '../../shared/jobs';

export { formatBytes } from '../../shared/format-bytes';

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function jobLine(j: JobRecord): string[] {
  const pct = j.progress.fraction === null ? '' : `${Math.round(j.progress.fraction * 100)}%`;
  const took = j.startedAt ? formatDuration((j.finishedAt ?? Date.now()) - j.startedAt) : '';
  return [j.id, j.kind, j.state, pct, took, new Date(j.createdAt).toLocaleString(), j.progress.message];
}
