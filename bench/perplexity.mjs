// `npm run bench -- perplexity [--ctx 128] [--chunks 8] [--threads 1] [--fa on|off] [--runs 2] [--model PATH] [--text PATH] [--json]`
//
// Whittle's perplexity (the llama.cpp backend's `perplexity` request, through the engine API) against llama.cpp's own
// llama-perplexity, on the same GGUF, text, context, chunk count, threads and flash-attention setting, both run from
// this process (llama-perplexity as a child, the model host as Whittle forks it). Default: the Gemma 3 270M fixture
// (Q4_K_M) over WikiText-2's test split.
//   llama-perplexity: wall time (with its model load and tokenizing the whole text) and its own evaluation time (the
//   "seconds per pass" it prints, times its passes: it evaluates 2048 / ctx chunks per pass; the time covers its decode
//   only, not the log-softmax it then runs on every other core);
//   Whittle: the request's time, the model already loaded: tokenizing what the chunks need, decoding and scoring.
// Tokens/s = chunks × ctx / seconds; the ratio is Whittle's tokens/s over llama-perplexity's (1 = as fast), on its
// evaluation time and on its wall time. Runs alternate, medians are compared. A benchmark, not a test: it exits 0.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { startEngine } from '../electron/engine/index.ts';
import { findLlamaTools } from '../electron/engine/toolchain/llama-build.ts';
import { LoadOptions } from '../shared/inference.ts';

