/**
 * The resume state of a partial download, kept next to the partial file as `<name>.part.json`.
 * It records what the remote file is (not where it was fetched from: signed CDN URLs change) and how far
 * each segment got on disk, so a later call continues where this one stopped.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';

export interface RemoteIdentity {
  /** The LFS sha256 (hex), when known. */
  sha256: string | null;
  /** The Hub's ETag (X-Linked-Etag or ETag), unquoted. */
  etag: string | null;
  size: number | null;
}

export interface SegmentState {
  start: number;
  /** Exclusive; -1 while the size is unknown. */
  end: number;
  /** Bytes of this segment on disk, from `start`. */
  written: number;
}

export interface PartState {
  version: 1;
  identity: RemoteIdentity;
  segments: SegmentState[];
  updatedAt: string;
}

export function identityMismatch(saved: RemoteIdentity, remote: RemoteIdentity): string | null {
  if (saved.size !== null && remote.size !== null && saved.size !== remote.size) return `the size changed (${saved.size} -> ${remote.size} bytes)`;
  if (saved.sha256 && remote.sha256) return saved.sha256 === remote.sha256 ? null : `the sha256 changed (${saved.sha256} -> ${remote.sha256})`;
  if (saved.etag && remote.etag) return saved.etag === remote.etag ? null : `the ETag changed (${saved.etag} -> ${remote.etag})`;
  return 'the remote file cannot be identified (no sha256 or ETag)';
}

/** A saved state that is consistent with its partial file, or why it is not. */
export async function loadState(statePath: string, partPath: string): Promise<{ state: PartState } | { reason: string } | null> {
  let text: string;
  try {
    text = await readFile(statePath, 'utf8');
  } catch {
    return null;
  }
  let state: PartState;
  try {
    state = JSON.parse(text) as PartState;
  } catch {
    return { reason: 'its state file is not valid JSON' };
  }
  if (state?.version !== 1 || !Array.isArray(state.segments) || !state.identity) return { reason: 'its state file has an unknown format' };
  const partSize = await stat(partPath).then(
    (s) => s.size,
    () => null,
  );
  if (partSize === null) return { reason: 'the partial file is missing' };
  for (const s of state.segments) {
    const ok = Number.isSafeInteger(s.start) && Number.isSafeInteger(s.end) && Number.isSafeInteger(s.written) && s.written >= 0;
    if (!ok || (s.end >= 0 && s.start + s.written > s.end) || (s.written > 0 && s.start + s.written > partSize))
      return { reason: 'its state does not match the partial file' };
  }
  return { state };
}

/** Writes through a temp file and a rename, without fsync: it is rewritten every second, and a stale state only costs re-downloading. */
export async function saveState(statePath: string, state: PartState): Promise<void> {
  const tmp = `${statePath}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify({ ...state, updatedAt: new Date().toISOString() }));
    await rename(tmp, statePath);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Splits [0, size) into segments of `chunk` bytes, the last `tailBytes` into smaller `tailChunk` ones (so the
 * hashed prefix trails the download by little at the end); one segment when the size is unknown.
 */
export function planSegments(size: number | null, chunk: number, tailBytes = 0, tailChunk = chunk): SegmentState[] {
  if (size === null) return [{ start: 0, end: -1, written: 0 }];
  const segments: SegmentState[] = [];
  const tailStart = Math.max(0, size - tailBytes);
  for (let start = 0; start < size;) {
    const end = Math.min(size, start + (start >= tailStart ? tailChunk : Math.min(chunk, Math.max(tailStart - start, tailChunk))));
    segments.push({ start, end, written: 0 });
    start = end;
  }
  if (segments.length === 0) segments.push({ start: 0, end: 0, written: 0 });
  return segments;
}

export const segmentDone = (s: SegmentState): boolean => s.end >= 0 && s.start + s.written >= s.end;

/** End of the contiguous run of bytes on disk from offset 0. */
export function contiguousPrefix(segments: SegmentState[]): number {
  let prefix = 0;
  for (const s of segments) {
    if (s.start !== prefix) break;
    prefix = s.start + s.written;
    if (!segmentDone(s)) break;
  }
  return prefix;
}
