/** HTTP plumbing of the downloader: node:http(s) requests, redirect resolution, and error classification. */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type tls from 'node:tls';
import { DownloadError, httpError, urlPath } from './errors';

export interface Agents {
  http: http.Agent;
  https: https.Agent;
  destroy: () => void;
}

/** `secureContext`: the trusted CAs for https (Node's defaults when absent). */
export function createAgents(maxSockets: number, secureContext?: tls.SecureContext): Agents {
  const opts = { keepAlive: true, maxSockets, scheduling: 'lifo' as const };
  const a = { http: new http.Agent(opts), https: new https.Agent(secureContext ? { ...opts, secureContext } : opts) };
  return {
    ...a,
    destroy() {
      a.http.destroy();
      a.https.destroy();
    },
  };
}

export class StallError extends Error {
  override name = 'StallError';
  readonly code = 'ETIMEDOUT';
}

export interface RequestOptions {
  method: 'GET' | 'HEAD';
  headers: Record<string, string>;
  agents: Agents;
  signal: AbortSignal;
  /** Destroys the request when no byte arrives for this long. */
  stallMs: number;
}

/** Sends a request; resolves with the response head (the body is not consumed). Redirects are not followed. */
export function request(url: string, o: RequestOptions): Promise<{ req: http.ClientRequest; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    if (u.protocol !== 'https:' && u.protocol !== 'http:') {
      reject(new DownloadError(`${urlPath(url)}: unsupported protocol ${u.protocol}`, url));
      return;
    }
    if (o.signal.aborted) {
      reject(abortReason(o.signal));
      return;
    }
    const req = mod.request(u, {
      method: o.method,
      headers: { 'user-agent': 'whittle', ...o.headers },
      agent: u.protocol === 'https:' ? o.agents.https : o.agents.http,
      signal: o.signal,
    });
    req.setTimeout(o.stallMs, () => req.destroy(new StallError(`no data for ${Math.round(o.stallMs / 1000)} s`)));
    req.once('response', (res) => resolve({ req, res }));
    req.once('error', (err) => reject(o.signal.aborted ? abortReason(o.signal) : err));
    req.end();
  });
}

export function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new DOMException('This operation was aborted', 'AbortError');
}

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** Network errors (resets, timeouts, stalls, truncated bodies) are worth another attempt. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof DownloadError) return err.retryable;
  if (err instanceof StallError || err instanceof TruncatedError || err instanceof ProtocolError) return true;
  const e = err as NodeJS.ErrnoException | null;
  return !!e && (RETRYABLE_CODES.has(e.code ?? '') || /socket hang up|aborted/i.test(e.message ?? ''));
}

export class TruncatedError extends Error {
  override name = 'TruncatedError';
}

/** The server broke HTTP/1.1 framing (a proxy or a broken connection, most likely): worth another attempt. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export function parseRetryAfter(v: string): number | undefined {
  if (!v.trim()) return undefined;
  const n = Number(v);
  if (Number.isFinite(n)) return Math.max(0, n);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}

/** The DownloadError for an error response, from its headers and (small) body: the Hub sends `{"error": "..."}`. */
export function errorFromParts(url: string, status: number, get: (name: string) => string | undefined, body: string, sentToken: boolean): DownloadError {
  let hubMessage = get('x-error-message');
  if (!hubMessage && /json/.test(get('content-type') ?? '')) {
    try {
      const j = JSON.parse(body) as { error?: unknown };
      if (typeof j.error === 'string') hubMessage = j.error;
    } catch {
      // not JSON after all
    }
  }
  const after = get('retry-after');
  return httpError(url, status, {
    code: get('x-error-code'),
    hubMessage,
    sentToken,
    retryAfterSeconds: after === undefined ? undefined : parseRetryAfter(after),
  });
}

export function header(res: IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export const unquote = (etag: string | undefined): string | null => (etag ? etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1') : null);

export interface ResolvedRemote {
  /** Where the bytes are fetched from (the CDN for LFS files). */
  dataUrl: string;
  /** Whether `dataUrl` is on the origin the caller's headers belong to. */
  sameOrigin: boolean;
  size: number | null;
  etag: string | null;
  /** The LFS sha256 (from X-Linked-Etag), when the file is in LFS. */
  linkedSha256: string | null;
  commit: string | null;
  acceptRanges: boolean | null;
}

/** A HEAD request sent some other way than node:http (through the proxy dispatcher). */
export type HeadSender = (
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  stallMs: number,
) => Promise<{ status: number; get: (name: string) => string | undefined }>;

async function nodeHead(url: string, o: RequestOptions): Promise<{ status: number; get: (name: string) => string | undefined }> {
  const { res } = await request(url, o);
  res.resume();
  return { status: res.statusCode ?? 0, get: (name) => header(res, name) };
}

/**
 * Follows the redirects of a resolve URL with HEAD requests, sending the caller's headers only on its
 * origin. A redirect to another origin (the CDN) is not requested: its URL is signed and needs no headers.
 */
export async function resolveRemote(
  url: string,
  headers: Record<string, string>,
  o: Omit<RequestOptions, 'method' | 'headers'> & { head?: HeadSender },
): Promise<ResolvedRemote> {
  const origin = new URL(url).origin;
  const sentToken = Object.keys(headers).some((k) => k.toLowerCase() === 'authorization');
  let current = url;
  let linkedSize: number | null = null;
  let linkedEtag: string | null = null;
  let commit: string | null = null;
  for (let hop = 0; hop < 10; hop++) {
    const { status, get } = o.head ? await o.head(current, headers, o.signal, o.stallMs) : await nodeHead(current, { ...o, method: 'HEAD', headers });
    commit ??= get('x-repo-commit') ?? null;
    const ls = get('x-linked-size');
    if (ls !== undefined && linkedSize === null && /^\d+$/.test(ls)) linkedSize = Number(ls);
    linkedEtag ??= unquote(get('x-linked-etag'));
    if (status >= 300 && status < 400) {
      const location = get('location');
      if (!location) throw new DownloadError(`${urlPath(url)}: HTTP ${status} without a Location header`, url, status);
      const next = new URL(location, current).href;
      if (new URL(next).origin !== origin) {
        return { dataUrl: next, sameOrigin: false, size: linkedSize, etag: linkedEtag, linkedSha256: sha256Of(linkedEtag), commit, acceptRanges: null };
      }
      current = next;
      continue;
    }
    if (status >= 200 && status < 300) {
      const length = get('content-length');
      const size = linkedSize ?? (length !== undefined && /^\d+$/.test(length) ? Number(length) : null);
      const etag = linkedEtag ?? unquote(get('etag'));
      return {
        dataUrl: current,
        sameOrigin: true,
        size,
        etag,
        linkedSha256: sha256Of(linkedEtag),
        commit,
        acceptRanges: /bytes/i.test(get('accept-ranges') ?? ''),
      };
    }
    // A HEAD response has no body: the Hub puts its message in X-Error-Message.
    throw httpError(url, status, {
      code: get('x-error-code'),
      hubMessage: get('x-error-message'),
      sentToken,
      retryAfterSeconds: parseRetryAfter(get('retry-after') ?? ''),
    });
  }
  throw new DownloadError(`${urlPath(url)}: too many redirects`, url);
}

const sha256Of = (etag: string | null): string | null => (etag && /^[0-9a-f]{64}$/i.test(etag) ? etag.toLowerCase() : null);
