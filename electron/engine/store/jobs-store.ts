import type { JobRecord, JobState, ListJobsRequest } from '../../../shared/jobs';
import type { Db } from './database';

interface JobRow {
  id: string;
  kind: string;
  state: JobState;
  input: string;
  progress: number | null;
  message: string;
  result: string | null;
  error: string | null;
  heavy: number;
  device: string;
  needs_bytes: number | null;
  retry_of: string | null;
  owner_pid: number | null;
  owner_token: string | null;
  worker_pid: number | null;
  cancel_requested: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
}

export interface JobOwnership {
  id: string;
  state: JobState;
  ownerToken: string | null;
  ownerPid: number | null;
  workerPid: number | null;
  cancelRequested: boolean;
}

const toRecord = (r: JobRow): JobRecord => ({
  id: r.id,
  kind: r.kind,
  state: r.state,
  input: JSON.parse(r.input) as JobRecord['input'],
  progress: { fraction: r.progress, message: r.message },
  result: r.result === null ? null : (JSON.parse(r.result) as JobRecord['result']),
  error: r.error,
  heavy: r.heavy === 1,
  device: r.device,
  needsBytes: r.needs_bytes ?? null,
  retryOf: r.retry_of,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  updatedAt: r.updated_at,
});

/**
 * Timestamps are strictly increasing per store so `updated_at > x` polling never misses a change made
 * within the same millisecond.
 */
export class JobsStore {
  private lastStamp = 0;

  constructor(private readonly db: Db) {}

  now(): number {
    this.lastStamp = Math.max(Date.now(), this.lastStamp + 1);
    return this.lastStamp;
  }

