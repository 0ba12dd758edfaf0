/**
 * The downloader's transfers through an undici dispatcher (the proxy agent), with the interface of the
 * direct ConnectionPool: used when a proxy is configured, where the raw sockets of the fast path cannot go.
 */
import type { Dispatcher } from 'undici';
import { MemoryTarget, type BodyTarget, type ConnRequest, type ResponseHead } from './download-conn';
import { abortReason, StallError, TruncatedError } from './download-http';

const STALL_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export class DispatcherPool {
  private bodies = new Set<Dispatcher.ResponseData['body']>();

  constructor(private dispatcher: Dispatcher) {}

  /** Sends a request; `onHead` picks where the body goes. Resolves once the whole body was handed to the target. */
  async request(url: string, r: ConnRequest, onHead: (head: ResponseHead) => BodyTarget): Promise<void> {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`unsupported protocol ${u.protocol}`);
    for (const [k, v] of Object.entries(r.headers)) if (/[\r\n]/.test(k + v)) throw new Error(`invalid characters in the ${k} header`);
    if (r.signal.aborted) throw abortReason(r.signal);
    let res: Dispatcher.ResponseData;
    try {
      res = await this.dispatcher.request({
        origin: u.origin,
        path: `${u.pathname}${u.search}`,
        method: r.method,
        headers: { 'user-agent': 'whittle', accept: '*/*', ...r.headers },
        signal: r.signal,
        headersTimeout: r.stallMs,
        bodyTimeout: r.stallMs,
      });
    } catch (err) {
      throw this.mapped(err, r.signal);
    }
    const body = res.body;
    this.bodies.add(body);
    try {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
      const target = onHead({ status: res.statusCode, headers });
      await new Promise<void>((resolve, reject) => {
        let ended = false;
        target.attach({ resume: () => body.resume(), fail: (err) => body.destroy(err) });
        body.on('data', (chunk: Buffer) => {
          if (!target.copy(chunk)) body.pause();
        });
        body.once('end', () => {
          ended = true;
          resolve();
        });
        body.once('error', (err) => reject(this.mapped(err, r.signal)));
        body.once('close', () => {
          if (!ended) reject(r.signal.aborted ? abortReason(r.signal) : new TruncatedError('the connection closed'));
        });
      });
    } finally {
      this.bodies.delete(body);
      if (!body.destroyed) body.destroy();
    }
  }

  /** A HEAD request (for resolving redirects); the body, if any, is dropped. */
  readonly head = async (
    url: string,
    headers: Record<string, string>,
    signal: AbortSignal,
    stallMs: number,
  ): Promise<{ status: number; get(name: string): string | undefined }> => {
    let head: ResponseHead | null = null;
    await this.request(url, { method: 'HEAD', headers, signal, stallMs }, (h) => {
      head = h;
      return new MemoryTarget(0);
    });
    const h = head as ResponseHead | null;
    if (!h) throw new TruncatedError('no response');
    return { status: h.status, get: (name) => h.headers[name] };
  };

  private mapped(err: unknown, signal: AbortSignal): Error {
    if (signal.aborted) return abortReason(signal);
    const e = err as NodeJS.ErrnoException | null;
    if (e && STALL_CODES.has(e.code ?? '')) return new StallError(e.message, { cause: err });
    return err instanceof Error ? err : new Error(String(err));
  }

  /** Stops the transfers in flight; the dispatcher (shared by the process) stays. */
  destroy(): void {
    for (const b of this.bodies) b.destroy();
    this.bodies.clear();
  }
}
