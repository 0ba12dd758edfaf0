// `npm run bench -- inference [--threads N] [--runs N] [--no-gemma] [--json]`
//
// Local inference through Whittle's model worker against llama.cpp's own llama-bench, on the same model file with the
// same threads, batch (-b/-ub 512) and flash attention (off), in the same run:
//   pp  prompt processing tokens/s: our TTFT over a 128-token prompt vs llama-bench -p 128   (target ratio >= 0.95)
//   tg  generation tokens/s: greedy 64 tokens through our worker vs llama-bench -n 64        (target ratio >= 0.95)
// for the tiny random GGUF and the real Gemma 3 270M (Q4_K_M). The two alternate, one repetition each, `--runs` times,
// and medians are compared, so a busy or throttled machine slows both alike. A third row, node-llama-cpp's own
// evaluate loop in this process, shows what the binding itself reaches: where Whittle is close to it, the rest of the
// gap is the binding's fixed cost per token (a thread-pool round trip to decode, another to sample, its JS), which
// only shows when a token takes well under a millisecond, as on the tiny model.
// Then the server:
//   http  generation tokens/s streamed over /v1/chat/completions (SSE) vs the same request in-process (target >= 0.95)
//   16    concurrent streaming clients on the tiny model: all must finish with 0 errors.
// A benchmark, not a test: it exits 0 even when a target is missed, but says FAIL.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEngine } from '../electron/engine/index.ts';
import { startHttpServer } from '../electron/engine/server/http-server.ts';
import { findLlamaTools } from '../electron/engine/toolchain/llama-build.ts';
import { llamaBench } from '../electron/engine/toolchain/llama-tools.ts';
import { buildTinyGguf } from '../test/fixtures/tiny-gguf.ts';

const root = join(import.meta.dirname, '..');
const { values: o } = parseArgs({ options: { threads: { type: 'string', default: '1' }, runs: { type: 'string', default: '5' }, 'no-gemma': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } }, strict: true });
const threads = Number(o.threads);
const runs = Number(o.runs);
const cache = process.env.WHITTLE_CACHE ?? join(root, '.cache', 'whittle');
process.env.WHITTLE_CACHE = cache;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const GREEDY = { temperature: 0, topK: 1, topP: 1, minP: 0, repeatPenalty: 1, seed: 1, stop: [] };

const tools = await findLlamaTools(cache, 'cpu');
if (!tools) {
  console.error('The llama.cpp tools are not built: npx whittle toolchain install llama');
  process.exit(1);
}
const home = mkdtempSync(join(tmpdir(), 'whittle-bench-inference-'));
const engine = await startEngine({ dataDir: home, host: 'cli', version: 'bench', worker: { script: join(root, 'out', 'main', 'job-worker.js'), execArgv: [] } });
const results = { threads, runs, models: [], http: null, concurrent: null };

/** node-llama-cpp driven directly in this process with the worker's load options: the binding's own speed. */
async function bareBinding(file, load) {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: load.contextSize, sequences: 1, batchSize: load.batchSize, threads: load.threads, flashAttention: load.flashAttention });
  const seq = context.getSequence();
  const bos = model.tokens.bos !== null && model.tokens.shouldPrependBosToken ? [model.tokens.bos] : [];
  const tokenize = (text) => [...bos, ...model.tokenize(text, true)];
  return {
    tokenize,
    detokenize: (tokens) => model.detokenize(tokens.slice(bos.length)),
    async pp(text) {
      await seq.clearHistory();
      const tokens = tokenize(text);
      const t0 = performance.now();
      for await (const _ of seq.evaluate(tokens, { temperature: 0 })) break;
      return tokens.length / ((performance.now() - t0) / 1000);
    },
    async tg(n) {
      await seq.clearHistory();
      let first = 0;
      let got = 0;
      for await (const _ of seq.evaluate(tokenize('The'), { temperature: 0 })) {
        if (got++ === 0) first = performance.now();
        if (got >= n) break;
      }
      return (got - 1) / ((performance.now() - first) / 1000);
    },
    dispose: () => model.dispose(),
  };
}

