import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDatabase } from '../../electron/engine/store/database';
import { JobsStore } from '../../electron/engine/store/jobs-store';
import { tempHome } from '../helpers/paths';

test('claiming a heavy job checks its device in the same statement, across engines sharing the database', () => {
  const dir = tempHome('device-claim');
  const file = join(dir, 'whittle.db');
  // Two connections, as the app and `whittle serve` (or the CLI) each hold one.
  const [dbA, dbB] = [openDatabase(file), openDatabase(file)];
  try {
    const [a, b] = [new JobsStore(dbA), new JobsStore(dbB)];
    const job = (store: JobsStore, id: string, heavy: boolean, device: string, owner: string) =>
      store.insert({ id, kind: 'test.sleep', input: { seconds: 1 }, heavy, device, retryOf: null, ownerToken: owner, ownerPid: process.pid });
    job(a, 'j-a', true, 'cpu', 'e-a');
    job(b, 'j-b', true, 'cpu', 'e-b');
    job(b, 'j-light', false, 'cpu', 'e-b');
    job(b, 'j-gpu', true, 'gpu:0', 'e-b');

    // Engine B passed its own "nothing heavy runs" check before A claimed: the claim itself must still refuse.
    assert.equal(b.runningHeavyOn('cpu'), 0);
    assert.equal(a.claim('j-a', null), true);
    assert.equal(b.claim('j-b', null), false, 'a second heavy job on the same device is refused');
    assert.equal(b.get('j-b')?.state, 'queued', 'and stays queued');
    assert.equal(b.claim('j-light', null), true, 'light jobs run beside a heavy one');
    assert.equal(b.claim('j-gpu', null), true, 'another device is free');

    assert.equal(a.finish('j-a', 'succeeded', {}), true);
    assert.equal(b.claim('j-b', null), true, 'once the device is free the queued heavy job starts');
  } finally {
    dbA.close();
    dbB.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
