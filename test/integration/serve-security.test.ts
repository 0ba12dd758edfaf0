import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { serveApp, type ServedApp } from '../helpers/server';

/** Opens a WebSocket to /api/ws with these headers; resolves with the HTTP status it was refused with, or 101. */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<{ status: number; ws: WebSocket | null }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/ws`, { headers });
    ws.once('open', () => resolve({ status: 101, ws }));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, ws: null });
    });
    ws.once('error', reject);
  });
}

/** One tRPC query over an open WebSocket (tRPC's wire format: `{ id, method, params: { path, input } }`). */
function wsQuery(ws: WebSocket, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    ws.on('message', (raw: Buffer) => {
      const msg = JSON.parse(raw.toString()) as { id?: number; result?: { data: unknown }; error?: unknown };
      if (msg.id !== 1) return;
      if (msg.error) reject(new Error(JSON.stringify(msg.error)));
      else resolve(msg.result?.data);
    });
    ws.send(JSON.stringify({ id: 1, method: 'query', params: { path } }));
  });
}

describe('whittle serve: the app API needs the session token and its own origin', () => {
  let app: ServedApp;
  let own: string;
  let cookie: string;
  let setCookie: string;
  before(async () => {
    app = await serveApp({ args: ['--allow-origin', 'http://localhost:5173/'] });
    own = app.url;
    const page = await fetch(`${app.url}/`);
    assert.equal(page.status, 200);
    setCookie = page.headers.get('set-cookie') ?? '';
    cookie = setCookie.split(';')[0]!;
  });
  after(async () => {
    await app?.stop();
  });

  test('loading the app hands the page its token in an HttpOnly, SameSite=Strict cookie for /api', async () => {
    const { port } = new URL(app.url);
    assert.equal(cookie, `whittle-token-${port}=${app.token}`);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.match(setCookie, /Path=\/api/);
    const csp = (await fetch(`${app.url}/`)).headers.get('content-security-policy') ?? '';
    assert.match(csp, new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${port}(;|$)`));
  });

  test('HTTP: no token is a 401; the cookie, Bearer or X-Whittle-Token let the own origin in', async () => {
    const none = await fetch(`${app.url}/api/app.info`);
    assert.equal(none.status, 401);
    assert.match(((await none.json()) as { error: { message: string } }).error.message, /session token/);
    assert.equal((await fetch(`${app.url}/api/app.info`, { headers: { authorization: 'Bearer not-the-token' } })).status, 401);
    assert.equal((await fetch(`${app.url}/api/app.info`, { headers: { cookie, origin: own, 'sec-fetch-site': 'same-origin' } })).status, 200);
    assert.equal((await fetch(`${app.url}/api/app.info`, { headers: { authorization: `Bearer ${app.token}` } })).status, 200);
    assert.equal((await fetch(`${app.url}/api/app.info`, { headers: { 'x-whittle-token': app.token } })).status, 200);
    // However the path is spelled, a procedure of the app API is behind the check.
    assert.equal((await fetch(`${app.url}/api/app.info,jobs.list?batch=1&input={}`)).status, 401);
  });

  test('HTTP: a foreign Origin is a 403, even carrying the cookie (a page on another port shares it)', async () => {
    for (const origin of ['https://evil.example', 'http://127.0.0.1:1', 'null']) {
      const res = await fetch(`${app.url}/api/jobs.start`, {
        method: 'POST',
        headers: { cookie, origin, 'content-type': 'application/json', 'sec-fetch-site': 'same-site' },
        body: JSON.stringify({ kind: 'test.sleep', input: { seconds: 0.1, steps: 1, heavy: false } }),
      });
      assert.equal(res.status, 403, origin);
    }
    const noOrigin = await fetch(`${app.url}/api/app.info`, { headers: { cookie, 'sec-fetch-site': 'cross-site' } });
    assert.equal(noOrigin.status, 403, 'a cross-site request without Origin');
    const jobs = await fetch(`${app.url}/api/jobs.list?input=${encodeURIComponent('{}')}`, { headers: { 'x-whittle-token': app.token } });
    assert.deepEqual(((await jobs.json()) as { result: { data: unknown[] } }).result.data, [], 'no job was started');
  });

  test('HTTP: an origin allowed with --allow-origin gets in with the token', async () => {
    assert.equal((await fetch(`${app.url}/api/app.info`, { headers: { origin: 'http://localhost:5173', authorization: `Bearer ${app.token}` } })).status, 200);
    assert.equal((await fetch(`${app.url}/api/app.info`, { headers: { origin: 'http://localhost:5173' } })).status, 401, 'still not without the token');
  });

  test('WebSocket: a foreign Origin is refused even with the cookie; no token is refused; the own page gets in', async () => {
    assert.equal((await upgradeStatus(app.url, { origin: 'https://evil.example', cookie })).status, 403);
    assert.equal((await upgradeStatus(app.url, { origin: 'http://127.0.0.1:1', cookie })).status, 403);
    assert.equal((await upgradeStatus(app.url, { origin: own })).status, 401);
    assert.equal((await upgradeStatus(app.url, {})).status, 401);
    const ok = await upgradeStatus(app.url, { origin: own, cookie });
    assert.equal(ok.status, 101);
    try {
      const info = (await wsQuery(ok.ws!, 'app.info')) as { name: string; dataDir: string };
      assert.deepEqual([info.name, info.dataDir], ['Whittle', app.home]);
    } finally {
      ok.ws!.close();
    }
    const tool = await upgradeStatus(app.url, { authorization: `Bearer ${app.token}` });
    assert.equal(tool.status, 101, 'a local tool presents the token as a header');
    tool.ws!.close();
  });

  test('the /?token= link sets the cookie and drops the token from the address; a wrong token is refused', async () => {
    const wrong = await fetch(`${app.url}/?token=nope`, { redirect: 'manual' });
    assert.equal(wrong.status, 401);
    const right = await fetch(`${app.url}/?token=${app.token}`, { redirect: 'manual' });
    assert.equal(right.status, 303);
    assert.equal(right.headers.get('location'), '/');
    assert.match(right.headers.get('set-cookie') ?? '', new RegExp(`^whittle-token-\\d+=${app.token};`));
    const tricky = await fetch(`${app.url}//localhost/chat?token=${app.token}`, { redirect: 'manual' });
    assert.equal(tricky.headers.get('location'), '/localhost/chat', 'never an open redirect (`//host` would leave the site)');
  });

  test('/v1 is not behind the session token (it keeps its own optional key)', async () => {
    assert.equal((await fetch(`${app.url}/v1/models`)).status, 200);
  });
});

describe('whittle serve bound beyond loopback', () => {
  let app: ServedApp;
  before(async () => {
    app = await serveApp({ args: ['--host', '0.0.0.0'] });
  });
  after(async () => {
    await app?.stop();
  });

  test('the page does not hand out the token: only the printed /?token= link does', async () => {
    const url = app.url.replace('0.0.0.0', '127.0.0.1');
    const page = await fetch(`${url}/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('set-cookie'), null);
    const link = await fetch(`${url}/?token=${app.token}`, { redirect: 'manual' });
    assert.equal(link.status, 303);
    const cookie = (link.headers.get('set-cookie') ?? '').split(';')[0]!;
    assert.equal((await fetch(`${url}/api/app.info`, { headers: { cookie } })).status, 200);
    assert.equal((await fetch(`${url}/api/app.info`)).status, 401);
  });
});
