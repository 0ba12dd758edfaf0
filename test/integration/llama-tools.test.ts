import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inspectModel } from '../../electron/engine/models/inspect';
import { findLlamaTools } from '../../electron/engine/toolchain/llama-build';
import {
  ggufMerge,
  ggufSplit,
  llamaBench,
  llamaExportLora,
  llamaFinetune,
  llamaImatrix,
  llamaPerplexity,
  llamaQuantize,
  LlamaToolError,
  type FinetuneProgress,
} from '../../electron/engine/toolchain/llama-tools';
import { buildTinyGguf } from '../fixtures/tiny-gguf';
import { buildTinyLora, readF32Tensor, readTensorBytes } from '../fixtures/tiny-lora';
import { startTestEngine, waitFor } from '../helpers/engine';
import { tempHome } from '../helpers/paths';

const cache = process.env.WHITTLE_CACHE;

/** About `bytes` of English prose (tokens = bytes for the tiny byte-vocabulary model): WikiText-2 if the shared data is there, else a fixed text. */
function prose(bytes: number): string {
  const wiki = '/work/shared/data/wikitext-2/valid.txt';
  let text = existsSync(wiki)
    ? readFileSync(wiki, 'utf8')
        .slice(0, bytes * 2)
        .replace(/^\uFEFF/, '')
    : '';
  const filler =
    'The European lobster is a species of clawed lobster from the eastern Atlantic Ocean, the Mediterranean Sea and parts of the Black Sea. ' +
    'It is closely related to the American lobster. It may grow to a length of 60 cm and a mass of 6 kilograms, and bears a conspicuous pair of claws. ';
  while (text.length < bytes) text += filler;
  return text.slice(0, bytes);
}

