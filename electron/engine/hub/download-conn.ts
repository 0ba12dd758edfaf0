/**
 * A minimal HTTP/1.1 client for the byte transfer, with keep-alive connections per origin.
 *
 * node:http hands each socket read to JavaScript as a freshly allocated Buffer and runs it through its
 * stream machinery: on loopback that caps a download at a third of what curl does. Here sockets read
 * (`onread`) straight into the caller's buffers, which are then written to the file as they are:
 * no per-read allocation, no copy. Only GET/HEAD without a request body; responses framed by
 * Content-Length, chunked encoding or connection close.
 */
import net from 'node:net';
import tls from 'node:tls';
import { ProtocolError, StallError, TruncatedError } from './download-http';

export interface ResponseHead {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
}

/** Where a response body goes. `buffer`/`filled` receive socket reads in place; `copy` gets bytes that arrived elsewhere. */
export interface BodyTarget {
  buffer(): Buffer;
  /** `n` bytes were read into the start of the last `buffer()`. Return false to pause the socket. */
  filled(n: number): boolean;
  copy(data: Buffer): boolean;
  /** Lets the target resume a paused socket, or stop the transfer with an error. */
  attach(control: { resume(): void; fail(err: Error): void }): void;
}

/** Collects a small body (error messages); drops the rest. */
export class MemoryTarget implements BodyTarget {
  private parts: Buffer[] = [];
  private size = 0;
  private scratch = Buffer.allocUnsafe(16 * 1024);

  constructor(private limit = 64 * 1024) {}

  buffer(): Buffer {
    return this.scratch;
  }

  filled(n: number): boolean {
    return this.copy(this.scratch.subarray(0, n));
  }

  copy(data: Buffer): boolean {
    if (this.size < this.limit) {
      const part = Buffer.from(data.subarray(0, this.limit - this.size));
      this.parts.push(part);
      this.size += part.length;
    }
    return true;
  }

  attach(): void {}

