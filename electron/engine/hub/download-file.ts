/**
 * Downloads one file from the Hugging Face Hub (or any HTTP server) resumably, in parallel ranged
 * segments, verified against the Hub's sha256 before it reaches `dest`.
 *
 *   resolve   HEAD the resolve URL, following redirects on its own origin with the caller's headers;
 *             a redirect to another origin (the signed CDN URL) is where the bytes come from, without them.
 *   segments  files over 32 MiB are cut into chunks fetched in file order by `connections` workers, so
 *             the contiguous prefix grows steadily and is hashed (read back from disk) as it grows.
 *   state     `<name>.part` + `<name>.part.json` in partialDir record the remote identity and each
 *             segment's bytes on disk, every second and on abort; a later call resumes from them.
 */
import { copyFile, mkdir, open, rename, rm, stat, statfs, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChecksumError, DiskSpaceError, DownloadError, formatSize, urlPath } from './errors';
import { abortReason, createAgents, isRetryable, resolveRemote, type ResolvedRemote } from './download-http';
import { createPrefixHasher, type HashSpec, type PrefixHasher } from './download-hasher';
import { ConnectionPool } from './download-conn';
import { DispatcherPool } from './download-undici';
import { describeCertError, hubNet } from '../net/http-dispatcher';
import { FileWriter } from './download-writer';
import { DataUrlRefusedError, fetchSegment, RangeNotSupportedError, StagePool, type SegmentContext } from './download-segment';
import {
  contiguousPrefix,
  identityMismatch,
  loadState,
  planSegments,
  saveState,
  segmentDone,
  type PartState,
  type RemoteIdentity,
  type SegmentState,
} from './download-state';

export { ChecksumError, DiskSpaceError, DownloadError } from './errors';

export interface DownloadProgress {
  bytesDone: number;
  bytesTotal: number | null;
  /** Moving average over the last few seconds. */
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export interface RetryOptions {
  /** Attempts per segment (and for resolving) before giving up; progress of 1 MiB or more resets the count. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface DownloadFileOptions {
  /** The resolve URL (`<hub>/<repo>/resolve/<revision>/<path>`). */
  url: string;
  /** Final absolute path; written only after verification, by a rename from the partial file. */
  dest: string;
  /** Holds `<name>.part` and `<name>.part.json`, which survive cancel, kill and reboot for resuming. */
  partialDir: string;
  expectedSize?: number;
  /** The Hub's LFS sha256; the X-Linked-Etag is used when absent. Without either, size (and git oid for small files) is checked. */
  expectedSha256?: string;
  /** Sent only to the URL's own origin (e.g. Authorization), never to a CDN it redirects to. */
  headers?: Record<string, string>;
  /** Parallel ranged connections for files over 32 MiB on servers that accept ranges. Default 4. */
  connections?: number;
  signal?: AbortSignal;
  /** About 4 times a second, and once at the end. */
  onProgress?: (p: DownloadProgress) => void;
  log?: (line: string) => void;
  retry?: Partial<RetryOptions>;
  /** A response that sends nothing for this long is retried. Default 30 s. */
  stallTimeoutMs?: number;
  /** Test-only: an error to fail the next write with, given the bytes already in the partial file. */
  writeFault?: (bytesWritten: number) => Error | null;
}

export interface DownloadFileResult {
  path: string;
  sizeBytes: number;
  /** Computed from the bytes on disk (verified against the Hub's when it gave one). */
  sha256: string;
  verified: 'sha256' | 'git-oid' | 'size';
  etag: string | null;
  /** X-Repo-Commit: the commit the revision resolved to. */
  commit: string | null;
  /** Bytes already in the partial file when this call started. */
  resumedFromBytes: number;
  seconds: number;
  connections: number;
}

const PARALLEL_MIN_BYTES = 32 << 20;
const SPACE_MARGIN_BYTES = 64 << 20;
/** Small steps keep the read-back of freshly written bytes in the CPU cache. */
const HASH_STEP_BYTES = 2 << 20;
const RETRY_RESET_BYTES = 1 << 20;

/**
 * Chunks fetched in file order: small enough that the hashed prefix trails the download by a few of them
 * (smaller still at the end, where the trail is what remains to hash), large enough that requests are few.
 */
function planChunks(size: number, connections: number): SegmentState[] {
  const MiB = 1 << 20;
  const chunk = Math.min(64 * MiB, Math.max(8 * MiB, Math.ceil(size / (connections * 8) / MiB) * MiB));
  const tail = Math.max(4 * MiB, chunk / 4);
  return planSegments(size, chunk, chunk * connections, tail);
}

const isDiskFull = (err: unknown) => ['ENOSPC', 'EDQUOT'].includes((err as NodeJS.ErrnoException | null)?.code ?? '');

async function freeBytes(dir: string): Promise<number | null> {
  try {
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

async function checkSpace(dir: string, name: string, remaining: number): Promise<void> {
  const free = await freeBytes(dir);
  const needed = remaining + SPACE_MARGIN_BYTES;
  if (free !== null && free < needed) {
    throw new DiskSpaceError(
      `not enough free space in ${dir} for ${name}: it needs ${formatSize(needed)} (${formatSize(remaining)} to download + ${formatSize(SPACE_MARGIN_BYTES)} margin) and ${formatSize(free)} is free — free up ${formatSize(needed - free)} and retry`,
      dir,
      needed,
      free,
    );
  }
}

async function moveInto(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    const tmp = `${to}.${process.pid}.tmp`;
    try {
      await copyFile(from, tmp);
      await rename(tmp, to);
    } catch (copyErr) {
      await rm(tmp, { force: true });
      throw copyErr;
    }
    await rm(from, { force: true });
  }
}

class ProgressMeter {
  private samples: { t: number; bytes: number }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private read: () => { done: number; total: number | null },
    private emit?: (p: DownloadProgress) => void,
  ) {
    if (emit) this.timer = setInterval(() => this.tick(), 250);
  }

  tick(): void {
    if (!this.emit) return;
    const { done, total } = this.read();
    const t = performance.now();
    this.samples.push({ t, bytes: done });
    while (this.samples.length > 2 && t - (this.samples[0]?.t ?? t) > 5000) this.samples.shift();
    const first = this.samples[0];
    const span = first ? (t - first.t) / 1000 : 0;
    const bytesPerSecond = first && span > 0.2 ? Math.max(0, (done - first.bytes) / span) : 0;
    const etaSeconds = total !== null && bytesPerSecond > 0 ? Math.max(0, (total - done) / bytesPerSecond) : null;
    this.emit({ bytesDone: done, bytesTotal: total, bytesPerSecond, etaSeconds });
  }

  stop(final: boolean): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (final) this.tick();
  }
}

