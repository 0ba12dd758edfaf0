import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { integrityCheck, openDatabase, schemaVersion } from '../../electron/engine/store/database';
import { MIGRATIONS } from '../../electron/engine/store/migrations';
import { JobsStore } from '../../electron/engine/store/jobs-store';
import { ArtifactsStore } from '../../electron/engine/store/artifacts-store';
import { SettingsStore } from '../../electron/engine/store/settings-store';
import { tempHome } from '../helpers/paths';

test('a new database gets every migration, WAL and foreign keys; reopening changes nothing', () => {
  const dir = tempHome('store');
  try {
    const file = join(dir, 'whittle.db');
    const db = openDatabase(file);
    assert.equal(schemaVersion(db), MIGRATIONS.length);
    assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
    assert.equal((db.prepare('PRAGMA foreign_keys').get() as { foreign_keys: number }).foreign_keys, 1);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    for (const t of ['artifact_parents', 'artifacts', 'engines', 'jobs', 'settings']) assert.ok(tables.includes(t), `table ${t}`);
    db.close();
    const again = openDatabase(file);
    assert.equal(schemaVersion(again), MIGRATIONS.length);
    assert.deepEqual(integrityCheck(again), ['ok']);
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a database from a newer Whittle is refused with a message naming the file', () => {
  const dir = tempHome('store-newer');
  try {
    const file = join(dir, 'whittle.db');
    const db = openDatabase(file);
    db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 5}`);
    db.close();
    assert.throws(() => openDatabase(file), (err: Error) => err.message.includes(file) && /newer than this Whittle knows/.test(err.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('artifacts keep their lineage, and a parent cannot be deleted from under its children', () => {
  const dir = tempHome('store-lineage');
  try {
    const db = openDatabase(join(dir, 'whittle.db'));
    const artifacts = new ArtifactsStore(db);
    const base = { kind: 'model', sha256: 'a'.repeat(64), sizeBytes: 10, jobId: null, meta: {} };
    artifacts.insert({ ...base, id: 'a-base', name: 'base', path: '/m/base.gguf', parents: [] });
    artifacts.insert({ ...base, id: 'a-q4', name: 'q4', path: '/m/q4.gguf', parents: ['a-base'], meta: { quant: 'Q4_K_M' } });
    assert.deepEqual(artifacts.get('a-q4')?.parents, ['a-base']);
    assert.deepEqual(artifacts.get('a-q4')?.meta, { quant: 'Q4_K_M' });
    assert.deepEqual(artifacts.children('a-base'), ['a-q4']);
    assert.throws(() => db.prepare('DELETE FROM artifacts WHERE id = ?').run('a-base'), /FOREIGN KEY/);
    assert.throws(() => artifacts.insert({ ...base, id: 'a-orphan', name: 'x', path: '/m/x', parents: ['a-missing'] }), /FOREIGN KEY/);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('job state transitions: a finished job cannot be finished again, and claiming is exclusive', () => {
  const dir = tempHome('store-jobs');
  try {
    const db = openDatabase(join(dir, 'whittle.db'));
    const jobs = new JobsStore(db);
    const job = jobs.insert({ id: 'j-1', kind: 'test.sleep', input: { seconds: 1 }, heavy: true, device: 'cpu', retryOf: null, ownerToken: 'e-1', ownerPid: process.pid });
    assert.equal(job.state, 'queued');
    assert.equal(jobs.claim('j-1', null), true);
    assert.equal(jobs.claim('j-1', null), false, 'a running job cannot be claimed twice');
    assert.equal(jobs.finish('j-1', 'cancelled', { message: 'Cancelled' }), true);
    assert.equal(jobs.finish('j-1', 'succeeded', { result: { late: true } }), false, 'a late success does not overwrite a cancel');
    assert.equal(jobs.get('j-1')?.state, 'cancelled');
    assert.equal(jobs.get('j-1')?.result, null);
    const t1 = jobs.now();
    const t2 = jobs.now();
    assert.ok(t2 > t1, 'timestamps strictly increase');
    new SettingsStore(db).set('theme', { mode: 'dark' });
    assert.deepEqual(new SettingsStore(db).get('theme'), { mode: 'dark' });
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
