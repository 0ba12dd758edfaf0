import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import {
  checkApiAccess,
  cookieValue,
  newSessionToken,
  normalizeOrigin,
  readServeToken,
  removeServeToken,
  serveCsp,
  serveTokenPath,
  tokenCookie,
  tokenMatches,
  writeServeToken,
  type AccessPolicy,
} from '../../electron/engine/server/session-auth';
import { CSP as ELECTRON_CSP, isAllowedExternalUrl, isAllowedPermission } from '../../electron/main/policy';
import { repoRoot, tempHome } from '../helpers/paths';

const token = newSessionToken();
const policy: AccessPolicy = { token, cookieName: 'whittle-token-8741', allowedOrigins: ['http://localhost:5173'] };
const host = '127.0.0.1:8741';

describe('the app API session rule (session-auth.ts)', () => {
  test('tokens are long and random; comparison needs the exact token', () => {
    assert.ok(token.length >= 43);
    assert.notEqual(newSessionToken(), token);
    assert.equal(tokenMatches(token, token), true);
    assert.equal(tokenMatches(`${token}x`, token), false);
    assert.equal(tokenMatches(token.slice(0, -1), token), false);
    assert.equal(tokenMatches('', token), false);
    assert.equal(tokenMatches(undefined, token), false);
  });

  test('the cookie is HttpOnly, SameSite=Strict and only sent to /api; it is read back by name', () => {
    const c = tokenCookie('whittle-token-8741', token);
    assert.match(c, /; HttpOnly/);
    assert.match(c, /; SameSite=Strict/);
    assert.match(c, /; Path=\/api(;|$)/);
    assert.equal(cookieValue(`a=1; whittle-token-8741=${token}; b=2`, 'whittle-token-8741'), token);
    assert.equal(cookieValue(`whittle-token-8742=${token}`, 'whittle-token-8741'), undefined, 'another port’s cookie is not ours');
    assert.equal(cookieValue(undefined, 'x'), undefined);
  });

  test('a tool with the token and no Origin is let in (header, Bearer or cookie)', () => {
    assert.deepEqual(checkApiAccess({ host, 'x-whittle-token': token }, policy), { ok: true });
    assert.deepEqual(checkApiAccess({ host, authorization: `Bearer ${token}` }, policy), { ok: true });
    assert.deepEqual(checkApiAccess({ host, cookie: `whittle-token-8741=${token}` }, policy), { ok: true });
  });

  test('no token, or a wrong one, is a 401', () => {
    assert.equal(checkApiAccess({ host }, policy).ok, false);
    const wrong = checkApiAccess({ host, authorization: 'Bearer nope' }, policy);
    assert.equal(!wrong.ok && wrong.status, 401);
    const sameOriginNoToken = checkApiAccess({ host, origin: 'http://127.0.0.1:8741' }, policy);
    assert.equal(!sameOriginNoToken.ok && sameOriginNoToken.status, 401);
  });

  test('a foreign Origin is a 403 even with the token; the own origin and allowed origins pass', () => {
    const cookie = `whittle-token-8741=${token}`;
    for (const origin of [
      'https://evil.example',
      'http://127.0.0.1:3000',
      'http://localhost:8741',
      'null',
      'http://127.0.0.1:8741/x',
      'https://127.0.0.1:8741',
    ]) {
      const r = checkApiAccess({ host, origin, cookie }, policy);
      assert.equal(!r.ok && r.status, 403, origin);
    }
    assert.deepEqual(checkApiAccess({ host, origin: 'http://127.0.0.1:8741', cookie }, policy), { ok: true });
    assert.deepEqual(checkApiAccess({ host: 'localhost:8741', origin: 'http://localhost:8741', cookie }, policy), { ok: true });
    assert.deepEqual(checkApiAccess({ host, origin: 'http://localhost:5173', authorization: `Bearer ${token}` }, policy), { ok: true });
  });

  test('without Origin, a browser request from another site is a 403 (cookies do not tell ports apart)', () => {
    const cookie = `whittle-token-8741=${token}`;
    for (const site of ['cross-site', 'same-site']) {
      const r = checkApiAccess({ host, cookie, 'sec-fetch-site': site }, policy);
      assert.equal(!r.ok && r.status, 403, site);
    }
    assert.deepEqual(checkApiAccess({ host, cookie, 'sec-fetch-site': 'same-origin' }, policy), { ok: true });
    assert.deepEqual(checkApiAccess({ host, cookie, 'sec-fetch-site': 'none' }, policy), { ok: true });
  });

  test('allowed origins are normalised and must be origins', () => {
    assert.equal(normalizeOrigin('http://LOCALHOST:5173/'), 'http://localhost:5173');
    assert.equal(normalizeOrigin('https://app.example:443'), 'https://app.example');
    assert.throws(() => normalizeOrigin('http://localhost:5173/path'));
    assert.throws(() => normalizeOrigin('file:///tmp'));
    assert.throws(() => normalizeOrigin('*'));
  });

  test('the served CSP connects only to its own origin, never to any ws: host', () => {
    const csp = serveCsp('127.0.0.1:8741');
    const connect = csp.split('; ').find((d) => d.startsWith('connect-src'));
    assert.equal(connect, "connect-src 'self' ws://127.0.0.1:8741");
    assert.doesNotMatch(csp, /(^|\s)wss?:(\s|;|$)/, 'no scheme-wide ws: or wss:');
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(serveCsp('[::1]:8741').includes("connect-src 'self' ws://[::1]:8741"), true);
    // A Host that is no host (possible when bound to 0.0.0.0) is not echoed into the header.
    assert.equal(serveCsp("evil; script-src 'unsafe-inline'").includes('unsafe-inline'), false);
    assert.equal(serveCsp(undefined).includes("connect-src 'self';"), true);
  });

  test('the renderer’s own meta CSP has no scheme-wide ws:/wss: either', () => {
    const html = readFileSync(join(repoRoot, 'renderer', 'index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.match(meta, /connect-src 'self'(;|$)/);
    assert.doesNotMatch(meta, /\bwss?:/);
  });

  test('serve leaves its token for local tools in a 0600 file, and removes only its own', () => {
    const home = tempHome('token-file');
    try {
      writeServeToken(home, token);
      assert.equal(readServeToken(home), token);
      if (process.platform !== 'win32') assert.equal(statSync(serveTokenPath(home)).mode & 0o777, 0o600);
      removeServeToken(home, 'another-serve');
      assert.equal(readServeToken(home), token, 'another run’s token is left alone');
      removeServeToken(home, token);
      assert.equal(readServeToken(home), null);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('the Electron shell policy (electron/main/policy.ts)', () => {
  test('links open outside only as https to allow-listed hosts', () => {
    assert.equal(isAllowedExternalUrl('https://huggingface.co/acme/tiny'), true);
    assert.equal(isAllowedExternalUrl('https://cdn-lfs.huggingface.co/x'), true);
    assert.equal(isAllowedExternalUrl('https://github.com/ggml-org/llama.cpp'), true);
    assert.equal(isAllowedExternalUrl('http://huggingface.co/acme/tiny'), false, 'not plain http');
    assert.equal(isAllowedExternalUrl('https://huggingface.co.evil.example/'), false);
    assert.equal(isAllowedExternalUrl('https://evilhuggingface.co/'), false);
    assert.equal(isAllowedExternalUrl('https://user:pw@huggingface.co/'), false);
    assert.equal(isAllowedExternalUrl('https://huggingface.co:8443/'), false);
    assert.equal(isAllowedExternalUrl('file:///etc/passwd'), false);
    assert.equal(isAllowedExternalUrl('javascript:alert(1)'), false);
    assert.equal(isAllowedExternalUrl('smb://share/x'), false);
    assert.equal(isAllowedExternalUrl('not a url'), false);
  });

  test('permissions: only clipboard writes, and only for our own page', () => {
    assert.equal(isAllowedPermission('clipboard-sanitized-write', true), true);
    assert.equal(isAllowedPermission('clipboard-sanitized-write', false), false);
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'hid', 'serial', 'usb', 'fullscreen']) {
      assert.equal(isAllowedPermission(p, true), false, p);
    }
  });

  test('the window CSP allows no network beyond its own origin', () => {
    assert.match(ELECTRON_CSP, /connect-src 'self'(;|$)/);
    assert.doesNotMatch(ELECTRON_CSP, /\bwss?:/);
  });

  test('fuses: RunAsNode stays only because workers fork with ELECTRON_RUN_AS_NODE; the rest are locked', () => {
    const builder = parseYaml(readFileSync(join(repoRoot, 'electron-builder.yml'), 'utf8')) as { electronFuses?: Record<string, boolean> };
    const fuses = builder.electronFuses;
    assert.ok(fuses, 'electron-builder.yml sets electronFuses');
    assert.equal(fuses.enableNodeOptionsEnvironmentVariable, false);
    assert.equal(fuses.enableNodeCliInspectArguments, false);
    assert.equal(fuses.onlyLoadAppFromAsar, true);
    assert.equal(fuses.enableEmbeddedAsarIntegrityValidation, true);
    assert.equal(fuses.enableCookieEncryption, true);
    // Every worker and model host is forked by the process supervisor.
    const forksAsNode = /ELECTRON_RUN_AS_NODE/.test(readFileSync(join(repoRoot, 'electron', 'engine', 'process', 'supervisor.ts'), 'utf8'));
    assert.equal(fuses.runAsNode, forksAsNode, 'RunAsNode is on exactly when the process supervisor still forks Electron as Node');
  });
});
