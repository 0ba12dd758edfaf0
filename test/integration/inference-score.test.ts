/**
 * The llama.cpp backend's scoring requests against references that are not this code:
 *   perplexity  against llama.cpp's own llama-perplexity on the same model, text and context;
 *   score       against a brute-force evaluation in this process (node-llama-cpp, no cache sharing, each position's
 *               full softmax), with the tokens split by lm-evaluation-harness's rule re-implemented here;
 *   applyTemplate against the chat path (the completion of its text finds the chat's whole prompt in the KV cache)
 *               and against the Jinja engine transformers.js uses, for a template override.
 * One thread everywhere (a shared 2-core machine).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Template } from '@huggingface/jinja';
import type { ControlledEvaluateInputItem, Token } from 'node-llama-cpp';
import { defaultCacheDir } from '../../electron/engine/config';
import { findLlamaTools } from '../../electron/engine/toolchain/llama-build';
import { InvalidInputError } from '../../shared/errors';
import { LoadOptions, SamplingParams, type ChatMessage, type PerplexityProgress } from '../../shared/inference';
import { gemmaFixture, SHARED_DATA } from '../fixtures/python-models';
import { buildTinyGguf } from '../fixtures/tiny-gguf';
import { startTestEngine, waitForFinal } from '../helpers/engine';

type TestEngine = Awaited<ReturnType<typeof startTestEngine>>;

const opts = (over: Partial<LoadOptions> = {}): LoadOptions =>
  LoadOptions.parse({ gpu: 'cpu', gpuLayers: 0, contextSize: 256, threads: 1, parallel: 2, idleUnloadSeconds: 0, ...over });
const greedy = (maxTokens: number): SamplingParams => SamplingParams.parse({ temperature: 0, repeatPenalty: 1, maxTokens });

async function importModel(engine: TestEngine, file: string): Promise<string> {
  const job = await waitForFinal(engine, engine.api.models.import({ path: file, mode: 'reference', tags: [] }).id, 120_000);
  assert.equal(job.state, 'succeeded', job.error ?? '');
  return engine.api.models.list({ limit: 100 }).find((m) => m.path === file)!.id;
}

/**
 * llama-perplexity itself, its output parsed here: the running estimate per chunk (`[1]7.88,[2]10.15,…` on stdout)
 * and `Final estimate: PPL = X +/- Y`. Its last log lines are sometimes lost at exit (an unjoined logging thread),
 * so a run without the final line is repeated.
 */
