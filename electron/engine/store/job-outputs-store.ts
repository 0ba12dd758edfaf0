import type { JobMetric, JobMetricsRequest, JobRowsPage } from '../../../shared/jobs';
import type { Db } from './database';

/** A row as the runner buffers it: `data` already JSON (so its size is known while buffering). */
export interface NewJobRow {
  seq: number;
  kind: string;
  data: string;
}

/** Typed job outputs beyond files: metric series (job_metrics) and record batches (job_rows). */
export class JobOutputsStore {
  constructor(private readonly db: Db) {}

  /** One transaction per batch. */
  insertMetrics(jobId: string, metrics: readonly JobMetric[]): void {
    if (!metrics.length) return;
    const stmt = this.db.prepare('INSERT INTO job_metrics (job_id, name, step, value, unit, at) VALUES (?, ?, ?, ?, ?, ?)');
    this.db
      .transaction(() => {
        for (const m of metrics) stmt.run(jobId, m.name, m.step, m.value, m.unit, m.at);
      })
      .immediate();
  }

  /** In report order (rowid): a series' points come back in the order the worker sent them. */
  metrics(req: JobMetricsRequest): JobMetric[] {
    const where = ['job_id = ?'];
    const args: unknown[] = [req.id];
    if (req.name !== undefined) {
      where.push('name = ?');
      args.push(req.name);
    }
    if (req.sinceStep !== undefined) {
      where.push('step > ?');
      args.push(req.sinceStep);
    }
    return this.db.prepare(`SELECT name, step, value, unit, at FROM job_metrics WHERE ${where.join(' AND ')} ORDER BY rowid`).all(...args) as JobMetric[];
  }

  /** Call inside the transaction that marks the job succeeded. */
  insertRows(jobId: string, rows: readonly NewJobRow[]): void {
    const stmt = this.db.prepare('INSERT INTO job_rows (job_id, seq, kind, data) VALUES (?, ?, ?, ?)');
    for (const r of rows) stmt.run(jobId, r.seq, r.kind, r.data);
  }

  rows(jobId: string, kind: string, cursor: number | null, limit: number): JobRowsPage {
    const found = this.db
      .prepare('SELECT seq, data FROM job_rows WHERE job_id = ? AND kind = ? AND seq > ? ORDER BY seq LIMIT ?')
      .all(jobId, kind, cursor ?? -1, limit + 1) as { seq: number; data: string }[];
    const page = found.slice(0, limit);
    return {
      rows: page.map((r) => ({ seq: r.seq, data: JSON.parse(r.data) as unknown })),
      nextCursor: found.length > limit ? page.at(-1)!.seq : null,
    };
  }
}
