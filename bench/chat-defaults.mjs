// `npm run bench -- chat-defaults [--runs N] [--model PATH] [--json]`
//
// Whittle's chat with default settings (no threads, context, batch or parallel given: what the chat page, /v1's
// on-demand loads and `whittle chat` get) against llama.cpp's own llama-bench at its best thread count, on the same
// GGUF: the Gemma 3 270M fixture (Q4_K_M) when the Python toolchain made it, else a generated tiny GGUF.
//   1. llama-bench -n 64 over threads 1..physical cores: the best is the reference;
//   2. Whittle: default LoadOptions, a chat of 64 greedy tokens; generation tok/s from the first token on;
//   3. the two alternate `--runs` times and medians are compared, so a busy machine slows both alike.
// The goal is a ratio >= 0.9. It also shows the second turn of the conversation: its TTFT and how many prompt
// tokens came from the KV cache. Prints the load average before and after, as the machine may be shared.
// A benchmark, not a test: it exits 0 even when the goal is missed, but says FAIL.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEngine } from '../electron/engine/index.ts';
import { physicalCores } from '../electron/engine/inference/cpu-cores.ts';
import { findLlamaTools } from '../electron/engine/toolchain/llama-build.ts';
import { llamaBench } from '../electron/engine/toolchain/llama-tools.ts';
import { LoadOptions, SamplingParams } from '../shared/inference.ts';
import { buildTinyGguf } from '../test/fixtures/tiny-gguf.ts';

const root = join(import.meta.dirname, '..');
const { values: o } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, model: { type: 'string' }, json: { type: 'boolean', default: false } },
  strict: true,
});
const runs = Number(o.runs);
const cache = process.env.WHITTLE_CACHE ?? join(root, '.cache', 'whittle');
process.env.WHITTLE_CACHE = cache;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);
const N_GEN = 64;

const tools = await findLlamaTools(cache, 'cpu');
if (!tools) {
  console.error('The llama.cpp tools are not built: npx whittle toolchain install llama');
  process.exit(1);
}
const home = mkdtempSync(join(tmpdir(), 'whittle-bench-chat-defaults-'));
const gemma = join(cache, 'fixtures', 'gemma-3-270m-q4_k_m.gguf');
let file = o.model ?? (existsSync(gemma) ? gemma : null);
let label = o.model ? o.model : 'Gemma 3 270M Q4_K_M';
if (!file) {
  file = join(home, 'tiny.gguf');
  writeFileSync(file, buildTinyGguf({ seed: 9, nEmbd: 256, nFf: 512, nLayer: 4, contextLength: 4096 }));
  label = 'tiny (random, 4 layers, 256 wide; the Gemma fixture is not made)';
}
// The model host runs from source (as the tests do), so the benchmark measures this checkout without a build.
const engine = await startEngine({
  dataDir: home,
  host: 'cli',
  version: 'bench',
  worker: { script: join(root, 'electron', 'engine', 'jobs', 'worker.ts'), execArgv: ['--import', 'tsx'] },
  modelHost: { script: join(root, 'electron', 'engine', 'inference', 'model-host.ts'), execArgv: ['--import', 'tsx'] },
});
const cores = await physicalCores();
const results = {
  model: label,
  file,
  physicalCores: cores,
  loadBefore: load(),
  sweep: [],
  bestThreads: 0,
  llamaBench: 0,
  whittle: 0,
  ratio: 0,
  whittleThreads: null,
  secondTurn: null,
  loadAfter: null,
};

try {
  const job = engine.api.models.import({ path: file, mode: 'reference', tags: [] });
  for (let i = 0; i < 600 && !['succeeded', 'failed'].includes(engine.jobs.get(job.id).state); i++) await new Promise((r) => setTimeout(r, 100));
  const modelId = engine.api.models.list({ limit: 100 }).find((m) => m.path === file).id;
  const bench = async (threads) =>
    (await llamaBench({ model: file, threads, nPrompt: 0, nGen: N_GEN, repetitions: 2 }, { bin: join(tools.dir, 'bin') })).find((r) => r.n_gen === N_GEN)
      .avg_ts;

  for (let t = 1; t <= cores; t++) results.sweep.push({ threads: t, tgPerSec: await bench(t) });
  results.bestThreads = results.sweep.reduce((a, b) => (b.tgPerSec > a.tgPerSec ? b : a)).threads;

  // Default settings: the chat page's load with no options, and default sampling but greedy and a fixed length.
  const loaded = await engine.api.inference.load({ modelId, options: LoadOptions.parse({}) });
  results.whittleThreads = loaded.threads ?? null;
  const messages = [{ role: 'user', content: 'Write a long story about a lighthouse keeper and a storm.' }];
  const params = SamplingParams.parse({ temperature: 0, topK: 1, seed: 1, maxTokens: N_GEN });
  await engine.api.inference.chat({ modelId, messages, params: { ...params, maxTokens: 4 } });
  const ref = [];
  const ours = [];
  let last = null;
  for (let i = 0; i < runs; i++) {
    ref.push(await bench(results.bestThreads));
    const r = await engine.api.inference.chat({ modelId, messages: [{ role: 'user', content: `${messages[0].content} (${i})` }], params });
    if (r.metrics.genTokensPerSec) ours.push(r.metrics.genTokensPerSec);
    last = r;
  }
  results.llamaBench = median(ref);
  results.whittle = median(ours);
  results.ratio = results.whittle / results.llamaBench;
  results.whittleCompletionTokens = last.metrics.completionTokens;
  // The conversation goes on: its second turn finds the first in the KV cache.
  const turn2 = await engine.api.inference.chat({
    modelId,
    messages: [
      { role: 'user', content: `${messages[0].content} (${runs - 1})` },
      { role: 'assistant', content: last.text },
      { role: 'user', content: 'Go on.' },
    ],
    params,
  });
  results.secondTurn = {
    promptTokens: turn2.metrics.promptTokens,
    cachedTokens: turn2.metrics.cachedTokens ?? 0,
    ttftMs: turn2.metrics.ttftMs,
    firstTurnTtftMs: last.metrics.ttftMs,
  };
  results.loadAfter = load();
} finally {
  await engine.close();
  rmSync(home, { recursive: true, force: true });
}

if (o.json) console.log(JSON.stringify(results, null, 2));
else {
  const f = (x) => x.toFixed(1);
  console.log(`${label} on ${cores} physical cores (load average before ${results.loadBefore.join(' ')}, after ${results.loadAfter.join(' ')})`);
  console.log(`llama-bench tg${N_GEN} by threads: ${results.sweep.map((s) => `${s.threads}: ${f(s.tgPerSec)}`).join(', ')} tok/s; best ${results.bestThreads}`);
  console.log(
    `llama-bench (${results.bestThreads} threads) ${f(results.llamaBench)} tok/s · Whittle defaults (${results.whittleThreads} threads) ${f(results.whittle)} tok/s · ratio ${results.ratio.toFixed(2)} ${results.ratio >= 0.9 ? 'ok' : 'FAIL'} (goal >= 0.9, median of ${runs})`,
  );
  const s = results.secondTurn;
  console.log(
    `second turn: ${s.cachedTokens} of ${s.promptTokens} prompt tokens from the KV cache, TTFT ${f(s.ttftMs)} ms (first turn ${f(s.firstTurnTtftMs)} ms)`,
  );
}
