/**
 * A tiny HTTP proxy for tests: CONNECT tunnels (what clients use for https, and undici for http too) and
 * plain forwarding of absolute-URI requests. It records what it saw and how many bytes came back through it.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface TestProxy {
  url: string;
  /** `host:port` of every CONNECT. */
  readonly tunnels: string[];
  /** Absolute URLs of forwarded plain requests. */
  readonly forwarded: string[];
  /** Response bytes relayed from the servers to the clients (tunnels and forwards). */
  readonly bytesRelayed: number;
  /** Proxy-Authorization headers seen. */
  readonly authorizations: string[];
  reset(): void;
  close(): Promise<void>;
}

export async function startTestProxy(): Promise<TestProxy> {
  const tunnels: string[] = [];
  const forwarded: string[] = [];
  const authorizations: string[] = [];
  let bytesRelayed = 0;
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };

  const server: Server = createServer((req, res) => {
    const target = req.url ?? '';
    if (!/^https?:\/\//.test(target)) {
      res.writeHead(400).end('absolute URL expected');
      return;
    }
    forwarded.push(target);
    if (req.headers['proxy-authorization']) authorizations.push(req.headers['proxy-authorization']);
    const { 'proxy-authorization': _a, 'proxy-connection': _c, ...headers } = req.headers;
    const up = httpRequest(target, { method: req.method, headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.on('data', (chunk: Buffer) => (bytesRelayed += chunk.length));
      upRes.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connection', track);
  server.on('connect', (req, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    tunnels.push(target);
    if (req.headers['proxy-authorization']) authorizations.push(req.headers['proxy-authorization']);
    const m = /^(.+):(\d+)$/.exec(target);
    if (!m) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const upstream = connect(Number(m[2]), m[1]!.replace(/^\[(.*)\]$/, '$1'), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.on('data', (chunk: Buffer) => (bytesRelayed += chunk.length));
      upstream.pipe(client);
      client.pipe(upstream);
    });
    track(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    forwarded,
    authorizations,
    get bytesRelayed() {
      return bytesRelayed;
    },
    reset() {
      tunnels.length = 0;
      forwarded.length = 0;
      authorizations.length = 0;
      bytesRelayed = 0;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
