import type { ArtifactRecord, ListArtifactsRequest } from '../../../shared/artifacts';
import type { Db } from './database';

interface ArtifactRow {
  id: string;
  kind: string;
  name: string;
  path: string;
  sha256: string;
  size_bytes: number;
  job_id: string | null;
  meta: string;
  created_at: number;
}

export type NewArtifact = Omit<ArtifactRecord, 'createdAt'>;

export class ArtifactsStore {
  constructor(private readonly db: Db) {}

  /** Call inside a transaction together with the producing job's final state. */
  insert(a: NewArtifact): void {
    this.db
      .prepare('INSERT INTO artifacts (id, kind, name, path, sha256, size_bytes, job_id, meta, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(a.id, a.kind, a.name, a.path, a.sha256, a.sizeBytes, a.jobId, JSON.stringify(a.meta), Date.now());
    const link = this.db.prepare('INSERT INTO artifact_parents (child_id, parent_id) VALUES (?, ?)');
    for (const p of a.parents) link.run(a.id, p);
  }

  get(id: string): ArtifactRecord | null {
    const row = this.db.prepare('SELECT * FROM artifacts WHERE id = ?').get(id) as ArtifactRow | undefined;
    return row ? this.toRecord(row) : null;
  }

  list(req: ListArtifactsRequest): ArtifactRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (req.kind) {
      where.push('kind = ?');
      args.push(req.kind);
    }
    if (req.jobId) {
      where.push('job_id = ?');
      args.push(req.jobId);
    }
    const sql = `SELECT * FROM artifacts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, req.limit) as ArtifactRow[]).map((r) => this.toRecord(r));
  }

  children(id: string): string[] {
    return (this.db.prepare('SELECT child_id FROM artifact_parents WHERE parent_id = ?').all(id) as { child_id: string }[]).map((r) => r.child_id);
  }

  private toRecord(r: ArtifactRow): ArtifactRecord {
    const parents = (this.db.prepare('SELECT parent_id FROM artifact_parents WHERE child_id = ?').all(r.id) as { parent_id: string }[]).map((p) => p.parent_id);
    return {
      id: r.id,
      kind: r.kind,
      name: r.name,
      path: r.path,
      sha256: r.sha256,
      sizeBytes: r.size_bytes,
      jobId: r.job_id,
      parents,
      meta: JSON.parse(r.meta) as Record<string, unknown>,
      createdAt: r.created_at,
    };
  }
}