async function importModel(file) {
  const job = engine.api.models.import({ path: file, mode: 'reference', tags: [] });
  for (let i = 0; i < 600 && !['succeeded', 'failed'].includes(engine.jobs.get(job.id).state); i++) await new Promise((r) => setTimeout(r, 100));
  return engine.api.models.list({ limit: 100 }).find((m) => m.path === file).id;
}

async function benchModel(label, file, words) {
  const modelId = await importModel(file);
  const load = { gpu: 'cpu', gpuLayers: 0, contextSize: 512, batchSize: 512, threads, flashAttention: false, kvCacheType: 'f16', parallel: 1, lora: [], idleUnloadSeconds: 0 };
  await engine.api.inference.load({ modelId, options: load });
  const bare = await bareBinding(file, load);
  // Exactly 128 prompt tokens, as llama-bench's -p 128: WikiText words, cut to 128 tokens by the model's tokenizer.
  let n = 20;
  while (bare.tokenize(words.slice(0, n).join(' ')).length < 140) n += 5;
  const prompt = bare.detokenize(bare.tokenize(words.slice(0, n).join(' ')).slice(0, 128));
  const ref = { pp: [], tg: [] };
  const ours = { pp: [], tg: [], promptTokens: 0 };
  const floor = { pp: [], tg: [] };
  const benchOnce = () => llamaBench({ model: file, threads, nPrompt: 128, nGen: 64, repetitions: 1, batchSize: 512, ubatchSize: 512, flashAttention: false }, { bin: join(tools.dir, 'bin') });
  await benchOnce();
  await engine.api.inference.complete({ modelId, prompt: 'warm up', params: { ...GREEDY, maxTokens: 4 } });
  await bare.tg(4);
  for (let i = 0; i < runs; i++) {
    const rows = await benchOnce();
    ref.pp.push(rows.find((r) => r.n_prompt === 128).avg_ts);
    ref.tg.push(rows.find((r) => r.n_gen === 64).avg_ts);
    const p = await engine.api.inference.complete({ modelId, prompt, params: { ...GREEDY, maxTokens: 1 } });
    ours.pp.push(p.metrics.promptTokensPerSec);
    ours.promptTokens = p.metrics.promptTokens;
    const g = await engine.api.inference.complete({ modelId, prompt: 'The', params: { ...GREEDY, maxTokens: 64 } });
    ours.tg.push(g.metrics.genTokensPerSec);
    floor.pp.push(await bare.pp(prompt));
    floor.tg.push(await bare.tg(64));
  }
  await bare.dispose();
  const r = { pp: median(ref.pp), tg: median(ref.tg) };
  const w = { pp: median(ours.pp), tg: median(ours.tg) };
  const b = { pp: median(floor.pp), tg: median(floor.tg) };
  results.models.push({ model: label, file, promptTokens: ours.promptTokens, llamaBench: r, whittle: w, binding: b, ratio: { pp: w.pp / r.pp, tg: w.tg / r.tg }, bindingRatio: { pp: b.pp / r.pp, tg: b.tg / r.tg } });
  return modelId;
}

/** Tokens/s of one streamed /v1 chat completion, from the first content chunk to the end, as a client sees it. */
async function streamOverHttp(url, model, messages) {
  let first = 0;
  let usage = null;
  const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages, temperature: 0, top_k: 1, top_p: 1, min_p: 0, seed: 1, max_tokens: 128, stream: true, stream_options: { include_usage: true } }) });
  const decoder = new TextDecoder();
  let buf = '';
  for await (const part of res.body) {
    buf += decoder.decode(part, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const line = buf.slice(0, i).replace(/^data: /, '');
      buf = buf.slice(i + 2);
      if (line === '[DONE]') continue;
      const c = JSON.parse(line);
      if (c.usage) usage = c.usage;
      if (c.choices?.[0]?.delta?.content && !first) first = performance.now();
    }
  }
  return (usage.completion_tokens - 1) / ((performance.now() - first) / 1000);
}

