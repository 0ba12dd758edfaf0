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
  tags: string;
  notes: string;
  managed: number;
  created_at: number;
}

export type NewArtifact = Omit<ArtifactRecord, 'createdAt'>;

export class ArtifactsStore {
  constructor(private readonly db: Db) {}

  /** Call inside a transaction together with the producing job's final state. */
  insert(a: NewArtifact): void {
    this.db
      .prepare(
        'INSERT INTO artifacts (id, kind, name, path, sha256, size_bytes, job_id, meta, tags, notes, managed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(a.id, a.kind, a.name, a.path, a.sha256, a.sizeBytes, a.jobId, JSON.stringify(a.meta), JSON.stringify(a.tags), a.notes, a.managed ? 1 : 0, Date.now());
    const link = this.db.prepare('INSERT INTO artifact_parents (child_id, parent_id) VALUES (?, ?)');
    for (const p of a.parents) link.run(a.id, p);
  }

  get(id: string): ArtifactRecord | null {
    const row = this.db.prepare('SELECT * FROM artifacts WHERE id = ?').get(id) as ArtifactRow | undefined;
    return row ? this.toRecord(row) : null;
  }

  byPath(path: string): ArtifactRecord | null {
    const row = this.db.prepare('SELECT * FROM artifacts WHERE path = ?').get(path) as ArtifactRow | undefined;
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

  update(id: string, fields: { name?: string; tags?: string[]; notes?: string }): boolean {
    const res = this.db
      .prepare('UPDATE artifacts SET name = COALESCE(?, name), tags = COALESCE(?, tags), notes = COALESCE(?, notes) WHERE id = ?')
      .run(fields.name ?? null, fields.tags ? JSON.stringify(fields.tags) : null, fields.notes ?? null, id);
    return res.changes === 1;
  }

  updateMeta(id: string, meta: Record<string, unknown>): void {
    this.db.prepare('UPDATE artifacts SET meta = ? WHERE id = ?').run(JSON.stringify(meta), id);
  }

  /** For artifacts that grow in place (a dataset file appended to): new digest, size and meta. */
  updateContent(id: string, sha256: string, sizeBytes: number, meta: Record<string, unknown>): void {
    this.db.prepare('UPDATE artifacts SET sha256 = ?, size_bytes = ?, meta = ? WHERE id = ?').run(sha256, sizeBytes, JSON.stringify(meta), id);
  }

  /**
   * Deletes the record. Children keep existing: their link to it is replaced by a `deletedParents` note in their meta,
   * so lineage still says where they came from.
   */
  remove(id: string): void {
    const gone = this.get(id);
    if (!gone) return;
    this.db
      .transaction(() => {
        for (const childId of this.children(id)) {
          const child = this.get(childId);
          if (!child) continue;
          const prior = Array.isArray(child.meta.deletedParents) ? (child.meta.deletedParents as unknown[]) : [];
          const meta = { ...child.meta, deletedParents: [...prior, { id: gone.id, name: gone.name, sha256: gone.sha256 }] };
          this.db.prepare('UPDATE artifacts SET meta = ? WHERE id = ?').run(JSON.stringify(meta), childId);
        }
        this.db.prepare('DELETE FROM artifact_parents WHERE parent_id = ?').run(id);
        this.db.prepare('DELETE FROM artifacts WHERE id = ?').run(id);
      })
      .immediate();
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
      tags: JSON.parse(r.tags) as string[],
      notes: r.notes,
      managed: r.managed === 1,
      createdAt: r.created_at,
    };
  }
}
