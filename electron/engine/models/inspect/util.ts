import { readFile, stat } from 'node:fs/promises';
import { basename, relative } from 'node:path';
import type { ModelFile, ModelFormat, ModelInspection, TensorFamilyType } from '../../../../shared/models';
import { ModelFormatError } from './errors';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Size of a regular file (symlinks followed), or null when it does not exist or is not a file. */
export async function fileSize(path: string): Promise<number | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : null;
  } catch {
    return null;
  }
}

export async function isFile(path: string): Promise<boolean> {
  return (await fileSize(path)) !== null;
}

export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ModelFormatError(`${path}: cannot read the file (${(err as Error).message})`, path);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
  } catch (err) {
    throw new ModelFormatError(`${path}: not valid JSON (${(err as Error).message})`, path);
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function asNumber(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  return null;
}

export function asString(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/** First of `keys` that holds a number. */
export function pickNumber(obj: Record<string, unknown>, ...keys: string[]): number | null {
  for (const k of keys) {
    const n = asNumber(obj[k]);
    if (n !== null) return n;
  }
  return null;
}

/** A JSON-safe copy (bigints become numbers or strings, undefined and functions are dropped). */
export function toJson(v: unknown): Json | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map((x) => toJson(x) ?? null);
  if (isRecord(v)) {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) {
      const j = toJson(x);
      if (j !== undefined) out[k] = j;
    }
    return out;
  }
  return undefined;
}

/** Drops undefined/null entries and converts the rest to JSON. */
export function jsonRecord(entries: Record<string, unknown>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(entries)) {
    if (v === undefined || v === null) continue;
    const j = toJson(v);
    if (j !== undefined && j !== null) out[k] = j;
  }
  return out;
}

/**
 * The family of a tensor: what is left of its name without the layer prefix and the .weight/.bias suffix.
 * blk.3.attn_q.weight -> attn_q; model.layers.3.self_attn.q_proj.weight -> self_attn.q_proj;
 * model.embed_tokens.weight -> embed_tokens; token_embd.weight -> token_embd.
 */
export function tensorFamily(name: string): string {
  let n = name.replace(/\.(weight|bias)$/, '');
  const parts = n.split('.');
  const isIndex = (p: string | undefined) => p !== undefined && /^\d+$/.test(p);
  const first = parts.findIndex((p, i) => i < parts.length - 1 && isIndex(p));
  // Experts keep their path: model.layers.0.mlp.experts.7.down_proj -> mlp.experts.down_proj
  if (first >= 0)
    n = parts
      .slice(first + 1)
      .filter((p) => !isIndex(p))
      .join('.');
  else n = n.replace(/^(model|transformer|language_model\.model|model\.language_model)\./, '');
  return n || name;
}

export interface TensorEntry {
  family: string;
  type: string;
  parameters: number;
}

/** Groups by family + type, in order of first appearance. */
export function groupTensorTypes(entries: Iterable<TensorEntry>): TensorFamilyType[] {
  const groups = new Map<string, TensorFamilyType>();
  for (const e of entries) {
    const key = `${e.family}\u0000${e.type}`;
    const g = groups.get(key);
    if (g) {
      g.tensors += 1;
      g.parameters += e.parameters;
    } else {
      groups.set(key, { family: e.family, type: e.type, tensors: 1, parameters: e.parameters });
    }
  }
  return [...groups.values()];
}

/** The type holding the most parameters, or null. */
export function dominantType(groups: readonly TensorFamilyType[], filter: (g: TensorFamilyType) => boolean = () => true): string | null {
  const byType = new Map<string, number>();
  for (const g of groups) if (filter(g)) byType.set(g.type, (byType.get(g.type) ?? 0) + g.parameters);
  let best: string | null = null;
  let bestCount = -1;
  for (const [type, count] of byType) {
    if (count > bestCount) {
      best = type;
      bestCount = count;
    }
  }
  return best;
}

export async function modelFiles(root: string, files: readonly string[]): Promise<{ files: ModelFile[]; sizeBytes: number }> {
  const out: ModelFile[] = [];
  let sizeBytes = 0;
  for (const f of files) {
    const size = (await fileSize(f)) ?? 0;
    out.push({ path: relative(root, f).split('\\').join('/'), sizeBytes: size });
    sizeBytes += size;
  }
  return { files: out, sizeBytes };
}

/**
 * owner/name for a folder in the Hugging Face cache (…/models--owner--name/snapshots/<commit>[/sub/folder], the
 * subfolder appended), else the folder's name.
 */
export function folderModelName(dir: string): string {
  const parts = dir.split(/[\\/]/);
  for (let i = parts.length - 2; i >= 1; i--) {
    const repoDir = parts[i - 1] ?? '';
    if (parts[i] === 'snapshots' && repoDir.startsWith('models--')) {
      const repo = repoDir.slice('models--'.length).split('--').join('/');
      return [repo, ...parts.slice(i + 2)].join('/');
    }
  }
  return basename(dir);
}

export function baseInspection(format: ModelFormat): ModelInspection {
  return {
    format,
    architecture: null,
    name: null,
    parameterCount: null,
    quantization: null,
    tensorTypes: [],
    sizeBytes: 0,
    files: [],
    contextLength: null,
    vocabSize: null,
    layerCount: null,
    embeddingLength: null,
    headCount: null,
    headCountKv: null,
    chatTemplate: null,
    chatTemplateExample: null,
    chatTemplateError: null,
    specialTokens: {},
    license: null,
    extra: {},
    warnings: [],
    modelCode: null,
  };
}