try {
  const tiny = join(home, 'tiny.gguf');
  writeFileSync(tiny, buildTinyGguf({ seed: 9, nEmbd: 256, nFf: 512, nLayer: 4, contextLength: 1024 }));
  const words = readFileSync(join(root, '..', 'shared', 'data', 'wikitext-2', 'valid.txt'), 'utf8').split(/\s+/).filter(Boolean);
  if (!o['no-gemma']) {
    const { gemmaFixture } = await import('../test/fixtures/python-models.ts');
    const gemmaId = await benchModel('Gemma 3 270M Q4_K_M', (await gemmaFixture()).q4, words);
    await engine.api.inference.unload(gemmaId);
  }
  const tinyId = await benchModel('tiny (random, 4 layers, 256 wide)', tiny, words);

  // Streaming over HTTP vs in-process, same model and request, alternating.
  const server = await startHttpServer(engine.api, { host: '127.0.0.1', port: 0, rendererDir: null });
  const messages = [{ role: 'user', content: 'Hello' }];
  const local = [];
  const http = [];
  for (let i = 0; i < runs; i++) {
    // In-process as an API user sees it: from the first streamed text to the end, timed in this process.
    let firstLocal = 0;
    const r = await engine.api.inference.chat({ modelId: tinyId, messages, params: { ...GREEDY, maxTokens: 128 } }, (e) => {
      if (e.type === 'text' && !firstLocal) firstLocal = performance.now();
    });
    local.push((r.metrics.completionTokens - 1) / ((performance.now() - firstLocal) / 1000));
    http.push(await streamOverHttp(server.url, tinyId, messages));
  }
  results.http = { inProcess: median(local), overHttp: median(http), ratio: median(http) / median(local) };

  // 16 concurrent streaming clients on 4 parallel sequences (the rest queue).
  await engine.api.inference.load({ modelId: tinyId, options: { gpu: 'cpu', gpuLayers: 0, contextSize: 256, threads, flashAttention: false, kvCacheType: 'f16', parallel: 4, lora: [], idleUnloadSeconds: 0 } });
  const t0 = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: 16 }, async (_, i) => {
      try {
        const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: tinyId, messages: [{ role: 'user', content: `q${i}` }], max_tokens: 32, seed: i, stream: true }) });
        const text = await res.text();
        return res.ok && text.includes('[DONE]') && !text.includes('"error"');
      } catch {
        return false;
      }
    }),
  );
  results.concurrent = { clients: 16, errors: outcomes.filter((x) => !x).length, seconds: (performance.now() - t0) / 1000 };
  await server.close();
} finally {
  await engine.close();
  rmSync(home, { recursive: true, force: true });
}

if (o.json) console.log(JSON.stringify(results, null, 2));
else {
  const verdict = (r) => (r >= 0.95 ? 'PASS' : 'FAIL');
  console.log(`threads ${threads}, ${runs} alternating runs each (median); llama-bench -b 512 -ub 512 -fa off; worker context 512, batch 512`);
  for (const m of results.models) {
    console.log(`${m.model} (prompt ${m.promptTokens} tokens)`);
    console.log(`  prompt  llama-bench ${m.llamaBench.pp.toFixed(1)} tok/s, whittle ${m.whittle.pp.toFixed(1)} tok/s, ratio ${m.ratio.pp.toFixed(2)} ${verdict(m.ratio.pp)}`);
    console.log(`  gen     llama-bench ${m.llamaBench.tg.toFixed(1)} tok/s, whittle ${m.whittle.tg.toFixed(1)} tok/s, ratio ${m.ratio.tg.toFixed(2)} ${verdict(m.ratio.tg)}`);
    console.log(`  node-llama-cpp's own loop: prompt ${m.binding.pp.toFixed(1)} tok/s (${m.bindingRatio.pp.toFixed(2)} of llama-bench), gen ${m.binding.tg.toFixed(1)} tok/s (${m.bindingRatio.tg.toFixed(2)}); whittle reaches ${(m.whittle.pp / m.binding.pp).toFixed(2)} and ${(m.whittle.tg / m.binding.tg).toFixed(2)} of it`);
  }
  console.log(`http streaming: in-process ${results.http.inProcess.toFixed(1)} tok/s, over /v1 SSE ${results.http.overHttp.toFixed(1)} tok/s, ratio ${results.http.ratio.toFixed(2)} ${verdict(results.http.ratio)}`);
  console.log(`16 concurrent streaming clients: ${results.concurrent.errors} errors in ${results.concurrent.seconds.toFixed(1)} s ${results.concurrent.errors === 0 ? 'PASS' : 'FAIL'}`);
}
