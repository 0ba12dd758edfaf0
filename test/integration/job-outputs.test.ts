import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JobMetric } from '../../shared/jobs';
import { startTestEngine, waitFor, waitForFinal } from '../helpers/engine';

type TestEngine = Awaited<ReturnType<typeof startTestEngine>>;

/** Collects `metrics` events of one job from the engine's `jobs.events` stream (what the tRPC subscription yields). */
function collectMetrics(engine: TestEngine, jobId: () => string | undefined): { seen: JobMetric[]; stop(): Promise<void> } {
  const ac = new AbortController();
  const seen: JobMetric[] = [];
  const done = (async () => {
    for await (const e of engine.api.jobs.events(ac.signal)) {
      if (e.type === 'metrics' && e.jobId === jobId()) seen.push(...e.metrics);
    }
  })();
  return {
    seen,
    stop: async () => {
      ac.abort();
      await done;
    },
  };
}

describe('typed job outputs', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine();
  });
  after(async () => {
    await engine.dispose();
  });

  test('metrics land in job_metrics in order and stream to subscribers; rows appear only once the job succeeded', async () => {
    const started: { id?: string } = {};
    const sub = collectMetrics(engine, () => started.id);
    const job = engine.api.jobs.start({ kind: 'test.sleep', input: { seconds: 1.5, steps: 6, heavy: false, metrics: true, rows: 1203 } });
    started.id = job.id;
    // Rows are sent at step 1, before the first metrics: once a metric is stored, the runner holds the rows.
    await waitFor('the first metric stored', () => engine.api.jobs.metrics({ id: job.id }).length > 0);
    assert.equal(engine.jobs.get(job.id)?.state, 'running');
    assert.deepEqual(engine.api.jobs.rows({ id: job.id, kind: 'sample', limit: 10 }), { rows: [], nextCursor: null }, 'no rows while running');

    const done = await waitForFinal(engine, job.id);
    assert.equal(done.state, 'succeeded', done.error ?? '');
    await waitFor('all metric events', () => sub.seen.length === 12);
    await sub.stop();

    const stored = engine.api.jobs.metrics({ id: job.id });
    assert.deepEqual(
      stored.map((m) => `${m.name}@${m.step}`),
      [1, 2, 3, 4, 5, 6].flatMap((s) => [`loss@${s}`, `throughput@${s}`]),
    );
    assert.deepEqual(sub.seen, stored, 'the stream carries exactly what is stored, in the same order');
    const loss = engine.api.jobs.metrics({ id: job.id, name: 'loss' });
    assert.deepEqual(
      loss.map((m) => m.value),
      [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 6],
    );
    assert.ok(loss.every((m) => m.unit === null && m.at > 0));
    const tput = engine.api.jobs.metrics({ id: job.id, name: 'throughput', sinceStep: 4 });
    assert.deepEqual(
      tput.map((m) => [m.step, m.value, m.unit]),
      [
        [5, 50, 'steps/s'],
        [6, 60, 'steps/s'],
      ],
    );

    // Paged by cursor.
    const all: unknown[] = [];
    let cursor: number | null = null;
    let pages = 0;
    do {
      const page = engine.api.jobs.rows({ id: job.id, kind: 'sample', cursor, limit: 500 });
      all.push(...page.rows.map((r) => r.data));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);
    assert.equal(pages, 3);
    assert.equal(all.length, 1203);
    assert.deepEqual(all.slice(0, 3), [
      { n: 0, correct: true },
      { n: 1, correct: false },
      { n: 2, correct: true },
    ]);
    assert.deepEqual(all.at(-1), { n: 1202, correct: true });
    assert.deepEqual(engine.api.jobs.rows({ id: job.id, kind: 'other', limit: 10 }).rows, []);
    assert.throws(() => engine.api.jobs.metrics({ id: 'j_missing' }), /No job with id/);
  });

  test('a failed job keeps the metrics it reported but none of its rows', async () => {
    const job = engine.api.jobs.start({ kind: 'test.sleep', input: { seconds: 0.6, steps: 4, heavy: false, failAt: 3, metrics: true, rows: 20 } });
    const done = await waitForFinal(engine, job.id);
    assert.equal(done.state, 'failed');
    assert.match(done.error ?? '', /told to fail at step 3/);
    assert.deepEqual(engine.api.jobs.rows({ id: job.id, kind: 'sample', limit: 100 }), { rows: [], nextCursor: null });
    const count = engine.db.prepare('SELECT COUNT(*) AS n FROM job_rows WHERE job_id = ?').get(job.id) as { n: number };
    assert.equal(count.n, 0);
    // test.sleep reports a step's metrics before it fails there.
    assert.deepEqual(
      engine.api.jobs.metrics({ id: job.id, name: 'loss' }).map((m) => m.step),
      [1, 2, 3],
    );
  });

  test('a cancelled job stores no rows', async () => {
    const job = engine.api.jobs.start({ kind: 'test.sleep', input: { seconds: 30, steps: 300, heavy: false, metrics: true, rows: 5 } });
    await waitFor('a metric', () => engine.api.jobs.metrics({ id: job.id }).length > 0);
    assert.equal((await engine.api.jobs.cancel(job.id)).state, 'cancelled');
    assert.deepEqual(engine.api.jobs.rows({ id: job.id, kind: 'sample', limit: 100 }).rows, []);
  });
});
