import type { Db } from './database';

export interface DeviceLease {
  holder: string;
  device: string;
  bytes: number;
  label: string;
  ownerToken: string;
  createdAt: number;
}

/** A running heavy job that a new lease would not fit beside. */
export interface LeaseBlocker {
  jobId: string;
  kind: string;
  needsBytes: number;
}

interface LeaseRow {
  holder: string;
  device: string;
  bytes: number;
  label: string;
  owner_token: string;
  created_at: number;
}

/**
 * Memory held on each device by loaded models, shared by every engine on the database. Heavy jobs that declare
 * what they need are claimed against it (JobsStore.claim); loads are checked against running heavy jobs here.
 * Both checks are single statements, so the app, `whittle serve` and the CLI cannot both take the same memory.
 */
export class DeviceLedger {
  constructor(private readonly db: Db) {}

  /**
   * Records `bytes` of `device` held by `holder`, unless a running heavy job on the device declared a need that
   * would then no longer fit in `capacity` (unknown capacity: always recorded).
   */
  acquire(lease: Omit<DeviceLease, 'createdAt'>, capacity: number | null): { ok: true } | { ok: false; blockedBy: LeaseBlocker } {
    const res = this.db
      .prepare(
        `INSERT INTO device_leases (holder, device, bytes, label, owner_token, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6
         WHERE ?7 IS NULL OR NOT EXISTS (
           SELECT 1 FROM jobs WHERE state = 'running' AND heavy = 1 AND device = ?2 AND needs_bytes IS NOT NULL
             AND needs_bytes + ?3 + (SELECT COALESCE(SUM(bytes), 0) FROM device_leases WHERE device = ?2 AND holder != ?1) > ?7)
         ON CONFLICT(holder) DO UPDATE SET bytes = excluded.bytes, device = excluded.device, label = excluded.label`,
      )
      .run(lease.holder, lease.device, lease.bytes, lease.label, lease.ownerToken, Date.now(), capacity);
    if (res.changes === 1) return { ok: true };
    const row = this.db
      .prepare(
        `SELECT id, kind, needs_bytes FROM jobs WHERE state = 'running' AND heavy = 1 AND device = ? AND needs_bytes IS NOT NULL ORDER BY started_at LIMIT 1`,
      )
      .get(lease.device) as { id: string; kind: string; needs_bytes: number } | undefined;
    // The job finished between the two statements: try once more.
    if (!row) return this.acquire(lease, null);
    return { ok: false, blockedBy: { jobId: row.id, kind: row.kind, needsBytes: row.needs_bytes } };
  }

  release(holder: string): void {
    this.db.prepare('DELETE FROM device_leases WHERE holder = ?').run(holder);
  }

  /** Drops the leases of engines that are gone (their model hosts died with them). */
  sweep(liveOwnerTokens: readonly string[]): number {
    if (liveOwnerTokens.length === 0) return this.db.prepare('DELETE FROM device_leases').run().changes;
    const marks = liveOwnerTokens.map(() => '?').join(',');
    return this.db.prepare(`DELETE FROM device_leases WHERE owner_token NOT IN (${marks})`).run(...liveOwnerTokens).changes;
  }

  releaseOwner(ownerToken: string): void {
    this.db.prepare('DELETE FROM device_leases WHERE owner_token = ?').run(ownerToken);
  }

  held(device?: string): DeviceLease[] {
    const rows = (
      device === undefined
        ? this.db.prepare('SELECT * FROM device_leases ORDER BY created_at').all()
        : this.db.prepare('SELECT * FROM device_leases WHERE device = ? ORDER BY created_at').all(device)
    ) as LeaseRow[];
    return rows.map((r) => ({ holder: r.holder, device: r.device, bytes: r.bytes, label: r.label, ownerToken: r.owner_token, createdAt: r.created_at }));
  }
}
