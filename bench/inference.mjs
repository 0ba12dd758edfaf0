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
import { request } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEngine } from '../electron/engine/index.ts';
import { startHttpServer } from '../electron/engine/server/http-server.ts';
import { findLlamaTools } from '../electron/engine/toolchain/llama-build.ts';
import { llamaBench } from '../electron/engine/toolchain/llama-tools.ts';
import { buildTinyGguf } from '../test/fixtures/tiny-gguf.ts';

const root = join(import.meta.dirname, '..');
const { values: o } = parseArgs({
  options: {
    threads: { type: 'string', default: '1' },
    runs: { type: 'string', default: '5' },
    'no-gemma': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
  strict: true,
});
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
const engine = await startEngine({
  dataDir: home,
  host: 'cli',
  version: 'bench',
  worker: { script: join(root, 'out', 'main', 'job-worker.js'), execArgv: [] },
});
const results = { threads, runs, models: [], http: [], concurrent: null };

/** node-llama-cpp driven directly in this process with the worker's load options: the binding's own speed. */
async function bareBinding(file, load) {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  // llama.cpp's own timer of its decode calls, read from its performance report: what the binding adds is the rest.
  let evalReport = null;
  const llama = await getLlama({
    gpu: false,
    build: 'never',
    logLevel: LlamaLogLevel.info,
    logger: (level, message) => {
      const m = /eval time = +([0-9.]+) ms \/ +([0-9]+) runs/.exec(message);
      if (m) evalReport = { ms: Number(m[1]), runs: Number(m[2]) };
      else if ((level === 'error' || level === 'fatal') && !message.includes('llama_perf')) console.error(message);
    },
  });
  const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
  const context = await model.createContext({
    contextSize: load.contextSize,
    sequences: 1,
    batchSize: load.batchSize,
    threads: load.threads,
    flashAttention: load.flashAttention,
    performanceTracking: true,
  });
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
    /** Tokens/s from the first generated token on, and llama.cpp's own milliseconds per decode over the same steps. */
    async tg(n) {
      await seq.clearHistory();
      let first = 0;
      let got = 0;
      for await (const _ of seq.evaluate(tokenize('The'), { temperature: 0 })) {
        if (got++ === 0) {
          first = performance.now();
          await context.printTimings(); // resets llama.cpp's counters: what follows is the generation steps only
        }
        if (got >= n) break;
      }
      const tps = (got - 1) / ((performance.now() - first) / 1000);
      evalReport = null;
      await context.printTimings();
      return { tps, decodeMs: evalReport ? evalReport.ms / evalReport.runs : null };
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
  const load = {
    gpu: 'cpu',
    gpuLayers: 0,
    contextSize: 512,
    batchSize: 512,
    threads,
    flashAttention: false,
    kvCacheType: 'f16',
    parallel: 1,
    lora: [],
    idleUnloadSeconds: 0,
  };
  await engine.api.inference.load({ modelId, options: load });
  const bare = await bareBinding(file, load);
  // Exactly 128 prompt tokens, as llama-bench's -p 128: WikiText words, cut to 128 tokens by the model's tokenizer.
  let n = 20;
  while (bare.tokenize(words.slice(0, n).join(' ')).length < 140) n += 5;
  const prompt = bare.detokenize(bare.tokenize(words.slice(0, n).join(' ')).slice(0, 128));
  const ref = { pp: [], tg: [] };
  const ours = { pp: [], tg: [], promptTokens: 0 };
  const floor = { pp: [], tg: [], decodeMs: [] };
  const benchOnce = () =>
    llamaBench(
      { model: file, threads, nPrompt: 128, nGen: 64, repetitions: 1, batchSize: 512, ubatchSize: 512, flashAttention: false },
      { bin: join(tools.dir, 'bin') },
    );
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
    const t = await bare.tg(64);
    floor.tg.push(t.tps);
    if (t.decodeMs !== null) floor.decodeMs.push(t.decodeMs);
  }
  await bare.dispose();
  const r = { pp: median(ref.pp), tg: median(ref.tg) };
  const w = { pp: median(ours.pp), tg: median(ours.tg) };
  const b = { pp: median(floor.pp), tg: median(floor.tg), decodeMs: floor.decodeMs.length ? median(floor.decodeMs) : null };
  results.models.push({
    model: label,
    file,
    promptTokens: ours.promptTokens,
    llamaBench: r,
    whittle: w,
    binding: b,
    ratio: { pp: w.pp / r.pp, tg: w.tg / r.tg },
    bindingRatio: { pp: b.pp / r.pp, tg: b.tg / r.tg },
  });
  return modelId;
}

/**
 * Tokens/s of one streamed /v1 chat completion as a client sees it, from the first chunk to the last. The client is
 * node:http with no SSE parsing beyond finding the usage chunk, so its own cost barely shows beside the server's.
 */
function streamOverHttp(url, body) {
  return new Promise((resolve, reject) => {
    const u = new URL(`${url}/v1/chat/completions`);
    let first = 0;
    let tail = '';
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (d) => {
        if (!first) first = performance.now();
        tail = (tail + d).slice(-2000);
      });
      res.on('end', () => {
        const end = performance.now();
        const usage = /"usage":(\{[^}]*\})/.exec(tail);
        if (res.statusCode !== 200 || !usage) reject(new Error(`HTTP ${res.statusCode}: ${tail.slice(-300)}`));
        else resolve((JSON.parse(usage[1]).completion_tokens - 1) / ((end - first) / 1000));
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** The same greedy chat streamed in-process and over /v1, alternating `runs` times. */
async function httpVsInProcess(url, label, modelId, maxTokens) {
  const messages = [{ role: 'user', content: 'Hello' }];
  const local = [];
  const http = [];
  for (let i = 0; i < runs; i++) {
    // In-process as an API user sees it: from the first streamed text to the end, timed in this process.
    let first = 0;
    const r = await engine.api.inference.chat({ modelId, messages, params: { ...GREEDY, maxTokens } }, (e) => {
      if (e.type === 'text' && !first) first = performance.now();
    });
    local.push((r.metrics.completionTokens - 1) / ((performance.now() - first) / 1000));
    http.push(
      await streamOverHttp(url, {
        model: modelId,
        messages,
        temperature: 0,
        top_k: 1,
        top_p: 1,
        min_p: 0,
        repeat_penalty: 1,
        seed: 1,
        max_tokens: maxTokens,
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
  }
  results.http.push({ model: label, maxTokens, inProcess: median(local), overHttp: median(http), ratio: median(http) / median(local) });
}

try {
  const tiny = join(home, 'tiny.gguf');
  writeFileSync(tiny, buildTinyGguf({ seed: 9, nEmbd: 256, nFf: 512, nLayer: 4, contextLength: 1024 }));
  const words = readFileSync(join(root, '..', 'shared', 'data', 'wikitext-2', 'valid.txt'), 'utf8')
    .split(/\s+/)
    .filter(Boolean);
  const server = await startHttpServer(engine.api, { host: '127.0.0.1', port: 0, rendererDir: null });
  if (!o['no-gemma']) {
    const { gemmaFixture } = await import('../test/fixtures/python-models.ts');
    const label = 'Gemma 3 270M Q4_K_M';
    const gemmaId = await benchModel(label, (await gemmaFixture()).q4, words);
    await httpVsInProcess(server.url, label, gemmaId, 64);
    await engine.api.inference.unload(gemmaId);
  }
  const label = 'tiny (random, 4 layers, 256 wide)';
  const tinyId = await benchModel(label, tiny, words);
  await httpVsInProcess(server.url, label, tinyId, 400);

  // 16 concurrent streaming clients on 4 parallel sequences (the rest queue).
  await engine.api.inference.load({
    modelId: tinyId,
    options: { gpu: 'cpu', gpuLayers: 0, contextSize: 256, threads, flashAttention: false, kvCacheType: 'f16', parallel: 4, lora: [], idleUnloadSeconds: 0 },
  });
  const t0 = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: 16 }, async (_, i) => {
      try {
        const res = await fetch(`${server.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: tinyId, messages: [{ role: 'user', content: `q${i}` }], max_tokens: 32, seed: i, stream: true }),
        });
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
    console.log(
      `  prompt  llama-bench ${m.llamaBench.pp.toFixed(1)} tok/s, whittle ${m.whittle.pp.toFixed(1)} tok/s, ratio ${m.ratio.pp.toFixed(2)} ${verdict(m.ratio.pp)}`,
    );
    console.log(
      `  gen     llama-bench ${m.llamaBench.tg.toFixed(1)} tok/s, whittle ${m.whittle.tg.toFixed(1)} tok/s, ratio ${m.ratio.tg.toFixed(2)} ${verdict(m.ratio.tg)}`,
    );
    console.log(
      `  node-llama-cpp's own loop: prompt ${m.binding.pp.toFixed(1)} tok/s (${m.bindingRatio.pp.toFixed(2)} of llama-bench), gen ${m.binding.tg.toFixed(1)} tok/s (${m.bindingRatio.tg.toFixed(2)}); whittle reaches ${(m.whittle.pp / m.binding.pp).toFixed(2)} and ${(m.whittle.tg / m.binding.tg).toFixed(2)} of it`,
    );
    if (m.binding.decodeMs !== null) {
      const step = 1000 / m.binding.tg;
      console.log(
        `  per generated token: llama-bench ${(1000 / m.llamaBench.tg).toFixed(2)} ms; in the binding llama.cpp's decode ${m.binding.decodeMs.toFixed(2)} ms + the binding's sampling and scheduling ${(step - m.binding.decodeMs).toFixed(2)} ms; whittle ${(1000 / m.whittle.tg).toFixed(2)} ms`,
      );
    }
  }
  for (const h of results.http)
    console.log(
      `http streaming, ${h.model}, ${h.maxTokens} tokens: in-process ${h.inProcess.toFixed(1)} tok/s, over /v1 SSE ${h.overHttp.toFixed(1)} tok/s, ratio ${h.ratio.toFixed(2)} ${verdict(h.ratio)}`,
    );
  console.log(
    `16 concurrent streaming clients: ${results.concurrent.errors} errors in ${results.concurrent.seconds.toFixed(1)} s ${results.concurrent.errors === 0 ? 'PASS' : 'FAIL'}`,
  );
}