  text(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}

const SCRATCH_BYTES = 64 * 1024;
const MAX_HEAD_BYTES = 256 * 1024;

type Framing = { kind: 'none' } | { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' };

interface Exchange {
  method: string;
  onHead: (head: ResponseHead) => BodyTarget;
  resolve: () => void;
  reject: (err: Error) => void;
  head: ResponseHead | null;
  target: BodyTarget | null;
  framing: Framing;
  keepAlive: boolean;
}

/** Chunked transfer decoding over arbitrary slices. */
class ChunkedDecoder {
  private state: 'size' | 'data' | 'data-crlf' | 'trailer' = 'size';
  private line = '';
  private left = 0;
  done = false;

  /** Feeds bytes; calls `out` with body slices. Returns bytes consumed (less than data.length once done). */
  feed(data: Buffer, out: (b: Buffer) => void): number {
    let i = 0;
    while (i < data.length && !this.done) {
      if (this.state === 'data') {
        const n = Math.min(this.left, data.length - i);
        out(data.subarray(i, i + n));
        i += n;
        this.left -= n;
        if (this.left === 0) this.state = 'data-crlf';
        continue;
      }
      const c = data[i++]!;
      if (c !== 0x0a) {
        if (c !== 0x0d) this.line += String.fromCharCode(c);
        if (this.line.length > 4096) throw new ProtocolError('malformed chunked encoding');
        continue;
      }
      const line = this.line;
      this.line = '';
      if (this.state === 'data-crlf') {
        this.state = 'size';
      } else if (this.state === 'size') {
        const size = Number.parseInt(line.split(';')[0]!.trim(), 16);
        if (!Number.isFinite(size) || size < 0) throw new ProtocolError('malformed chunked encoding');
        if (size === 0) this.state = 'trailer';
        else {
          this.left = size;
          this.state = 'data';
        }
      } else if (line === '') {
        this.done = true;
      }
    }
    return i;
  }
}

class Connection {
  readonly socket: net.Socket;
  private scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  /** The target buffer handed to the socket for its next read, to tell in-place reads from others. */
  private lent: Buffer | null = null;
  private headBuf: Buffer[] = [];
  private headLen = 0;
  private chunked: ChunkedDecoder | null = null;
  private ex: Exchange | null = null;
  /** A response byte arrived on this use of the connection (a reused socket the server had closed fails before that). */
  gotBytes = false;
  closed = false;
  uses = 0;
  private stallMs = 0;

  constructor(
    url: URL,
    private onIdle: (c: Connection) => void,
    private onGone: (c: Connection) => void,
    secureContext?: tls.SecureContext,
  ) {
    const onread = { buffer: () => this.nextBuffer(), callback: (n: number, buf: Buffer) => this.onRead(n, buf, true) };
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.socket =
      url.protocol === 'https:'
        ? // Node's typings omit `onread` for TLS, which supports it.
          tls.connect({
            host,
            port,
            servername: net.isIP(host) ? undefined : host,
            ALPNProtocols: ['http/1.1'],
            onread,
            secureContext,
          } as tls.ConnectionOptions)
        : net.connect({ host, port, onread });
    this.socket.setNoDelay(true);
    // Where the platform ignores `onread` (it is honoured for TCP and TLS since Node 15), bytes come as events.
    this.socket.on('data', (chunk: Buffer) => {
      if (!this.onRead(chunk.length, chunk, false)) this.socket.pause();
    });
    this.socket.on('timeout', () =>
      this.socket.destroy(new StallError(`no data for ${this.stallMs >= 1000 ? `${Math.round(this.stallMs / 1000)} s` : `${this.stallMs} ms`}`)),
    );
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => {
      this.closed = true;
      this.fail(new TruncatedError('the connection closed'));
      this.onGone(this);
    });
  }

  private nextBuffer(): Buffer {
    const ex = this.ex;
    if (ex?.target && ex.framing.kind !== 'chunked' && ex.framing.kind !== 'none') {
      const b = ex.target.buffer();
      this.lent = ex.framing.kind === 'length' && b.length > ex.framing.left ? b.subarray(0, Math.max(1, ex.framing.left)) : b;
      return this.lent;
    }
    this.lent = null;
    return this.scratch;
  }

  send(method: string, url: URL, headers: Record<string, string>, onHead: Exchange['onHead'], stallMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.ex = { method, onHead, resolve, reject, head: null, target: null, framing: { kind: 'none' }, keepAlive: true };
      this.gotBytes = false;
      this.uses++;
      this.headBuf = [];
      this.headLen = 0;
      this.chunked = null;
      this.stallMs = stallMs;
      this.socket.setTimeout(stallMs);
      const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`];
      for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
      this.socket.ref();
      this.socket.write(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
    });
  }

  private onRead(n: number, buf: Buffer, inPlace: boolean): boolean {
    const ex = this.ex;
    if (n <= 0) return true;
    if (!ex) {
      this.socket.destroy();
      return false;
    }
    this.gotBytes = true;
    const zeroCopy = inPlace && buf === this.lent;
    try {
      if (!ex.head) return this.onHeadBytes(ex, buf.subarray(0, n));
      return this.onBody(ex, buf, n, zeroCopy);
    } catch (err) {
      this.socket.destroy(err as Error);
      return false;
    }
  }

  private onHeadBytes(ex: Exchange, data: Buffer): boolean {
    this.headBuf.push(Buffer.from(data));
    this.headLen += data.length;
    const all = this.headBuf.length === 1 ? this.headBuf[0]! : Buffer.concat(this.headBuf);
    const end = all.indexOf('\r\n\r\n', 0, 'latin1');
    if (end < 0) {
      if (this.headLen > MAX_HEAD_BYTES) throw new ProtocolError('response head too large');
      this.headBuf = [all];
      return true;
    }
    const lines = all.subarray(0, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!m) throw new ProtocolError(`not an HTTP/1.1 response: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      if (i <= 0) continue;
      const k = line.slice(0, i).trim().toLowerCase();
      const v = line.slice(i + 1).trim();
      headers[k] = headers[k] !== undefined ? `${headers[k]}, ${v}` : v;
    }
    const rest = all.subarray(end + 4);
    if (status >= 100 && status < 200) {
      // Interim response (100 Continue): the real head follows.
      this.headBuf = [];
      this.headLen = 0;
      return rest.length > 0 ? this.onHeadBytes(ex, rest) : true;
    }
    this.headBuf = [];
    const head: ResponseHead = { status, headers };
    ex.head = head;
    ex.keepAlive = !/\bclose\b/i.test(headers.connection ?? '');
    const len = headers['content-length'];
    if (ex.method === 'HEAD' || status === 204 || status === 304) ex.framing = { kind: 'none' };
    else if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) {
      ex.framing = { kind: 'chunked' };
      this.chunked = new ChunkedDecoder();
    } else if (len !== undefined && /^\d+$/.test(len)) ex.framing = { kind: 'length', left: Number(len) };
    else {
      ex.framing = { kind: 'close' };
      ex.keepAlive = false;
    }
    ex.target = ex.onHead(head);
    ex.target.attach({ resume: () => this.socket.resume(), fail: (err) => this.socket.destroy(err) });
    if (ex.framing.kind === 'none' || (ex.framing.kind === 'length' && ex.framing.left === 0)) {
      this.complete(ex);
      return true;
    }
    return rest.length > 0 ? this.onBody(ex, rest, rest.length, false) : true;
  }

  private onBody(ex: Exchange, buf: Buffer, n: number, zeroCopy: boolean): boolean {
    const target = ex.target!;
    const f = ex.framing;
    if (f.kind === 'chunked') {
      let more = true;
      const used = this.chunked!.feed(buf.subarray(0, n), (b) => {
        more = target.copy(b) && more;
      });
      if (this.chunked!.done) {
        if (used < n) throw new ProtocolError('unexpected bytes after the response');
        this.complete(ex);
      }
      return more;
    }
    if (f.kind === 'length' && n > f.left) throw new ProtocolError('the server sent more bytes than its Content-Length');
    const more = zeroCopy ? target.filled(n) : target.copy(buf.subarray(0, n));
    if (f.kind === 'length') {
      f.left -= n;
      if (f.left === 0) this.complete(ex);
    }
    return more;
  }

  private complete(ex: Exchange): void {
    this.ex = null;
    this.lent = null;
    this.socket.setTimeout(0);
    if (ex.keepAlive && !this.closed) {
      this.socket.unref();
      this.onIdle(this);
    } else {
      this.socket.destroy();
    }
    ex.resolve();
  }

  private onEnd(): void {
    const ex = this.ex;
    if (ex?.head && ex.framing.kind === 'close') {
      this.ex = null;
      ex.resolve();
    }
    this.socket.destroy();
  }

  fail(err: Error): void {
    const ex = this.ex;
    this.ex = null;
    if (ex) ex.reject(err);
  }

  destroy(err?: Error): void {
    this.socket.destroy(err);
  }
}

