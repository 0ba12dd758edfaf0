import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import fastifyStatic from '@fastify/static';
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import Fastify, { type FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import { appRouter, type AppRouter } from '../../../shared/api/router';
import type { EngineApi } from '../../../shared/api/engine-api';
import { allowedHostHeader, isLoopbackHost } from './host-check';
import { registerOpenAiRoutes } from './openai-routes';
import { checkApiAccess, newSessionToken, serveCsp, tokenCookie, tokenCookieName, tokenMatches, type AccessPolicy } from './session-auth';

export interface HttpServerOptions {
  host: string;
  port: number;
  /** The built renderer (index.html + assets); served at `/`. */
  rendererDir: string | null;
  /** Origins besides the server's own whose pages may call the app API (with the token). */
  allowedOrigins?: readonly string[];
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  /** This run's session token for the app API (/api); see session-auth.ts. */
  token: string;
  close(): Promise<void>;
}

/**
 * `whittle serve`: the app API under /api (tRPC over HTTP, subscriptions over WebSocket at /api/ws),
 * the built renderer at /, and the OpenAI-compatible API at /v1.
 *
 * The app API needs this run's session token and an acceptable Origin (session-auth.ts). Bound to
 * loopback, loading the app hands the token to the page in a cookie; bound elsewhere, only the
 * `/?token=…` link does. /v1 keeps its own optional API key.
 */
export async function startHttpServer(api: EngineApi, opts: HttpServerOptions): Promise<RunningServer> {
  const token = newSessionToken();
  const loopback = isLoopbackHost(opts.host);
  // The cookie's name needs the port, known only once listening (port 0 picks one).
  const policy: AccessPolicy = { token, cookieName: '', allowedOrigins: opts.allowedOrigins ?? [] };
  const app: FastifyInstance = Fastify({ logger: false, routerOptions: { maxParamLength: 5000 }, bodyLimit: 1 << 20, forceCloseConnections: true });

  app.addHook('onRequest', async (req, reply) => {
    if (!allowedHostHeader(req.headers.host, opts.host)) {
      return reply.code(421).send({ error: { message: `Host ${req.headers.host ?? '(none)'} is not allowed; use http://127.0.0.1` } });
    }
    reply.header('X-Content-Type-Options', 'nosniff').header('Referrer-Policy', 'no-referrer');
  });

  await app.register(
    async (scope) => {
      // Encapsulated: every route of this scope, however its URL is spelled, passes this check.
      scope.addHook('onRequest', async (req, reply) => {
        const access = checkApiAccess(req.headers, policy);
        if (!access.ok) {
          return reply
            .code(access.status)
            .header('Cache-Control', 'no-store')
            .send({ error: { message: access.message, code: access.status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN' } });
        }
      });
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
    if (req.method === 'GET' && !path.includes('.')) {
      if (!hasRenderer) return reply.code(503).type('text/plain').send('The renderer is not built: run `npm run build`.');
      const query = req.query as Record<string, unknown>;
      if (typeof query.token === 'string') {
        // The printed `/?token=…` link (as Jupyter's): set the cookie, then drop the token from the address bar and history.
        if (!tokenMatches(query.token, token))
          return reply
            .code(401)
            .type('text/plain')
            .header('Cache-Control', 'no-store')
            .send('Wrong or stale token: use the link the running `whittle serve` printed.');
        return reply
          .header('Set-Cookie', tokenCookie(policy.cookieName, token))
          .header('Cache-Control', 'no-store')
          .redirect(`/${path.replace(/^[/\\]+/, '')}`, 303);
      }
      // On loopback only local processes reach this page (Host and Origin checks keep other sites out), so it hands the page its token.
      if (loopback) reply.header('Set-Cookie', tokenCookie(policy.cookieName, token));
      return reply.header('Content-Security-Policy', serveCsp(req.headers.host)).header('Cache-Control', 'no-store').sendFile('index.html');
    }
    return reply.code(404).send({ error: { message: `Not found: ${req.method} ${path}` } });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  const wsHandler = applyWSSHandler({
    wss,
    router: appRouter,
    createContext: () => ({ api }),
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
  });
  app.server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/api/ws' || !allowedHostHeader(req.headers.host, opts.host)) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    const access = checkApiAccess(req.headers, policy);
    if (!access.ok) {
      const body = `${access.message}\n`;
      socket.end(
        `HTTP/1.1 ${access.status} ${access.status === 401 ? 'Unauthorized' : 'Forbidden'}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address() as AddressInfo;
  policy.cookieName = tokenCookieName(addr.port);
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}`,
    host: addr.address,
    port: addr.port,
    token,
    async close() {
      wsHandler.broadcastReconnectNotification();
      for (const client of wss.clients) client.terminate();
      wss.close();
      await app.close();
    },
  };
}
