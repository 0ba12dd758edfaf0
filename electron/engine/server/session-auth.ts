import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The app API (`/api`, HTTP and WebSocket) of `whittle serve` is the whole engine: it can start jobs,
 * read and delete files of the library, and change settings. A browser must not let any page reach it,
 * so every /api request and WebSocket upgrade needs both:
 *
 * - a per-run session token (like Jupyter's): the page gets it in an HttpOnly, SameSite=Strict cookie
 *   when it loads the app (or opens the printed `/?token=` link), local tools read it from a 0600 file
 *   in the data dir and send it as `Authorization: Bearer …` or `X-Whittle-Token`;
 * - an acceptable origin: a present `Origin` must be the server's own (the Host it was reached by, which
 *   host-check.ts already restricts on loopback) or one the user allowed; without `Origin`, a browser's
 *   `Sec-Fetch-Site` must say the request is same-origin or typed by the user. Cookies ignore ports,
 *   so this is what stops a page on another local port from using the cookie.
 */

export const TOKEN_HEADER = 'x-whittle-token';

/** 256 random bits, URL-safe. */
export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The cookie carries the port: browsers share cookies between ports of a host, and two serves must not clobber each other. */
export function tokenCookieName(port: number): string {
  return `whittle-token-${port}`;
}

/** Path=/api: the cookie goes to the app API (HTTP and /api/ws) and nowhere else, never to script. */
export function tokenCookie(name: string, token: string): string {
  return `${name}=${token}; Path=/api; HttpOnly; SameSite=Strict`;
}

/** Constant-time comparison (hashing first makes the lengths equal). */
export function tokenMatches(presented: string | undefined, token: string): boolean {
  if (!presented) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** One cookie's value from a Cookie header (RFC 6265 `name=value; name2=value2`). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    return value;
  }
  return undefined;
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The token a request presents: the X-Whittle-Token header, `Authorization: Bearer`, or the cookie. */
export function presentedToken(headers: IncomingHttpHeaders, cookieName: string): string | undefined {
  const header = single(headers[TOKEN_HEADER]);
  if (header) return header.trim();
  const auth = headers.authorization;
  if (auth && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  return cookieValue(headers.cookie, cookieName);
}

/** Whether `origin` is the origin of a page served by us under the Host header `host`. */
export function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' && u.origin === origin && u.host === new URL(`http://${host}`).host;
  } catch {
    return false;
  }
}

/** Normalises a user-given origin (`http://localhost:5173/` → `http://localhost:5173`); throws when it is not one. */
export function normalizeOrigin(origin: string): string {
  const u = new URL(origin);
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.pathname !== '/' || u.search || u.hash || u.username) {
    throw new Error(`not an origin (scheme://host[:port]): ${origin}`);
  }
  return u.origin;
}

export interface AccessPolicy {
  token: string;
  cookieName: string;
  /** Origins besides the server's own whose pages may call the app API (they still need the token). */
  allowedOrigins: readonly string[];
}

export type AccessDecision = { ok: true } | { ok: false; status: 401 | 403; message: string };

/** The rule for every /api request and /api/ws upgrade (see the top of this file). */
export function checkApiAccess(headers: IncomingHttpHeaders, policy: AccessPolicy): AccessDecision {
  const origin = single(headers.origin);
  if (origin !== undefined) {
    if (!isSameOrigin(origin, headers.host) && !policy.allowedOrigins.includes(origin)) {
      return { ok: false, status: 403, message: `Origin ${origin} may not use the Whittle app API` };
    }
  } else {
    const site = single(headers['sec-fetch-site']);
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      return { ok: false, status: 403, message: `A ${site} request may not use the Whittle app API` };
    }
  }
  if (!tokenMatches(presentedToken(headers, policy.cookieName), policy.token)) {
    return {
      ok: false,
      status: 401,
      message:
        'The Whittle app API needs the session token of this `whittle serve`: open the app from its own address, or send the token (Authorization: Bearer …)',
    };
  }
  return { ok: true };
}

/** The serve page's CSP: fetches and WebSockets only to the origin the page came from. */
export function serveCsp(hostHeader: string | undefined): string {
  // The Host was checked on loopback; elsewhere it is only echoed when it looks like a host, so nothing can be injected.
  const host = hostHeader && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(hostHeader) ? hostHeader.toLowerCase() : null;
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    host ? `connect-src 'self' ws://${host}` : "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Where `whittle serve` leaves its token for local tools of the same user (`whittle models load`):
 * `<data dir>/serve.token`, mode 0600.
 */
export function serveTokenPath(dataDir: string): string {
  return join(dataDir, 'serve.token');
}

export function writeServeToken(dataDir: string, token: string): void {
  const file = serveTokenPath(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600); // in case a stale temp file kept wider permissions
  renameSync(tmp, file);
}

export function readServeToken(dataDir: string): string | null {
  try {
    return readFileSync(serveTokenPath(dataDir), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Removes the token file if it is still ours (another serve of the same data dir may have replaced it). */
export function removeServeToken(dataDir: string, token: string): void {
  if (readServeToken(dataDir) === token) rmSync(serveTokenPath(dataDir), { force: true });
}
