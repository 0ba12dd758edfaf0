import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'libsql';
import type { JobRecord } from '../../shared/jobs';
import { isPidAlive } from '../../electron/engine/util/processes';
import { waitFor } from '../helpers/engine';
import { callApi, serveApp } from '../helpers/server';

async function getJob(url: string, id: string): Promise<JobRecord> {
  const res = await callApi(url, 'jobs.get', { id }, 'GET');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.result!.data as JobRecord;
}

test('kill -9 of the engine mid-job: the worker dies with it, and after a restart the job is interrupted and the DB intact', async () => {
  const first = await serveApp();
  const started = await callApi(first.url, 'jobs.start', { kind: 'test.sleep', input: { seconds: 60, steps: 600, heavy: true } });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  const id = (started.body.result!.data as JobRecord).id;
  let running: JobRecord | null = null;
  await waitFor('job running with output', () => existsSync(join(first.home, 'staging', id, 'sleep-output.txt')));
  running = await getJob(first.url, id);
  assert.equal(running.state, 'running');

  const db = new Database(join(first.home, 'whittle.db'));
  const { worker_pid: workerPid } = db.prepare('SELECT worker_pid FROM jobs WHERE id = ?').get(id) as { worker_pid: number };
  db.close();
  assert.ok(isPidAlive(workerPid));

  await first.stop('SIGKILL');
  await waitFor('the orphaned worker to exit', () => !isPidAlive(workerPid), 10_000);

  const second = await serveApp({ home: first.home });
  try {
    const after = await getJob(second.url, id);
    assert.equal(after.state, 'interrupted');
    assert.match(after.error ?? '', /stopped while this job was running/);
    assert.equal(existsSync(join(first.home, 'staging', id)), false, 'partial output cleaned up');
    const check = new Database(join(first.home, 'whittle.db'));
    try {
      assert.deepEqual(
        check
          .prepare('PRAGMA integrity_check')
          .all()
          .map((r) => (r as { integrity_check: string }).integrity_check),
        ['ok'],
      );
    } finally {
      check.close();
    }
    const again = await callApi(second.url, 'jobs.retry', { id });
    assert.equal(again.status, 200, 'an interrupted job can be retried');
  } finally {
    await second.stop();
  }
});
