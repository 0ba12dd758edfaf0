/**
 * One attempt at one segment: a (ranged) GET whose body the socket reads straight into 4 MiB staging
 * buffers, written to the partial file with positioned writev calls, one in flight per segment. The
 * socket pauses while too much waits for the disk. Bytes received before a network error are still
 * written, so a retry continues from the last byte on disk.
 */
import type { FileHandle } from 'node:fs/promises';
import { DownloadError, urlPath } from './errors';
import { MemoryTarget, type BodyTarget, type ConnectionPool, type ResponseHead } from './download-conn';
import { errorFromParts, TruncatedError } from './download-http';
import type { SegmentState } from './download-state';

const STAGE_BYTES = 4 << 20;
/** Below this much room left in a staging buffer, the next read goes to a fresh one. */
const MIN_READ_BYTES = 128 << 10;
const PAUSE_BYTES = 16 << 20;
const RESUME_BYTES = 8 << 20;

export class RangeNotSupportedError extends Error {
  override name = 'RangeNotSupportedError';
}

/** A signed CDN URL that is refused (expired): resolve the file again. */
export class DataUrlRefusedError extends Error {
  override name = 'DataUrlRefusedError';
}

/** Staging buffers shared by the segments of one download. */
export class StagePool {
  private free: Buffer[] = [];

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(STAGE_BYTES);
  }

  give(b: Buffer): void {
    if (this.free.length < 16) this.free.push(b);
  }
}

export interface SegmentContext {
  fh: FileHandle;
  pool: ConnectionPool;
  stages: StagePool;
  signal: AbortSignal;
  stallMs: number;
  /** The resolve URL, for messages. */
  url: string;
  /** Where bytes come from, and the headers that may go there. */
  source(): { url: string; headers: Record<string, string>; sameOrigin: boolean; sentToken: boolean };
  size: number | null;
  onReceived(n: number): void;
  onWritten(seg: SegmentState, n: number): void;
  /** The test-only write fault injector: an error to fail the next write with. */
  writeFault(len: number): Error | null;
}