export interface ConnRequest {
  method: 'GET' | 'HEAD';
  headers: Record<string, string>;
  signal: AbortSignal;
  stallMs: number;
}

/** Keep-alive connections by origin. */
export class ConnectionPool {
  private idle = new Map<string, Connection[]>();
  private active = new Set<Connection>();

  /** `secureContext`: the trusted CAs for https (Node's defaults when absent). */
  constructor(private o: { secureContext?: tls.SecureContext } = {}) {}

  /**
   * Sends a request; `onHead` picks where the body goes (it may throw to drop the connection).
   * Resolves once the whole body was handed to the target.
   */
  async request(url: string, r: ConnRequest, onHead: (head: ResponseHead) => BodyTarget): Promise<void> {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`unsupported protocol ${u.protocol}`);
    for (const [k, v] of Object.entries(r.headers)) if (/[\r\n]/.test(k + v)) throw new Error(`invalid characters in the ${k} header`);
    for (let attempt = 0; ; attempt++) {
      const conn = this.take(u);
      try {
        await this.run(conn, u, r, onHead);
        return;
      } catch (err) {
        // A kept-alive socket the server closed meanwhile fails before any byte: try a fresh one.
        if (conn.uses > 1 && !conn.gotBytes && attempt === 0 && !r.signal.aborted) continue;
        throw err;
      }
    }
  }

  private run(conn: Connection, u: URL, r: ConnRequest, onHead: (head: ResponseHead) => BodyTarget): Promise<void> {
    if (r.signal.aborted) {
      conn.destroy();
      return Promise.reject(abortError(r.signal));
    }
    this.active.add(conn);
    const onAbort = () => conn.destroy(abortError(r.signal));
    r.signal.addEventListener('abort', onAbort, { once: true });
    const headers = { 'user-agent': 'whittle', accept: '*/*', connection: 'keep-alive', ...r.headers };
    return conn.send(r.method, u, headers, onHead, r.stallMs).finally(() => {
      r.signal.removeEventListener('abort', onAbort);
      this.active.delete(conn);
    });
  }

  private take(u: URL): Connection {
    const list = this.idle.get(u.origin);
    while (list && list.length > 0) {
      const c = list.pop()!;
      if (!c.closed) return c;
    }
    return new Connection(
      u,
      (c) => {
        const l = this.idle.get(u.origin) ?? [];
        l.push(c);
        this.idle.set(u.origin, l);
      },
      (c) => {
        const l = this.idle.get(u.origin);
        const i = l?.indexOf(c) ?? -1;
        if (l && i >= 0) l.splice(i, 1);
      },
      this.o.secureContext,
    );
  }

  destroy(): void {
    for (const l of this.idle.values()) for (const c of l) c.destroy();
    this.idle.clear();
    for (const c of this.active) c.destroy();
  }
}

function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new DOMException('This operation was aborted', 'AbortError');
}
