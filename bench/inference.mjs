// `npm run bench -- inference [--threads N] [--runs N] [--no-gemma] [--json]`
//
// Local inference through Whittle's model worker against llama.cpp's own llama-bench, on the same model file with the
// same threads, context and batch, in the same run:
//   pp  prompt processing tokens/s: our TTFT over a ~128-token prompt vs llama-bench -p 128   (target ratio >= 0.95)
//   tg  generation tokens/s: greedy 64 tokens through our worker vs llama-bench -n 64           (target ratio >= 0.95)
// for the tiny random GGUF and the real Gemma 3 270M (Q4_K_M). Then the server:
//   http  generation tokens/s streamed over /v1/chat/completions (SSE) vs the same request in-process (target >= 0.95)
//   16    concurrent streaming clients on the tiny model: all must finish with 0 errors.
// A benchmark, not a test: it exits 0 even when a target is missed, but says FAIL.
import { writeFileSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEngine } from '../electron/engine/index.ts';
import { startHttpServer } from '../electron/engine/server/http-server.ts';
import { findLlamaTools } from '../electron/engine/toolchain/llama-build.ts';
import { llamaBench } from '../electron/engine/toolchain/llama-tools.ts';
import { buildTinyGguf } from '../test/fixtures/tiny-gguf.ts';

