/**
 * How the engine reaches the Hub: directly (Node's own sockets, the downloader's fast path), or, when the
 * environment names a proxy, through undici's EnvHttpProxyAgent, which honours NO_PROXY. Decided once per
 * process from the environment.
 *
 * NODE_EXTRA_CA_CERTS (a PEM file: a company's TLS-inspecting proxy or mirror CA) is read here too: Node
 * honours it only at start-up, not at all in the packaged app (its nodeOptions fuse is off), and never for
 * an agent given its own `ca`. Its certificates are added to Node's roots for every Hub connection.
 *
 * undici is loaded only when a proxy or a CA is configured: it costs about 100 ms of start-up otherwise.
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import type { Dispatcher } from 'undici';

export interface ProxySettings {
  /** For http: URLs (http_proxy, HTTP_PROXY, else ALL_PROXY). */
  http: string | null;
  /** For https: URLs (https_proxy, HTTPS_PROXY, else ALL_PROXY, else the http one, as undici does). */
  https: string | null;
  /** no_proxy / NO_PROXY: hosts (`example.com`, `.example.com`, `host:port`, `*`) reached directly. */
  noProxy: string;
}

export interface HubNet {
  /** The proxy settings, or null when no proxy is configured (the direct fast path). */
  proxy: ProxySettings | null;
  /** NODE_EXTRA_CA_CERTS, read: its path and PEM text. */
  extraCa: { path: string; pem: string } | null;
  /** The undici dispatcher every Hub request goes through: the proxy agent, or (direct, with an extra CA) a plain one; null: Node's defaults. */
  dispatcher: Dispatcher | null;
  /** For node:tls / node:https on the direct path: Node's roots plus the extra CA; undefined: Node's defaults. */
  secureContext: tls.SecureContext | undefined;
  /** A fetch bound to `dispatcher`, for @huggingface/hub; undefined keeps the global fetch. */
  fetch: typeof fetch | undefined;
}

const first = (env: NodeJS.ProcessEnv, ...names: string[]): string | null => {
  for (const n of names) {
    const v = env[n]?.trim();
    if (v) return v;
  }
  return null;
};

/** The proxy the environment names, or null when none is (NO_PROXY alone configures nothing). */
export function proxyFromEnv(env: NodeJS.ProcessEnv = process.env): ProxySettings | null {
  const all = first(env, 'all_proxy', 'ALL_PROXY');
  const http = first(env, 'http_proxy', 'HTTP_PROXY') ?? all;
  const https = first(env, 'https_proxy', 'HTTPS_PROXY') ?? all ?? http;
  if (!http && !https) return null;
  for (const p of [http, https]) {
    if (!p) continue;
    let u: URL;
    try {
      u = new URL(p);
    } catch {
      throw new Error(`the proxy ${JSON.stringify(redact(p))} (from HTTP_PROXY/HTTPS_PROXY/ALL_PROXY) is not a URL: write it as http://host:port`);
    }
    if (!['http:', 'https:', 'socks:', 'socks5:'].includes(u.protocol)) {
      throw new Error(
        `the proxy ${redact(p)} (from HTTP_PROXY/HTTPS_PROXY/ALL_PROXY) uses ${u.protocol}: only http://, https:// and socks5:// proxies are supported`,
      );
    }
  }
  return { http, https, noProxy: first(env, 'no_proxy', 'NO_PROXY') ?? '' };
}

