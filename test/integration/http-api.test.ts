import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import WebSocket from 'ws';
import type { AppRouter } from '../../shared/api/router';
import type { JobEvent } from '../../shared/jobs';
import { apiAuth, callApi, serveApp, type ServedApp } from '../helpers/server';

describe('whittle serve: the HTTP API', () => {
  let app: ServedApp;
  before(async () => {
    app = await serveApp();
  });
  after(async () => {
    await app.stop();
  });

  test('binds 127.0.0.1 unless told otherwise', async () => {
    assert.match(app.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const port = new URL(app.url).port;
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (external) {
      await assert.rejects(fetch(`http://${external.address}:${port}/api/app.info`), 'not reachable on a non-loopback address');
    }
  });

  test('answers app.info with the data dir it was given', async () => {
    const res = await callApi(app.url, 'app.info');
    assert.equal(res.status, 200);
    const info = res.body.result?.data as { name: string; dataDir: string; host: string };
    assert.equal(info.name, 'Whittle');
    assert.equal(info.dataDir, app.home);
    assert.equal(info.host, 'server');
  });

  test('a malformed request is a 400 whose message names the field', async () => {
    const res = await callApi(app.url, 'jobs.start', { kind: 'test.sleep', input: { seconds: -1 } });
    assert.equal(res.status, 400);
    assert.match(res.body.error?.message ?? '', /input\.seconds/);
    assert.deepEqual(
      res.body.error?.data?.issues?.map((i) => i.path),
      ['input.seconds'],
    );

    const unknownKind = await callApi(app.url, 'jobs.start', { kind: 'make-coffee', input: {} });
    assert.equal(unknownKind.status, 400);
    assert.match(unknownKind.body.error?.message ?? '', /kind/);

    const extra = await callApi(app.url, 'jobs.list', { limit: 5, colour: 'red' }, 'GET');
    assert.equal(extra.status, 400);
    assert.match(extra.body.error?.message ?? '', /colour/);
  });

  test('a body that is not JSON is a 4xx, not a crash', async () => {
    const res = await fetch(`${app.url}/api/jobs.start`, {
      method: 'POST',
      headers: { ...apiAuth(app.url), 'content-type': 'application/json' },
      body: '{"kind":',
    });
    assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}`);
    assert.equal((await callApi(app.url, 'app.info')).status, 200, 'still serving');
  });

  test('unknown routes are 404s', async () => {
    const proc = await callApi(app.url, 'jobs.explode');
    assert.equal(proc.status, 404);
    const nested = await fetch(`${app.url}/api/jobs/list/extra`, { headers: apiAuth(app.url) });
    assert.equal(nested.status, 404);
    const missingJob = await callApi(app.url, 'jobs.get', { id: 'j-missing' }, 'GET');
    assert.equal(missingJob.status, 404);
    assert.match(missingJob.body.error?.message ?? '', /j-missing/);
    const v1 = await fetch(`${app.url}/v1/no-such-endpoint`);
    assert.equal(v1.status, 404);
    const body = (await v1.json()) as { error: { type: string; message: string } };
    assert.equal(body.error.type, 'invalid_request_error', 'OpenAI error shape under /v1');
  });

  test('serves the built renderer at / with a CSP, and the SPA fallback', async () => {
    const root = await fetch(`${app.url}/`);
    assert.equal(root.status, 200);
    assert.match(root.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.match(await root.text(), /<div id="root">/);
    const deep = await fetch(`${app.url}/jobs/anything`);
    assert.equal(deep.status, 200);
    const missingAsset = await fetch(`${app.url}/assets/nope.js`);
    assert.equal(missingAsset.status, 404);
  });

  test('refuses a foreign Host header (DNS rebinding)', async () => {
    const { port } = new URL(app.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/app.info', headers: { host: 'evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 421);
  });

  test('job progress streams over the WebSocket subscription', async () => {
    // A local tool presents the session token as a header on the upgrade.
    const headers = apiAuth(app.url);
    const WithToken = class extends WebSocket {
      constructor(address: string | URL, protocols?: string | string[]) {
        super(address, protocols, { headers });
      }
    };
    const ws = createWSClient({ url: `${app.url.replace('http', 'ws')}/api/ws`, WebSocket: WithToken as unknown as typeof globalThis.WebSocket });
    const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] });
    try {
      const events: JobEvent[] = [];
      let jobId = '';
      const finished = new Promise<void>((resolve, reject) => {
        const sub = client.jobs.events.subscribe(undefined, {
          onStarted: () => {
            void client.jobs.start.mutate({ kind: 'test.sleep', input: { seconds: 0.5, steps: 5, heavy: false } }).then((j) => (jobId = j.id), reject);
          },
          onData: (e) => {
            events.push(e);
            if (e.type === 'job' && e.job.id === jobId && e.job.state === 'succeeded') {
              sub.unsubscribe();
              resolve();
            }
          },
          onError: reject,
        });
      });
      await finished;
      const mine = events.filter((e): e is Extract<JobEvent, { type: 'job' }> => e.type === 'job' && e.job.id === jobId);
      assert.ok(mine.some((e) => e.job.state === 'running'));
      assert.ok(mine.filter((e) => e.job.progress.fraction !== null).length >= 2, 'several progress updates');
      assert.ok(
        events.some((e) => e.type === 'log' && e.jobId === jobId && e.lines.some((l) => /step 5\/5/.test(l))),
        'log lines stream too',
      );
    } finally {
      void ws.close();
    }
  });
});
