import assert from 'node:assert/strict';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LoadOptions, SamplingParams, type GenerationEvent } from '../../shared/inference';
import { buildTinyGguf, CHATML_TEMPLATE } from '../fixtures/tiny-gguf';
import { buildTinyLora } from '../fixtures/tiny-lora';
import { startTestEngine, waitFor, waitForFinal } from '../helpers/engine';
import { Template } from '@huggingface/jinja';

type TestEngine = Awaited<ReturnType<typeof startTestEngine>>;

const opts = (over: Partial<LoadOptions> = {}): LoadOptions =>
  LoadOptions.parse({ gpu: 'cpu', gpuLayers: 0, contextSize: 256, threads: 1, parallel: 2, idleUnloadSeconds: 0, ...over });
const params = (over: Partial<SamplingParams> = {}): SamplingParams => SamplingParams.parse({ temperature: 0.8, seed: 11, maxTokens: 16, ...over });

async function importGguf(engine: TestEngine, file: string): Promise<string> {
  const job = await waitForFinal(engine, engine.api.models.import({ path: file, mode: 'reference', tags: [] }).id, 60_000);
  assert.equal(job.state, 'succeeded', job.error ?? '');
  return engine.api.models.list({ limit: 100 }).find((m) => m.path === file)!.id;
}