/** A proxy URL without its password, for messages. */
export function redact(proxyUrl: string): string {
  try {
    const u = new URL(proxyUrl);
    if (u.password) u.password = '***';
    return u.href.replace(/\/$/, '');
  } catch {
    return proxyUrl.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** NODE_EXTRA_CA_CERTS read and checked; throws naming the file when it cannot be used. */
export function extraCaFromEnv(env: NodeJS.ProcessEnv = process.env): { path: string; pem: string } | null {
  const path = env.NODE_EXTRA_CA_CERTS?.trim();
  if (!path) return null;
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`NODE_EXTRA_CA_CERTS=${path}: cannot read the CA certificate file (${e.code ?? e.message}); point it at a readable PEM file or unset it`, {
      cause: err,
    });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error(`NODE_EXTRA_CA_CERTS=${path}: the file holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  try {
    tls.createSecureContext({ ca: pem });
  } catch (err) {
    throw new Error(`NODE_EXTRA_CA_CERTS=${path}: not a valid PEM certificate file (${(err as Error).message})`, { cause: err });
  }
  return { path, pem };
}

/** Node's trusted roots (with what it loaded at start-up where it can say) plus `pem`. */
function caList(pem: string): string[] {
  const get = (tls as { getCACertificates?: (type: 'default') => string[] }).getCACertificates;
  const base = typeof get === 'function' ? get('default') : tls.rootCertificates;
  return [...base, pem];
}

/** The network settings for an environment; `hubNet()` keeps one per process. */
export async function createHubNet(env: NodeJS.ProcessEnv = process.env): Promise<HubNet> {
  const proxy = proxyFromEnv(env);
  const extraCa = extraCaFromEnv(env);
  const ca = extraCa ? caList(extraCa.pem) : undefined;
  const tlsOpts = ca ? { ca } : undefined;
  let dispatcher: Dispatcher | null = null;
  const { Agent, EnvHttpProxyAgent, fetch: undiciFetch } = proxy || tlsOpts ? await import('undici') : ({} as typeof import('undici'));
  if (proxy) {
    dispatcher = new EnvHttpProxyAgent({
      httpProxy: proxy.http ?? undefined,
      httpsProxy: proxy.https ?? undefined,
      noProxy: proxy.noProxy,
      ...(tlsOpts ? { connect: tlsOpts, requestTls: tlsOpts, proxyTls: tlsOpts } : {}),
    });
  } else if (tlsOpts) {
    dispatcher = new Agent({ connect: tlsOpts });
  }
  const d = dispatcher;
  return {
    proxy,
    extraCa,
    dispatcher,
    secureContext: ca ? tls.createSecureContext({ ca }) : undefined,
    fetch: d
      ? (((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
          undiciFetch(input, { ...init, dispatcher: d })) as unknown as typeof fetch)
      : undefined,
  };
}

let current: Promise<HubNet> | null = null;

/** The process's network settings, decided from the environment on first use. Rejects (naming the file) when NODE_EXTRA_CA_CERTS cannot be read. */
export function hubNet(): Promise<HubNet> {
  // A failure (an unreadable CA file) is not kept: the next call reads the environment again.
  current ??= createHubNet(process.env).catch((err: unknown) => {
    current = null;
    throw err;
  });
  return current;
}

/** Forgets the settings (tests change the environment): the next `hubNet()` reads it again. */
export async function resetHubNet(): Promise<void> {
  const old = current;
  current = null;
  const net = await old?.catch(() => null);
  await net?.dispatcher?.destroy().catch(() => undefined);
}

const CERT_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** For a TLS certificate error anywhere in `err`'s cause chain: a sentence that says what to do; otherwise null. */
export function describeCertError(err: unknown): string | null {
  for (let e = err as (Error & { code?: string }) | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && CERT_CODES.has(e.code)) {
      const fix =
        e.code === 'ERR_TLS_CERT_ALTNAME_INVALID' || e.code === 'CERT_HAS_EXPIRED' || e.code === 'CERT_NOT_YET_VALID'
          ? ''
          : process.env.NODE_EXTRA_CA_CERTS?.trim()
            ? ` (NODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS.trim()} does not hold the CA that signed it)`
            : ': behind a company proxy or mirror with its own CA, set NODE_EXTRA_CA_CERTS to that CA’s PEM file';
      return `TLS certificate not trusted: ${e.message} (${e.code})${fix}`;
    }
  }
  return null;
}
