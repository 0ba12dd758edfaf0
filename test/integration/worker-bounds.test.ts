/**
 * Model files are parsed only in bounded worker processes: memoryFit's GGUF read runs behind the pre-scan in a
 * short-lived worker, chat templates render under a budget, inspect workers have a heap limit, and jobs time out.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jobKindDef } from '../../electron/engine/jobs/registry';
import { DEFAULT_INSPECT_HEAP_MB } from '../../electron/engine/jobs/worker-limits';
import { isPidAlive } from '../../electron/engine/util/processes';
import { ConflictError } from '../../shared/errors';
import { writeHfFolder } from '../fixtures/model-folders';
import { buildTinyGguf } from '../fixtures/tiny-gguf';
import { startTestEngine, waitFor, waitForFinal } from '../helpers/engine';
import { tempHome } from '../helpers/paths';
import { callApi, serveApp } from '../helpers/server';

type TestEngine = Awaited<ReturnType<typeof startTestEngine>>;

const HUGE_RANGE = '{% for i in range(1000000000) %}x{% endfor %}';

/** A tiny GGUF whose first vocabulary string claims to be 2^31 bytes long: node-llama-cpp's reader trusts that length. */
export function hostileGguf(seed: number): Buffer {
  const bytes = buildTinyGguf({ seed });
  const key = Buffer.from('tokenizer.ggml.tokens', 'utf8');
  const at = bytes.indexOf(key);
  assert.ok(at > 0, 'the fixture has a vocabulary');
  // key, then u32 value type (array), u32 element type (string), u64 count, then the first string's u64 length.
  const lengthAt = at + key.length + 4 + 4 + 8;
  assert.equal(bytes.readUInt32LE(at + key.length), 9, 'an array');
  assert.equal(bytes.readUInt32LE(at + key.length + 4), 8, 'of strings');
  bytes.writeBigUInt64LE(2n ** 31n, lengthAt);
  return bytes;
}

/** A safetensors file whose JSON header is `tensors` one-element F32 tensors (about 70 bytes of JSON each). */
function bigHeaderSafetensors(file: string, tensors: number): number {
  const parts: string[] = [];
  for (let i = 0; i < tensors; i++) parts.push(`"model.layers.${i}.w":{"dtype":"F32","shape":[1],"data_offsets":[${i * 4},${i * 4 + 4}]}`);
  let json = `{${parts.join(',')}}`;
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(file, Buffer.concat([len, Buffer.from(json, 'utf8'), Buffer.alloc(tensors * 4)]));
  return json.length;
}