  insert(job: {
    id: string;
    kind: string;
    input: unknown;
    heavy: boolean;
    device: string;
    needsBytes?: number | null;
    retryOf: string | null;
    ownerToken: string;
    ownerPid: number;
  }): JobRecord {
    const t = this.now();
    this.db
      .prepare(
        `INSERT INTO jobs (id, kind, state, input, progress, message, heavy, device, needs_bytes, retry_of, owner_token, owner_pid, created_at, updated_at)
         VALUES (?, ?, 'queued', ?, NULL, 'Queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(job.id, job.kind, JSON.stringify(job.input), job.heavy ? 1 : 0, job.device, job.needsBytes ?? null, job.retryOf, job.ownerToken, job.ownerPid, t, t);
    return this.get(job.id)!;
  }

  get(id: string): JobRecord | null {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? toRecord(row) : null;
  }

  ownership(id: string): JobOwnership | null {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    if (!row) return null;
    return {
      id: row.id,
      state: row.state,
      ownerToken: row.owner_token,
      ownerPid: row.owner_pid,
      workerPid: row.worker_pid,
      cancelRequested: row.cancel_requested > 0,
    };
  }

  list(req: ListJobsRequest): JobRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (req.states?.length) {
      where.push(`state IN (${req.states.map(() => '?').join(',')})`);
      args.push(...req.states);
    }
    if (req.kind) {
      where.push('kind = ?');
      args.push(req.kind);
    }
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, req.limit) as JobRow[]).map(toRecord);
  }

  changedSince(stamp: number, exceptOwner: string): JobRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM jobs WHERE updated_at > ? AND (owner_token IS NULL OR owner_token != ?) ORDER BY updated_at')
      .all(stamp, exceptOwner) as JobRow[];
    return rows.map(toRecord);
  }

  /**
   * Moves a queued job to running; false when someone else already changed its state (e.g. cancelled it) or, for a
   * heavy job, when a heavy job already runs on its device or when the memory it declared (needs_bytes) does not fit in
   * `capacity` beside what loaded models hold there (device_leases). One statement, so two engines sharing the
   * database (app, serve, CLI) can never both start a heavy job on the same device, nor beside a model that fills it.
   */
  claim(id: string, workerPidPlaceholder: number | null, capacity: number | null = null): boolean {
    const t = this.now();
    const res = this.db
      .prepare(
        `UPDATE jobs SET state = 'running', started_at = ?, updated_at = ?, message = 'Starting', worker_pid = ?
         WHERE id = ? AND state = 'queued'
           AND (heavy = 0 OR (
             NOT EXISTS (SELECT 1 FROM jobs AS other WHERE other.state = 'running' AND other.heavy = 1 AND other.device = jobs.device)
             AND (needs_bytes IS NULL OR ? IS NULL
                  OR needs_bytes + (SELECT COALESCE(SUM(bytes), 0) FROM device_leases WHERE device_leases.device = jobs.device) <= ?)))`,
      )
      .run(t, t, workerPidPlaceholder, id, capacity, capacity);
    return res.changes === 1;
  }

  setWorkerPid(id: string, pid: number): void {
    this.db.prepare('UPDATE jobs SET worker_pid = ? WHERE id = ?').run(pid, id);
  }

  /** Says why a queued job waits (e.g. for memory); false when it is no longer queued or already says so. */
  setQueuedMessage(id: string, message: string): boolean {
    return (
      this.db.prepare("UPDATE jobs SET message = ?, updated_at = ? WHERE id = ? AND state = 'queued' AND message != ?").run(message, this.now(), id, message)
        .changes === 1
    );
  }

  setProgress(id: string, fraction: number | null, message: string): void {
    this.db.prepare('UPDATE jobs SET progress = ?, message = ?, updated_at = ? WHERE id = ? AND state = ?').run(fraction, message, this.now(), id, 'running');
  }

  /** Final transition. Only from queued/running/paused, so a late worker message cannot overwrite a cancel. */
  finish(
    id: string,
    state: Exclude<JobState, 'queued' | 'running' | 'paused'>,
    fields: { result?: unknown; error?: string | null; message?: string; progress?: number | null },
  ): boolean {
    const t = this.now();
    const res = this.db
      .prepare(
        `UPDATE jobs SET state = ?, result = ?, error = ?, message = COALESCE(?, message), progress = COALESCE(?, progress),
           finished_at = ?, updated_at = ?, worker_pid = NULL, cancel_requested = 0
         WHERE id = ? AND state IN ('queued','running','paused')`,
      )
      .run(
        state,
        fields.result === undefined ? null : JSON.stringify(fields.result),
        fields.error ?? null,
        fields.message ?? null,
        fields.progress ?? null,
        t,
        t,
        id,
      );
    return res.changes === 1;
  }

  /** Running/queued -> paused. The worker is gone (or never started); its partial outputs stay for resuming. */
  pause(id: string, message = 'Paused'): boolean {
    const res = this.db
      .prepare(
        `UPDATE jobs SET state = 'paused', message = ?, worker_pid = NULL, cancel_requested = 0, updated_at = ? WHERE id = ? AND state IN ('queued','running')`,
      )
      .run(message, this.now(), id);
    return res.changes === 1;
  }

  /** Paused/interrupted/failed -> queued again under this engine, keeping the id (resumable kinds only). */
  requeue(id: string, ownerToken: string, ownerPid: number): boolean {
    const res = this.db
      .prepare(
        `UPDATE jobs SET state = 'queued', message = 'Queued to resume', error = NULL, result = NULL, finished_at = NULL, worker_pid = NULL,
           cancel_requested = 0, owner_token = ?, owner_pid = ?, updated_at = ?
         WHERE id = ? AND state IN ('paused','interrupted','failed')`,
      )
      .run(ownerToken, ownerPid, this.now(), id);
    return res.changes === 1;
  }

  /** mode 1 = cancel, 2 = pause; served by the engine that runs the job. */
  requestCancel(id: string, mode: 'cancel' | 'pause' = 'cancel'): void {
    this.db.prepare('UPDATE jobs SET cancel_requested = ?, updated_at = ? WHERE id = ?').run(mode === 'pause' ? 2 : 1, this.now(), id);
  }

  cancelRequestsFor(ownerToken: string): { id: string; mode: 'cancel' | 'pause' }[] {
    const rows = this.db
      .prepare(`SELECT id, cancel_requested FROM jobs WHERE owner_token = ? AND cancel_requested > 0 AND state IN ('queued','running')`)
      .all(ownerToken) as { id: string; cancel_requested: number }[];
    return rows.map((r) => ({ id: r.id, mode: r.cancel_requested === 2 ? 'pause' : 'cancel' }));
  }

  /** Interrupted jobs of the given kinds that finished after `since`, oldest first. */
  interruptedSince(kinds: readonly string[], since: number): JobRecord[] {
    if (!kinds.length) return [];
    const rows = this.db
      .prepare(`SELECT * FROM jobs WHERE state = 'interrupted' AND kind IN (${kinds.map(() => '?').join(',')}) AND finished_at > ? ORDER BY created_at`)
      .all(...kinds, since) as JobRow[];
    return rows.map(toRecord);
  }

  queuedFor(ownerToken: string): JobRecord[] {
    const rows = this.db.prepare(`SELECT * FROM jobs WHERE owner_token = ? AND state = 'queued' ORDER BY created_at, id`).all(ownerToken) as JobRow[];
    return rows.map(toRecord);
  }

  runningHeavyOn(device: string): number {
    const row = this.db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE state = 'running' AND heavy = 1 AND device = ?`).get(device) as { n: number };
    return row.n;
  }

  /** Jobs left queued or running by engines that are gone. */
  orphans(liveOwnerTokens: readonly string[]): JobOwnership[] {
    const rows = this.db.prepare(`SELECT * FROM jobs WHERE state IN ('queued','running')`).all() as JobRow[];
    return rows
      .filter((r) => r.owner_token === null || !liveOwnerTokens.includes(r.owner_token))
      .map((r) => ({
        id: r.id,
        state: r.state,
        ownerToken: r.owner_token,
        ownerPid: r.owner_pid,
        workerPid: r.worker_pid,
        cancelRequested: r.cancel_requested > 0,
      }));
  }
}
