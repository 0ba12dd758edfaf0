import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ArtifactsPageRequest, decodeArtifactCursor } from '../../shared/artifacts';
import { createConversationsApi } from '../../electron/engine/api/conversations-api';
import { ConversationsStore } from '../../electron/engine/chat/conversations-store';
import { openDatabase } from '../../electron/engine/store/database';
import { ArtifactsStore } from '../../electron/engine/store/artifacts-store';
import { JobsStore } from '../../electron/engine/store/jobs-store';
import { tempHome } from '../helpers/paths';

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

test('chat export never rewrites a dataset: a second export makes version 2, parented to version 1, whose file and sha256 are unchanged', async () => {
  const home = tempHome('dataset-versions');
  mkdirSync(home, { recursive: true });
  try {
    const db = openDatabase(join(home, 'whittle.db'));
    const store = new ConversationsStore(db);
    const artifacts = new ArtifactsStore(db);
    const api = createConversationsApi(store, artifacts, home, () => Promise.reject(new Error('no model in this test')));
    const params = { temperature: 0.7, topK: 40, topP: 0.95, minP: 0.05, repeatPenalty: 1.1, maxTokens: 64, stop: [] };
    const chat = (prompt: string, answer: string): string => {
      const c = store.create({ columns: [{ modelId: 'm1' }], systemPrompt: '', params, sameSeed: true });
      const u = store.addMessage({ conversationId: c.id, parentId: null, role: 'user', content: prompt, column: null, modelId: null, metrics: null });
      store.addMessage({ conversationId: c.id, parentId: u.id, role: 'assistant', content: answer, column: 0, modelId: 'm1', metrics: null });
      return c.id;
    };
    const first = await api.export({ conversationId: chat('one?', 'one'), column: 0, dataset: 'mine' });
    assert.ok(first.path.endsWith('mine.jsonl'), first.path);
    assert.equal(first.rows, 1);
    const v1 = artifacts.get(first.artifactId!)!;
    assert.equal(v1.meta.version, 1);
    assert.equal(v1.meta.previousVersion, undefined);
    assert.deepEqual(v1.parents, []);
    const v1Bytes = readFileSync(v1.path);
    assert.equal(sha(v1.path), v1.sha256);

    const second = await api.export({ conversationId: chat('two?', 'two'), column: 0, dataset: 'mine' });
    assert.notEqual(second.artifactId, first.artifactId, 'a new artifact');
    assert.notEqual(second.path, first.path, 'a new file');
    assert.equal(second.rows, 2);
    const v2 = artifacts.get(second.artifactId!)!;
    assert.equal(v2.name, 'mine', 'the name is stable across versions');
    assert.equal(v2.kind, 'dataset');
    assert.deepEqual(v2.parents, [v1.id]);
    assert.equal(v2.meta.version, 2);
    assert.equal(v2.meta.previousVersion, v1.id);
    assert.equal((v2.meta.conversations as string[]).length, 2);
    assert.equal(sha(v2.path), v2.sha256);
    assert.equal(
      readFileSync(v2.path, 'utf8')
        .split('\n')
        .filter((l) => l.trim()).length,
      2,
    );

    // The old version: same record, same file bytes, same digest.
    const v1After = artifacts.get(v1.id)!;
    assert.deepEqual(v1After, v1, 'the old record is untouched');
    assert.ok(existsSync(v1.path));
    assert.deepEqual(readFileSync(v1.path), v1Bytes, 'the old file is untouched');
    assert.equal(sha(v1.path), v1.sha256);

    const third = await api.export({ conversationId: chat('three?', 'three'), column: 0, dataset: 'mine' });
    const v3 = artifacts.get(third.artifactId!)!;
    assert.deepEqual([v3.meta.version, v3.meta.previousVersion, v3.parents, third.rows], [3, v2.id, [v2.id], 3]);
    assert.deepEqual(
      artifacts.lineage(v3.id).map((s) => [s.artifact.id, s.depth]),
      [
        [v3.id, 0],
        [v2.id, 1],
        [v1.id, 2],
      ],
    );

    // Another dataset whose name looks like a version file name is a separate chain.
    const other = await api.export({ conversationId: chat('x?', 'x'), column: 0, dataset: 'mine.v2' });
    assert.deepEqual(artifacts.get(other.artifactId!)!.parents, []);
    db.close();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('lineage: one query returns model -> converted -> quantized with depth and the job (kind, input) behind each step', () => {
  const home = tempHome('artifact-lineage');
  mkdirSync(home, { recursive: true });
  try {
    const db = openDatabase(join(home, 'whittle.db'));
    const jobs = new JobsStore(db);
    const artifacts = new ArtifactsStore(db);
    const owner = { heavy: true, device: 'cpu', retryOf: null, ownerToken: 'e-1', ownerPid: process.pid };
    jobs.insert({ ...owner, id: 'j-import', kind: 'model.import', input: { path: '/src/base' } });
    jobs.insert({ ...owner, id: 'j-convert', kind: 'model.convert', input: { outtype: 'f16' } });
    jobs.insert({ ...owner, id: 'j-quant', kind: 'model.quantize', input: { type: 'Q4_K_M', imatrix: false } });
    const base = { kind: 'model', sha256: 'a'.repeat(64), sizeBytes: 10, meta: {}, tags: [], notes: '', managed: true };
    artifacts.insert({ ...base, id: 'a-base', name: 'base', path: '/m/base', jobId: 'j-import', parents: [] });
    artifacts.insert({ ...base, id: 'a-f16', name: 'base-f16', path: '/m/base-f16.gguf', jobId: 'j-convert', parents: ['a-base'] });
    artifacts.insert({ ...base, id: 'a-q4', name: 'base-q4', path: '/m/base-q4.gguf', jobId: 'j-quant', parents: ['a-f16'] });
    artifacts.insert({ ...base, id: 'a-unrelated', name: 'other', path: '/m/other', jobId: null, parents: [] });

    const steps = artifacts.lineage('a-q4');
    assert.deepEqual(
      steps.map((s) => [s.artifact.id, s.depth]),
      [
        ['a-q4', 0],
        ['a-f16', 1],
        ['a-base', 2],
      ],
    );
    assert.deepEqual(
      steps.map((s) => s.job?.kind),
      ['model.quantize', 'model.convert', 'model.import'],
    );
    assert.deepEqual(steps[0]!.job?.input, { type: 'Q4_K_M', imatrix: false });
    assert.deepEqual(steps[1]!.job?.input, { outtype: 'f16' });
    assert.equal(steps[2]!.job?.id, 'j-import');
    assert.equal(typeof steps[2]!.job?.createdAt, 'number');
    assert.deepEqual(steps[1]!.artifact.parents, ['a-base']);

    assert.deepEqual(
      artifacts.lineage('a-base').map((s) => [s.artifact.id, s.depth]),
      [['a-base', 0]],
    );
    assert.deepEqual(artifacts.lineage('a-missing'), []);
    // A step with no job record (registered by hand, or the job was pruned).
    artifacts.insert({ ...base, id: 'a-merge', name: 'merge', path: '/m/merge', jobId: null, parents: ['a-q4', 'a-base'] });
    const merged = artifacts.lineage('a-merge');
    assert.equal(merged[0]!.job, null);
    assert.deepEqual(
      merged.map((s) => [s.artifact.id, s.depth]),
      [
        ['a-merge', 0],
        ['a-base', 1],
        ['a-q4', 1],
        ['a-f16', 2],
      ],
      'an ancestor reached twice appears once, at its nearest depth',
    );
    db.close();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('page: keyset cursor walks every artifact once, newest first, with filters; a bad cursor is refused by the schema', () => {
  const home = tempHome('artifact-page');
  mkdirSync(home, { recursive: true });
  try {
    const db = openDatabase(join(home, 'whittle.db'));
    const artifacts = new ArtifactsStore(db);
    const base = { sha256: 'a'.repeat(64), sizeBytes: 1, jobId: null, parents: [], meta: {}, tags: [], notes: '', managed: true };
    for (let i = 0; i < 7; i++) artifacts.insert({ ...base, id: `a-${i}`, kind: i % 2 ? 'dataset' : 'model', name: `n${i}`, path: `/x/${i}` });
    // Same created_at for several rows: the id breaks the tie.
    db.prepare('UPDATE artifacts SET created_at = 1000 WHERE id IN (?, ?, ?)').run('a-1', 'a-2', 'a-3');
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = artifacts.page(ArtifactsPageRequest.parse({ limit: 3, ...(cursor ? { cursor } : {}) }));
      assert.ok(page.items.length <= 3);
      seen.push(...page.items.map((a) => a.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.equal(new Set(seen).size, 7, `every artifact once: ${seen.join(',')}`);
    const all = artifacts.page(ArtifactsPageRequest.parse({ limit: 100 }));
    assert.deepEqual(
      seen,
      all.items.map((a) => a.id),
    );
    assert.equal(all.nextCursor, null);
    const models = artifacts.page(ArtifactsPageRequest.parse({ kind: 'model', limit: 2 }));
    assert.ok(models.items.every((a) => a.kind === 'model'));
    assert.ok(models.nextCursor && decodeArtifactCursor(models.nextCursor));
    const rest = artifacts.page(ArtifactsPageRequest.parse({ kind: 'model', limit: 2, cursor: models.nextCursor }));
    assert.equal(models.items.length + rest.items.length, 4);
    assert.equal(ArtifactsPageRequest.safeParse({ cursor: 'not-a-cursor' }).success, false);
    db.close();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