async function writeAll(ctx: SegmentContext, bufs: Buffer[], position: number, len: number): Promise<void> {
  const fault = ctx.writeFault(len);
  if (fault) throw fault;
  let pending = bufs;
  let at = position;
  let left = len;
  while (left > 0) {
    const { bytesWritten } = await ctx.fh.writev(pending, at);
    if (bytesWritten <= 0) throw new Error(`write returned ${bytesWritten}`);
    left -= bytesWritten;
    at += bytesWritten;
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const b of pending) {
      if (skip >= b.length) skip -= b.length;
      else {
        rest.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    pending = rest;
  }
}

/** Receives a segment's body into staging buffers and writes them at the segment's offset. */
class FileSink implements BodyTarget {
  received = 0;
  writeError: Error | null = null;
  private cur: Buffer;
  private fill = 0;
  private queue: { buf: Buffer; len: number }[] = [];
  private queued = 0;
  private writing = false;
  private paused = false;
  private writePos: number;
  private control: { resume(): void; fail(err: Error): void } | null = null;
  private idle: (() => void) | null = null;

  constructor(
    private ctx: SegmentContext,
    private seg: SegmentState,
    from: number,
  ) {
    this.writePos = from;
    this.cur = ctx.stages.take();
  }

  attach(control: { resume(): void; fail(err: Error): void }): void {
    this.control = control;
  }

  buffer(): Buffer {
    if (this.cur.length - this.fill < MIN_READ_BYTES) this.rotate();
    return this.cur.subarray(this.fill);
  }

  filled(n: number): boolean {
    this.fill += n;
    this.received += n;
    this.ctx.onReceived(n);
    if (this.cur.length - this.fill < MIN_READ_BYTES) this.rotate();
    return this.more();
  }

  copy(data: Buffer): boolean {
    let rest = data;
    while (rest.length > 0) {
      if (this.fill === this.cur.length) this.rotate();
      const n = rest.copy(this.cur, this.fill);
      this.fill += n;
      rest = rest.subarray(n);
    }
    this.received += data.length;
    this.ctx.onReceived(data.length);
    return this.more();
  }

  private more(): boolean {
    if (this.writeError) return false;
    if (this.queued >= PAUSE_BYTES) this.paused = true;
    return !this.paused;
  }

  private rotate(): void {
    if (this.fill === 0) return;
    this.queue.push({ buf: this.cur, len: this.fill });
    this.queued += this.fill;
    this.cur = this.ctx.stages.take();
    this.fill = 0;
    this.kick();
  }

  private kick(): void {
    if (this.writing || this.writeError) return;
    if (this.queue.length === 0) {
      this.idle?.();
      return;
    }
    const batch = this.queue.splice(0, this.queue.length);
    const len = batch.reduce((n, b) => n + b.len, 0);
    const at = this.writePos;
    this.writePos += len;
    this.writing = true;
    const bufs = batch.map((b) => b.buf.subarray(0, b.len));
    writeAll(this.ctx, bufs, at, len).then(
      () => {
        this.writing = false;
        this.queued -= len;
        for (const b of batch) this.ctx.stages.give(b.buf);
        this.seg.written += len;
        this.ctx.onWritten(this.seg, len);
        if (this.paused && this.queued < RESUME_BYTES) {
          this.paused = false;
          this.control?.resume();
        }
        this.kick();
      },
      (err: unknown) => {
        this.writing = false;
        this.writeError = err instanceof Error ? err : new Error(String(err));
        this.control?.fail(this.writeError);
        this.idle?.();
      },
    );
  }

  /** Writes what was received; resolves once it is on disk (rejects with the write error, if any). */
  finish(): Promise<void> {
    this.rotate();
    return new Promise<void>((resolve, reject) => {
      this.idle = () => {
        if (this.writing || (this.queue.length > 0 && !this.writeError)) return;
        this.idle = null;
        this.ctx.stages.give(this.cur);
        if (this.writeError) reject(this.writeError);
        else resolve();
      };
      this.kick();
      this.idle?.();
    });
  }
}

function parseContentRange(v: string | undefined): { start: number; end: number; total: number | null } | null {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(v?.trim() ?? '');
  if (!m) return null;
  return { start: Number(m[1]), end: Number(m[2]) + 1, total: m[3] === '*' ? null : Number(m[3]) };
}

/** Fetches the rest of `seg` once. Resolves when it is complete on disk; rejects with the first error otherwise. */
export async function fetchSegment(ctx: SegmentContext, seg: SegmentState): Promise<void> {
  const from = seg.start + seg.written;
  const whole = from === 0 && (seg.end < 0 || seg.end === ctx.size);
  const src = ctx.source();
  const headers: Record<string, string> = { ...(src.sameOrigin ? src.headers : {}), 'accept-encoding': 'identity' };
  if (!whole) headers.range = `bytes=${from}-${seg.end >= 0 ? seg.end - 1 : ''}`;
  const where = urlPath(ctx.url);

  let sink: FileSink | null = null;
  let errorBody: MemoryTarget | null = null;
  let head: ResponseHead | null = null;
  let expected: number | null = null;

  const onHead = (h: ResponseHead): BodyTarget => {
    head = h;
    const status = h.status;
    if (status === 200 && !whole) throw new RangeNotSupportedError(`${where}: the server ignores Range requests`);
    if (status !== 200 && status !== 206) {
      errorBody = new MemoryTarget();
      return errorBody;
    }
    if (status === 206) {
      const cr = parseContentRange(h.headers['content-range']);
      if (!cr || cr.start !== from) {
        throw new DownloadError(`${where}: the server answered a different range (${h.headers['content-range'] ?? 'no Content-Range'}) than asked (${headers.range})`, ctx.url, 206, undefined, true);
      }
      if (cr.total !== null && ctx.size !== null && cr.total !== ctx.size) {
        throw new DownloadError(`${where}: the remote file changed while downloading (its size is now ${cr.total} bytes, was ${ctx.size})`, ctx.url, 206);
      }
      if (seg.end < 0 && cr.total !== null) seg.end = cr.total;
      expected = cr.end - from;
    } else {
      const len = h.headers['content-length'];
      expected = len !== undefined && /^\d+$/.test(len) ? Number(len) : null;
      if (expected !== null && ctx.size !== null && expected !== ctx.size) {
        throw new DownloadError(`${where}: the remote file changed (its size is now ${expected} bytes, was ${ctx.size})`, ctx.url, 200);
      }
      if (seg.end < 0 && expected !== null) seg.end = expected;
    }
    if (seg.end >= 0 && (expected === null || from + expected > seg.end)) {
      throw new DownloadError(`${where}: the server sent more than the requested range`, ctx.url, status, undefined, true);
    }
    sink = new FileSink(ctx, seg, from);
    return sink;
  };

  try {
    await ctx.pool.request(src.url, { method: 'GET', headers, signal: ctx.signal, stallMs: ctx.stallMs }, onHead);
  } catch (err) {
    const s = sink as FileSink | null;
    if (s) {
      await s.finish().catch(() => undefined);
      if (s.writeError) throw s.writeError;
    }
    throw err;
  }
  const failed = errorBody as MemoryTarget | null;
  const h = head as ResponseHead | null;
  if (failed && h) {
    if ((h.status === 401 || h.status === 403) && !src.sameOrigin) throw new DataUrlRefusedError(`${where}: the download URL was refused (HTTP ${h.status})`);
    throw errorFromParts(ctx.url, h.status, (k) => h.headers[k], failed.text(), src.sentToken && src.sameOrigin);
  }
  const s = sink as FileSink | null;
  if (!s) throw new TruncatedError('no response');
  await s.finish();
  if (expected !== null && s.received < expected) throw new TruncatedError(`the connection closed after ${s.received} of ${expected} bytes`);
  if (seg.end < 0) seg.end = seg.start + seg.written;
}