const root = join(import.meta.dirname, '..');
const { values: o } = parseArgs({ options: { threads: { type: 'string', default: '1' }, runs: { type: 'string', default: '3' }, 'no-gemma': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } }, strict: true });
const threads = Number(o.threads);
const runs = Number(o.runs);
const cache = process.env.WHITTLE_CACHE ?? join(root, '.cache', 'whittle');
process.env.WHITTLE_CACHE = cache;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const tools = await findLlamaTools(cache, 'cpu');
if (!tools) {
  console.error('The llama.cpp tools are not built: npx whittle toolchain install llama');
  process.exit(1);
}
const home = mkdtempSync(join(tmpdir(), 'whittle-bench-inference-'));
const engine = await startEngine({ dataDir: home, host: 'cli', version: 'bench', worker: { script: join(root, 'out', 'main', 'job-worker.js'), execArgv: [] } });
const results = { threads, models: [], http: null, concurrent: null };
try {
  const tiny = join(home, 'tiny.gguf');
  writeFileSync(tiny, buildTinyGguf({ seed: 9, nEmbd: 256, nFf: 512, nLayer: 4, contextLength: 1024 }));
  const files = [['tiny (random, 4 layers, 256 wide)', tiny]];
  if (!o['no-gemma']) {
    const { gemmaFixture } = await import('../test/fixtures/python-models.ts');
    files.push(['Gemma 3 270M Q4_K_M', (await gemmaFixture()).q4]);
  }
  const words = readFileSync(join(root, '..', 'shared', 'data', 'wikitext-2', 'valid.txt'), 'utf8').split(/\s+/).filter(Boolean);
  for (const [label, file] of files) {
    const job = engine.api.models.import({ path: file, mode: 'reference', tags: [] });
    for (let i = 0; i < 600 && !['succeeded', 'failed'].includes(engine.jobs.get(job.id).state); i++) await new Promise((r) => setTimeout(r, 100));
    const modelId = engine.api.models.list({ limit: 100 }).find((m) => m.path === file).id;
    const rows = await llamaBench({ model: file, threads, nPrompt: 128, nGen: 64, repetitions: runs }, { bin: join(tools.dir, 'bin') });
    const refPp = rows.find((r) => r.n_prompt === 128).avg_ts;
    const refTg = rows.find((r) => r.n_gen === 64).avg_ts;
    await engine.api.inference.load({ modelId, options: { gpu: 'cpu', gpuLayers: 0, contextSize: 512, batchSize: 512, threads, flashAttention: false, kvCacheType: 'f16', parallel: 1, lora: [], idleUnloadSeconds: 0 } });
    // A prompt of about 128 tokens: grow it until the model counts at least 128.
    let prompt = '';
    for (let n = 20; ; n += 5) {
      prompt = words.slice(0, n).join(' ');
      if ((await engine.api.inference.countTokens(modelId, prompt)) >= 127) break;
    }
    const params = { temperature: 0, topK: 1, topP: 1, minP: 0, repeatPenalty: 1, seed: 1, stop: [] };
    const pp = [];
    const tg = [];
    await engine.api.inference.complete({ modelId, prompt: 'warm up', params: { ...params, maxTokens: 4 } });
    for (let i = 0; i < runs; i++) {
      const r = await engine.api.inference.complete({ modelId, prompt, params: { ...params, maxTokens: 1 } });
      pp.push(r.metrics.promptTokensPerSec);
      const g = await engine.api.inference.complete({ modelId, prompt: 'The', params: { ...params, maxTokens: 64 } });
      tg.push(g.metrics.genTokensPerSec);
    }
    results.models.push({ model: label, file, llamaBench: { pp: refPp, tg: refTg }, whittle: { pp: median(pp), tg: median(tg) }, ratio: { pp: median(pp) / refPp, tg: median(tg) / refTg } });
    if (file === tiny) results.tinyId = modelId;
    else await engine.api.inference.unload(modelId);
  }

  // Streaming over HTTP vs in-process, same model and request.
  const server = await startHttpServer(engine.api, { host: '127.0.0.1', port: 0, rendererDir: null });
  const req = { modelId: results.tinyId, messages: [{ role: 'user', content: 'Hello' }], params: { temperature: 0, topK: 1, topP: 1, minP: 0, repeatPenalty: 1, seed: 1, maxTokens: 128, stop: [] } };
  const local = [];
  const http = [];
  for (let i = 0; i < runs; i++) {
    // In-process as an API user sees it: from the first streamed text to the end, timed in this process.
    let firstLocal = 0;
    const r = await engine.api.inference.chat(req, (e) => {
      if (e.type === 'text' && !firstLocal) firstLocal = performance.now();
    });
    local.push((r.metrics.completionTokens - 1) / ((performance.now() - firstLocal) / 1000));
    const t0 = performance.now();
    let first = 0;
    let chunks = 0;
    let usage = null;
    const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: results.tinyId, messages: req.messages, temperature: 0, top_k: 1, top_p: 1, min_p: 0, seed: 1, max_tokens: 128, stream: true, stream_options: { include_usage: true } }) });
    const decoder = new TextDecoder();
    let buf = '';
    for await (const part of res.body) {
      buf += decoder.decode(part, { stream: true });
      let i2;
      while ((i2 = buf.indexOf('\n\n')) >= 0) {
        const line = buf.slice(0, i2).replace(/^data: /, '');
        buf = buf.slice(i2 + 2);
        if (line === '[DONE]') continue;
        const c = JSON.parse(line);
        if (c.usage) usage = c.usage;
        if (c.choices?.[0]?.delta?.content) {
          if (!first) first = performance.now();
          chunks++;
        }
      }
    }
    const end = performance.now();
    http.push((usage.completion_tokens - 1) / ((end - first) / 1000));
    void t0;
    void chunks;
  }
  results.http = { inProcess: median(local), overHttp: median(http), ratio: median(http) / median(local) };

  // 16 concurrent streaming clients.
  await engine.api.inference.load({ modelId: results.tinyId, options: { gpu: 'cpu', gpuLayers: 0, contextSize: 256, threads, flashAttention: false, kvCacheType: 'f16', parallel: 4, lora: [], idleUnloadSeconds: 0 } });
  const t0 = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: 16 }, async (_, i) => {
      try {
        const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: results.tinyId, messages: [{ role: 'user', content: `q${i}` }], max_tokens: 32, seed: i, stream: true }) });
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
  console.log(`threads ${threads}, ${runs} runs each (median)`);
  for (const m of results.models) {
    console.log(`${m.model}`);
    console.log(`  prompt  llama-bench ${m.llamaBench.pp.toFixed(1)} tok/s, whittle ${m.whittle.pp.toFixed(1)} tok/s, ratio ${m.ratio.pp.toFixed(2)} ${verdict(m.ratio.pp)}`);
    console.log(`  gen     llama-bench ${m.llamaBench.tg.toFixed(1)} tok/s, whittle ${m.whittle.tg.toFixed(1)} tok/s, ratio ${m.ratio.tg.toFixed(2)} ${verdict(m.ratio.tg)}`);
  }
  console.log(`http streaming: in-process ${results.http.inProcess.toFixed(1)} tok/s, over /v1 SSE ${results.http.overHttp.toFixed(1)} tok/s, ratio ${results.http.ratio.toFixed(2)} ${verdict(results.http.ratio)}`);
  console.log(`16 concurrent streaming clients: ${results.concurrent.errors} errors in ${results.concurrent.seconds.toFixed(1)} s ${results.concurrent.errors === 0 ? 'PASS' : 'FAIL'}`);
}
