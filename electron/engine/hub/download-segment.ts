/**
 * One attempt at one segment: a (ranged) GET streamed to the partial file with positioned writes.
 * Received bytes are batched into large writev calls, one in flight per segment; the response is paused
 * while too much waits for the disk. Bytes received before a network error are still written, so a
 * retry continues from the last byte on disk.
 */
import type { FileHandle } from 'node:fs/promises';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { DownloadError, urlPath } from './errors';
import { type Agents, errorFromResponse, header, request, TruncatedError } from './download-http';
import type { SegmentState } from './download-state';

const BATCH_BYTES = 4 << 20;
const PAUSE_BYTES = 32 << 20;

export class RangeNotSupportedError extends Error {
  override name = 'RangeNotSupportedError';
}

/** A signed CDN URL that is refused (expired): resolve the file again. */
export class DataUrlRefusedError extends Error {
  override name = 'DataUrlRefusedError';
}

export interface SegmentContext {
  fh: FileHandle;
  agents: Agents;
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
    if (left === 0) break;
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
  const { req, res } = await request(src.url, { method: 'GET', headers, agents: ctx.agents, signal: ctx.signal, stallMs: ctx.stallMs });
  const status = res.statusCode ?? 0;
  const where = urlPath(ctx.url);

  if (status === 200 && !whole) {
    req.destroy();
    throw new RangeNotSupportedError(`${where}: the server ignores Range requests`);
  }
  if (status !== 200 && status !== 206) {
    if ((status === 401 || status === 403) && !src.sameOrigin) {
      res.resume();
      throw new DataUrlRefusedError(`${where}: the download URL was refused (HTTP ${status})`);
    }
    throw await errorFromResponse(ctx.url, res, src.sentToken && src.sameOrigin);
  }

  let expected: number | null;
  if (status === 206) {
    const cr = parseContentRange(header(res, 'content-range'));
    if (!cr || cr.start !== from) {
      req.destroy();
      throw new DownloadError(`${where}: the server answered a different range (${header(res, 'content-range') ?? 'no Content-Range'}) than asked (${headers.range})`, ctx.url, 206, undefined, true);
    }
    if (cr.total !== null && ctx.size !== null && cr.total !== ctx.size) {
      req.destroy();
      throw new DownloadError(`${where}: the remote file changed while downloading (its size is now ${cr.total} bytes, was ${ctx.size})`, ctx.url, 206);
    }
    if (seg.end < 0 && cr.total !== null) seg.end = cr.total;
    expected = cr.end - from;
  } else {
    const len = header(res, 'content-length');
    expected = len !== undefined && /^\d+$/.test(len) ? Number(len) : null;
    if (expected !== null && ctx.size !== null && expected !== ctx.size) {
      req.destroy();
      throw new DownloadError(`${where}: the remote file changed (its size is now ${expected} bytes, was ${ctx.size})`, ctx.url, 200);
    }
    if (seg.end < 0 && expected !== null) seg.end = expected;
  }
  if (seg.end >= 0 && (expected === null || from + expected > seg.end)) expected = seg.end - from;
  return pump(ctx, seg, req, res, from, expected);
}

function pump(ctx: SegmentContext, seg: SegmentState, req: ClientRequest, res: IncomingMessage, from: number, expected: number | null): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const bufs: Buffer[] = [];
    let buffered = 0;
    let received = 0;
    let writePos = from;
    let writing = false;
    let writeError: unknown = null;
    let streamError: unknown = null;
    let requestError: unknown = null;
    let ended = false;
    let settled = false;
    let paused = false;

    const settle = () => {
      if (settled || !ended || writing) return;
      if (buffered > 0 && writeError === null) {
        startWrite();
        return;
      }
      settled = true;
      const short = expected !== null ? received < expected : false;
      if (writeError !== null) reject(writeError);
      else if (requestError !== null || streamError !== null) reject(requestError ?? streamError);
      else if (short) reject(new TruncatedError(`the connection closed after ${received} of ${expected} bytes`));
      else {
        if (seg.end < 0) seg.end = seg.start + seg.written;
        resolve();
      }
    };

    const startWrite = () => {
      if (writing || buffered === 0 || writeError !== null) return;
      const batch = bufs.splice(0, bufs.length);
      const len = buffered;
      const at = writePos;
      buffered = 0;
      writePos += len;
      writing = true;
      writeAll(ctx, batch, at, len).then(
        () => {
          writing = false;
          seg.written += len;
          ctx.onWritten(seg, len);
          if (paused && !ended) {
            paused = false;
            res.resume();
          }
          if (buffered >= BATCH_BYTES || (ended && buffered > 0)) startWrite();
          settle();
        },
        (err: unknown) => {
          writing = false;
          writeError = err;
          req.destroy();
          ended = true;
          settle();
        },
      );
    };

    res.on('data', (chunk: Buffer) => {
      if (writeError !== null || settled) return;
      if (expected !== null && received + chunk.length > expected) chunk = chunk.subarray(0, expected - received);
      if (chunk.length === 0) return;
      received += chunk.length;
      bufs.push(chunk);
      buffered += chunk.length;
      ctx.onReceived(chunk.length);
      if (buffered >= BATCH_BYTES) startWrite();
      if (buffered >= PAUSE_BYTES && !paused) {
        paused = true;
        res.pause();
      }
    });
    res.once('end', () => {
      ended = true;
      settle();
    });
    res.once('error', (err) => {
      streamError ??= err;
      ended = true;
      settle();
    });
    res.once('close', () => {
      if (!res.complete) streamError ??= new TruncatedError(`the connection closed after ${received} of ${expected ?? '?'} bytes`);
      ended = true;
      settle();
    });
    req.once('error', (err) => {
      requestError ??= err;
    });
  });
}
