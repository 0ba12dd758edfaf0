import { createTRPCClient, createWSClient, httpBatchLink, splitLink, TRPCClientError, wsLink, type TRPCLink } from '@trpc/client';
import { ipcLink } from 'trpc-electron/renderer';
import type { AppRouter } from '../../../shared/api/router';

/**
 * One typed client, two transports:
 * - Electron: the preload bridge (`exposeElectronTRPC`) puts `electronTRPC` on the global; every call goes over IPC.
 * - Browser (`whittle serve`, same origin): subscriptions over a WebSocket that reconnects by itself,
 *   queries and mutations over batched HTTP. Both carry the app API's session token without any code here:
 *   serve set it in an HttpOnly cookie for /api when it served this page (see electron/engine/server/session-auth.ts).
 */

/** `connecting` before the first connection, `reconnecting` after one was lost. */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting';

type ConnectionListener = (status: ConnectionStatus) => void;

interface Connection {
  links: TRPCLink<AppRouter>[];
  watch(listener: ConnectionListener): () => void;
}

function ipcConnection(): Connection {
  return {
    links: [ipcLink<AppRouter>()],
    // IPC to the main process cannot drop while the window exists.
    watch(listener) {
      listener('connected');
      return () => {};
    },
  };
}

function webConnection(): Connection {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const wsClient = createWSClient({
    url: `${scheme}://${location.host}/api/ws`,
    retryDelayMs: (attempt) => Math.min(500 * 2 ** attempt, 10_000),
    keepAlive: { enabled: true, intervalMs: 5_000, pongTimeoutMs: 2_000 },
  });
  return {
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: wsLink<AppRouter>({ client: wsClient }),
        false: httpBatchLink({ url: '/api' }),
      }),
    ],
    watch(listener) {
      let everConnected = false;
      const subscription = wsClient.connectionState.subscribe({
        next(state) {
          if (state.state === 'pending') {
            everConnected = true;
            listener('connected');
          } else {
            listener(everConnected ? 'reconnecting' : 'connecting');
          }
        },
      });
      return () => subscription.unsubscribe();
    },
  };
}

const connection = 'electronTRPC' in globalThis ? ipcConnection() : webConnection();

export const api = createTRPCClient<AppRouter>({ links: connection.links });

/** Calls `listener` with the current connection status and on every change; returns the unsubscribe. */
export function watchConnection(listener: ConnectionListener): () => void {
  return connection.watch(listener);
}

export function isApiError(error: unknown): error is TRPCClientError<AppRouter> {
  return error instanceof TRPCClientError;
}

/**
 * A message fit to show a person. The server already words validation failures as
 * "Invalid request: field: problem"; an error without a server shape never reached the engine.
 */
export function errorMessage(error: unknown): string {
  if (isApiError(error)) {
    if (!error.data) return `Cannot reach the Whittle engine (${error.message || 'connection failed'}).`;
    return error.message || error.data.code;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
