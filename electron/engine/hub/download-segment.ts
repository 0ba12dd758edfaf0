/**
 * One attempt at one segment: a (ranged) GET whose body the socket reads straight into staging buffers,
 * written to the partial file at the segment's offset right behind the reads. The socket pauses while
 * too much waits for the disk. Bytes received before a network error are still written, so a retry
 * continues from the last byte on disk.
 */
import { DownloadError, urlPath } from './errors';
import { MemoryTarget, type BodyTarget, type ConnectionPool, type ResponseHead } from './download-conn';
import { errorFromParts, TruncatedError } from './download-http';
import type { SegmentState } from './download-state';
import type { FileWriter } from './download-writer';

const STAGE_BYTES = 4 << 20;
/** Below this much room left in a staging buffer, the next read goes to a fresh one. */
const MIN_READ_BYTES = 128 << 10;
/** Fewer waiting bytes wait for more (unless the body is complete): each write is a system call. */
const MIN_WRITE_BYTES = 128 << 10;
/** Received bytes waiting for the disk, per segment, at which the socket pauses (and resumes at half). */
const PAUSE_BYTES = 8 << 20;
const RESUME_BYTES = 4 << 20;

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

  /** Buffers are kept for reuse: fresh ones cost a page fault per 4 KiB when first filled. In use at once: a few per segment. */
  give(b: Buffer): void {
    this.free.push(b);
  }
}

export interface SegmentContext {
  /** The direct ConnectionPool, or a DispatcherPool behind a proxy. */
  pool: Pick<ConnectionPool, 'request'>;
  stages: StagePool;
  writer: FileWriter;
  signal: AbortSignal;
  stallMs: number;
  /** The resolve URL, for messages. */
  url: string;
  /** Where bytes come from, and the headers that may go there. */
  source(): { url: string; headers: Record<string, string>; sameOrigin: boolean; sentToken: boolean };
  size: number | null;
  onReceived(n: number): void;
  onWritten(seg: SegmentState, n: number): void;
}

interface Stage {
  buf: Buffer;
  /** Bytes received into it. */
  fill: number;
  /** Bytes of it handed to writes. */
  flushed: number;
  /** Unwritten or in-flight slices of it. */
  refs: number;
  /** Full: no more reads go into it; back to the pool once its writes are done. */
  retired: boolean;
}

/**
 * Receives a segment's body into staging buffers and writes it at the segment's offset close behind the
 * reads, while the bytes are still in the CPU cache: a write starts as soon as the previous one is done
 * and enough bytes are waiting, not when a buffer is full.
 */
class FileSink implements BodyTarget {
  received = 0;
  writeError: Error | null = null;
  private cur: Stage;
  /** Unwritten slices of retired stages, in file order. */
  private backlog: { stage: Stage; from: number; to: number }[] = [];
  /** Received and not yet on disk. */
  private queued = 0;
  private writing = false;
  private finishing = false;
  private paused = false;
  private writePos: number;
  private control: { resume(): void; fail(err: Error): void } | null = null;
  private idle: (() => void) | null = null;

  constructor(
    private ctx: SegmentContext,
    private seg: SegmentState,
    from: number,
    /** The most bytes this response may bring (its range), when its length is not announced. */
    private limit: number | null,
  ) {
    this.writePos = from;
    this.cur = this.newStage();
  }

  private newStage(): Stage {
    return { buf: this.ctx.stages.take(), fill: 0, flushed: 0, refs: 0, retired: false };
  }

  attach(control: { resume(): void; fail(err: Error): void }): void {
    this.control = control;
  }

  buffer(): Buffer {
    if (this.cur.buf.length - this.cur.fill < MIN_READ_BYTES) this.rotate();
    return this.cur.buf.subarray(this.cur.fill);
  }

  filled(n: number): boolean {
    this.cur.fill += n;
    this.arrived(n);
    return this.more();
  }

  copy(data: Buffer): boolean {
    let rest = data;
    while (rest.length > 0) {
      if (this.cur.fill === this.cur.buf.length) this.rotate();
      const n = rest.copy(this.cur.buf, this.cur.fill);
      this.cur.fill += n;
      rest = rest.subarray(n);
    }
    this.arrived(data.length);
    return this.more();
  }

