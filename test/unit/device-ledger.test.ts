import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDatabase } from '../../electron/engine/store/database';
import { DeviceLedger } from '../../electron/engine/store/device-ledger';
import { JobsStore } from '../../electron/engine/store/jobs-store';
import { tempHome } from '../helpers/paths';

const GB = 1024 ** 3;

test('loaded models and heavy jobs share one device ledger, across engines on one database', () => {
  const dir = tempHome('device-ledger');
  const file = join(dir, 'whittle.db');
  // The app (A) holds a model on the GPU; `whittle serve` (B) queues a fine-tune there.
  const [dbA, dbB] = [openDatabase(file), openDatabase(file)];
  try {
    const [ledgerA, ledgerB] = [new DeviceLedger(dbA), new DeviceLedger(dbB)];
    const jobsB = new JobsStore(dbB);
    const insert = (id: string, needsBytes: number | null, device = 'gpu') =>
      jobsB.insert({ id, kind: 'test.sleep', input: { seconds: 1 }, heavy: true, device, needsBytes, retryOf: null, ownerToken: 'e-b', ownerPid: process.pid });

    assert.deepEqual(ledgerA.acquire({ holder: 'model:m1', device: 'gpu', bytes: 10 * GB, label: 'Big model', ownerToken: 'e-a' }, 16 * GB), { ok: true });
    insert('j-tune', 8 * GB);
    assert.equal(jobsB.get('j-tune')?.needsBytes, 8 * GB);
    assert.equal(jobsB.claim('j-tune', null, 16 * GB), false, '8 GB does not fit beside the 10 GB model');
    assert.equal(jobsB.claim('j-tune', null, 24 * GB), true, 'it does on a bigger card');
    jobsB.finish('j-tune', 'succeeded', {});

    insert('j-unmetered', null);
    assert.equal(jobsB.claim('j-unmetered', null, 16 * GB), true, 'a job that declares no need is not metered');
    jobsB.finish('j-unmetered', 'succeeded', {});

    insert('j-cpu', 8 * GB, 'cpu');
    assert.equal(jobsB.claim('j-cpu', null, 16 * GB), true, 'leases count only on their own device');

    ledgerA.release('model:m1');
    insert('j-tune2', 8 * GB);
    assert.equal(jobsB.claim('j-tune2', null, 16 * GB), true, 'once the model is unloaded the job starts');

    // The fine-tune now runs with 8 of 16 GB: a 10 GB load is refused and names the job; a 6 GB one fits.
    const refused = ledgerA.acquire({ holder: 'model:m2', device: 'gpu', bytes: 10 * GB, label: 'Big model', ownerToken: 'e-a' }, 16 * GB);
    assert.deepEqual(refused, { ok: false, blockedBy: { jobId: 'j-tune2', kind: 'test.sleep', needsBytes: 8 * GB } });
    assert.deepEqual(ledgerA.held('gpu'), []);
    assert.deepEqual(ledgerA.acquire({ holder: 'model:m3', device: 'gpu', bytes: 6 * GB, label: 'Small model', ownerToken: 'e-a' }, 16 * GB), { ok: true });
    assert.deepEqual(
      ledgerB.held('gpu').map((l) => [l.holder, l.bytes, l.label]),
      [['model:m3', 6 * GB, 'Small model']],
    );

    // Engine A dies: its leases go with it when B sweeps.
    assert.equal(ledgerB.sweep(['e-b']), 1);
    assert.deepEqual(ledgerB.held(), []);
  } finally {
    dbA.close();
    dbB.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
