import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { LoadOptions } from '../../shared/inference';
import { registerOpenAiRoutes } from '../../electron/engine/server/openai-routes';
import { buildTinyGguf } from '../fixtures/tiny-gguf';
import { startTestEngine, waitForAsync, waitForFinal } from '../helpers/engine';

type TestEngine = Awaited<ReturnType<typeof startTestEngine>>;

/**
 * /v1 as OpenAI's clients expect it (issue 12): `model` by id, name, slug or path; GET /v1/models/{model}; OpenAI-shaped
 * errors for bodies fastify cannot read and for models whose file is gone; json_schema replies that end with the JSON.
 * A real fastify server over a real engine and model host, on tiny GGUFs (1 thread).
 */
describe('the OpenAI-compatible API conforms', () => {
  let engine: TestEngine;
  let app: FastifyInstance;
  let url: string;
  let client: OpenAI;
  let modelId: string;
  let goneFile: string;
  const twins: string[] = [];
  const bodyLimit = 64 * 1024;

  async function importGguf(file: string, name: string, seed: number): Promise<string> {
    writeFileSync(file, buildTinyGguf({ seed, contextLength: 2048 }));
    const job = await waitForFinal(engine, engine.api.models.import({ path: file, mode: 'reference', name, tags: [] }).id, 60_000);
    assert.equal(job.state, 'succeeded', job.error ?? '');
    return engine.api.models.list({ limit: 100 }).find((m) => m.path === file)!.id;
  }

  const post = (path: string, body: string, contentType = 'application/json') =>
    fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const chatBody = (model: string) => JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1, seed: 1 });

  before(async () => {
    engine = await startTestEngine();
    modelId = await importGguf(join(engine.home, 'chat.gguf'), 'Tiny Chat (F32)', 5);
    twins.push(await importGguf(join(engine.home, 'twin-a.gguf'), 'Twin', 6), await importGguf(join(engine.home, 'twin-b.gguf'), 'twin', 7));
    goneFile = join(engine.home, 'gone.gguf');
    await importGguf(goneFile, 'Gone', 8);
    await engine.api.inference.load({
      modelId,
      options: LoadOptions.parse({ gpu: 'cpu', gpuLayers: 0, contextSize: 2048, threads: 1, parallel: 2, idleUnloadSeconds: 0 }),
    });
    app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit, routerOptions: { maxParamLength: 5000 } });
    await registerOpenAiRoutes(app, engine.api);
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'not-needed', maxRetries: 0 });
  });
  after(async () => {
    await app?.close();
    await engine?.dispose();
  });

  test('`model` takes the library id, the exact name, the slug of the name or the path', async () => {
    for (const ref of [modelId, 'Tiny Chat (F32)', 'tiny-chat-f32', join(engine.home, 'chat.gguf')]) {
      const r = await client.chat.completions.create({ model: ref, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1, seed: 1 });
      assert.equal(r.choices.length, 1, ref);
      assert.equal(r.model, ref, 'the reply names the model as the request did');
    }
    const c = await client.completions.create({ model: 'tiny-chat-f32', prompt: 'a', max_tokens: 1, seed: 1 });
    assert.equal(c.choices.length, 1);
    const e = await client.embeddings.create({ model: 'Tiny Chat (F32)', input: 'a' });
    assert.equal(e.data.length, 1);
    // The model the name named is the one that answered: no other model was loaded for it.
    assert.deepEqual(
      engine.api.inference.list().map((m) => m.modelId),
      [modelId],
    );
  });

  test('an unknown model is a 404 model_not_found; a name two models share is a 400 listing both', async () => {
    const unknown = await post('/v1/chat/completions', chatBody('no-such-model'));
    assert.equal(unknown.status, 404);
    const body = (await unknown.json()) as { error: Record<string, unknown> };
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.deepEqual({ ...body.error, message: undefined }, { message: undefined, type: 'invalid_request_error', param: 'model', code: 'model_not_found' });
    assert.match(body.error.message as string, /no-such-model/);

    await assert.rejects(client.chat.completions.create({ model: 'TWIN', messages: [{ role: 'user', content: 'x' }], max_tokens: 1 }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.BadRequestError, String(err));
      assert.equal(err.param, 'model');
      assert.equal(err.type, 'invalid_request_error');
      for (const id of twins) assert.ok(err.message.includes(id), err.message);
      return true;
    });
    // Each exact name still names one.
    assert.equal((await client.models.retrieve('twin')).id, twins[1]);
  });

  test('GET /v1/models/{model} returns the Model object, by id, name or slug; 404 in OpenAI’s shape otherwise', async () => {
    const listed = (await client.models.list()).data.find((m) => m.id === modelId);
    assert.ok(listed);
    for (const ref of [modelId, 'Tiny Chat (F32)', 'tiny-chat-f32']) {
      const m = await client.models.retrieve(ref);
      assert.equal(m.id, modelId);
      assert.equal(m.object, 'model');
      assert.equal(m.owned_by, 'whittle');
      assert.equal(typeof m.created, 'number');
      assert.deepEqual(m, listed);
    }
    await assert.rejects(client.models.retrieve('no-such-model'), (err: unknown) => {
      assert.ok(err instanceof OpenAI.NotFoundError, String(err));
      assert.equal(err.code, 'model_not_found');
      assert.equal(err.param, 'model');
      return true;
    });
  });

  test('a body that is not JSON, sent as another content type, or too large gets a 400 with an OpenAI error body', async () => {
    const cases: [string, Promise<Response>, RegExp][] = [
      ['malformed JSON', post('/v1/chat/completions', '{"model": "x", "messages": ['), /not valid JSON/],
      ['empty JSON body', post('/v1/chat/completions', ''), /empty/],
      ['text/plain', post('/v1/chat/completions', chatBody(modelId), 'text/plain'), /Content-Type text\/plain.*application\/json/],
      ['a form', post('/v1/embeddings', 'model=x&input=y', 'application/x-www-form-urlencoded'), /Content-Type application\/x-www-form-urlencoded/],
      ['too large', post('/v1/completions', JSON.stringify({ model: modelId, prompt: 'x'.repeat(bodyLimit) })), new RegExp(`limit of ${bodyLimit} bytes`)],
    ];
    for (const [what, res, message] of cases) {
      const r = await res;
      assert.equal(r.status, 400, what);
      assert.match(r.headers.get('content-type') ?? '', /application\/json/, what);
      const body = (await r.json()) as { error: { message: string; type: string; param: unknown; code: unknown } };
      assert.deepEqual(Object.keys(body), ['error'], what);
      assert.deepEqual({ ...body.error, message: '' }, { message: '', type: 'invalid_request_error', param: null, code: null }, what);
      assert.match(body.error.message, message, what);
    }
  });

  test('a model whose file is missing is left out of /v1/models and answered with a 404 that says so', async () => {
    const goneId = engine.api.models.list({ limit: 100 }).find((m) => m.name === 'Gone')!.id;
    assert.ok(
      (await client.models.list()).data.some((m) => m.id === goneId),
      'listed while its file is there',
    );
    rmSync(goneFile);
    // The library's file check is cached for a moment.
    await waitForAsync('the model to drop out of /v1/models', async () => !(await client.models.list()).data.some((m) => m.id === goneId), 10_000);
    const said = new RegExp(`The file of model "Gone" \\(${goneFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\) is missing; re-import or remove it`);
    for (const ref of [goneId, 'Gone', 'gone']) {
      await assert.rejects(client.chat.completions.create({ model: ref, messages: [{ role: 'user', content: 'x' }], max_tokens: 1 }), (err: unknown) => {
        assert.ok(err instanceof OpenAI.NotFoundError, String(err));
        assert.equal(err.code, 'model_not_found');
        assert.equal(err.param, 'model');
        assert.match(err.message, said);
        return true;
      });
    }
    await assert.rejects(client.models.retrieve(goneId), (err: unknown) => err instanceof OpenAI.NotFoundError && said.test(err.message));
    assert.ok(!engine.api.inference.list().some((m) => m.modelId === goneId), 'no load was tried');
  });

  test('json_schema replies end with the JSON: finish_reason stop, no trailing whitespace, fewer tokens than max_tokens', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' }, ok: { type: 'boolean' } }, required: ['n', 'ok'], additionalProperties: false };
    const max = 300;
    for (const seed of [3, 4]) {
      const req = {
        model: modelId,
        messages: [{ role: 'user' as const, content: 'json' }],
        temperature: 0.8,
        seed,
        max_tokens: max,
        response_format: { type: 'json_schema' as const, json_schema: { name: 'x', schema } },
      };
      const r = await client.chat.completions.create(req);
      const text = r.choices[0]!.message.content ?? '';
      assert.equal(r.choices[0]!.finish_reason, 'stop', JSON.stringify(text));
      assert.equal(text, text.trimEnd(), 'no trailing whitespace');
      const parsed = JSON.parse(text) as { n: unknown; ok: unknown };
      assert.ok(Number.isInteger(parsed.n) && typeof parsed.ok === 'boolean', text);
      assert.ok(r.usage!.completion_tokens < max, `${r.usage!.completion_tokens} tokens`);

      const stream = await client.chat.completions.create({ ...req, stream: true });
      let streamed = '';
      let finish: string | null = null;
      for await (const c of stream) {
        streamed += c.choices[0]?.delta.content ?? '';
        finish = c.choices[0]?.finish_reason ?? finish;
      }
      assert.equal(finish, 'stop');
      assert.equal(streamed, text, 'streamed: the same reply');
    }
    // json_object too.
    const o = await client.chat.completions.create({
      model: modelId,
      messages: [{ role: 'user', content: 'json' }],
      temperature: 0.8,
      seed: 5,
      max_tokens: max,
      response_format: { type: 'json_object' },
    });
    const text = o.choices[0]!.message.content ?? '';
    if (o.choices[0]!.finish_reason === 'stop') {
      assert.equal(text, text.trimEnd());
      assert.equal(typeof JSON.parse(text), 'object');
    } else assert.equal(o.usage!.completion_tokens, max, 'a free-form object may run to the limit, but only then ends unfinished');
  });
});