  private arrived(n: number): void {
    this.received += n;
    this.queued += n;
    if (this.limit !== null && this.received > this.limit) {
      this.writeError = new TruncatedError(`the server sent more than the ${this.limit} bytes asked for`);
      this.control?.fail(this.writeError);
      return;
    }
    this.ctx.onReceived(n);
    this.kick();
  }

  private more(): boolean {
    if (this.writeError) return false;
    if (this.queued >= PAUSE_BYTES) this.paused = true;
    return !this.paused;
  }

  private rotate(): void {
    const s = this.cur;
    if (s.fill > s.flushed) {
      this.backlog.push({ stage: s, from: s.flushed, to: s.fill });
      s.refs++;
    }
    s.flushed = s.fill;
    s.retired = true;
    this.recycle(s);
    this.cur = this.newStage();
  }

  private recycle(s: Stage): void {
    if (s.retired && s.refs === 0 && s.flushed === s.fill) this.ctx.stages.give(s.buf);
  }

  private kick(): void {
    if (this.writing || this.writeError) return;
    const waiting = this.cur.fill - this.cur.flushed;
    if (this.backlog.length === 0 && (waiting === 0 || (waiting < MIN_WRITE_BYTES && !this.finishing))) {
      if (waiting === 0) this.idle?.();
      return;
    }
    const slices = this.backlog.splice(0, this.backlog.length);
    if (waiting > 0) {
      slices.push({ stage: this.cur, from: this.cur.flushed, to: this.cur.fill });
      this.cur.flushed = this.cur.fill;
      this.cur.refs++;
    }
    const len = slices.reduce((n, sl) => n + sl.to - sl.from, 0);
    const at = this.writePos;
    this.writePos += len;
    this.writing = true;
    const bufs = slices.map((sl) => sl.stage.buf.subarray(sl.from, sl.to));
    const done = () => {
      this.writing = false;
      this.queued -= len;
      for (const sl of slices) {
        sl.stage.refs--;
        this.recycle(sl.stage);
      }
      this.seg.written += len;
      this.ctx.onWritten(this.seg, len);
      if (this.paused && this.queued < RESUME_BYTES) {
        this.paused = false;
        this.control?.resume();
      }
      this.kick();
    };
    const failed = (err: unknown) => {
      this.writing = false;
      this.writeError = err instanceof Error ? err : new Error(String(err));
      this.control?.fail(this.writeError);
      this.idle?.();
    };
    let pending: Promise<void> | null;
    try {
      pending = this.ctx.writer.write(bufs, at, len);
    } catch (err) {
      failed(err);
      return;
    }
    if (pending) pending.then(done, failed);
    else done();
  }

  /** Writes what was received; resolves once it is on disk (rejects with the write error, if any). */
  finish(): Promise<void> {
    this.finishing = true;
    return new Promise<void>((resolve, reject) => {
      this.idle = () => {
        if (this.writing || (!this.writeError && (this.backlog.length > 0 || this.cur.fill > this.cur.flushed))) return;
        this.idle = null;
        this.cur.retired = true;
        this.recycle(this.cur);
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
        throw new DownloadError(
          `${where}: the server answered a different range (${h.headers['content-range'] ?? 'no Content-Range'}) than asked (${headers.range})`,
          ctx.url,
          206,
          undefined,
          true,
        );
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
    if (expected !== null && seg.end >= 0 && from + expected > seg.end) {
      throw new DownloadError(`${where}: the server sent more than the requested range`, ctx.url, status, undefined, true);
    }
    sink = new FileSink(ctx, seg, from, expected === null && seg.end >= 0 ? seg.end - from : null);
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
  // Set by the head callback: TypeScript's narrowing cannot see that assignment.
  const length = expected as number | null;
  if (length !== null && s.received < length) throw new TruncatedError(`the connection closed after ${s.received} of ${length} bytes`);
  if (seg.end < 0) seg.end = seg.start + seg.written;
  else if (seg.start + seg.written < seg.end) throw new TruncatedError(`the response ended at byte ${seg.start + seg.written}, before ${seg.end}`);
}
