import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import { ConflictError, NotFoundError } from '../../../shared/errors';
import type { ArtifactRecord } from '../../../shared/artifacts';
import {
  CodeConsent,
  type LibraryModel,
  ModelInspection,
  type ListModelsRequest,
  type RemoveModelResult,
  type UpdateModelRequest,
} from '../../../shared/models';
import type { ArtifactsStore } from '../store/artifacts-store';

export const MODEL_KIND = 'model';

/** What model jobs put in an artifact's meta. */
export interface ModelMeta {
  format: LibraryModel['format'];
  source: LibraryModel['source'];
  sourceRef: string | null;
  /** For managed folders: the entry (GGUF file, or '.' for a model folder) relative to the artifact folder. */
  entry: string | null;
  inspection: ModelInspection;
  files: { path: string; sha256: string | null; sizeBytes: number }[];
  /** The user's permission for jobs to run the model's own code (see inspect/model-code.ts). */
  codeConsent?: CodeConsent | null;
}

/** How long a file check is trusted: listing the library stats each model's path at most this often. */
const MISSING_TTL_MS = 2000;
const missingCache = new Map<string, { missing: boolean; at: number }>();

/** Whether the model's path is gone (a cheap stat, cached briefly). */
export function pathMissing(path: string): boolean {
  const now = Date.now();
  const hit = missingCache.get(path);
  if (hit && now - hit.at < MISSING_TTL_MS) return hit.missing;
  const missing = !existsSync(path);
  missingCache.set(path, { missing, at: now });
  return missing;
}

export function toLibraryModel(a: ArtifactRecord, children: string[]): LibraryModel | null {
  const meta = a.meta as Partial<ModelMeta>;
  const inspection = ModelInspection.safeParse(meta.inspection);
  if (!inspection.success || !meta.format || !meta.source) return null;
  const path = a.managed && meta.entry ? join(a.path, meta.entry) : a.path;
  return {
    id: a.id,
    name: a.name,
    format: meta.format,
    path,
    sha256: a.sha256,
    sizeBytes: a.sizeBytes,
    source: meta.source,
    sourceRef: meta.sourceRef ?? null,
    managed: a.managed,
    tags: a.tags,
    notes: a.notes,
    parents: a.parents,
    children,
    jobId: a.jobId,
    inspection: inspection.data,
    codeConsent: CodeConsent.nullable()
      .catch(null)
      .parse(meta.codeConsent ?? null),
    missing: pathMissing(path),
    createdAt: a.createdAt,
  };
}

function matches(m: LibraryModel, q: string): boolean {
  const hay = [m.name, m.format, m.inspection.architecture, m.inspection.quantization, m.source, m.sourceRef, ...m.tags].join(' ').toLowerCase();
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => hay.includes(w));
}

/** The model library: model artifacts plus the user's names, tags and notes. */
export class ModelLibrary {
  constructor(
    private readonly artifacts: ArtifactsStore,
    private readonly dataDir: string,
  ) {}

  list(req: ListModelsRequest): LibraryModel[] {
    const out: LibraryModel[] = [];
    for (const a of this.artifacts.list({ kind: MODEL_KIND, limit: req.limit })) {
      const m = toLibraryModel(a, this.artifacts.children(a.id));
      if (!m) continue;
      if (req.format && m.format !== req.format) continue;
      if (req.search && !matches(m, req.search)) continue;
      out.push(m);
    }
    return out;
  }

  get(id: string): LibraryModel {
    const a = this.artifacts.get(id);
    const m = a && a.kind === MODEL_KIND ? toLibraryModel(a, this.artifacts.children(id)) : null;
    if (!m) throw new NotFoundError(`No model with id ${id}`);
    return m;
  }

  /** By library id, or by the path it was imported from. */
  find(idOrPath: string): LibraryModel | null {
    const a = this.artifacts.get(idOrPath) ?? this.artifacts.byPath(idOrPath);
    return a && a.kind === MODEL_KIND ? toLibraryModel(a, this.artifacts.children(a.id)) : null;
  }

  update(req: UpdateModelRequest): LibraryModel {
    this.get(req.id);
    const tags = req.tags ? [...new Set(req.tags)] : undefined;
    this.artifacts.update(req.id, { name: req.name, tags, notes: req.notes });
    return this.get(req.id);
  }

  /** Records (or clears) the user's permission to run the model's own code; the consent names each file and its digest. */
  setCodeConsent(id: string, consent: CodeConsent | null): LibraryModel {
    const a = this.artifacts.get(id);
    if (!a || a.kind !== MODEL_KIND) throw new NotFoundError(`No model with id ${id}`);
    this.artifacts.updateMeta(id, { ...a.meta, codeConsent: consent });
    return this.get(id);
  }

  async remove(id: string, force: boolean): Promise<RemoveModelResult> {
    const a = this.artifacts.get(id);
    if (!a || a.kind !== MODEL_KIND) throw new NotFoundError(`No model with id ${id}`);
    const children = this.artifacts.children(id);
    if (children.length && !force) {
      const names = children.map((c) => this.artifacts.get(c)?.name ?? c);
      throw new ConflictError(
        `${a.name} has ${children.length} derived artifact(s): ${names.join(', ')}. Remove with force to keep them without their parent.`,
      );
    }
    this.artifacts.remove(id);
    let deletedFiles = false;
    const rel = relative(join(this.dataDir, 'artifacts'), a.path);
    // Only files Whittle made are ever deleted; a model imported by reference stays on disk.
    if (a.managed && rel && !rel.startsWith('..') && !isAbsolute(rel)) {
      await rm(a.path, { recursive: true, force: true });
      deletedFiles = true;
    }
    return { id, deletedFiles, orphanedChildren: children };
  }
}
