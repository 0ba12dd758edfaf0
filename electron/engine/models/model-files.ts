import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

export interface ModelFileDigest {
  path: string;
  sha256: string | null;
  sizeBytes: number;
}

/** One digest for a set of files: the file's own sha256 when there is one file, else sha256 over sorted `sha256  path` lines (sha256sum's format). */
export function modelDigest(files: readonly ModelFileDigest[]): string {
  if (files.length === 1 && files[0]!.sha256) return files[0]!.sha256;
  const lines = [...files].sort((a, b) => (a.path < b.path ? -1 : 1)).map((f) => `${f.sha256 ?? ''}  ${f.path}\n`);
  return createHash('sha256').update(lines.join('')).digest('hex');
}

function counting(onBytes: (n: number) => void, hash: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}

export async function hashFile(file: string, onBytes: (n: number) => void, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20, signal })) {
    hash.update(chunk as Buffer);
    onBytes((chunk as Buffer).length);
  }
  return hash.digest('hex');
}

/** Copies and hashes in one pass. */
export async function copyAndHash(src: string, dest: string, onBytes: (n: number) => void, signal?: AbortSignal): Promise<string> {
  await mkdir(dirname(dest), { recursive: true });
  const hash = createHash('sha256');
  await pipeline(createReadStream(src, { highWaterMark: 4 << 20 }), counting(onBytes, hash), createWriteStream(dest), { signal });
  return hash.digest('hex');
}

/** In the Hugging Face cache, LFS files are symlinks to blobs named by their sha256, so a file's digest is known without reading it. */
export async function sha256FromHfBlob(file: string): Promise<string | null> {
  const target = await realpath(file).catch(() => null);
  if (!target || !target.split(sep).includes('blobs')) return null;
  const name = basename(target);
  return /^[0-9a-f]{64}$/.test(name) ? name : null;
}

/** owner/name, revision and path in repo of a file inside a Hugging Face hub cache. */
export function hfCacheRef(cacheDir: string, file: string): { repo: string; revision: string; path: string } | null {
  const rel = relative(cacheDir, file);
  if (!rel || rel.startsWith('..')) return null;
  const parts = rel.split(sep);
  const m = /^models--(.+?)--(.+)$/.exec(parts[0] ?? '');
  if (!m || parts[1] !== 'snapshots' || !parts[2]) return null;
  return { repo: `${m[1]}/${m[2]}`, revision: parts[2], path: parts.slice(3).join('/') };
}

export async function sizeOf(file: string): Promise<number> {
  return (await stat(file)).size;
}
