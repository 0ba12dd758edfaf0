import {
  decodeArtifactCursor,
  encodeArtifactCursor,
  type ArtifactRecord,
  type ArtifactsPage,
  type ArtifactsPageRequest,
  type LineageStep,
  type ListArtifactsRequest,
} from '../../../shared/artifacts';
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
      .run(
        a.id,
        a.kind,
        a.name,
        a.path,
        a.sha256,
        a.sizeBytes,
        a.jobId,
        JSON.stringify(a.meta),
        JSON.stringify(a.tags),
        a.notes,
        a.managed ? 1 : 0,
        Date.now(),
      );
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
    const { where, args } = filterBy(req);
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

  /**
   * One page of artifacts, newest first, keyset-paged on (created_at, id): pass the previous page's nextCursor to get
   * the next; nextCursor is null on the last page.
   */
  page(req: ArtifactsPageRequest): ArtifactsPage {
    const { where, args } = filterBy(req);
    if (req.cursor !== undefined) {
      const after = decodeArtifactCursor(req.cursor);
      if (!after) throw new Error('artifacts.page: invalid cursor');
      where.push('(created_at < ? OR (created_at = ? AND id < ?))');
      args.push(after.createdAt, after.createdAt, after.id);
    }
    const sql = `SELECT * FROM artifacts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, req.limit + 1) as ArtifactRow[];
    const more = rows.length > req.limit;
    const items = rows.slice(0, req.limit).map((r) => this.toRecord(r));
    const last = items.at(-1);
    return { items, nextCursor: more && last ? encodeArtifactCursor(last.createdAt, last.id) : null };
  }

  /**
   * The artifact (depth 0) and every ancestor over the parents relation (depth = hops from it), each with the job that
   * made it when job_id is set: one recursive CTE. An ancestor reached by several paths appears once, at its smallest
   * depth. Ordered by depth, then oldest first. Empty when the artifact does not exist.
   */
  lineage(id: string): LineageStep[] {
    const rows = this.db
      .prepare(
        `WITH RECURSIVE ancestry(id, depth) AS (
           SELECT id, 0 FROM artifacts WHERE id = ?
           UNION
           SELECT p.parent_id, ancestry.depth + 1 FROM artifact_parents p JOIN ancestry ON p.child_id = ancestry.id WHERE ancestry.depth < 256
         )
         SELECT a.*, MIN(ancestry.depth) AS lineage_depth, j.id AS job_row_id, j.kind AS job_kind, j.input AS job_input, j.created_at AS job_created_at
         FROM ancestry
         JOIN artifacts a ON a.id = ancestry.id
         LEFT JOIN jobs j ON j.id = a.job_id
         GROUP BY a.id
         ORDER BY lineage_depth, a.created_at, a.id`,
      )
      .all(id) as (ArtifactRow & {
      lineage_depth: number;
      job_row_id: string | null;
      job_kind: string | null;
      job_input: string | null;
      job_created_at: number | null;
    })[];
    return rows.map((r) => ({
      depth: r.lineage_depth,
      artifact: this.toRecord(r),
      job: r.job_row_id !== null ? { id: r.job_row_id, kind: r.job_kind ?? '', input: parseJson(r.job_input), createdAt: r.job_created_at ?? 0 } : null,
    }));
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

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** WHERE clauses for the filters list and page share. */
function filterBy(req: { kind?: string; jobId?: string }): { where: string[]; args: unknown[] } {
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
  return { where, args };
}
