import { readdir, readFile, realpath, stat, lstat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import type { ModelFormat } from '../../../shared/models';
import { ggufSplit } from './inspect/gguf';
import { isRecord } from './inspect/util';

export interface HfCacheFile {
  /** In the snapshot. */
  path: string;
  /** The resolved symlink target (the file itself where the snapshot holds real files, as on Windows without symlinks). */
  blobPath: string;
  /** The blob's name when it is 64 hex characters (LFS files are stored under their sha256), else null. */
  sha256: string | null;
}

export interface HfCacheModel {
  repo: string;
  /** Commit hash of the snapshot. */
  revision: string;
  /** GGUF file (first part if split) or snapshot folder. */
  path: string;
  format: ModelFormat;
  sizeBytes: number;
  files: HfCacheFile[];
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') || p.startsWith('~\\') ? join(homedir(), p.slice(1)) : p;
}

/** The hub cache folder, resolved as huggingface_hub does. */
export function hfHubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const hubCache = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (hubCache) return expandHome(hubCache);
  if (env.HF_HOME) return join(expandHome(env.HF_HOME), 'hub');
  if (env.XDG_CACHE_HOME) return join(expandHome(env.XDG_CACHE_HOME), 'huggingface', 'hub');
  return join(homedir(), '.cache', 'huggingface', 'hub');
}

interface SnapshotFile extends HfCacheFile {
  /** Relative to the snapshot, with forward slashes. */
  rel: string;
  size: number;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** Files of a snapshot, symlinks resolved; dangling links and unreadable entries are returned separately. */
async function snapshotFiles(snapshot: string): Promise<{ files: SnapshotFile[]; broken: Set<string> }> {
  const files: SnapshotFile[] = [];
  const broken = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const path = join(dir, e.name);
      const rel = relative(snapshot, path).split('\\').join('/');
      if (e.isDirectory()) {
        await walk(path);
        continue;
      }
      try {
        const l = await lstat(path);
        const blobPath = l.isSymbolicLink() ? await realpath(path) : path;
        const s = await stat(blobPath);
        if (s.isDirectory()) {
          await walk(path);
          continue;
        }
        if (!s.isFile() || blobPath.endsWith('.incomplete')) {
          broken.add(rel);
          continue;
        }
        const blobName = basename(blobPath);
        files.push({ path, blobPath, sha256: l.isSymbolicLink() && SHA256.test(blobName) ? blobName : null, rel, size: s.size });
      } catch {
        broken.add(rel);
      }
    }
  };
  await walk(snapshot);
  files.sort((a, b) => a.rel.localeCompare(b.rel));
  return { files, broken };
}

function sizeOf(files: readonly SnapshotFile[]): number {
  const seen = new Set<string>();
  let total = 0;
  for (const f of files) {
    if (seen.has(f.blobPath)) continue;
    seen.add(f.blobPath);
    total += f.size;
  }
  return total;
}

const publicFile = (f: SnapshotFile): HfCacheFile => ({ path: f.path, blobPath: f.blobPath, sha256: f.sha256 });

/** genai_config.json and model.safetensors.index.json are a few hundred KB; this scan runs in the engine process, so a bigger one is skipped unread. */
const MAX_SCANNED_JSON_BYTES = 16 * 1024 * 1024;

async function readJson(path: string): Promise<unknown> {
  try {
    if ((await stat(path)).size > MAX_SCANNED_JSON_BYTES) return null;
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return null;
  }
}

