import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { chromiumSkipReason, launchChromium } from '../helpers/browser';
import { byTestId, visible, WAIT_MS } from '../helpers/page';
import { callApi, serveApp, type ServedApp } from '../helpers/server';

declare const window: { attack?: { ws: string[]; fetchStatus: string } };

/**
 * A page on another port of 127.0.0.1: the same site as `whittle serve`, so the browser sends it the
 * session cookie. It tries what any web page could before: start a job and read app.info over the
 * app API's WebSocket, and call the HTTP API with credentials.
 */
function attackerPage(target: string): string {
  const ws = target.replace('http', 'ws');
  return `<!doctype html><html><body><script>
    window.attack = { ws: [], fetchStatus: 'pending' };
    const sock = new WebSocket(${JSON.stringify(`${ws}/api/ws`)});
    sock.onopen = () => {
      window.attack.ws.push('open');
      sock.send(JSON.stringify({ id: 1, method: 'mutation', params: { path: 'jobs.start', input: { kind: 'test.sleep', input: { seconds: 0.1, steps: 1, heavy: false } } } }));
      sock.send(JSON.stringify({ id: 2, method: 'query', params: { path: 'app.info' } }));
    };
    sock.onmessage = (e) => window.attack.ws.push('message ' + e.data);
    sock.onerror = () => window.attack.ws.push('error');
    sock.onclose = () => window.attack.ws.push('close');
    fetch(${JSON.stringify(`${target}/api/app.info`)}, { credentials: 'include', mode: 'no-cors' })
      .then((r) => (window.attack.fetchStatus = 'sent ' + r.type), (e) => (window.attack.fetchStatus = 'failed ' + e));
  </script></body></html>`;
}

const skip = chromiumSkipReason();

describe('whittle serve in Chromium: other pages cannot use the app API', { skip }, () => {
  let app: ServedApp;
  let browser: Browser;
  let context: BrowserContext;
  let attacker: Server;
  let attackerUrl: string;

  before(async () => {
    [app, browser] = await Promise.all([serveApp(), launchChromium()]);
    attacker = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(attackerPage(app.url)));
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
    context = await browser.newContext();
  });
  after(async () => {
    await browser?.close();
    attacker?.close();
    await app?.stop();
  });

  test('the app gets its token by loading, and works', async () => {
    const page = await context.newPage();
    await page.goto(app.url);
    await page.locator('[data-testid="connection-status"][data-status="connected"]').waitFor({ timeout: WAIT_MS });
    assert.equal(await (await visible(byTestId(page, 'app-data-dir'))).innerText(), app.home);
    const cookies = await context.cookies(`${app.url}/api/ws`);
    const session = cookies.find((c) => c.name === `whittle-token-${new URL(app.url).port}`);
    assert.ok(session, 'the session cookie is set');
    assert.deepEqual([session.httpOnly, session.sameSite, session.path], [true, 'Strict', '/api']);
  });

  test('a page on another origin (same site, same cookie jar) is refused on the WebSocket and over HTTP', async () => {
    const page = await context.newPage();
    const apiResponse = page.waitForResponse((r) => r.url().startsWith(`${app.url}/api/`), { timeout: WAIT_MS });
    await page.goto(attackerUrl);
    await page.waitForFunction(() => window.attack !== undefined && window.attack.ws.includes('close') && window.attack.fetchStatus !== 'pending', undefined, {
      timeout: WAIT_MS,
    });
    const attack = await page.evaluate(() => window.attack!);
    assert.deepEqual(
      attack.ws.filter((e) => e !== 'error'),
      ['close'],
      `the WebSocket never opened: ${attack.ws.join(', ')}`,
    );
    assert.equal((await apiResponse).status(), 403, 'the HTTP API refused the foreign origin');
    const jobs = await callApi(app.url, 'jobs.list', {}, 'GET');
    assert.deepEqual(jobs.body.result?.data, [], 'no job was started');
    await page.close();
  });

  test('the app still works after the attempt', async () => {
    const page = context.pages()[0]!;
    await page.reload();
    await page.locator('[data-testid="connection-status"][data-status="connected"]').waitFor({ timeout: WAIT_MS });
  });
});

describe('whittle serve beyond loopback in Chromium: the token link', { skip }, () => {
  let app: ServedApp;
  let browser: Browser;
  before(async () => {
    [app, browser] = await Promise.all([serveApp({ args: ['--host', '0.0.0.0'] }), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  test('without the link the page cannot reach the engine; the /?token= link lets it in and leaves the address bar', async () => {
    const url = app.url.replace('0.0.0.0', '127.0.0.1');
    const page = await (await browser.newContext()).newPage();
    await page.goto(url);
    await visible(byTestId(page, 'connection-status'));
    await page.waitForTimeout(2_000);
    assert.notEqual(await byTestId(page, 'connection-status').getAttribute('data-status'), 'connected');
    await page.goto(`${url}/?token=${app.token}#/jobs`);
    assert.equal(page.url(), `${url}/#/jobs`, 'the token is gone from the address');
    await page.locator('[data-testid="connection-status"][data-status="connected"]').waitFor({ timeout: WAIT_MS });
    await visible(byTestId(page, 'page-jobs'));
  });
});
