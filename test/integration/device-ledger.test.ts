import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LoadOptions } from '../../shared/inference';
import { buildTinyGguf } from '../fixtures/tiny-gguf';
import { startTestEngine, waitFor, waitForFinal, waitForState } from '../helpers/engine';

type TestEngine = Awaited<ReturnType<typeof startTestEngine>>;
const opts = LoadOptions.parse({ gpu: 'cpu', gpuLayers: 0, contextSize: 256, threads: 1, parallel: 1, idleUnloadSeconds: 0 });

describe('loaded models count against the device ledger heavy jobs are claimed from', () => {
  let engine: TestEngine;
  let modelId: string;
  let modelBytes: number;

  before(async () => {
    engine = await startTestEngine();
    const file = join(engine.home, 'ledger.gguf');
    writeFileSync(file, buildTinyGguf({ seed: 31 }));
    const job = await waitForFinal(engine, engine.api.models.import({ path: file, mode: 'reference', tags: [] }).id, 60_000);
    assert.equal(job.state, 'succeeded', job.error ?? '');
    const m = engine.api.models.list({ limit: 10 }).find((x) => x.path === file)!;
    modelId = m.id;
    modelBytes = m.sizeBytes;
  });
  after(async () => engine?.dispose());

  test('a loaded model holds its memory; a job that needs more than is left waits until it is unloaded', async () => {
    await engine.api.inference.load({ modelId, options: opts });
    const held = engine.ledger.held('cpu');
    assert.equal(held.length, 1);
    assert.equal(held[0]!.bytes, modelBytes, 'a CPU model holds its weights');
    assert.match(held[0]!.label, /\(loaded\)/);

    // Fits on the machine alone, not beside the model.
    const needs = totalmem() - Math.floor(modelBytes / 2);
    const job = engine.api.jobs.start({ kind: 'test.sleep', input: { seconds: 0.2, steps: 1, heavy: true, needsBytes: needs } });
    await waitFor('the waiting message', () => /Waiting for memory on cpu/.test(engine.jobs.get(job.id)?.progress.message ?? ''));
    assert.equal(engine.jobs.get(job.id)?.state, 'queued');
    await engine.api.inference.unload(modelId);
    assert.deepEqual(engine.ledger.held('cpu'), [], 'unloading gives the memory back');
    assert.equal((await waitForFinal(engine, job.id)).state, 'succeeded', 'and the queued job starts without another nudge');
  });

  test('a load beside a running heavy job that it would squeeze out is refused, naming the job', async () => {
    const job = engine.api.jobs.start({
      kind: 'test.sleep',
      input: { seconds: 20, steps: 200, heavy: true, needsBytes: totalmem() - Math.floor(modelBytes / 2) },
    });
    await waitForState(engine, job.id, ['running']);
    await assert.rejects(engine.api.inference.load({ modelId, options: opts }), new RegExp(`job ${job.id} \\(test\\.sleep\\) is running there`));
    await waitFor('the refused host to go', () => engine.api.inference.list().length === 0);
    assert.deepEqual(engine.ledger.held(), []);
    await engine.api.jobs.cancel(job.id);
    const loaded = await engine.api.inference.load({ modelId, options: opts });
    assert.equal(loaded.state, 'ready', 'once the job is gone the model loads');
    await engine.api.inference.unload(modelId);
  });
});
