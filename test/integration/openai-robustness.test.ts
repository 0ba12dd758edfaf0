import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { appRouter, MAX_JOBS_PER_REQUEST } from '../../shared/api/router';
import { LoadOptions } from '../../shared/inference';
import { registerOpenAiRoutes } from '../../electron/engine/server/openai-routes';
import { buildTinyGguf } from '../fixtures/tiny-gguf';
import { startTestEngine, waitFor, waitForFinal } from '../helpers/engine';

type TestEngine = Awaited<ReturnType<typeof startTestEngine>>;

/**
 * The /v1 routes and the tRPC API on a real fastify server over a real engine and model host (tiny GGUFs, 1 thread):
 * abandoned requests stop generating, a streamed request whose model fails to load gets an HTTP error, the key is
 * checked against its hash, and one batched request cannot start unbounded jobs.
 */
describe('the OpenAI-compatible API under abuse', () => {
  let engine: TestEngine;
  let app: FastifyInstance;
  let url: string;
  let modelId: string;
  let brokenId: string;

  async function importGguf(file: string): Promise<string> {
    const job = await waitForFinal(engine, engine.api.models.import({ path: file, mode: 'reference', tags: [] }).id, 60_000);
    assert.equal(job.state, 'succeeded', job.error ?? '');
    return engine.api.models.list({ limit: 100 }).find((m) => m.path === file)!.id;
  }

  before(async () => {
    engine = await startTestEngine();
    const good = join(engine.home, 'tiny.gguf');
    writeFileSync(good, buildTinyGguf({ seed: 5, contextLength: 8192 }));
    modelId = await importGguf(good);
    const bad = join(engine.home, 'broken.gguf');
    writeFileSync(bad, buildTinyGguf({ seed: 6 }));
    brokenId = await importGguf(bad);
    truncateSync(bad, 4000);
    // One sequence: a request that keeps generating holds the model.
    await engine.api.inference.load({
      modelId,
      options: LoadOptions.parse({ gpu: 'cpu', gpuLayers: 0, contextSize: 8192, threads: 1, parallel: 1, idleUnloadSeconds: 0 }),
    });
    // As startHttpServer sets it up: a batch of hundreds of calls fits the path.
    app = Fastify({ logger: false, forceCloseConnections: true, routerOptions: { maxParamLength: 5000 } });
    await app.register(
      async (scope) => scope.register(fastifyTRPCPlugin, { prefix: '', trpcOptions: { router: appRouter, createContext: () => ({ api: engine.api }) } }),
      { prefix: '/api' },
    );
    await registerOpenAiRoutes(app, engine.api);
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await app?.close();
    await engine?.dispose();
  });

  const loaded = () => engine.api.inference.list().find((m) => m.modelId === modelId)!;

  test('a whole (non-streamed) chat request stops generating when its client goes away', async () => {
    // A grammar that takes thousands of tokens to satisfy: without the abort this runs for many seconds.
    const schema = { type: 'array', items: { type: 'string', minLength: 20 }, minItems: 200 };
    const body = JSON.stringify({
      model: modelId,
      messages: [{ role: 'user', content: 'go' }],
      max_tokens: 100_000,
      temperature: 1,
      seed: 1,
      response_format: { type: 'json_schema', json_schema: { name: 'long', schema } },
    });
    const req = request(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    req.on('error', () => undefined);
    req.end(body);
    await waitFor('the generation to start', () => loaded().active === 1, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    req.destroy();
    const left = Date.now();
    await waitFor('the abandoned generation to stop', () => loaded().active === 0 && loaded().queued === 0, 10_000);
    const stoppedMs = Date.now() - left;
    assert.ok(stoppedMs < 2000, `stopped ${stoppedMs} ms after the client left`);

    // The only sequence is free again: the next request is served at once.
    const t = Date.now();
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: modelId, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, seed: 2 }),
    });
    assert.equal(res.status, 200);
    assert.ok(Date.now() - t < 3000, `served in ${Date.now() - t} ms`);
  });

  test('a streamed request for a model that fails to load gets an HTTP error with an OpenAI error body, not a 200 stream', async () => {
    for (const path of ['/v1/chat/completions', '/v1/completions']) {
      const payload =
        path === '/v1/completions'
          ? { model: brokenId, prompt: 'x', stream: true }
          : { model: brokenId, messages: [{ role: 'user', content: 'x' }], stream: true };
      const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
      assert.ok(res.status >= 400 && res.status < 600, `${path}: status ${res.status}`);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      const body = (await res.json()) as { error: { message: string; type: string } };
      assert.equal(body.error.type, 'server_error');
      assert.match(body.error.message, /failed to load/);
    }
    // A streamed request that works still streams.
    const ok = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: modelId, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, seed: 3, stream: true }),
    });
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('content-type') ?? '', /text\/event-stream/);
    assert.match(await ok.text(), /data: \[DONE\]/);
  });

  test('the /v1 key: the right one is accepted, wrong or missing ones refused, and saving CORS origins keeps it', async () => {
    const models = (auth?: string) => fetch(`${url}/v1/models`, { headers: auth ? { authorization: auth } : {} });
    engine.api.inference.updateOpenAiSettings({ apiKey: 'sk-abc-123' });
    try {
      assert.equal((await models()).status, 401);
      assert.equal((await models('Bearer sk-abc-12')).status, 401);
      assert.equal((await models('Bearer sk-abc-1234')).status, 401);
      assert.equal((await models('Bearer sk-abc-123')).status, 200);
      engine.api.inference.updateOpenAiSettings({ corsOrigins: ['http://localhost:5173'] });
      assert.equal((await models()).status, 401, 'still keyed after saving CORS origins');
      assert.equal((await models('Bearer sk-abc-123')).status, 200);
    } finally {
      engine.api.inference.updateOpenAiSettings({ apiKey: null, corsOrigins: [] });
    }
    assert.equal((await models()).status, 200);
  });

  test(`one batched HTTP request starts at most ${MAX_JOBS_PER_REQUEST} jobs; the rest are refused with 429`, async () => {
    const n = MAX_JOBS_PER_REQUEST + 3;
    const before = engine.jobs.list({ kind: 'test.sleep', limit: 1000 }).length;
    const input = Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), { kind: 'test.sleep', input: { seconds: 0.05, steps: 1 } }]));
    const res = await fetch(`${url}/api/${Array(n).fill('jobs.start').join(',')}?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    const items = (await res.json()) as { result?: unknown; error?: { data: { code: string; httpStatus: number }; message: string } }[];
    assert.equal(items.length, n);
    assert.equal(items.filter((i) => i.result).length, MAX_JOBS_PER_REQUEST);
    const refused = items.filter((i) => i.error);
    assert.equal(refused.length, 3);
    for (const r of refused) {
      assert.equal(r.error!.data.code, 'TOO_MANY_REQUESTS');
      assert.equal(r.error!.data.httpStatus, 429);
    }
    assert.equal(engine.jobs.list({ kind: 'test.sleep', limit: 1000 }).length - before, MAX_JOBS_PER_REQUEST);
    // The next request may start jobs again.
    const again = await fetch(`${url}/api/jobs.start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'test.sleep', input: { seconds: 0.05, steps: 1 } }),
    });
    assert.equal(again.status, 200);
  });
});