describe('local inference in model worker processes (tiny GGUF, 1 thread)', () => {
  let engine: TestEngine;
  let a: string;
  let b: string;
  /** A tiny model with a 2048-token context: tool documentation costs a token per character. */
  let c: string;
  let fileB: string;

  before(async () => {
    engine = await startTestEngine();
    const fileA = join(engine.home, 'a.gguf');
    fileB = join(engine.home, 'b.gguf');
    writeFileSync(fileA, buildTinyGguf({ seed: 21 }));
    writeFileSync(fileB, buildTinyGguf({ seed: 22 }));
    a = await importGguf(engine, fileA);
    b = await importGguf(engine, fileB);
    const fileC = join(engine.home, 'c.gguf');
    writeFileSync(fileC, buildTinyGguf({ seed: 23, contextLength: 2048 }));
    c = await importGguf(engine, fileC);
  });
  after(async () => engine?.dispose());

  test('loads with progress in its own process and reports backend, context and memory', async () => {
    const seen: number[] = [];
    const off = engine.inference.onChange((models) => {
      const m = models.find((x) => x.modelId === a);
      if (m) seen.push(m.progress);
    });
    const loaded = await engine.api.inference.load({ modelId: a, options: opts() });
    off();
    assert.equal(loaded.state, 'ready');
    assert.equal(loaded.backend, 'cpu');
    assert.equal(loaded.contextSize, 256);
    assert.ok(loaded.pid && loaded.pid !== process.pid);
    assert.ok(
      seen.some((p) => p > 0 && p <= 1),
      JSON.stringify(seen),
    );
    await waitFor('the worker memory figure', () => engine.api.inference.list().find((m) => m.modelId === a)?.rssBytes, 10_000);
  });

  test('streams text whose chunks add up to the reply, with metrics; the same seed gives the same text', async () => {
    const chunks: string[] = [];
    const r1 = await engine.api.inference.chat(
      { modelId: a, messages: [{ role: 'user', content: 'hi' }], params: params() },
      (e) => e.type === 'text' && chunks.push(e.text),
    );
    assert.ok(chunks.length > 1);
    assert.equal(chunks.join(''), r1.text);
    assert.ok(r1.metrics.completionTokens > 0 && r1.metrics.completionTokens <= 16);
    assert.ok(r1.metrics.promptTokens > 2, 'the chat template wraps the prompt');
    assert.ok(r1.metrics.ttftMs > 0 && r1.metrics.genTokensPerSec! > 0 && r1.metrics.promptTokensPerSec! > 0 && r1.metrics.peakRssBytes > 10_000_000);
    const r2 = await engine.api.inference.chat({ modelId: a, messages: [{ role: 'user', content: 'hi' }], params: params() });
    assert.equal(r2.text, r1.text);
    const r3 = await engine.api.inference.chat({ modelId: a, messages: [{ role: 'user', content: 'hi' }], params: params({ seed: 12 }) });
    assert.notEqual(r3.text, r1.text, 'another seed, another text');
  });

  test('cancel stops a generation early', async () => {
    const ac = new AbortController();
    let n = 0;
    const r = await engine.api.inference.complete(
      { modelId: a, prompt: 'x', params: params({ maxTokens: 200 }) },
      () => {
        if (++n === 3) ac.abort();
      },
      ac.signal,
    );
    assert.equal(r.finishReason, 'abort');
    assert.ok(r.metrics.completionTokens < 50, String(r.metrics.completionTokens));
  });

  test('stop strings stop, and the stop string is not in the text', async () => {
    const free = await engine.api.inference.complete({ modelId: a, prompt: 'ab', params: params({ maxTokens: 60 }) });
    // A two-character ASCII probe after an ASCII character, so no half-decoded bytes sit right before it.
    const ascii = (c: string | undefined): boolean => !!c && c >= ' ' && c <= '~';
    let at = -1;
    for (let i = 2; i < free.text.length - 1 && at < 0; i++)
      if (ascii(free.text[i - 1]) && ascii(free.text[i]) && ascii(free.text[i + 1]) && free.text.indexOf(free.text.slice(i, i + 2)) === i) at = i;
    assert.ok(at > 0, `no ASCII probe in ${JSON.stringify(free.text)}`);
    const probe = free.text.slice(at, at + 2);
    const stopped = await engine.api.inference.complete({ modelId: a, prompt: 'ab', params: params({ maxTokens: 40, stop: [probe] }) });
    assert.equal(stopped.finishReason, 'stop');
    assert.equal(stopped.text, free.text.slice(0, free.text.indexOf(probe)));
  });

  test('JSON-schema constrained output parses and fits', async () => {
    const schema = { type: 'object', properties: { name: { type: 'string' }, n: { type: 'integer' } }, required: ['name', 'n'] };
    const r = await engine.api.inference.chat({
      modelId: a,
      messages: [{ role: 'user', content: 'j' }],
      params: params({ maxTokens: 80 }),
      jsonSchema: schema,
    });
    const v = JSON.parse(r.text) as { name: unknown; n: unknown };
    assert.equal(typeof v.name, 'string');
    assert.ok(Number.isInteger(v.n));
  });

  test('a chat-template override replaces the model’s: the prompt is exactly what the override renders', async () => {
    const template = '{% for m in messages %}<<{{ m.role }}>> {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<<assistant>> {% endif %}';
    const messages = [{ role: 'user' as const, content: 'hello there, model' }];
    // Rendered independently, by the Jinja engine transformers.js uses, and counted by the model's own tokenizer.
    const render = (t: string): string => new Template(t).render({ messages, add_generation_prompt: true, bos_token: '', eos_token: '' });
    const over = await engine.api.inference.chat({ modelId: a, messages, chatTemplate: template, params: params({ maxTokens: 1 }) });
    assert.equal(
      over.metrics.promptTokens,
      await engine.api.inference.countTokens(a, render(template)),
      `override prompt: ${JSON.stringify(render(template))}`,
    );
    // Without it, the model's own template (the fixture's ChatML), rendered and counted the same way.
    const own = await engine.api.inference.chat({ modelId: a, messages, params: params({ maxTokens: 1 }) });
    // node-llama-cpp runs a ChatML template through its built-in ChatML wrapper, which starts with the model's BOS token;
    // an override gets exactly what it renders (a template that wants BOS writes {{ bos_token }}, as in transformers).
    assert.equal(own.metrics.promptTokens, (await engine.api.inference.countTokens(a, render(CHATML_TEMPLATE))) + 1);
    assert.notEqual(own.metrics.promptTokens, over.metrics.promptTokens);
    await assert.rejects(
      engine.api.inference.chat({ modelId: a, messages, chatTemplate: '{% for m in messages %}{{ m.content }', params: params() }),
      /chatTemplate/,
    );
  });

  test('tools: a required call is a call to an offered function with arguments that fit its schema', async () => {
    await engine.api.inference.load({ modelId: c, options: opts({ contextSize: 2048, parallel: 1 }) });
    const tools = [
      {
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: { type: 'object', properties: { city: { enum: ['Paris', 'Oslo'] }, unit: { enum: ['c', 'f'] } }, required: ['city', 'unit'] },
      },
      { name: 'get_time', description: 'Time in a zone', parameters: { type: 'object', properties: { zone: { enum: ['UTC', 'CET'] } }, required: ['zone'] } },
    ];
    const messages = [{ role: 'user' as const, content: 'weather?' }];
    const r = await engine.api.inference.chat({ modelId: c, messages, tools, toolChoice: 'required', params: params({ maxTokens: 80 }) });
    assert.equal(r.finishReason, 'tool_calls', JSON.stringify(r));
    assert.ok(r.toolCalls.length >= 1);
    for (const c of r.toolCalls) {
      assert.ok(['get_weather', 'get_time'].includes(c.name), c.name);
      const args = c.arguments as Record<string, unknown>;
      if (c.name === 'get_weather')
        assert.ok(['Paris', 'Oslo'].includes(args.city as string) && ['c', 'f'].includes(args.unit as string), JSON.stringify(args));
      else assert.ok(['UTC', 'CET'].includes(args.zone as string), JSON.stringify(args));
    }
    const named = await engine.api.inference.chat({
      modelId: c,
      messages,
      tools,
      toolChoice: { name: 'get_time' },
      params: params({ maxTokens: 80, seed: 5 }),
    });
    assert.deepEqual(
      named.toolCalls.map((c) => c.name),
      named.toolCalls.map(() => 'get_time'),
    );
    assert.ok(named.toolCalls.length >= 1);
    const none = await engine.api.inference.chat({ modelId: c, messages, tools, toolChoice: 'none', params: params({ maxTokens: 8 }) });
    assert.deepEqual(none.toolCalls, []);
    // none: the tools are not even documented to the model, so its prompt is that of a chat without tools.
    const withoutTools = await engine.api.inference.chat({ modelId: c, messages, params: params({ maxTokens: 8 }) });
    assert.equal(none.metrics.promptTokens, withoutTools.metrics.promptTokens);
    assert.ok(r.metrics.promptTokens > none.metrics.promptTokens + 100, `documented tools: ${r.metrics.promptTokens} vs ${none.metrics.promptTokens}`);
    await assert.rejects(
      engine.api.inference.chat({ modelId: c, messages, tools, toolChoice: { name: 'nope' }, params: params() }),
      /toolChoice.name: no tool named "nope"/,
    );
  });

  test('tools: a tool result goes into the prompt, paired with its call by id; a call without a result is refused', async () => {
    const tools = [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];
    const turn = (result: string) => [
      { role: 'user' as const, content: 'weather in Oslo?' },
      { role: 'assistant' as const, content: '', toolCalls: [{ id: 'c1', name: 'get_weather', arguments: { city: 'Oslo' } }] },
      { role: 'tool' as const, content: result, toolCallId: 'c1' },
    ];
    const short = await engine.api.inference.chat({ modelId: c, messages: turn('sunny'), tools, params: params({ maxTokens: 2 }) });
    const long = await engine.api.inference.chat({ modelId: c, messages: turn('sunny and warm, 21 degrees'), tools, params: params({ maxTokens: 2 }) });
    // The tiny model's vocabulary is one token per ASCII character, so the prompts differ by the results' lengths.
    assert.equal(long.metrics.promptTokens - short.metrics.promptTokens, 'sunny and warm, 21 degrees'.length - 'sunny'.length);
    const unanswered = turn('x').slice(0, 2);
    await assert.rejects(
      engine.api.inference.chat({ modelId: c, messages: unanswered, tools, params: params() }),
      /messages\[1\]: tool call 0 \("get_weather"\) has no tool message with its result/,
    );
    await assert.rejects(
      engine.api.inference.chat({ modelId: c, messages: [...unanswered, { role: 'tool', content: 'x', toolCallId: 'other' }], tools, params: params() }),
      /messages\[2\]\.toolCallId: no earlier assistant message made a call with id "other"/,
    );
  });

  test('log-probabilities: one per token, each ≤ 0, alternatives sorted and their probabilities sum to at most 1', async () => {
    const r = await engine.api.inference.complete({ modelId: a, prompt: 'q', params: params({ maxTokens: 8, temperature: 0 }), logprobs: 5 });
    assert.equal(r.logprobs!.length, r.metrics.completionTokens);
    for (const lp of r.logprobs!) {
      assert.ok(lp.logprob <= 1e-9);
      assert.equal(lp.top.length, 5);
      for (let i = 1; i < lp.top.length; i++) assert.ok(lp.top[i - 1]!.logprob >= lp.top[i]!.logprob);
      const sum = lp.top.reduce((s, t) => s + Math.exp(t.logprob), 0);
      assert.ok(sum > 0 && sum <= 1 + 1e-6, String(sum));
      // Greedy: the chosen token is the most likely one.
      assert.ok(Math.abs(lp.logprob - lp.top[0]!.logprob) < 1e-6);
    }
  });

  test('a LoRA adapter attached at load changes the log-probabilities, more with a larger scale', async () => {
    const adapter = join(engine.home, 'lora.gguf');
    writeFileSync(adapter, buildTinyLora({ rank: 4, alpha: 8, seed: 3 }).bytes);
    const first = async (): Promise<number[]> => {
      const r = await engine.api.inference.complete({ modelId: b, prompt: 'hello', params: params({ maxTokens: 1, temperature: 0 }), logprobs: 5 });
      return r.logprobs![0]!.top.map((t) => t.logprob);
    };
    await engine.api.inference.load({ modelId: b, options: opts() });
    const base = await first();
    await engine.api.inference.load({ modelId: b, options: opts({ lora: [{ path: adapter, scale: 1 }] }) });
    const adapted = await first();
    await engine.api.inference.load({ modelId: b, options: opts({ lora: [{ path: adapter, scale: 0 }] }) });
    const zero = await first();
    const dist = (x: number[], y: number[]): number => x.reduce((s, v, i) => s + Math.abs(v - y[i]!), 0);
    assert.ok(dist(base, adapted) > 1e-3, `${base.join(',')} vs ${adapted.join(',')}`);
    assert.ok(dist(base, zero) < dist(base, adapted), 'scale 0 is closer to the base');
  });

  test('a worker killed mid-generation fails only its requests; the other model keeps serving and it reloads on demand', async () => {
    await engine.api.inference.load({ modelId: b, options: opts() });
    const victim = engine.api.inference.list().find((m) => m.modelId === a)!;
    const events: GenerationEvent[] = [];
    const pending = engine.api.inference.complete({ modelId: a, prompt: 'x', params: params({ maxTokens: 100000 }) }, (e) => {
      events.push(e);
      if (events.length === 2) process.kill(victim.pid!, 'SIGKILL');
    });
    await assert.rejects(pending, /exited \(SIGKILL\)/);
    const other = await engine.api.inference.complete({ modelId: b, prompt: 'x', params: params() });
    assert.ok(other.text.length > 0);
    await waitFor('the dead worker to be forgotten', () => !engine.api.inference.list().some((m) => m.modelId === a && m.pid === victim.pid));
    const again = await engine.api.inference.complete({ modelId: a, prompt: 'x', params: params() });
    assert.ok(again.text.length > 0, 'reloaded on demand');
  });

  test('a corrupt model fails to load with the reason, and the engine keeps serving', async () => {
    const bad = join(engine.home, 'bad.gguf');
    writeFileSync(bad, buildTinyGguf({ seed: 23 }));
    const id = await importGguf(engine, bad);
    truncateSync(bad, 4000);
    await assert.rejects(engine.api.inference.load({ modelId: id, options: opts() }), /failed to load/);
    assert.ok(!engine.api.inference.list().some((m) => m.modelId === id && m.state === 'ready'));
    const ok = await engine.api.inference.complete({ modelId: b, prompt: 'x', params: params() });
    assert.ok(ok.text.length > 0);
  });

  test('idle models unload themselves', async () => {
    await engine.api.inference.load({ modelId: b, options: opts({ idleUnloadSeconds: 1 }) });
    await waitFor('the idle unload', () => !engine.api.inference.list().some((m) => m.modelId === b), 20_000);
  });
});