const root = join(import.meta.dirname, '..');
const { values: o } = parseArgs({
  options: {
    ctx: { type: 'string', default: '128' },
    chunks: { type: 'string', default: '8' },
    threads: { type: 'string', default: '1' },
    fa: { type: 'string', default: 'on' },
    runs: { type: 'string', default: '2' },
    model: { type: 'string' },
    text: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  strict: true,
});
const ctx = Number(o.ctx);
const chunks = Number(o.chunks);
const threads = Number(o.threads);
const runs = Number(o.runs);
const fa = o.fa === 'on';
const cache = process.env.WHITTLE_CACHE ?? join(root, '.cache', 'whittle');
process.env.WHITTLE_CACHE = cache;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

const tools = await findLlamaTools(cache, 'cpu');
if (!tools) {
  console.error('The llama.cpp tools are not built: npx whittle toolchain install llama');
  process.exit(1);
}
const model = o.model ?? join(cache, 'fixtures', 'gemma-3-270m-q4_k_m.gguf');
const textFile = o.text ?? join(root, '..', 'shared', 'data', 'wikitext-2', 'test.txt');
for (const f of [model, textFile]) {
  if (!existsSync(f)) {
    console.error(`Not found: ${f}`);
    process.exit(1);
  }
}
const text = readFileSync(textFile, 'utf8');

/** One llama-perplexity run; its final line is sometimes lost at exit (an unjoined logging thread): then it runs again. */
async function reference() {
  const args = ['-m', model, '-f', textFile, '-c', String(ctx), '--chunks', String(chunks), '-t', String(threads), '-fa', fa ? 'on' : 'off'];
  for (let attempt = 0; attempt < 6; attempt++) {
    const started = performance.now();
    const { stdout, stderr } = await promisify(execFile)(join(tools.dir, 'bin', 'llama-perplexity'), args, { maxBuffer: 64 << 20 });
    const wallS = (performance.now() - started) / 1000;
    const out = `${stdout}\n${stderr}`;
    const final = /Final estimate: PPL = ([\d.]+)/.exec(out);
    const perPass = /([\d.]+) seconds per pass/.exec(out);
    if (!final) continue;
    const passes = Math.ceil(chunks / Math.max(1, Math.floor(2048 / ctx)));
    return { ppl: Number(final[1]), wallS, evalS: perPass ? Number(perPass[1]) * passes : null };
  }
  throw new Error('llama-perplexity printed no final estimate in 6 runs');
}

const home = mkdtempSync(join(tmpdir(), 'whittle-bench-perplexity-'));
// The model host runs from source (as the tests do), so the benchmark measures this checkout without a build.
const engine = await startEngine({
  dataDir: home,
  host: 'cli',
  version: 'bench',
  worker: { script: join(root, 'electron', 'engine', 'jobs', 'worker.ts'), execArgv: ['--import', 'tsx'] },
  modelHost: { script: join(root, 'electron', 'engine', 'inference', 'model-host.ts'), execArgv: ['--import', 'tsx'] },
});
const results = { model, text: textFile, ctx, chunks, threads, flashAttention: fa, loadBefore: load(), reference: [], whittle: [], loadAfter: null };
try {
  const job = engine.api.models.import({ path: model, mode: 'reference', tags: [] });
  for (let i = 0; i < 600 && !['succeeded', 'failed'].includes(engine.jobs.get(job.id).state); i++) await new Promise((r) => setTimeout(r, 100));
  const modelId = engine.api.models.list({ limit: 100 }).find((m) => m.path === model).id;
  await engine.api.inference.load({
    modelId,
    options: LoadOptions.parse({ gpu: 'cpu', gpuLayers: 0, contextSize: ctx, threads, parallel: 1, flashAttention: fa, idleUnloadSeconds: 0 }),
  });
  for (let i = 0; i < runs; i++) {
    results.reference.push(await reference());
    const started = performance.now();
    const r = await engine.api.inference.perplexity({ modelId, text, contextSize: ctx, chunks });
    results.whittle.push({ ppl: r.ppl, wallS: (performance.now() - started) / 1000, chunks: r.chunks.length });
  }
  results.loadAfter = load();
} finally {
  await engine.close();
  rmSync(home, { recursive: true, force: true });
}

const tokens = chunks * ctx;
const refEval = results.reference.every((r) => r.evalS !== null) ? median(results.reference.map((r) => r.evalS)) : null;
const refWall = median(results.reference.map((r) => r.wallS));
const ours = median(results.whittle.map((r) => r.wallS));
const summary = {
  referencePpl: results.reference[0].ppl,
  whittlePpl: results.whittle[0].ppl,
  pplRelDiff: Math.abs(results.whittle[0].ppl - results.reference[0].ppl) / results.reference[0].ppl,
  referenceWallS: refWall,
  referenceEvalS: refEval,
  whittleS: ours,
  referenceTokPerSec: tokens / (refEval ?? refWall),
  referenceWallTokPerSec: tokens / refWall,
  whittleTokPerSec: tokens / ours,
  ratioEval: refEval === null ? null : refEval / ours,
  ratioWall: refWall / ours,
};
if (o.json) console.log(JSON.stringify({ ...results, summary }, null, 2));
else {
  const f = (x, d = 2) => (x === null ? '-' : x.toFixed(d));
  console.log(
    `${model.split('/').at(-1)} · ${textFile.split('/').slice(-2).join('/')} · -c ${ctx} --chunks ${chunks} -t ${threads} -fa ${fa ? 'on' : 'off'} · ${runs} runs, medians (load average before ${results.loadBefore.join(' ')}, after ${results.loadAfter?.join(' ')})`,
  );
  console.log(
    `llama-perplexity  PPL ${f(summary.referencePpl, 4)}  eval ${f(refEval)} s (${f(summary.referenceTokPerSec, 1)} tok/s) · wall ${f(refWall)} s with load (${f(summary.referenceWallTokPerSec, 1)} tok/s)`,
  );
  console.log(`Whittle           PPL ${f(summary.whittlePpl, 4)}  ${f(ours)} s (${f(summary.whittleTokPerSec, 1)} tok/s)`);
  console.log(
    `ratio whittle/reference (tokens/s): ${f(summary.ratioEval)} against its evaluation time, ${f(summary.ratioWall)} against its wall time · PPL differs by ${(summary.pplRelDiff * 100).toFixed(3)}%`,
  );
}
