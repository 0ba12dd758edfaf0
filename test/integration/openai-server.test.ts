import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { buildTinyGguf } from '../fixtures/tiny-gguf';
import { waitForAsync } from '../helpers/engine';
import { callApi, serveApp, type ServedApp } from '../helpers/server';

/** The official `openai` client against `whittle serve`'s /v1, on tiny random-weight GGUFs (1 thread). */
describe('the OpenAI-compatible API', () => {
  let app: ServedApp;
  let client: OpenAI;
  let modelId: string;
  const params = { temperature: 0.8, seed: 7, max_tokens: 12 };

  before(async () => {
    app = await serveApp();
    const file = join(app.home, 'tiny.gguf');
    // A 2048-token context: tool documentation costs a token per character in the tiny byte vocabulary.
    writeFileSync(file, buildTinyGguf({ seed: 5, contextLength: 2048 }));
    const started = await callApi(app.url, 'models.import', { path: file, mode: 'reference', tags: [] });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const jobId = (started.body.result as { data: { id: string } }).data.id;
    await waitForAsync(
      'the import',
      async () => ((await callApi(app.url, 'jobs.get', { id: jobId }, 'GET')).body.result as { data: { state: string } }).data.state === 'succeeded',
      60_000,
    );
    const models = (await callApi(app.url, 'models.list', { limit: 10 }, 'GET')).body.result as { data: { id: string }[] };
    modelId = models.data[0]!.id;
    const loaded = await callApi(app.url, 'inference.load', { modelId, options: { gpu: 'cpu', gpuLayers: 0, contextSize: 2048, threads: 1, parallel: 4 } });
    assert.equal(loaded.status, 200, JSON.stringify(loaded.body));
    client = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: 'not-needed', maxRetries: 0 });
  });
  after(async () => app?.stop());

  test('lists library models by their ids', async () => {
    const list = await client.models.list();
    assert.deepEqual(
      list.data.map((m) => m.id),
      [modelId],
    );
    assert.equal(list.data[0]!.object, 'model');
  });

  test('chat completions, whole and streamed, agree for the same seed and report usage', async () => {
    const whole = await client.chat.completions.create({ model: modelId, messages: [{ role: 'user', content: 'hi' }], ...params });
    const text = whole.choices[0]!.message.content ?? '';
    assert.ok(text.length > 0);
    assert.ok(['stop', 'length'].includes(whole.choices[0]!.finish_reason));
    assert.ok(whole.usage && whole.usage.prompt_tokens > 0 && whole.usage.completion_tokens > 0 && whole.usage.completion_tokens <= 12);
    const stream = await client.chat.completions.create({
      model: modelId,
      messages: [{ role: 'user', content: 'hi' }],
      ...params,
      stream: true,
      stream_options: { include_usage: true },
    });
    let streamed = '';
    let chunks = 0;
    let usage = null;
    for await (const c of stream) {
      if (c.usage) usage = c.usage;
      streamed += c.choices[0]?.delta.content ?? '';
      chunks++;
    }
    assert.ok(chunks > 2, `${chunks} chunks`);
    assert.equal(streamed, text, 'same seed, same text, streamed or not');
    // The second, identical request reuses the first one's KV cache: same counts, and its prompt comes from the cache.
    const { prompt_tokens_details: wholeDetails, ...wholeCounts } = whole.usage;
    const { prompt_tokens_details: streamDetails, ...streamCounts } = usage as unknown as typeof whole.usage;
    assert.deepEqual(streamCounts, wholeCounts);
    assert.equal(wholeDetails?.cached_tokens ?? 0, 0);
    assert.ok((streamDetails?.cached_tokens ?? 0) > 0 && (streamDetails?.cached_tokens ?? 0) < whole.usage.prompt_tokens, JSON.stringify(streamDetails));
  });

  test('text completions and embeddings', async () => {
    const c = await client.completions.create({ model: modelId, prompt: 'abc', ...params });
    assert.equal(c.object, 'text_completion');
    assert.ok(c.choices[0]!.text.length > 0);
    const e = await client.embeddings.create({ model: modelId, input: ['hello', 'world'] });
    assert.equal(e.data.length, 2);
    assert.equal(e.data[0]!.embedding.length, e.data[1]!.embedding.length);
    assert.ok(e.data[0]!.embedding.length >= 32);
    assert.notDeepEqual(e.data[0]!.embedding, e.data[1]!.embedding);
  });

  test('response_format json_schema gives JSON that parses and fits the schema', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' }, ok: { type: 'boolean' } }, required: ['n', 'ok'], additionalProperties: false };
    const r = await client.chat.completions.create({
      model: modelId,
      messages: [{ role: 'user', content: 'json' }],
      temperature: 0.8,
      seed: 3,
      max_tokens: 60,
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema } },
    });
    const parsed = JSON.parse(r.choices[0]!.message.content ?? '') as { n: unknown; ok: unknown };
    assert.equal(typeof parsed.n, 'number');
    assert.ok(Number.isInteger(parsed.n));
    assert.equal(typeof parsed.ok, 'boolean');
  });

  test('tools: a forced call comes back as tool_calls (whole and streamed), and its result round-trips by id', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: { type: 'object', properties: { city: { enum: ['Paris', 'Oslo'] } }, required: ['city'] },
        },
      },
      {
        type: 'function' as const,
        function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { enum: ['UTC', 'CET'] } }, required: ['zone'] } },
      },
    ];
    const ask = [{ role: 'user' as const, content: 'weather?' }];
    const r = await client.chat.completions.create({
      model: modelId,
      messages: ask,
      tools,
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      temperature: 0.8,
      seed: 2,
      max_tokens: 60,
    });
    const choice = r.choices[0]!;
    assert.equal(choice.finish_reason, 'tool_calls');
    const call = choice.message.tool_calls?.[0];
    assert.ok(call && call.type === 'function' && call.id.length > 0, JSON.stringify(choice.message));
    assert.equal(call.function.name, 'get_weather');
    assert.ok(['Paris', 'Oslo'].includes((JSON.parse(call.function.arguments) as { city: string }).city), call.function.arguments);

    const stream = await client.chat.completions.create({
      model: modelId,
      messages: ask,
      tools,
      tool_choice: 'required',
      temperature: 0.8,
      seed: 2,
      max_tokens: 60,
      stream: true,
    });
    const streamed: { name?: string; arguments?: string }[] = [];
    let finish: string | null = null;
    for await (const c of stream) {
      for (const t of c.choices[0]?.delta.tool_calls ?? []) streamed[t.index] = { name: t.function?.name, arguments: t.function?.arguments };
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(finish, 'tool_calls');
    assert.ok(
      streamed.length >= 1 && streamed.every((t) => ['get_weather', 'get_time'].includes(t.name ?? '') && typeof JSON.parse(t.arguments ?? '') === 'object'),
      JSON.stringify(streamed),
    );

    const followUp = (result: string) =>
      client.chat.completions.create({
        model: modelId,
        messages: [...ask, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: result }],
        tools,
        temperature: 0.8,
        seed: 2,
        max_tokens: 2,
      });
    const short = await followUp('sunny');
    const long = await followUp('sunny, 21 degrees');
    assert.equal(long.usage!.prompt_tokens - short.usage!.prompt_tokens, ', 21 degrees'.length, 'the result is in the prompt');
    await assert.rejects(
      client.chat.completions.create({ model: modelId, messages: [...ask, { role: 'assistant', content: null, tool_calls: [call] }], tools, max_tokens: 2 }),
      (err: unknown) => {
        assert.ok(err instanceof OpenAI.BadRequestError);
        assert.match(err.message, /messages\[1\]: tool call 0 \("get_weather"\) has no tool message with its result/);
        return true;
      },
    );
    await assert.rejects(
      client.chat.completions.create({
        model: modelId,
        messages: [...ask, { role: 'assistant', content: null, tool_calls: [{ ...call, function: { ...call.function, arguments: '{"city": ' } }] }],
        tools,
      }),
      (err: unknown) => {
        assert.ok(err instanceof OpenAI.BadRequestError);
        assert.match(err.message, /messages\[1\]\.tool_calls\[0\]\.function\.arguments: not JSON/);
        return true;
      },
    );
  });

  test('errors come back in OpenAI’s shape', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.NotFoundError);
      assert.equal(err.code, 'model_not_found');
      assert.equal(err.type, 'invalid_request_error');
      return true;
    });
    await assert.rejects(client.chat.completions.create({ model: modelId, messages: [] }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.BadRequestError);
      assert.equal(err.param, 'messages');
      return true;
    });
    await assert.rejects(client.chat.completions.create({ model: modelId, messages: [{ role: 'user', content: 'x' }], temperature: 9 }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.BadRequestError);
      assert.equal(err.param, 'temperature');
      return true;
    });
  });

  test('an API key, when set, is required', async () => {
    await callApi(app.url, 'inference.updateOpenAiSettings', { apiKey: 'sekret' });
    try {
      await assert.rejects(client.models.list(), OpenAI.AuthenticationError);
      const keyed = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: 'sekret', maxRetries: 0 });
      assert.equal((await keyed.models.list()).data.length, 1);
    } finally {
      await callApi(app.url, 'inference.updateOpenAiSettings', { apiKey: null });
    }
  });

  test('16 concurrent streaming clients all finish without errors', async () => {
    const runs = Array.from({ length: 16 }, async (_, i) => {
      const s = await client.chat.completions.create({
        model: modelId,
        messages: [{ role: 'user', content: `q${i}` }],
        temperature: 0.8,
        seed: i,
        max_tokens: 8,
        stream: true,
      });
      let text = '';
      let finish: string | null = null;
      for await (const c of s) {
        text += c.choices[0]?.delta.content ?? '';
        finish = c.choices[0]?.finish_reason ?? finish;
      }
      return { text, finish };
    });
    const results = await Promise.all(runs);
    assert.equal(results.length, 16);
    for (const r of results) {
      assert.ok(r.text.length > 0);
      assert.ok(r.finish === 'stop' || r.finish === 'length', String(r.finish));
    }
  });
});
