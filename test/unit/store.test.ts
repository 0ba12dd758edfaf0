import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import Database from 'libsql';
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
    assert.throws(
      () => openDatabase(file),
      (err: Error) => err.message.includes(file) && /newer than this Whittle knows/.test(err.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('artifacts keep their lineage, and a parent cannot be deleted from under its children', () => {
  const dir = tempHome('store-lineage');
  try {
    const db = openDatabase(join(dir, 'whittle.db'));
    const artifacts = new ArtifactsStore(db);
    const base = { kind: 'model', sha256: 'a'.repeat(64), sizeBytes: 10, jobId: null, meta: {}, tags: [], notes: '', managed: true };
    artifacts.insert({ ...base, id: 'a-base', name: 'base', path: '/m/base.gguf', parents: [] });
    artifacts.insert({ ...base, id: 'a-q4', name: 'q4', path: '/m/q4.gguf', parents: ['a-base'], meta: { quant: 'Q4_K_M' } });
    assert.deepEqual(artifacts.get('a-q4')?.parents, ['a-base']);
    assert.deepEqual(artifacts.get('a-q4')?.meta, { quant: 'Q4_K_M' });
    assert.deepEqual(artifacts.children('a-base'), ['a-q4']);
    assert.throws(() => db.prepare('DELETE FROM artifacts WHERE id = ?').run('a-base'), /FOREIGN KEY/);
    assert.throws(() => artifacts.insert({ ...base, id: 'a-orphan', name: 'x', path: '/m/x', parents: ['a-missing'] }), /FOREIGN KEY/);

    assert.equal(artifacts.update('a-q4', { name: 'renamed', tags: ['q4', 'fast'], notes: 'n' }), true);
    const updated = artifacts.get('a-q4');
    assert.deepEqual([updated?.name, updated?.tags, updated?.notes], ['renamed', ['q4', 'fast'], 'n']);
    artifacts.remove('a-base');
    assert.equal(artifacts.get('a-base'), null);
    const child = artifacts.get('a-q4');
    assert.deepEqual(child?.parents, []);
    assert.deepEqual(child?.meta.deletedParents, [{ id: 'a-base', name: 'base', sha256: 'a'.repeat(64) }], 'the child remembers its deleted parent');
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
    const job = jobs.insert({
      id: 'j-1',
      kind: 'test.sleep',
      input: { seconds: 1 },
      heavy: true,
      device: 'cpu',
      retryOf: null,
      ownerToken: 'e-1',
      ownerPid: process.pid,
    });
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

test('pause and requeue: a paused job keeps its id and resumes under the engine that asks', () => {
  const dir = tempHome('store-pause');
  try {
    const db = openDatabase(join(dir, 'whittle.db'));
    const jobs = new JobsStore(db);
    jobs.insert({ id: 'j-d', kind: 'model.download', input: {}, heavy: false, device: 'network', retryOf: null, ownerToken: 'e-1', ownerPid: 1 });
    assert.equal(jobs.claim('j-d', null), true);
    assert.equal(jobs.pause('j-d'), true);
    assert.equal(jobs.get('j-d')?.state, 'paused');
    assert.equal(jobs.pause('j-d'), false, 'only a queued or running job can be paused');
    assert.equal(jobs.requeue('j-d', 'e-2', 2), true);
    assert.equal(jobs.get('j-d')?.state, 'queued');
    assert.deepEqual(
      jobs.queuedFor('e-2').map((j) => j.id),
      ['j-d'],
    );
    assert.equal(jobs.requeue('j-d', 'e-2', 2), false, 'a queued job is not requeued twice');
    assert.equal(jobs.claim('j-d', null), true);
    assert.equal(jobs.finish('j-d', 'succeeded', {}), true);
    assert.equal(jobs.requeue('j-d', 'e-2', 2), false, 'a succeeded job never resumes');
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('migrating a version-1 database keeps jobs and the artifacts that point at them', () => {
  const dir = tempHome('store-migrate');
  try {
    const file = join(dir, 'whittle.db');
    const old = new Database(file);
    old.pragma('foreign_keys = ON');
    old.exec(MIGRATIONS[0]!);
    old.exec('PRAGMA user_version = 1');
    old
      .prepare(
        `INSERT INTO jobs (id, kind, state, input, heavy, device, created_at, updated_at) VALUES ('j-old', 'system-report', 'succeeded', '{}', 0, 'cpu', 1, 1)`,
      )
      .run();
    old
      .prepare(`INSERT INTO artifacts (id, kind, name, path, sha256, size_bytes, job_id, created_at) VALUES ('a-old', 'report', 'r', '/r', 'x', 1, 'j-old', 1)`)
      .run();
    old.close();

    const db = openDatabase(file);
    assert.equal(schemaVersion(db), MIGRATIONS.length);
    const artifacts = new ArtifactsStore(db);
    assert.equal(new JobsStore(db).get('j-old')?.state, 'succeeded');
    const a = artifacts.get('a-old');
    assert.equal(a?.jobId, 'j-old', 'rebuilding the jobs table did not null the reference');
    assert.deepEqual([a?.tags, a?.notes, a?.managed], [[], '', true]);
    assert.equal((db.prepare('PRAGMA foreign_keys').get() as { foreign_keys: number }).foreign_keys, 1);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