describe('bounded workers', () => {
  let engine: TestEngine;
  const files = tempHome('bounds-src');

  before(async () => {
    engine = await startTestEngine();
  });
  after(async () => {
    await engine.dispose();
  });

  async function importModel(path: string) {
    const job = engine.api.models.import({ path, mode: 'reference', tags: [] });
    const done = await waitForFinal(engine, job.id, 60_000);
    assert.equal(done.state, 'succeeded', done.error ?? '');
    const [artifact] = engine.artifacts.list({ jobId: job.id, limit: 5 });
    assert.ok(artifact);
    return engine.api.models.get(artifact.id);
  }

  test('memoryFit parses the GGUF in a worker behind the pre-scan: a file made hostile after import is a clear error, and the engine answers on', async () => {
    const file = join(files, 'changed-after-import.gguf');
    writeFileSync(file, buildTinyGguf({ seed: 31 }));
    const model = await importModel(file);
    const good = await engine.api.models.memoryFit({ id: model.id, contextSize: 256 });
    assert.equal(good.method, 'node-llama-cpp', 'a sound file is estimated by node-llama-cpp, in the worker');

    writeFileSync(file, hostileGguf(31));
    const started = Date.now();
    await assert.rejects(engine.api.models.memoryFit({ id: model.id, contextSize: 256 }), (err: unknown) => {
      assert.ok(err instanceof ConflictError, `a ConflictError, got ${String(err)}`);
      assert.match(err.message, /runs past the end of the file/);
      assert.ok(err.message.includes(file), `names the file: ${err.message}`);
      assert.match(err.message, /changed or was damaged after it was imported/);
      return true;
    });
    assert.ok(Date.now() - started < 30_000, 'refused promptly');

    // The engine is alive and still estimates a sound model.
    const other = join(files, 'sound.gguf');
    writeFileSync(other, buildTinyGguf({ seed: 32 }));
    const sound = await importModel(other);
    assert.equal((await engine.api.models.memoryFit({ id: sound.id, contextSize: 256 })).method, 'node-llama-cpp');
    assert.equal(engine.api.models.list({ limit: 10 }).length, 2);
  });

  test('a GGUF whose chat template loops range(1e9) imports within seconds with a chatTemplateError', async () => {
    const file = join(files, 'huge-range.gguf');
    writeFileSync(file, buildTinyGguf({ seed: 33, chatTemplate: HUGE_RANGE }));
    const started = Date.now();
    const model = await importModel(file);
    assert.ok(Date.now() - started < 30_000, `imported in ${Date.now() - started} ms`);
    assert.equal(model.inspection.chatTemplateExample, null);
    assert.match(model.inspection.chatTemplateError ?? '', /render budget: range\(1000000000\) would make 1000000000 items/);
  });

  test('an HF folder whose chat template loops range(1e9) inspects within seconds with a chatTemplateError', async () => {
    const dir = join(files, 'hf-huge-range');
    await writeHfFolder(dir, { chatTemplate: HUGE_RANGE });
    const job = engine.api.models.inspectPath(dir, false);
    const done = await waitForFinal(engine, job.id, 30_000);
    assert.equal(done.state, 'succeeded', done.error ?? '');
    const inspection = (done.result as { inspection: { chatTemplateError: string | null; chatTemplateExample: string | null } }).inspection;
    assert.equal(inspection.chatTemplateExample, null);
    assert.match(inspection.chatTemplateError ?? '', /render budget: range\(1000000000\)/);
  });

  test('inspect and import workers run under a heap limit', () => {
    for (const kind of ['model.inspect', 'model.import', 'model.download', 'model.convert'] as const) {
      assert.equal(jobKindDef(kind).heapLimitMb?.({} as never), DEFAULT_INSPECT_HEAP_MB, kind);
    }
  });

  test('an inspect worker that exhausts its heap on a huge safetensors header fails clearly, and the engine survives', async () => {
    const dir = join(files, 'hf-big-header');
    await writeHfFolder(dir);
    const shard = join(dir, 'model.safetensors');
    // About 31 MB of header JSON, well under the 100 MB header cap: parsed, it needs about 200 MB of heap, over a 128 MB limit.
    bigHeaderSafetensors(shard, 450_000);
    const saved = process.env.WHITTLE_INSPECT_HEAP_MB;
    process.env.WHITTLE_INSPECT_HEAP_MB = '128';
    try {
      const started = Date.now();
      const job = engine.api.models.inspectPath(dir, false);
      const done = await waitForFinal(engine, job.id, 60_000);
      assert.equal(done.state, 'failed');
      assert.match(done.error ?? '', /^the inspect worker ran out of memory \(limit 128 MB\) on /);
      assert.ok(done.error?.includes(dir), `names the folder: ${done.error?.split('\n')[0]}`);
      assert.ok(Date.now() - started < 60_000);
    } finally {
      if (saved === undefined) delete process.env.WHITTLE_INSPECT_HEAP_MB;
      else process.env.WHITTLE_INSPECT_HEAP_MB = saved;
    }
    const next = engine.api.jobs.start({ kind: 'test.sleep', input: { seconds: 0.1, steps: 1, heavy: false } });
    assert.equal((await waitForFinal(engine, next.id)).state, 'succeeded', 'the engine runs jobs after that');
  });

  test('a job with timeoutSeconds fails "timed out after N s", its worker killed and its staging removed; a retry keeps the timeout', async () => {
    const job = engine.api.jobs.start({ kind: 'test.sleep', input: { seconds: 60, steps: 600, heavy: false }, timeoutSeconds: 3 });
    const started = Date.now();
    const pid = await waitFor('worker pid', () => engine.jobs.ownership(job.id)?.workerPid);
    const done = await waitForFinal(engine, job.id, 20_000);
    assert.equal(done.state, 'failed');
    assert.match(done.error ?? '', /^timed out after 3 s/);
    const log = await engine.runner.readLog(job.id, 50);
    assert.ok(
      log.lines.some((l) => /timed out after 3 s: stopping the worker/.test(l)),
      'the log says why it stopped',
    );
    assert.ok(Date.now() - started < 15_000, 'stopped at the deadline, not at the end of the sleep');
    assert.equal(isPidAlive(pid), false, 'the worker is gone');
    assert.equal(existsSync(engine.runner.stagingDir(job.id)), false, 'partial output removed');
    assert.deepEqual(engine.api.artifacts.list({ jobId: job.id, limit: 10 }), []);
    assert.deepEqual(done.input, { seconds: 60, steps: 600, heavy: false, timeoutSeconds: 3 }, 'the timeout is kept with the input');

    const retried = engine.api.jobs.retry(job.id);
    const again = await waitForFinal(engine, retried.id, 20_000);
    assert.equal(again.state, 'failed');
    assert.match(again.error ?? '', /^timed out after 3 s/);

    const quick = engine.api.jobs.start({ kind: 'test.sleep', input: { seconds: 0.2, steps: 2, heavy: false }, timeoutSeconds: 30 });
    assert.equal((await waitForFinal(engine, quick.id)).state, 'succeeded', 'a job inside its timeout succeeds');
  });
});

describe('bounded workers behind whittle serve', () => {
  test('memoryFit over HTTP on a GGUF made hostile after import: a 409 with the reason, and the server keeps answering', async () => {
    const app = await serveApp();
    try {
      const dir = join(app.home, 'src');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'tiny.gguf');
      writeFileSync(file, buildTinyGguf({ seed: 41 }));
      const started = await callApi(app.url, 'models.import', { path: file, mode: 'reference', tags: [] });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      const jobId = (started.body.result?.data as { id: string }).id;
      await waitForAsyncJob(app.url, jobId);
      const list = await callApi(app.url, 'models.list', { limit: 5 }, 'GET');
      const [model] = list.body.result?.data as { id: string }[];
      assert.ok(model);

      writeFileSync(file, hostileGguf(41));
      const fit = await callApi(app.url, 'models.memoryFit', { id: model.id, contextSize: 256 }, 'GET');
      assert.equal(fit.status, 409, JSON.stringify(fit.body));
      assert.match(fit.body.error?.message ?? '', /runs past the end of the file/);

      const info = await callApi(app.url, 'app.info', undefined, 'GET');
      assert.equal(info.status, 200);
      assert.equal(app.proc.exitCode, null, 'the server is still running');
    } finally {
      await app.stop();
    }
  });
});

async function waitForAsyncJob(url: string, id: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await callApi(url, 'jobs.get', { id }, 'GET');
    const job = r.body.result?.data as { state: string; error: string | null } | undefined;
    if (job && ['succeeded', 'failed', 'cancelled', 'interrupted'].includes(job.state)) {
      assert.equal(job.state, 'succeeded', job.error ?? '');
      return;
    }
    if (Date.now() > deadline) throw new Error(`job ${id} did not finish`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
