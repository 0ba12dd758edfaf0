import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import fastifyStatic from '@fastify/static';
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import Fastify, { type FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import { appRouter, type AppRouter } from '../../../shared/api/router';
import type { EngineApi } from '../../../shared/api/engine-api';
import { allowedHostHeader } from './host-check';
import { registerOpenAiRoutes } from './openai-routes';

export interface HttpServerOptions {
  host: string;
  port: number;
  /** The built renderer (index.html + assets); served at `/`. */
  rendererDir: string | null;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * `whittle serve`: the app API under /api (tRPC over HTTP, subscriptions over WebSocket at /api/ws),
 * the built renderer at /, and the OpenAI-compatible API at /v1.
 */
export async function startHttpServer(api: EngineApi, opts: HttpServerOptions): Promise<RunningServer> {
  const app: FastifyInstance = Fastify({ logger: false, routerOptions: { maxParamLength: 5000 }, bodyLimit: 1 << 20, forceCloseConnections: true });

  app.addHook('onRequest', async (req, reply) => {
    if (!allowedHostHeader(req.headers.host, opts.host)) {
      return reply.code(421).send({ error: { message: `Host ${req.headers.host ?? '(none)'} is not allowed; use http://127.0.0.1` } });
    }
    reply.header('X-Content-Type-Options', 'nosniff').header('Referrer-Policy', 'no-referrer');
  });

  await app.register(
    async (scope) => {
      await scope.register(fastifyTRPCPlugin, {
        prefix: '',
        trpcOptions: { router: appRouter, createContext: () => ({ api }) },
      } satisfies FastifyTRPCPluginOptions<AppRouter>);
    },
    { prefix: '/api' },
  );

  await registerOpenAiRoutes(app, api);

  const hasRenderer = opts.rendererDir !== null && existsSync(`${opts.rendererDir}/index.html`);
  if (hasRenderer) {
    await app.register(fastifyStatic, {
      root: opts.rendererDir!,
      wildcard: false,
      index: false,
      setHeaders: (res, file) => {
        res.setHeader('Cache-Control', file.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }

  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    if (path === '/api' || path.startsWith('/api/')) {
      return reply.code(404).send({ error: { message: `No API route ${req.method} ${path}`, code: 'NOT_FOUND' } });
    }
    if (req.method === 'GET' && !path.includes('.') ) {
      if (!hasRenderer) return reply.code(503).type('text/plain').send('The renderer is not built: run `npm run build`.');
      return reply.header('Content-Security-Policy', CSP).header('Cache-Control', 'no-cache').sendFile('index.html');
    }
    return reply.code(404).send({ error: { message: `Not found: ${req.method} ${path}` } });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  const wsHandler = applyWSSHandler({ wss, router: appRouter, createContext: () => ({ api }), keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 } });
  app.server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/api/ws' || !allowedHostHeader(req.headers.host, opts.host)) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}`,
    host: addr.address,
    port: addr.port,
    async close() {
      wsHandler.broadcastReconnectNotification();
      for (const client of wss.clients) client.terminate();
      wss.close();
      await app.close();
    },
  };
}
