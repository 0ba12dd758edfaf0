import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { totalmem } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { SystemReport } from '../../shared/hardware';
import { isFinalJobState, type JobRecord } from '../../shared/jobs';
import { isPidAlive } from '../../electron/engine/util/processes';
import { startTestEngine, waitFor, waitForFinal, waitForState } from '../helpers/engine';

type TestEngine = Awaited<ReturnType<typeof startTestEngine>>;

describe('job runner', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine();
  });
  after(async () => {
    await engine.dispose();
  });

  test('a system report runs in a worker, streams progress, and registers its report as an artifact', async () => {
    const seen: JobRecord[] = [];
    const off = engine.bus.on((e) => {
      if (e.type === 'job') seen.push(e.job);
    });
    const job = engine.api.jobs.start({ kind: 'system-report', input: {} });
    const done = await waitForFinal(engine, job.id);
    // The store says succeeded a moment before the event goes out (the log is closed in between).
    await waitFor('the succeeded event', () => seen.some((j) => j.id === job.id && isFinalJobState(j.state)));
    off();
    assert.equal(done.state, 'succeeded', done.error ?? '');
    const report = SystemReport.parse(done.result);
    assert.ok(report.cpu.logicalCores >= 1);
    assert.ok(report.memory.totalBytes > 0);
    assert.ok(
      report.disks.some((d) => d.freeBytes > 0),
      'at least one disk with free space',
    );
    assert.ok(
      report.onnxRuntime.executionProviders.some((p) => p.name === 'cpu'),
      'ONNX Runtime lists its CPU provider',
    );
    assert.equal(report.llama.error, null);
    assert.ok(report.llama.version);

    const mine = seen.filter((j) => j.id === job.id);
    const transitions = mine.map((j) => j.state).filter((s, i, all) => i === 0 || all[i - 1] !== s);
    assert.deepEqual(transitions, ['queued', 'running', 'succeeded']);
    const fractions = mine.map((j) => j.progress.fraction).filter((f): f is number => f !== null);
    assert.ok(fractions.length >= 2, `progress events: ${fractions.join(',')}`);
    assert.deepEqual(
      fractions,
      [...fractions].sort((a, b) => a - b),
      'progress never goes backwards',
    );
    assert.equal(fractions.at(-1), 1);

    const [artifact] = engine.api.artifacts.list({ jobId: job.id, limit: 10 });
    assert.ok(artifact, 'artifact registered');
    const bytes = readFileSync(artifact.path);
    assert.equal(artifact.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(artifact.sizeBytes, bytes.length);
    assert.deepEqual(JSON.parse(bytes.toString()), done.result);
    assert.equal(existsSync(engine.runner.stagingDir(job.id)), false, 'staging folder removed');
    const tail = await engine.api.jobs.log(job.id, 100_000);
    assert.equal(tail.from, 0);
    assert.ok(tail.lines.some((l) => /Asking ONNX Runtime/.test(l)));
    const last2 = await engine.api.jobs.log(job.id, 2);
    assert.deepEqual(last2, { from: tail.lines.length - 2, lines: tail.lines.slice(-2) }, 'a tail knows where it starts');
    assert.equal(engine.api.hardware.latestReport()?.jobId, job.id);
  });

  test('cancel kills the worker, removes partial output and registers nothing', async () => {
    const job = engine.api.jobs.start({ kind: 'test.sleep', input: { seconds: 30, steps: 300, heavy: true } });
    const running = await waitFor('partial output', () => {
      const j = engine.jobs.get(job.id);
      return j?.state === 'running' && existsSync(join(engine.runner.stagingDir(job.id), 'sleep-output.txt')) ? j : null;
    });
    const pid = engine.jobs.ownership(running.id)?.workerPid;
    assert.ok(pid && isPidAlive(pid), 'worker is alive while running');
    const cancelled = await engine.api.jobs.cancel(job.id);
    assert.equal(cancelled.state, 'cancelled');
    assert.equal(isPidAlive(pid), false, 'worker process is gone');
    assert.equal(existsSync(engine.runner.stagingDir(job.id)), false, 'partial output removed');
    assert.deepEqual(engine.api.artifacts.list({ jobId: job.id, limit: 10 }), []);
    const artifactsDir = join(engine.home, 'artifacts', 'test-output');
    assert.ok(!existsSync(artifactsDir) || readdirSync(artifactsDir).every((f) => !f.startsWith(job.id)));
  });

  test('a failing job records the error with the last log lines, and keeps no output', async () => {
    const job = engine.api.jobs.start({ kind: 'test.sleep', input: { seconds: 0.3, steps: 3, failAt: 2, heavy: false } });
    const done = await waitForFinal(engine, job.id);
    assert.equal(done.state, 'failed');
    assert.match(done.error ?? '', /told to fail at step 2/);
    assert.match(done.error ?? '', /step 1\/3/);
    assert.deepEqual(engine.api.artifacts.list({ jobId: job.id, limit: 10 }), []);
    assert.equal(existsSync(engine.runner.stagingDir(job.id)), false);
  });

  test('a worker that dies is reported as failed and the engine keeps serving', async () => {
    const job = engine.api.jobs.start({ kind: 'test.sleep', input: { seconds: 30, steps: 30, heavy: false } });
    await waitForState(engine, job.id, ['running']);
    const pid = await waitFor('worker pid', () => engine.jobs.ownership(job.id)?.workerPid);
    process.kill(pid, 'SIGKILL');
    const done = await waitForFinal(engine, job.id);
    assert.equal(done.state, 'failed');
    assert.match(done.error ?? '', /worker process died \(signal SIGKILL\)/);
    const next = engine.api.jobs.start({ kind: 'test.sleep', input: { seconds: 0.1, steps: 1, heavy: false } });
    assert.equal((await waitForFinal(engine, next.id)).state, 'succeeded');
  });

  test('heavy jobs on one device run one at a time; light jobs run beside them', async () => {
    const a = engine.api.jobs.start({ kind: 'test.sleep', input: { seconds: 1.5, steps: 5, heavy: true } });
    const b = engine.api.jobs.start({ kind: 'test.sleep', input: { seconds: 0.2, steps: 1, heavy: true } });
    const light = engine.api.jobs.start({ kind: 'test.sleep', input: { seconds: 0.2, steps: 1, heavy: false } });
    await waitForState(engine, a.id, ['running']);
    assert.equal(engine.jobs.get(b.id)?.state, 'queued', 'second heavy job waits');
    const lightDone = await waitForFinal(engine, light.id);
    assert.equal(lightDone.state, 'succeeded');
    assert.equal(engine.jobs.get(a.id)?.state, 'running', 'light job finished while the heavy one still ran');
    const aDone = await waitForFinal(engine, a.id);
    const bDone = await waitForFinal(engine, b.id);
    assert.equal(bDone.state, 'succeeded');
    assert.ok(bDone.startedAt! >= aDone.finishedAt!, 'second heavy job started after the first finished');
  });

  test('cancelling a queued job never starts it; retry runs a finished job again', async () => {
    const blocker = engine.api.jobs.start({ kind: 'test.sleep', input: { seconds: 5, steps: 50, heavy: true } });
    const queued = engine.api.jobs.start({ kind: 'test.sleep', input: { seconds: 0.1, steps: 1, heavy: true } });
    await waitForState(engine, blocker.id, ['running']);
    const c = await engine.api.jobs.cancel(queued.id);
    assert.equal(c.state, 'cancelled');
    assert.equal(c.startedAt, null);
    await engine.api.jobs.cancel(blocker.id);
    const again = engine.api.jobs.retry(queued.id);
    assert.equal(again.retryOf, queued.id);
    assert.deepEqual(again.input, queued.input);
    assert.equal((await waitForFinal(engine, again.id)).state, 'succeeded');
    assert.throws(() => engine.api.jobs.get('j-nope'), /No job with id j-nope/);
  });

  test("a result that breaks its kind's schema fails the job and commits nothing", async () => {
    const job = engine.api.jobs.start({ kind: 'test.sleep', input: { seconds: 0.1, steps: 1, heavy: false, badResult: true, rows: 3 } });
    const done = await waitForFinal(engine, job.id);
    assert.equal(done.state, 'failed');
    assert.match(done.error ?? '', /test\.sleep worker returned a result its kind does not allow: steps: /);
    assert.equal(done.result, null);
    assert.deepEqual(engine.api.artifacts.list({ jobId: job.id, limit: 10 }), []);
    assert.deepEqual(engine.api.jobs.rows({ id: job.id, kind: 'sample', limit: 10 }).rows, []);
    assert.equal(existsSync(engine.runner.stagingDir(job.id)), false);
  });

  test("a kind's resolver runs before any worker: a model removed after the job was queued fails it with its reason", async () => {
    // model.convert resolves its source model from the library on the supervisor's side; the worker never opens whittle.db.
    const job = engine.runner.start({ kind: 'model.convert', input: { modelId: 'a-gone', to: 'gguf', outtype: 'f16' } });
    const done = await waitForFinal(engine, job.id);
    assert.equal(done.state, 'failed');
    assert.match(done.error ?? '', /No model with id a-gone in the library/);
    assert.equal(engine.jobs.ownership(job.id)?.workerPid ?? null, null, 'no worker was started');
    const log = await engine.api.jobs.log(job.id, 100);
    assert.ok(log.lines.some((l) => /failed before the worker started/.test(l)));
  });

  test('a heavy job that declares memory waits for a loaded model to free it, and says why', async () => {
    const half = Math.floor(totalmem() / 2);
    assert.deepEqual(
      engine.ledger.acquire({ holder: 'model:test', device: 'cpu', bytes: half, label: 'Test model (chat)', ownerToken: engine.ownerToken }, totalmem()),
      { ok: true },
    );
    const job = engine.api.jobs.start({ kind: 'test.sleep', input: { seconds: 0.1, steps: 1, heavy: true, needsBytes: half + 1024 ** 2 } });
    const waiting = await waitFor('the waiting message', () => {
      const j = engine.jobs.get(job.id);
      return j?.state === 'queued' && /Waiting for memory on cpu/.test(j.progress.message) ? j : null;
    });
    assert.match(waiting.progress.message, /Test model \(chat\) hold/);
    engine.runner.pump();
    assert.equal(engine.jobs.get(job.id)?.state, 'queued', 'still waits while the model is loaded');
    engine.ledger.release('model:test');
    engine.runner.pump();
    assert.equal((await waitForFinal(engine, job.id)).state, 'succeeded');
  });

  test('test-only kinds are refused when test jobs are off', async () => {
    const { startEngine } = await import('../../electron/engine');
    const plain = await startEngine({ dataDir: engine.home + '-plain', host: 'cli', version: '0', worker: { script: 'unused', execArgv: [] } });
    try {
      assert.throws(() => plain.api.jobs.start({ kind: 'test.sleep', input: { seconds: 1, steps: 1, heavy: false } }), /only available with test jobs enabled/);
    } finally {
      await plain.close();
    }
  });
});

describe('two engines sharing one data dir', () => {
  test('one cancels a job the other runs, and sees its changes', async () => {
    const a = await startTestEngine();
    const b = await startTestEngine({ home: a.home });
    try {
      const job = a.api.jobs.start({ kind: 'test.sleep', input: { seconds: 30, steps: 30, heavy: false } });
      await waitForState(a, job.id, ['running']);
      const seenByB = waitFor('b to hear of the job', () => b.jobs.get(job.id));
      assert.ok(await seenByB);
      const cancelled = await b.api.jobs.cancel(job.id);
      assert.equal(cancelled.state, 'cancelled');
      assert.equal(a.jobs.get(job.id)?.state, 'cancelled');
    } finally {
      await b.dispose();
      await a.dispose();
    }
  });
});