export async function downloadFile(o: DownloadFileOptions): Promise<DownloadFileResult> {
  // Direct: node:http(s) and raw sockets (the fast path), trusting NODE_EXTRA_CA_CERTS too; behind a proxy: undici's proxy agent.
  const netCfg = await hubNet();
  const t0 = performance.now();
  const name = basename(o.dest);
  const partPath = join(o.partialDir, `${name}.part`);
  const statePath = `${partPath}.json`;
  const headers = o.headers ?? {};
  const sentToken = Object.keys(headers).some((k) => k.toLowerCase() === 'authorization');
  const log = o.log ?? (() => {});
  const retry: RetryOptions = { attempts: 6, baseDelayMs: 500, maxDelayMs: 30_000, ...o.retry };
  const stallMs = o.stallTimeoutMs ?? 30_000;
  const where = urlPath(o.url);
  const requested = Math.max(1, Math.min(16, Math.floor(o.connections ?? 4)));

  // Follows the caller's signal (if any); each transfer derives its own from it, to stop its workers when one fails.
  const internal = new AbortController();
  const onAbort = () => internal.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) onAbort();
  const signal = internal.signal;
  const agents = createAgents(2, netCfg.secureContext);
  const viaProxy = netCfg.proxy && netCfg.dispatcher ? new DispatcherPool(netCfg.dispatcher) : null;
  const pool = viaProxy ?? new ConnectionPool({ secureContext: netCfg.secureContext });

  const backoff = (failures: number, err: unknown): number => {
    const after = err instanceof DownloadError ? err.retryAfterSeconds : undefined;
    if (after !== undefined) return Math.min(after * 1000, 5 * 60_000);
    const exp = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (failures - 1));
    return exp / 2 + Math.random() * (exp / 2);
  };
  const gaveUp = (err: unknown, attempts: number): Error => {
    if (err instanceof DownloadError) {
      return new DownloadError(`${err.message} (gave up after ${attempts} attempts)`, err.url, err.status, err.code, err.retryable, err.retryAfterSeconds, {
        cause: err,
      });
    }
    const e = err as NodeJS.ErrnoException;
    return new DownloadError(
      `${where}: network error: ${e.message}${e.code && !e.message.includes(e.code) ? ` (${e.code})` : ''} (gave up after ${attempts} attempts)`,
      o.url,
      undefined,
      e.code,
      true,
      undefined,
      { cause: err },
    );
  };

  /** Errors that reach the caller name the file or URL path. */
  const explained = (err: unknown): unknown => {
    if (err instanceof DownloadError || err instanceof DiskSpaceError || err instanceof ChecksumError || err instanceof RangeNotSupportedError) return err;
    const e = err as NodeJS.ErrnoException | null;
    if (!e || e.name === 'AbortError') return err;
    if (e.syscall === 'write') return new Error(`writing ${name} in ${o.partialDir}: ${e.message}`, { cause: err });
    const cert = describeCertError(err);
    if (cert) return new DownloadError(`${where}: ${cert}`, o.url, undefined, e.code, false, undefined, { cause: err });
    return new DownloadError(e.message.startsWith(where) ? e.message : `${where}: ${e.message}`, o.url, undefined, e.code, false, undefined, { cause: err });
  };

  async function withRetry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let failures = 1; ; failures++) {
      try {
        return await fn();
      } catch (err) {
        if (signal.aborted) throw abortReason(signal);
        if (!isRetryable(err)) throw explained(err);
        if (failures >= retry.attempts) throw gaveUp(err, failures);
        const delay = backoff(failures, err);
        log(`${what}: ${(err as Error).message}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${failures + 1} of ${retry.attempts})`);
        await sleep(delay, undefined, { signal });
      }
    }
  }

  const resolve = () => withRetry(`resolving ${where}`, () => resolveRemote(o.url, headers, { agents, signal, stallMs, head: viaProxy?.head }));

  let fh: FileHandle | null = null;
  let hasher: PrefixHasher | null = null;
  let state: PartState | null = null;
  let stateTimer: NodeJS.Timeout | null = null;
  let saving: Promise<void> = Promise.resolve();
  let meter: ProgressMeter | null = null;
  let keepPartial = true;
  let opened = false;
  const persist = () => {
    const s = state;
    if (!s || !opened) return saving;
    saving = saving.then(() => saveState(statePath, s)).catch((err: unknown) => log(`could not save the download state: ${(err as Error).message}`));
    return saving;
  };

  try {
    await mkdir(o.partialDir, { recursive: true });
    await mkdir(dirname(o.dest), { recursive: true });
    let remote: ResolvedRemote = await resolve();
    const expectedSha = o.expectedSha256?.toLowerCase() ?? remote.linkedSha256;
    if (o.expectedSize !== undefined && remote.size !== null && remote.size !== o.expectedSize) {
      throw new DownloadError(
        `${where}: the Hub reports ${remote.size} bytes, expected ${o.expectedSize}: the file changed on the Hub; refresh the file list and retry`,
        o.url,
      );
    }
    const size = remote.size ?? o.expectedSize ?? null;
    const identity: RemoteIdentity = { sha256: expectedSha, etag: remote.etag, size };
    // A small file kept in git has its git blob id as ETag: checkable when no sha256 is known.
    const gitOid = !expectedSha && !remote.linkedSha256 && remote.etag && /^[0-9a-f]{40}$/.test(remote.etag) && size !== null ? remote.etag : null;
    const specs: HashSpec[] = [{ algorithm: 'sha256' }, ...(gitOid ? [{ algorithm: 'sha1' as const, prefix: `blob ${size}\0` }] : [])];

    const loaded = await loadState(statePath, partPath);
    if (loaded && 'state' in loaded) {
      const why = identityMismatch(loaded.state.identity, identity);
      if (why) log(`discarding the partial download of ${name}: ${why}`);
      else state = loaded.state;
    } else if (loaded) {
      log(`discarding the partial download of ${name}: ${loaded.reason}`);
    }
    const parallelOk = size !== null && size >= PARALLEL_MIN_BYTES && requested > 1 && remote.acceptRanges !== false;
    const fresh = (parallel: boolean): PartState => ({
      version: 1,
      identity,
      segments: parallel && size !== null ? planChunks(size, requested) : planSegments(size, Number.MAX_SAFE_INTEGER),
      updatedAt: new Date().toISOString(),
    });
    if (!state) {
      await rm(partPath, { force: true });
      await rm(statePath, { force: true });
      state = fresh(parallelOk);
    }
    state.segments.sort((a, b) => a.start - b.start);
    const onDisk = () => state?.segments.reduce((n, s) => n + s.written, 0) ?? 0;
    const resumedFromBytes = onDisk();
    if (resumedFromBytes > 0) log(`resuming ${name} at ${formatSize(resumedFromBytes)}${size !== null ? ` of ${formatSize(size)}` : ''}`);

    if (size !== null) {
      await checkSpace(o.partialDir, name, size - resumedFromBytes);
      const [a, b] = await Promise.all([stat(o.partialDir), stat(dirname(o.dest))]);
      if (a.dev !== b.dev) await checkSpace(dirname(o.dest), name, size);
    }

    fh = await open(partPath, resumedFromBytes > 0 ? 'r+' : 'w');
    opened = true;
    await persist();
    stateTimer = setInterval(() => void persist(), 1000);

    let received = 0;
    meter = new ProgressMeter(() => ({ done: Math.min(resumedFromBytes + received, size ?? Infinity), total: size }), o.onProgress);
    let hashedTo = 0;
    let resolving: Promise<void> | null = null;
    let connectionsUsed = 1;
    let firstBytes = deferred();

    const ctx: SegmentContext = {
      pool,
      stages: new StagePool(),
      writer: new FileWriter(fh, () => o.writeFault?.(onDisk()) ?? null),
      signal,
      stallMs,
      url: o.url,
      size,
      source: () => ({ url: remote.dataUrl, headers, sameOrigin: remote.sameOrigin, sentToken }),
      onReceived: (n) => {
        received += n;
        firstBytes.resolve();
      },
      onWritten: () => {
        const prefix = contiguousPrefix(state!.segments);
        if (prefix - hashedTo >= HASH_STEP_BYTES) {
          hashedTo = prefix;
          hasher?.advance(prefix);
        }
      },
    };

    const reresolve = async () => {
      resolving ??= resolve()
        .then((r) => {
          const why = identityMismatch(identity, { sha256: r.linkedSha256 ?? expectedSha, etag: r.etag, size: r.size });
          if (why) throw new DownloadError(`${where}: the remote file changed while downloading (${why}); retry to download it again`, o.url);
          remote = r;
        })
        .finally(() => (resolving = null));
      await resolving;
    };

    const runSegment = async (seg: SegmentState): Promise<void> => {
      let failures = 0;
      let refused = 0;
      for (;;) {
        const before = seg.written;
        try {
          await fetchSegment(ctx, seg);
          return;
        } catch (err) {
          if (ctx.signal.aborted) throw abortReason(ctx.signal);
          if (isDiskFull(err)) {
            const total = size ?? seg.end;
            const done = onDisk();
            throw new DiskSpaceError(
              `disk full while writing ${name} (${formatSize(done)} of ${formatSize(total)}); the partial download is kept in ${o.partialDir} for resuming — free up ${formatSize(Math.max(0, total - done))} and retry`,
              o.partialDir,
              Math.max(0, total - done),
              await freeBytes(o.partialDir),
            );
          }
          if (err instanceof DataUrlRefusedError && refused < 2) {
            refused++;
            log(`${err.message}; resolving ${where} again`);
            await reresolve();
            continue;
          }
          if (!isRetryable(err)) throw explained(err);
          if (seg.written - before >= RETRY_RESET_BYTES) failures = 0;
          failures++;
          if (failures >= retry.attempts) throw gaveUp(err, failures);
          const delay = backoff(failures, err);
          log(
            `${name} bytes ${seg.start + seg.written}-${seg.end >= 0 ? seg.end - 1 : ''}: ${(err as Error).message}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${failures + 1} of ${retry.attempts})`,
          );
          await sleep(delay, undefined, { signal: ctx.signal });
        }
      }
    };

    /** Runs every unfinished segment with up to `workers` connections, in file order. */
    const transfer = async (workers: number): Promise<void> => {
      const segs = state!.segments;
      let next = 0;
      const claim = (): SegmentState | null => {
        while (next < segs.length && segmentDone(segs[next]!)) next++;
        return next < segs.length ? segs[next++]! : null;
      };
      const pending = segs.filter((s) => !segmentDone(s)).length;
      const n = Math.max(1, Math.min(workers, pending));
      connectionsUsed = n;
      firstBytes = deferred();
      const stop = new AbortController();
      const onStop = () => stop.abort(signal.reason);
      signal.addEventListener('abort', onStop, { once: true });
      if (signal.aborted) onStop();
      ctx.signal = stop.signal;
      let failure: Error | null = null;
      const stopped = new Promise<void>((r) => stop.signal.addEventListener('abort', () => r(), { once: true }));
      const worker = async (i: number) => {
        // The others start once the first response shows the server honours ranges.
        if (i > 0) await Promise.race([firstBytes.promise, stopped]);
        for (let seg = claim(); seg && !stop.signal.aborted; seg = claim()) await runSegment(seg);
      };
      try {
        const results = await Promise.allSettled(
          Array.from({ length: n }, (_, i) =>
            worker(i).catch((err: unknown) => {
              if (failure === null && !stop.signal.aborted) {
                failure = err instanceof Error ? err : new Error(String(err));
                stop.abort(err);
              }
              firstBytes.resolve();
              throw err;
            }),
          ),
        );
        if (signal.aborted) throw abortReason(signal);
        // Set in the workers' catch: TypeScript's narrowing cannot see that assignment.
        const failed = failure as Error | null;
        if (failed) throw failed;
        const rejected = results.find((r) => r.status === 'rejected');
        if (rejected) throw rejected.reason;
        if (!segs.every(segmentDone)) throw new Error(`${name}: the download stopped before its end`);
      } finally {
        signal.removeEventListener('abort', onStop);
      }
    };

    hasher = createPrefixHasher(partPath, specs, size);
    try {
      await transfer(parallelOk && state.segments.length > 1 ? requested : 1);
    } catch (err) {
      if (!(err instanceof RangeNotSupportedError)) throw err;
      log(`${where}: the server ignores Range requests; downloading ${name} again with one connection`);
      await hasher.close();
      await fh.truncate(0);
      state = fresh(false);
      received = 0;
      hashedTo = 0;
      hasher = createPrefixHasher(partPath, specs, size);
      await transfer(1);
    }
    clearInterval(stateTimer);
    stateTimer = null;

    const finalSize = size ?? state.segments.reduce((n, s) => Math.max(n, s.end), 0);
    const [sha256, sha1] = await hasher.finish(finalSize);
    const actualSize = (await fh.stat()).size;
    if (actualSize !== finalSize) {
      keepPartial = false;
      throw new DownloadError(`${where}: ${name} has ${actualSize} bytes on disk, expected ${finalSize}; the partial download was deleted, retry`, o.url);
    }
    if (expectedSha && sha256 !== expectedSha) {
      keepPartial = false;
      throw new ChecksumError(name, 'sha256', expectedSha, sha256 ?? '');
    }
    if (gitOid && sha1 !== gitOid) {
      keepPartial = false;
      throw new ChecksumError(name, 'git blob sha1', gitOid, sha1 ?? '');
    }
    await fh.close();
    fh = null;
    await moveInto(partPath, o.dest);
    keepPartial = false;
    meter.stop(true);
    const seconds = (performance.now() - t0) / 1000;
    log(`downloaded ${name}: ${formatSize(finalSize)} in ${seconds.toFixed(1)} s, ${expectedSha ? 'sha256' : gitOid ? 'git oid' : 'size'} verified`);
    return {
      path: o.dest,
      sizeBytes: finalSize,
      sha256: sha256 ?? '',
      verified: expectedSha ? 'sha256' : gitOid ? 'git-oid' : 'size',
      etag: remote.etag,
      commit: remote.commit,
      resumedFromBytes,
      seconds,
      connections: connectionsUsed,
    };
  } catch (err) {
    if (isDiskFull(err) && !(err instanceof DiskSpaceError)) {
      throw new DiskSpaceError(
        `disk full while writing ${name}; the partial download is kept in ${o.partialDir} — free up space and retry`,
        o.partialDir,
        0,
        await freeBytes(o.partialDir),
      );
    }
    throw err;
  } finally {
    if (stateTimer) clearInterval(stateTimer);
    meter?.stop(false);
    o.signal?.removeEventListener('abort', onAbort);
    agents.destroy();
    pool.destroy();
    await hasher?.close().catch(() => undefined);
    await fh?.close().catch(() => undefined);
    if (keepPartial) {
      await persist();
    } else {
      await saving;
      await rm(partPath, { force: true });
      await rm(statePath, { force: true });
    }
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