function llamaPerplexityRun(bin: string, args: string[]): { ppl: number; stderr: number; running: number[] } {
  for (let attempt = 0; attempt < 6; attempt++) {
    const r = spawnSync(join(bin, 'llama-perplexity'), args, { encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const out = `${r.stdout}\n${r.stderr}`;
    const final = /Final estimate: PPL = ([\d.]+) \+\/- ([\d.]+)/.exec(out);
    if (!final) continue;
    const running = [...r.stdout.matchAll(/\[(\d+)\]([\d.]+),/g)].map((m) => Number(m[2]));
    return { ppl: Number(final[1]), stderr: Number(final[2]), running };
  }
  throw new Error('llama-perplexity printed no final estimate in 6 runs');
}

const relDiff = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe('score, perplexity and applyTemplate on the llama.cpp backend (Gemma 3 270M, 1 thread)', () => {
  let engine: TestEngine;
  let q4: string;
  let f16: string;
  let q4Id: string;
  let f16Id: string;
  let bin: string;

  before(async () => {
    ({ q4, f16 } = await gemmaFixture());
    const tools = await findLlamaTools(defaultCacheDir(), 'cpu');
    assert.ok(tools, `no llama.cpp tools in ${defaultCacheDir()}: run \`whittle toolchain install llama\``);
    bin = join(tools.dir, 'bin');
    engine = await startTestEngine();
    q4Id = await importModel(engine, q4);
    f16Id = await importModel(engine, f16);
  });
  after(async () => engine?.dispose());

  test('perplexity agrees with llama-perplexity on WikiText-2 (c=128, 4 chunks), flash attention on and off', async () => {
    // An excerpt: ~4,900 tokens, enough for llama-perplexity's minimum of 2 × 128 and 4 chunks.
    const file = join(engine.home, 'wikitext-excerpt.txt');
    const text = readFileSync(join(SHARED_DATA, 'wikitext-2', 'test.txt'), 'utf8').slice(0, 20_000);
    writeFileSync(file, text);
    // Flash attention changes this model's perplexity by ~0.5% on the CPU, more than the tolerance: both sides use the same.
    for (const fa of [true, false]) {
      await engine.api.inference.load({ modelId: q4Id, options: opts({ contextSize: 128, parallel: 1, flashAttention: fa }) });
      const progress: PerplexityProgress[] = [];
      const ours = await engine.api.inference.perplexity({ modelId: q4Id, text, contextSize: 128, chunks: 4 }, (p) => progress.push(p));
      const ref = llamaPerplexityRun(bin, ['-m', q4, '-f', file, '-c', '128', '--chunks', '4', '-t', '1', '-fa', fa ? 'on' : 'off']);
      const what = `flash attention ${fa ? 'on' : 'off'}: ours ${ours.ppl.toFixed(4)} ± ${ours.stderr.toFixed(4)} [${ours.chunks.map((c) => c.runningPpl.toFixed(4)).join(', ')}], llama-perplexity ${ref.ppl} ± ${ref.stderr} [${ref.running.join(', ')}]`;
      assert.ok(relDiff(ours.ppl, ref.ppl) < 0.002, what);
      assert.equal(ref.running.length, 4, what);
      ours.chunks.forEach((c, i) => assert.ok(relDiff(c.runningPpl, ref.running[i]!) < 0.002, `chunk ${i + 1}: ${what}`));
      assert.ok(relDiff(ours.stderr, ref.stderr) < 0.02, what);
      // Each chunk scores its second half but the last token: 128 - 1 - 64.
      assert.equal(ours.tokens, 4 * 63);
      assert.equal(ours.contextSize, 128);
      // Only the tokens the 4 chunks take were read (a prefix of the text was tokenized).
      assert.equal(ours.textTokens, 4 * 128);
      assert.ok(Math.abs(ours.meanNll - Math.log(ours.ppl)) < 1e-9);
      assert.deepEqual(
        progress.map((p) => [p.chunk, p.chunks]),
        [
          [1, 4],
          [2, 4],
          [3, 4],
          [4, 4],
        ],
      );
      assert.equal(progress.at(-1)!.runningPpl, ours.ppl);
      assert.ok(ours.tokensPerSec > 0);
    }
  });

  test('perplexity refuses chunks larger than the loaded context and texts shorter than a chunk; it stops when aborted', async () => {
    await engine.api.inference.load({ modelId: q4Id, options: opts({ contextSize: 128, parallel: 1 }) });
    const loaded = engine.api.inference.list().find((m) => m.modelId === q4Id)!;
    await assert.rejects(
      engine.api.inference.perplexity({ modelId: q4Id, text: 'x '.repeat(5000), contextSize: loaded.contextSize! * 2 }),
      (e: Error) => e instanceof InvalidInputError && /contextSize/.test(e.message),
    );
    await assert.rejects(
      engine.api.inference.perplexity({ modelId: q4Id, text: 'Too short.', contextSize: 64 }),
      (e: Error) => e instanceof InvalidInputError && /fewer than one chunk/.test(e.message),
    );
    const ac = new AbortController();
    const text = readFileSync(join(SHARED_DATA, 'wikitext-2', 'valid.txt'), 'utf8').slice(0, 40_000);
    const started = Date.now();
    const seen: number[] = [];
    await assert.rejects(
      engine.api.inference.perplexity(
        { modelId: q4Id, text, contextSize: 64 },
        (p) => {
          seen.push(p.chunk);
          if (p.chunk === 2) ac.abort();
        },
        ac.signal,
      ),
      /cancelled/,
    );
    assert.ok(seen.length >= 2 && seen.length <= 3, `stopped after chunk ${seen.at(-1)} (${Date.now() - started} ms)`);
    // The model keeps serving.
    assert.equal((await engine.api.inference.perplexity({ modelId: q4Id, text, contextSize: 64, chunks: 1 })).chunks.length, 1);
    await engine.api.inference.unload(q4Id);
  });

  describe('score (the F16 model: its logits barely depend on how tokens are batched, unlike Q4_K_M’s, so comparisons can be tight)', () => {
    // The same settings as the engine's load below.
    let reference: (context: string, continuation: string) => Promise<{ logprob: number; tokens: number; isGreedy: boolean }>;
    let dispose: () => Promise<void>;

    before(async () => {
      await engine.api.inference.load({ modelId: f16Id, options: opts({ contextSize: 256, parallel: 2 }) });
      const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
      const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, maxThreads: 0 });
      const model = await llama.loadModel({ modelPath: f16, gpuLayers: 0 });
      const context = await model.createContext({ contextSize: 256, sequences: 1, threads: 1, flashAttention: false });
      const seq = context.getSequence();
      const bos = model.tokens.bos!;
      assert.ok(model.tokens.shouldPrependBosToken);
      // lm-evaluation-harness's TemplateLM._encode_pair, with its tokenizer adding BOS (as it does for Gemma).
      const encode = (s: string): Token[] => [bos, ...model.tokenize(s, true)];
      reference = async (ctx, cont) => {
        const spaces = ctx.length - ctx.trimEnd().length;
        const [c, k] = spaces > 0 ? [ctx.slice(0, -spaces), ctx.slice(-spaces) + cont] : [ctx, cont];
        const contextTokens = encode(c);
        const continuation = encode(c + k).slice(contextTokens.length);
        // The whole context + continuation from an empty cache; each position's full distribution (softmax in llama.cpp).
        await seq.clearHistory();
        const input = [...contextTokens, ...continuation.slice(0, -1)];
        const out = await seq.controlledEvaluate(
          input.map((t, i): ControlledEvaluateInputItem => (i >= contextTokens.length - 1 ? [t, { generateNext: { probabilities: true } }] : t)),
        );
        let logprob = 0;
        let isGreedy = true;
        continuation.forEach((t, j) => {
          const probs = out[contextTokens.length - 1 + j]!.next.probabilities!;
          logprob += Math.log(probs.get(t)!);
          isGreedy &&= probs.keys().next().value === t;
        });
        return { logprob, tokens: continuation.length, isGreedy };
      };
      dispose = () => model.dispose();
    });
    after(async () => dispose?.());

    // F16 logits move by ~1e-4 nat per token with the batch's shape, and by up to ~3e-3 when a token is evaluated alone
    // (a context found in the cache evaluates only its last token); a wrong split or position is off by whole nats.
    const tolerance = (tokens: number): number => 1e-3 * Math.max(1, tokens);
    const aloneTolerance = (tokens: number): number => 1e-2 * Math.max(1, tokens);
    const cases: [string, string[]][] = [
      ['The capital of France is', [' Paris', ' London', ' a city in Europe.', ' Paris, the city of light.']],
      ['1, 2, 3, 4, 5, 6, 7,', [' 8', ' 8, 9, 10', ' banana']],
      ['Question: What colour is the sky on a clear day?\nAnswer: ', ['blue', 'The sky is blue.', '']],
    ];

    test('sums of continuation log-probabilities and isGreedy match a brute-force evaluation without cache sharing', async () => {
      let greedySeen = false;
      let notGreedySeen = false;
      for (const [context, continuations] of cases) {
        const r = await engine.api.inference.score({ modelId: f16Id, context, continuations });
        assert.equal(r.truncatedTokens, 0);
        for (const [i, cont] of continuations.entries()) {
          const ours = r.continuations[i]!;
          const ref = await reference(context, cont);
          const what = `${JSON.stringify(context)} + ${JSON.stringify(cont)}: ours ${JSON.stringify(ours)}, reference ${JSON.stringify(ref)}`;
          assert.equal(ours.tokens, ref.tokens, what);
          assert.ok(Math.abs(ours.logprob - ref.logprob) < tolerance(ours.tokens), what);
          assert.equal(ours.isGreedy, ref.isGreedy, what);
          assert.ok(ours.logprob < 0, what);
          greedySeen ||= ours.isGreedy;
          notGreedySeen ||= !ours.isGreedy;
        }
      }
      assert.ok(greedySeen && notGreedySeen, 'the cases include greedy and non-greedy continuations');
    });

    test('the context is evaluated once per request, and found in the KV cache by the next request with it', async () => {
      const [context, continuations] = cases[0]!;
      // A context no earlier request began with (they share BOS at most).
      const fresh = `Once more: ${context}`;
      const first = await engine.api.inference.score({ modelId: f16Id, context: fresh, continuations });
      const lengths = first.continuations.map((c) => c.tokens);
      const continuationWork = lengths.reduce((a, n) => a + n - 1, 0);
      assert.equal(first.evaluatedTokens, first.contextTokens - first.cachedTokens + continuationWork);
      assert.ok(first.cachedTokens <= 1, `only BOS could be shared with earlier requests, not ${first.cachedTokens}`);
      const again = await engine.api.inference.score({ modelId: f16Id, context: fresh, continuations });
      assert.equal(again.cachedTokens, again.contextTokens - 1);
      assert.equal(again.evaluatedTokens, 1 + continuationWork);
      again.continuations.forEach((c, i) => {
        assert.equal(c.tokens, first.continuations[i]!.tokens);
        assert.ok(Math.abs(c.logprob - first.continuations[i]!.logprob) < aloneTolerance(c.tokens), `${c.logprob} vs ${first.continuations[i]!.logprob}`);
      });
    });

    test('whitespace ending the context belongs to the continuation; an empty context starts at BOS; a long context is cut from its start', async () => {
      const a = await engine.api.inference.score({ modelId: f16Id, context: 'The capital of France is', continuations: [' Paris'] });
      const b = await engine.api.inference.score({ modelId: f16Id, context: 'The capital of France is ', continuations: ['Paris'] });
      assert.equal(b.contextTokens, a.contextTokens);
      assert.equal(b.continuations[0]!.tokens, a.continuations[0]!.tokens);
      assert.ok(Math.abs(b.continuations[0]!.logprob - a.continuations[0]!.logprob) < aloneTolerance(1));
      const empty = await engine.api.inference.score({ modelId: f16Id, context: '', continuations: ['Hello world'] });
      assert.equal(empty.contextTokens, 1);
      const ref = await reference('', 'Hello world');
      assert.equal(empty.continuations[0]!.tokens, ref.tokens);
      assert.ok(Math.abs(empty.continuations[0]!.logprob - ref.logprob) < tolerance(ref.tokens));
      const long = await engine.api.inference.score({ modelId: f16Id, context: 'word '.repeat(400), continuations: [' end', ' the end of it'] });
      assert.ok(long.truncatedTokens > 0);
      assert.equal(long.contextTokens + Math.max(...long.continuations.map((c) => c.tokens)) - 1, 256);
      await engine.api.inference.unload(f16Id);
    });
  });

  test('applyTemplate gives the prompt the chat path sends: a completion of its text finds the chat’s whole prompt in the KV cache', async () => {
    // F16: the greedy replies compare exactly (the chat evaluates its prompt in one batch, the completion one token).
    const modelId = f16Id;
    await engine.api.inference.load({ modelId, options: opts({ contextSize: 256, parallel: 2 }) });
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Answer in one word.' },
      { role: 'user', content: 'What is the capital of France?' },
      { role: 'assistant', content: 'Paris.' },
      { role: 'user', content: 'And of Italy?' },
    ];
    const t = await engine.api.inference.applyTemplate({ modelId, messages });
    assert.ok(t.text.startsWith('<bos><start_of_turn>user\n'), JSON.stringify(t.text));
    assert.ok(t.text.endsWith('And of Italy?<end_of_turn>\n<start_of_turn>model\n'), JSON.stringify(t.text));
    const chat = await engine.api.inference.chat({ modelId, messages, params: greedy(6) });
    const completion = await engine.api.inference.complete({ modelId, prompt: t.text, params: greedy(6) });
    assert.equal(chat.metrics.promptTokens, t.tokens);
    assert.equal(completion.metrics.promptTokens, t.tokens);
    // Every prompt token but the last (always evaluated) came from the chat's sequence: the tokens are the same.
    assert.equal(completion.metrics.cachedTokens, t.tokens - 1);
    assert.equal(completion.text, chat.text);
    await engine.api.inference.unload(modelId);
  });

  test('applyTemplate with a template override is exactly what the Jinja engine renders', async () => {
    const file = join(engine.home, 'tiny.gguf');
    writeFileSync(file, buildTinyGguf({ seed: 51 }));
    const tiny = await importModel(engine, file);
    await engine.api.inference.load({ modelId: tiny, options: opts({ parallel: 1 }) });
    const template = '{% for m in messages %}<<{{ m.role }}>> {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<<assistant>> {% endif %}';
    const messages: ChatMessage[] = [
      { role: 'user', content: 'hello there, model' },
      { role: 'assistant', content: 'hi' },
      { role: 'user', content: 'how are you?' },
    ];
    const rendered = new Template(template).render({ messages, add_generation_prompt: true, bos_token: '', eos_token: '' });
    const t = await engine.api.inference.applyTemplate({ modelId: tiny, messages, chatTemplate: template });
    assert.equal(t.text, rendered);
    assert.equal(t.tokens, await engine.api.inference.countTokens(tiny, rendered));
    // What a chat with the same override evaluates.
    const chat = await engine.api.inference.chat({ modelId: tiny, messages, chatTemplate: template, params: greedy(1) });
    assert.equal(chat.metrics.promptTokens, t.tokens);
    await engine.api.inference.unload(tiny);
  });
});