/** The models of one snapshot: each GGUF model (split sets once), the HF folder, each ONNX genai folder. */
async function snapshotModels(repo: string, revision: string, snapshot: string): Promise<HfCacheModel[]> {
  const { files, broken } = await snapshotFiles(snapshot);
  const byRel = new Map(files.map((f) => [f.rel, f]));
  const out: HfCacheModel[] = [];
  const model = (path: string, format: ModelFormat, parts: SnapshotFile[]): HfCacheModel => ({
    repo,
    revision,
    path,
    format,
    sizeBytes: sizeOf(parts),
    files: parts.map(publicFile),
  });

  // GGUF: one entry per file or complete split set; mmproj projectors are not models.
  const sets = new Map<string, { parts: string[] }>();
  for (const f of files) {
    if (!/\.gguf$/i.test(f.rel) || /^mmproj/i.test(basename(f.rel))) continue;
    const split = ggufSplit(f.rel);
    const key = split?.parts[0] ?? f.rel;
    if (!sets.has(key)) sets.set(key, { parts: split?.parts ?? [f.rel] });
  }
  for (const [first, { parts }] of sets) {
    const found = parts.map((p) => byRel.get(p));
    if (found.some((f) => f === undefined)) continue; // a part is missing or still downloading
    const complete = found as SnapshotFile[];
    out.push(model(join(snapshot, first), 'gguf', complete));
  }

  // ONNX genai folders (the snapshot or any subfolder holding genai_config.json).
  for (const f of files) {
    if (basename(f.rel) !== 'genai_config.json') continue;
    const folderRel = dirname(f.rel) === '.' ? '' : dirname(f.rel);
    const prefix = folderRel ? `${folderRel}/` : '';
    const inFolder = files.filter((x) => x.rel.startsWith(prefix));
    if ([...broken].some((b) => b.startsWith(prefix))) continue;
    const config = await readJson(f.blobPath);
    const decoder = isRecord(config) && isRecord(config.model) && isRecord(config.model.decoder) ? config.model.decoder : null;
    const filename = decoder && typeof decoder.filename === 'string' ? decoder.filename : null;
    if (!filename || !byRel.has(`${prefix}${filename}`)) continue;
    out.push(model(folderRel ? join(snapshot, folderRel) : snapshot, 'onnx', inFolder));
  }

  // A transformers folder at the snapshot's top level.
  const top = files.filter((f) => !f.rel.includes('/'));
  const has = (name: string) => byRel.has(name);
  if (has('config.json') && !has('genai_config.json')) {
    const index = byRel.get('model.safetensors.index.json');
    let complete: boolean;
    if (index) {
      const json = await readJson(index.blobPath);
      const weightMap = isRecord(json) && isRecord(json.weight_map) ? json.weight_map : {};
      const shards = new Set(Object.values(weightMap).map(String));
      complete = shards.size > 0 && [...shards].every((s) => has(s));
    } else {
      complete = top.some((f) => f.rel.endsWith('.safetensors')) && ![...broken].some((b) => b.endsWith('.safetensors'));
    }
    if (complete)
      out.push(
        model(
          snapshot,
          'hf',
          top.filter((f) => !/\.(gguf|bin|pth|pt|onnx|onnx_data|h5|msgpack)$/i.test(f.rel)),
        ),
      );
  }
  return out;
}

/** Models in a Hugging Face hub cache folder. Snapshots that refs/main points to come first in each repo. */
export async function scanHfCache(dir: string): Promise<HfCacheModel[]> {
  const repos = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: HfCacheModel[] = [];
  for (const r of repos.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!r.isDirectory() || !r.name.startsWith('models--')) continue;
    const repoDir = join(dir, r.name);
    const repo = r.name.slice('models--'.length).split('--').join('/');
    const main = (await readFile(join(repoDir, 'refs', 'main'), 'utf8').catch(() => '')).trim();
    const snapshots = (await readdir(join(repoDir, 'snapshots'), { withFileTypes: true }).catch(() => []))
      .filter((s) => s.isDirectory())
      .map((s) => s.name)
      .sort((a, b) => (a === main ? -1 : b === main ? 1 : a.localeCompare(b)));
    for (const revision of snapshots) {
      try {
        out.push(...(await snapshotModels(repo, revision, join(repoDir, 'snapshots', revision))));
      } catch {
        // An unreadable snapshot is skipped; the rest of the cache is still listed.
      }
    }
  }
  return out;
}