describe('a real model: Gemma 3 270M (base, Q4_K_M) from the toolchain fixtures', () => {
  test('continues a text in English words', async () => {
    const { gemmaFixture, WIKITEXT_VALID } = await import('../fixtures/python-models');
    const { q4 } = await gemmaFixture();
    const engine = await startTestEngine();
    try {
      const id = await importGguf(engine, q4);
      await engine.api.inference.load({ modelId: id, options: opts({ contextSize: 512, parallel: 1 }) });
      const r = await engine.api.inference.complete({
        modelId: id,
        prompt: 'The history of the city begins in the Middle Ages, when',
        params: params({ temperature: 0, maxTokens: 40, repeatPenalty: 1.1 }),
      });
      // Coherence, measured without knowing the answer: the words it writes are words of English text.
      const { readFileSync } = await import('node:fs');
      const vocab = new Set(
        readFileSync(WIKITEXT_VALID, 'utf8')
          .toLowerCase()
          .match(/[a-z]+/g),
      );
      const words = r.text.toLowerCase().match(/[a-z]+/g) ?? [];
      assert.ok(words.length >= 15, r.text);
      const known = words.filter((w) => vocab.has(w)).length / words.length;
      assert.ok(known >= 0.85, `${(known * 100).toFixed(0)}% known words: ${r.text}`);
      assert.ok(r.metrics.genTokensPerSec! > 1, JSON.stringify(r.metrics));
    } finally {
      await engine.dispose();
    }
  });
});
