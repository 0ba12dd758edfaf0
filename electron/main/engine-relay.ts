import WebSocket from 'ws';
import { z } from 'zod';

/**
 * Relays the window's tRPC calls (trpc-electron's IPC messages, from the preload bridge) to the engine
 * host's app API over one WebSocket per window, as a browser under `whittle serve` would. The session
 * token stays in the main process: the page never sees it. Both sides speak tRPC's JSON-RPC messages,
 * so a request only changes envelope and a response passes through as it came.
 */

/** trpc-electron's renderer → main messages; extra fields (context, signal) are dropped. */
const IpcRequest = z.discriminatedUnion('method', [
  z.object({
    method: z.literal('request'),
    operation: z.object({
      id: z.number().int().nonnegative(),
      type: z.enum(['query', 'mutation', 'subscription']),
      path: z.string().min(1).max(256),
      input: z.unknown(),
    }),
  }),
  z.object({ method: z.literal('subscription.stop'), id: z.number().int().nonnegative() }),
]);

/** The engine's WebSocket server closes a connection that sends a larger frame (http-server.ts). */
export const MAX_FRAME_BYTES = 1 << 20;
/** Calls a window makes while the engine is starting, held until it is up. */
const MAX_WAITING = 500;

export interface RelayTarget {
  url: string;
  token: string;
}

/** Where a window's responses go (its main frame, over trpc-electron's channel). */
export interface RendererEndpoint {
  readonly key: number;
  send(message: unknown): void;
}

type IpcRequest = z.infer<typeof IpcRequest>;

interface Link {
  from: RendererEndpoint;
  ws: WebSocket;
  /** Calls sent and not yet answered (subscriptions: not yet stopped), by id. */
  pending: Map<number, IpcRequest & { method: 'request' }>;
  /** Frames waiting for the socket to open. */
  queue: string[];
  /** What the window's pending calls fail with when the socket closes: the first cause known. */
  why: string | null;
}

/** A tRPC error the renderer's ipcLink turns into a TRPCClientError. Without `data`, it reads as "the engine was not reached". */
function errorResponse(id: number, message: string, code?: { key: string; json: number; http: number }): unknown {
  return { id, error: { code: code?.json ?? -32603, message, ...(code ? { data: { code: code.key, httpStatus: code.http } } : {}) } };
}

const BAD_REQUEST = { key: 'BAD_REQUEST', json: -32600, http: 400 };
const TOO_LARGE = { key: 'PAYLOAD_TOO_LARGE', json: -32413, http: 413 };

export class EngineRelay {
  #state: { kind: 'starting' } | { kind: 'up'; target: RelayTarget } | { kind: 'down'; reason: string } = { kind: 'starting' };
  readonly #links = new Map<number, Link>();
  #waiting: { from: RendererEndpoint; message: IpcRequest }[] = [];

