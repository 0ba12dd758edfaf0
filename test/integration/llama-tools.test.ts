import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inspectModel } from '../../electron/engine/models/inspect';
import { findLlamaTools } from '../../electron/engine/toolchain/llama-build';
import { ggufMerge, ggufSplit, llamaBench, llamaQuantize, LlamaToolError } from '../../electron/engine/toolchain/llama-tools';
import { buildTinyGguf } from '../fixtures/tiny-gguf';
import { startTestEngine, waitFor } from '../helpers/engine';
import { tempHome } from '../helpers/paths';

const cache = process.env.WHITTLE_CACHE;

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
    const parts = readdirSync(dir).filter((n) => /^split-\d{5}-of-\d{5}\.gguf$/.test(n)).sort();
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
      (err: unknown) => err instanceof LlamaToolError && /llama-quantize failed/.test(err.message) && /missing\.gguf|failed to (load|read)|No such file/i.test(err.message),
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