describe('llama.cpp tools built from the bundled source', () => {
  let bin: string;
  const dir = tempHome('llama-tools');
  // nEmbd 256: K-quants work on 256-wide blocks.
  const f32 = join(dir, 'tiny-f32.gguf');

  before(async () => {
    assert.ok(cache, 'scripts/run-tests.mjs sets WHITTLE_CACHE after building the tools');
    const found = await findLlamaTools(cache, 'cpu');
    assert.ok(found, `no ready llama.cpp tools in ${cache}`);
    bin = join(found.dir, 'bin');
    writeFileSync(f32, buildTinyGguf({ seed: 41, nEmbd: 256, nFf: 512 }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('llama-quantize makes Q8_0 and Q4_K_M files that inspect and load, reporting sizes and progress', async () => {
    for (const type of ['Q8_0', 'Q4_K_M'] as const) {
      const out = join(dir, `tiny-${type}.gguf`);
      const seen: number[] = [];
      const res = await llamaQuantize({ input: f32, output: out, type, threads: 1, onProgress: (done) => seen.push(done) }, { bin });
      assert.ok(res.modelMiB && res.quantMiB && res.quantMiB < res.modelMiB, JSON.stringify(res));
      assert.ok(seen.length > 5 && seen.at(-1)! > seen[0]!, 'per-tensor progress was parsed');
      const inspected = await inspectModel(out);
      assert.equal(inspected.inspection.quantization, type);
      assert.ok(statSync(out).size < statSync(f32).size);

      const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
      const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
      const model = await llama.loadModel({ modelPath: out, gpuLayers: 0 });
      const ctx = await model.createContext({ contextSize: 64, threads: 1 });
      const seq = ctx.getSequence();
      const tokens = model.tokenize('ab');
      let n = 0;
      for await (const t of seq.evaluate(tokens, { temperature: 0 })) {
        assert.ok(Number.isInteger(t));
        if (++n >= 3) break;
      }
      await ctx.dispose();
      await model.dispose();
      await llama.dispose();
    }
  });

  test('llama-bench -o json is parsed into rows with throughput', async () => {
    const rows = await llamaBench({ model: f32, threads: 1, nPrompt: 16, nGen: 4, repetitions: 1 }, { bin });
    const pp = rows.find((r) => r.n_prompt === 16 && r.n_gen === 0);
    const tg = rows.find((r) => r.n_prompt === 0 && r.n_gen === 4);
    assert.ok(pp && tg, JSON.stringify(rows));
    assert.ok(pp.avg_ts > 0 && tg.avg_ts > 0);
    assert.equal(pp.n_threads, 1);
  });

  test('llama-gguf-split splits into a set that inspects as one model, and merges back', async () => {
    await ggufSplit({ input: f32, outputPrefix: join(dir, 'split'), maxTensors: 8 }, { bin });
    const parts = readdirSync(dir)
      .filter((n) => /^split-\d{5}-of-\d{5}\.gguf$/.test(n))
      .sort();
    assert.ok(parts.length > 1, parts.join(','));
    const set = await inspectModel(join(dir, parts[0]!));
    const whole = await inspectModel(f32);
    assert.equal(set.files.length, parts.length);
    assert.equal(set.inspection.parameterCount, whole.inspection.parameterCount);
    const merged = join(dir, 'merged.gguf');
    await ggufMerge({ firstPart: join(dir, parts[0]!), output: merged }, { bin });
    assert.equal((await inspectModel(merged)).inspection.parameterCount, whole.inspection.parameterCount);
  });

  test('a tool failure surfaces the tool’s own message', async () => {
    await assert.rejects(
      llamaQuantize({ input: join(dir, 'missing.gguf'), output: join(dir, 'x.gguf'), type: 'Q8_0' }, { bin }),
      (err: unknown) =>
        err instanceof LlamaToolError && /llama-quantize failed/.test(err.message) && /missing\.gguf|failed to (load|read)|No such file/i.test(err.message),
    );
  });
  test('llama-perplexity reports the final estimate, the running value per chunk and progress; too little text is an error', async () => {
    const text = join(dir, 'ppl.txt');
    writeFileSync(text, prose(4000));
    const seen: Array<[number, number, number]> = [];
    const res = await llamaPerplexity({ model: f32, textFile: text, contextSize: 128, chunks: 6, onProgress: (d, t, p) => seen.push([d, t, p]) }, { bin });
    assert.ok(Number.isFinite(res.perplexity) && res.perplexity > 1, JSON.stringify(res));
    // Random weights over a 260-token vocabulary: near-uniform predictions, so roughly the vocabulary size.
    assert.ok(res.perplexity < 2000, `perplexity ${res.perplexity}`);
    assert.ok(res.stderr > 0 && res.stderr < res.perplexity, `± ${res.stderr}`);
    assert.equal(res.chunks, 6);
    assert.equal(res.perChunk.length, 6);
    assert.ok(Math.abs(res.perChunk.at(-1)! - res.perplexity) < 1e-3, 'the last running value is the final estimate');
    // (.slice: a run whose last log lines were lost is repeated, and its progress starts over.)
    assert.deepEqual(
      seen.slice(-6).map(([d, t]) => [d, t]),
      [1, 2, 3, 4, 5, 6].map((d) => [d, 6]),
    );
    assert.deepEqual(
      seen.slice(-6).map(([, , p]) => p),
      res.perChunk,
    );

    const short = join(dir, 'short.txt');
    writeFileSync(short, prose(100));
    // llama-perplexity exits 0 here: the wrapper must notice that there is no result and pass on the tool's error lines.
    await assert.rejects(
      llamaPerplexity({ model: f32, textFile: short, contextSize: 128 }, { bin }),
      (err: unknown) => err instanceof LlamaToolError && /need at least 256 tokens to evaluate perplexity with a context of 128/.test(err.message),
    );
  });

  test('llama-perplexity KL divergence: ~0 against its own base logits, small for Q8_0, larger for Q4_K_M', async () => {
    const text = join(dir, 'kld.txt');
    writeFileSync(text, prose(4000));
    const q8 = join(dir, 'tiny-Q8_0.gguf');
    const q4 = join(dir, 'tiny-Q4_K_M.gguf');
    for (const [out, type] of [
      [q8, 'Q8_0'],
      [q4, 'Q4_K_M'],
    ] as const)
      if (!existsSync(out)) await llamaQuantize({ input: f32, output: out, type }, { bin });
    const base = join(dir, 'f32.kld');
    const written = await llamaPerplexity({ model: f32, textFile: text, contextSize: 128, batchSize: 128, chunks: 4, klDivergenceBase: base }, { bin });
    assert.ok(statSync(base).size > 0 && written.chunks === 4 && written.kl === undefined);

    const self = await llamaPerplexity({ model: f32, contextSize: 128, klDivergence: base }, { bin });
    assert.ok(self.kl, 'KL statistics parsed');
    assert.ok(Math.abs(self.kl.meanKld) < 1e-4, `self KLD ${self.kl.meanKld}`); // printed to 6 decimals: rounding noise may show as ±0.000001
    assert.ok(Math.abs(self.perplexity - written.perplexity) < 1e-3 * written.perplexity, `${self.perplexity} vs ${written.perplexity}`);
    assert.ok(self.kl.sameTopP > 0.999, `same top p ${self.kl.sameTopP}`);

    const progress: number[] = [];
    const q8kl = await llamaPerplexity(
      { model: q8, textFile: text, contextSize: 128, klDivergence: base, onProgress: (d, t) => progress.push(d / t) },
      { bin },
    );
    const q4kl = await llamaPerplexity({ model: q4, contextSize: 128, klDivergence: base }, { bin });
    for (const r of [q8kl, q4kl]) {
      assert.ok(r.kl, 'KL statistics parsed');
      assert.equal(r.chunks, 4);
      assert.equal(r.kl.perChunk.length, 4);
      assert.ok(r.kl.meanKld >= 0 && r.kl.meanKld < 0.05, `KLD ${r.kl.meanKld}`);
      assert.ok(r.kl.maxKld >= r.kl.medianKld && r.kl.medianKld >= r.kl.minKld && r.kl.minKld >= 0, JSON.stringify(r.kl));
      assert.ok(r.kl.kldPercentiles['99.0']! >= r.kl.kldPercentiles['1.0']!, JSON.stringify(r.kl.kldPercentiles));
      assert.ok(Math.abs(r.kl.pplBase - written.perplexity) < 1e-3 * written.perplexity, `PPL(base) ${r.kl.pplBase}`);
      assert.ok(r.kl.sameTopP > 0.5 && r.kl.sameTopP <= 1, `same top p ${r.kl.sameTopP}`);
    }
    assert.deepEqual(progress.slice(-4), [0.25, 0.5, 0.75, 1]);
    assert.ok(q8kl.kl!.meanKld > self.kl.meanKld, `Q8_0 ${q8kl.kl!.meanKld} vs F32 ${self.kl.meanKld}`);
    assert.ok(q4kl.kl!.meanKld > q8kl.kl!.meanKld, `Q4_K_M ${q4kl.kl!.meanKld} vs Q8_0 ${q8kl.kl!.meanKld}`);

    await assert.rejects(
      llamaPerplexity({ model: q8, contextSize: 128, klDivergence: join(dir, 'missing.kld') }, { bin }),
      (err: unknown) => err instanceof LlamaToolError && /failed to open .*missing\.kld/.test(err.message),
    );
  });

  test('llama-imatrix writes GGUF and legacy imatrix files that llama-quantize uses', async () => {
    const text = join(dir, 'calib.txt');
    writeFileSync(text, prose(4000));
    const seen: number[] = [];
    const im = await llamaImatrix(
      { model: f32, textFile: text, output: join(dir, 'tiny.imatrix.gguf'), contextSize: 128, chunks: 4, onProgress: (d) => seen.push(d) },
      { bin },
    );
    // 2 layers × 7 weight matrices (q, k, v, output, gate, up, down); output.weight only with processOutput.
    assert.deepEqual({ format: im.format, chunks: im.chunks, entries: im.entries }, { format: 'gguf', chunks: 4, entries: 14 });
    assert.equal(readFileSync(im.output).subarray(0, 4).toString('latin1'), 'GGUF');
    // The running values and the estimate are logged through llama.cpp's logger thread, whose last lines can be lost at exit.
    assert.ok(im.perplexity === null || im.perplexity > 1, String(im.perplexity));
    assert.ok(seen.length > 0 && seen.every((d, i) => d === i + 1 && d <= 4), seen.join(','));

    const dat = await llamaImatrix(
      { model: f32, textFile: text, output: join(dir, 'tiny.imatrix.dat'), contextSize: 128, chunks: 2, processOutput: true },
      { bin },
    );
    assert.deepEqual({ format: dat.format, chunks: dat.chunks, entries: dat.entries }, { format: 'dat', chunks: 2, entries: 15 });

    const plain = join(dir, 'tiny-Q4_K_M-plain.gguf');
    const guided = join(dir, 'tiny-Q4_K_M-imatrix.gguf');
    await llamaQuantize({ input: f32, output: plain, type: 'Q4_K_M' }, { bin });
    const q = await llamaQuantize({ input: f32, output: guided, type: 'Q4_K_M', imatrix: im.output }, { bin });
    assert.equal(q.imatrixEntries, 14);
    assert.equal((await inspectModel(guided)).inspection.quantization, 'Q4_K_M');
    const a = await readTensorBytes(plain, 'blk.0.attn_q.weight');
    const b = await readTensorBytes(guided, 'blk.0.attn_q.weight');
    assert.equal(a.ggmlType, b.ggmlType);
    assert.ok(!a.bytes.equals(b.bytes), 'the importance matrix changed how weights were quantized');
    assert.equal(
      (await llamaQuantize({ input: f32, output: join(dir, 'tiny-Q4_K_M-dat.gguf'), type: 'Q4_K_M', imatrix: dat.output }, { bin })).imatrixEntries,
      15,
    );
  });

  test('llama-finetune trains every weight, reports loss per epoch, and the result loads and fits its text better', async () => {
    const text = join(dir, 'train.txt');
    writeFileSync(text, prose(1200));
    const out = join(dir, 'tiny-ft.gguf');
    const seen: FinetuneProgress[] = [];
    const res = await llamaFinetune(
      { model: f32, textFile: text, output: out, contextSize: 32, epochs: 1, learningRate: 1e-3, onProgress: (p) => seen.push(p) },
      { bin },
    );
    assert.equal(res.output, out);
    assert.equal(res.epochs.length, 1);
    assert.ok(res.finalLoss !== null && Number.isFinite(res.finalLoss) && res.finalLoss > 0, JSON.stringify(res));
    assert.ok(res.finalValLoss !== null && res.finalValLoss > 0, JSON.stringify(res));
    const train = seen.filter((p) => p.phase === 'train');
    assert.ok(train.length > 5 && train.at(-1)!.done === train.at(-1)!.total, 'per-batch progress was parsed');
    assert.ok(seen.some((p) => p.phase === 'val') && seen.every((p) => p.epoch === 0 && p.epochs === 1));

    const before = await inspectModel(f32);
    const after = await inspectModel(out);
    assert.equal(after.inspection.parameterCount, before.inspection.parameterCount);
    const w0 = await readF32Tensor(f32, 'blk.0.attn_q.weight');
    const w1 = await readF32Tensor(out, 'blk.0.attn_q.weight');
    assert.deepEqual(w1.dims, w0.dims);
    assert.ok(
      w0.data.some((v, i) => v !== w1.data[i]),
      'weights changed',
    );
    // It loads in llama.cpp and has learned its training text.
    const pBase = await llamaPerplexity({ model: f32, textFile: text, contextSize: 32, batchSize: 32 }, { bin });
    const pTuned = await llamaPerplexity({ model: out, textFile: text, contextSize: 32, batchSize: 32 }, { bin });
    assert.ok(pTuned.perplexity < 0.8 * pBase.perplexity, `tuned ${pTuned.perplexity} vs base ${pBase.perplexity}`);
  });

  test('llama-finetune can be cancelled, and a too-short text is a clear error', async () => {
    const text = join(dir, 'train-long.txt');
    writeFileSync(text, prose(4000));
    const out = join(dir, 'tiny-ft-cancelled.gguf');
    const ac = new AbortController();
    const started = Date.now();
    await assert.rejects(
      llamaFinetune({ model: f32, textFile: text, output: out, contextSize: 32, epochs: 5, onProgress: () => ac.abort() }, { bin, signal: ac.signal }),
      (err: unknown) => err instanceof Error && err.name === 'AbortError',
    );
    assert.ok(Date.now() - started < 10_000, 'stopped at once');
    assert.equal(existsSync(out), false);

    const short = join(dir, 'train-short.txt');
    writeFileSync(short, prose(20));
    await assert.rejects(
      llamaFinetune({ model: f32, textFile: short, output: join(dir, 'x.gguf'), contextSize: 32, epochs: 1 }, { bin }),
      (err: unknown) => err instanceof LlamaToolError && /llama-finetune failed/.test(err.message) && /shorter than/.test(err.message),
    );
  });

  test('llama-export-lora merges a LoRA adapter: W + scale·(alpha/r)·B·A in the adapted tensors, the rest copied, and the model loads', async () => {
    const nEmbd = 256;
    const lora = buildTinyLora({ nEmbd, rank: 4, alpha: 8 });
    const adapter = join(dir, 'tiny-lora, r4.gguf'); // a comma: the path must reach llama.cpp's list parser quoted
    writeFileSync(adapter, lora.bytes);
    const merged = join(dir, 'tiny-merged.gguf');
    const seen: Array<[number, number, string]> = [];
    const res = await llamaExportLora({ model: f32, adapters: [{ path: adapter }], output: merged, onProgress: (d, t, n) => seen.push([d, t, n]) }, { bin });
    assert.deepEqual(res, { output: merged, mergedTensors: 2, totalTensors: 21 });
    assert.equal(seen.length, 21);
    assert.deepEqual(seen.at(-1)!.slice(0, 2), [21, 21]);

    const checkDelta = async (file: string, scale: number) => {
      const w0 = await readF32Tensor(f32, 'blk.0.attn_q.weight');
      const w1 = await readF32Tensor(file, 'blk.0.attn_q.weight');
      const a = lora.tensors.get('blk.0.attn_q.weight.lora_a')!.data; // A[k][i] at k·nEmbd + i
      const b = lora.tensors.get('blk.0.attn_q.weight.lora_b')!.data; // B[o][k] at o·rank + k
      const s = (scale * lora.alpha) / lora.rank;
      let maxErr = 0;
      let maxDelta = 0;
      for (const [o, i] of [
        [0, 0],
        [1, 7],
        [100, 200],
        [255, 255],
        [31, 128],
      ] as const) {
        let d = 0;
        for (let k = 0; k < lora.rank; k++) d += b[o * lora.rank + k]! * a[k * nEmbd + i]!;
        const got = w1.data[o * nEmbd + i]! - w0.data[o * nEmbd + i]!;
        maxErr = Math.max(maxErr, Math.abs(got - s * d));
        maxDelta = Math.max(maxDelta, Math.abs(got));
      }
      assert.ok(maxDelta > 0.01 && maxErr < 1e-4, `delta ${maxDelta}, error ${maxErr}`);
      const k0 = await readTensorBytes(f32, 'blk.0.attn_k.weight');
      const k1 = await readTensorBytes(file, 'blk.0.attn_k.weight');
      assert.ok(k0.bytes.subarray(0, nEmbd * nEmbd * 4).equals(k1.bytes.subarray(0, nEmbd * nEmbd * 4)), 'unadapted tensors are copied');
    };
    await checkDelta(merged, 1);
    assert.equal((await inspectModel(merged)).inspection.parameterCount, (await inspectModel(f32)).inspection.parameterCount);

    const half = join(dir, 'tiny-merged-half.gguf');
    // --lora-scaled takes FNAME:SCALE unquoted: a path with a comma cannot be passed with a scale.
    await assert.rejects(
      llamaExportLora({ model: f32, adapters: [{ path: adapter, scale: 0.5 }], output: half }, { bin }),
      (err: unknown) => err instanceof LlamaToolError && /cannot take a scale/.test(err.message),
    );
    const plainAdapter = join(dir, 'tiny-lora-r4.gguf');
    writeFileSync(plainAdapter, lora.bytes);
    await llamaExportLora({ model: f32, adapters: [{ path: plainAdapter, scale: 0.5 }], output: half }, { bin });
    await checkDelta(half, 0.5);

    // The merged model runs in llama.cpp and predicts differently from the base.
    const text = join(dir, 'lora.txt');
    writeFileSync(text, prose(1024));
    const base = await llamaPerplexity({ model: f32, textFile: text, contextSize: 128, chunks: 2 }, { bin });
    const after = await llamaPerplexity({ model: merged, textFile: text, contextSize: 128, chunks: 2 }, { bin });
    assert.ok(
      Number.isFinite(after.perplexity) && Math.abs(after.perplexity - base.perplexity) > 1e-3 * base.perplexity,
      `${after.perplexity} vs ${base.perplexity}`,
    );

    await assert.rejects(
      llamaExportLora({ model: f32, adapters: [{ path: f32 }], output: join(dir, 'bad.gguf') }, { bin }),
      (err: unknown) => err instanceof LlamaToolError && /general\.type to be 'adapter'/.test(err.message),
    );
  });
});

describe('the toolchain build job', () => {
  let engine: Awaited<ReturnType<typeof startTestEngine>>;
  const emptyCache = tempHome('empty-cache');
  before(async () => {
    process.env.WHITTLE_CACHE = emptyCache;
    engine = await startTestEngine();
  });
  after(async () => {
    await engine.dispose();
    process.env.WHITTLE_CACHE = cache;
  });

  test('cancelling a build mid-compile leaves nothing that looks ready, and no build folder behind', async () => {
    const job = engine.api.jobs.start({ kind: 'toolchain.install', input: { component: 'llama', backend: 'cpu', repair: false, fixtures: false } });
    await waitFor('compiling', () => /Compiling/.test(engine.jobs.get(job.id)?.progress.message ?? ''), 120_000);
    const cancelled = await engine.api.jobs.cancel(job.id);
    assert.equal(cancelled.state, 'cancelled');
    assert.equal(await findLlamaTools(emptyCache, 'cpu'), null);
    const root = join(emptyCache, 'llama');
    await waitFor('the build folder to be removed', () => !existsSync(root) || readdirSync(root).length === 0, 20_000);
  });
});