  /** The engine is up at `target`: calls held while it started go through now. */
  connect(target: RelayTarget): void {
    this.#closeLinks('The Whittle engine restarted');
    this.#state = { kind: 'up', target };
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting) this.#handle(w.from, w.message);
  }

  /** The engine is gone: calls in flight fail with `reason`, and so do new ones until `connect` or `starting`. */
  disconnect(reason: string): void {
    this.#state = { kind: 'down', reason };
    this.#closeLinks(reason);
    this.#failWaiting(reason);
  }

  /** A new engine is on its way: hold calls until `connect`. */
  starting(): void {
    if (this.#state.kind !== 'up') this.#state = { kind: 'starting' };
  }

  /** One IPC message from a window (already checked to come from our own page). */
  handle(from: RendererEndpoint, raw: unknown): void {
    const parsed = IpcRequest.safeParse(raw);
    if (parsed.success) this.#handle(from, parsed.data);
    else {
      const id = (raw as { operation?: { id?: unknown } } | null)?.operation?.id;
      if (typeof id === 'number') from.send(errorResponse(id, `Invalid IPC message: ${parsed.error.message}`, BAD_REQUEST));
    }
  }

  #handle(from: RendererEndpoint, message: IpcRequest): void {
    const state = this.#state;
    if (state.kind === 'starting') {
      if (this.#waiting.length < MAX_WAITING) this.#waiting.push({ from, message });
      else if (message.method === 'request') from.send(errorResponse(message.operation.id, 'The Whittle engine is still starting'));
      return;
    }
    if (state.kind === 'down') {
      if (message.method === 'request') from.send(errorResponse(message.operation.id, state.reason));
      return;
    }
    if (message.method === 'subscription.stop') {
      const link = this.#links.get(from.key);
      if (!link?.pending.delete(message.id)) return;
      this.#send(link, JSON.stringify({ id: message.id, method: 'subscription.stop' }));
      return;
    }
    const { id, type, path, input } = message.operation;
    let frame: string;
    try {
      frame = JSON.stringify({ id, method: type, params: { path, input } });
    } catch (err) {
      from.send(errorResponse(id, `The request cannot be sent: ${err instanceof Error ? err.message : String(err)}`, BAD_REQUEST));
      return;
    }
    if (Buffer.byteLength(frame) > MAX_FRAME_BYTES) {
      from.send(errorResponse(id, `The request is larger than ${MAX_FRAME_BYTES} bytes`, TOO_LARGE));
      return;
    }
    const link = this.#link(from, state.target);
    if (link.pending.has(id)) {
      from.send(errorResponse(id, `Duplicate request id ${id}`, BAD_REQUEST));
      return;
    }
    link.pending.set(id, message);
    this.#send(link, frame);
  }

  /** The window navigated, reloaded or closed: its calls end (the engine stops its subscriptions with the connection). */
  forget(key: number): void {
    const link = this.#links.get(key);
    this.#links.delete(key);
    if (link) {
      link.pending.clear();
      link.ws.terminate();
    }
    this.#waiting = this.#waiting.filter((w) => w.from.key !== key);
  }

  close(): void {
    this.disconnect('The app is closing');
  }

  #send(link: Link, frame: string): void {
    if (link.ws.readyState === WebSocket.OPEN) link.ws.send(frame);
    else link.queue.push(frame);
  }

  #link(from: RendererEndpoint, target: RelayTarget): Link {
    const existing = this.#links.get(from.key);
    if (existing) return existing;
    const ws = new WebSocket(`${target.url.replace(/^http/, 'ws')}/api/ws`, {
      headers: { authorization: `Bearer ${target.token}` },
      maxPayload: 64 << 20,
      perMessageDeflate: false,
    });
    const link: Link = { from, ws, pending: new Map(), queue: [], why: null };
    this.#links.set(from.key, link);
    ws.on('open', () => {
      for (const frame of link.queue.splice(0)) ws.send(frame);
    });
    ws.on('message', (data) =>
      this.#deliver(link, (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8')),
    );
    ws.on('unexpected-response', (_req, res) => {
      link.why ??= `The Whittle engine refused the connection (HTTP ${res.statusCode})`;
      ws.terminate();
    });
    ws.on('error', (err) => (link.why ??= `The connection to the Whittle engine failed: ${err.message}`));
    ws.on('close', () => {
      if (this.#links.get(from.key) === link) this.#links.delete(from.key);
      for (const id of link.pending.keys()) from.send(errorResponse(id, link.why ?? 'The connection to the Whittle engine closed'));
      link.pending.clear();
    });
    return link;
  }

  #deliver(link: Link, text: string): void {
    let message: { id?: unknown; result?: { type?: unknown }; error?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    // Notifications (id null: "reconnect") and answers to calls already dropped are not the window's business.
    if (typeof message.id !== 'number') return;
    const call = link.pending.get(message.id);
    if (!call) return;
    const last = message.error !== undefined || call.operation.type !== 'subscription' || message.result?.type === 'stopped';
    if (last) link.pending.delete(message.id);
    link.from.send(message);
  }

  #closeLinks(reason: string): void {
    for (const link of this.#links.values()) {
      link.why = reason;
      link.ws.terminate();
    }
    this.#links.clear();
  }

  #failWaiting(reason: string): void {
    for (const w of this.#waiting.splice(0)) {
      if (w.message.method === 'request') w.from.send(errorResponse(w.message.operation.id, reason));
    }
  }
}
