import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { physicalCores } from '../../electron/engine/inference/cpu-cores';
import { startHttpServer } from '../../electron/engine/server/http-server';
import { LoadOptions, SamplingParams, type ChatMessage } from '../../shared/inference';
import { buildTinyGguf } from '../fixtures/tiny-gguf';
import { startTestEngine, waitForFinal } from '../helpers/engine';

type TestEngine = Awaited<ReturnType<typeof startTestEngine>>;

const opts = (over: Partial<LoadOptions> = {}): LoadOptions =>
  LoadOptions.parse({ gpu: 'cpu', gpuLayers: 0, contextSize: 512, threads: 1, parallel: 2, idleUnloadSeconds: 0, ...over });
const greedy = (over: Partial<SamplingParams> = {}): SamplingParams =>
  SamplingParams.parse({ temperature: 0, topK: 1, seed: 1, repeatPenalty: 1, maxTokens: 4, ...over });

async function importGguf(engine: TestEngine, file: string): Promise<string> {
  const job = await waitForFinal(engine, engine.api.models.import({ path: file, mode: 'reference', tags: [] }).id, 60_000);
  assert.equal(job.state, 'succeeded', job.error ?? '');
  return engine.api.models.list({ limit: 100 }).find((m) => m.path === file)!.id;
}

/** Speed defaults (issue 12): threads, the core budget across models, and the KV cache kept between turns. */
describe('speed defaults (tiny GGUF)', () => {
  let engine: TestEngine;
  let a: string;
  let b: string;
  const savedCores = process.env.WHITTLE_CPU_CORES;

  before(async () => {
    engine = await startTestEngine();
    const fileA = join(engine.home, 'a.gguf');
    const fileB = join(engine.home, 'b.gguf');
    writeFileSync(fileA, buildTinyGguf({ seed: 41, contextLength: 1024 }));
    writeFileSync(fileB, buildTinyGguf({ seed: 42, contextLength: 1024 }));
    a = await importGguf(engine, fileA);
    b = await importGguf(engine, fileB);
  });
  afterEach(() => {
    if (savedCores === undefined) delete process.env.WHITTLE_CPU_CORES;
    else process.env.WHITTLE_CPU_CORES = savedCores;
  });
  after(async () => engine?.dispose());

  test('threads left to auto are the physical core count, in the llama.cpp context itself', async () => {
    delete process.env.WHITTLE_CPU_CORES;
    const auto = await engine.api.inference.load({ modelId: a, options: opts({ threads: undefined }) });
    assert.equal(auto.threads, await physicalCores());
    // An injected core count (a 3-core machine), and 0 meaning auto as well.
    process.env.WHITTLE_CPU_CORES = '3';
    const three = await engine.api.inference.load({ modelId: a, options: opts({ threads: 0 }) });
    assert.equal(three.threads, 3);
    const pinned = await engine.api.inference.load({ modelId: a, options: opts({ threads: 1 }) });
    assert.equal(pinned.threads, 1);
  });

  test('compare on the CPU: two models whose threads fill the cores generate one after the other', async () => {
    process.env.WHITTLE_CPU_CORES = '1';
    await engine.api.inference.load({ modelId: a, options: opts() });
    await engine.api.inference.load({ modelId: b, options: opts() });
    const windows = await Promise.all(
      [a, b].map(async (modelId) => {
        let first = 0;
        const r = await engine.api.inference.chat(
          { modelId, messages: [{ role: 'user', content: 'compare' }], params: greedy({ maxTokens: 48, temperature: 0.8, topK: 40 }) },
          (e) => {
            if (e.type === 'text' && !first) first = performance.now();
          },
        );
        assert.ok(r.metrics.completionTokens > 8, String(r.metrics.completionTokens));
        return { first, end: performance.now() };
      }),
    );
    windows.sort((x, y) => x.first - y.first);
    assert.ok(windows[0]!.end <= windows[1]!.first, `the generations overlap: ${JSON.stringify(windows)}`);
  });

  test('a conversation’s next turn evaluates only its new tokens, with two conversations interleaved', async () => {
    await engine.api.inference.load({ modelId: a, options: opts() });
    const first = (topic: string): ChatMessage[] => [
      { role: 'system', content: `You answer questions about ${topic}. `.repeat(4) },
      { role: 'user', content: `Tell me about ${topic}.` },
    ];
    const turn = (messages: ChatMessage[]) => engine.api.inference.chat({ modelId: a, messages, params: greedy() });
    const x1 = await turn(first('rivers'));
    const y1 = await turn(first('mountains'));
    const next = (topic: string, reply: string): ChatMessage[] => [
      ...first(topic),
      { role: 'assistant', content: reply },
      { role: 'user', content: 'And then?' },
    ];
    for (const [topic, t1] of [
      ['rivers', x1],
      ['mountains', y1],
    ] as const) {
      const t2 = await turn(next(topic, t1.text));
      const added = t2.metrics.promptTokens - t1.metrics.promptTokens;
      const evaluated = t2.metrics.promptTokens - (t2.metrics.cachedTokens ?? 0);
      // The first turn's prompt stays in the cache (less a token or two where the reply re-tokenizes differently).
      assert.ok((t2.metrics.cachedTokens ?? 0) >= t1.metrics.promptTokens - 2, `${topic}: ${JSON.stringify(t2.metrics)} after ${JSON.stringify(t1.metrics)}`);
      assert.ok(evaluated <= added + 2, `${topic}: evaluated ${evaluated} of ${t2.metrics.promptTokens}, ${added} new`);
    }
  });

  test('/v1 chat completions that extend earlier messages report the reused tokens as cached_tokens', async () => {
    await engine.api.inference.load({ modelId: a, options: opts() });
    const server = await startHttpServer(engine.api, { host: '127.0.0.1', port: 0, rendererDir: null });
    try {
      type Usage = { prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } };
      const ask = async (messages: { role: string; content: string }[]): Promise<{ text: string; usage: Usage }> => {
        const res = await fetch(`${server.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: a, messages, max_tokens: 4, temperature: 0, seed: 1 }),
        });
        const body = (await res.json()) as { choices: { message: { content: string } }[]; usage: Usage };
        assert.equal(res.status, 200, JSON.stringify(body));
        return { text: body.choices[0]!.message.content, usage: body.usage };
      };
      const m1 = [{ role: 'user', content: 'A question about lakes, asked at some length so the prefix matters.' }];
      const r1 = await ask(m1);
      const r2 = await ask([...m1, { role: 'assistant', content: r1.text }, { role: 'user', content: 'More?' }]);
      assert.ok(r2.usage.prompt_tokens_details.cached_tokens >= r1.usage.prompt_tokens - 2, JSON.stringify([r1.usage, r2.usage]));
    } finally {
      await server.close();
    }
  });
});
