import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildTinyGguf, type TinyGgufOptions } from '../fixtures/tiny-gguf';
import { writeHfCache } from '../fixtures/model-folders';
import { startTestEngine, waitForFinal } from '../helpers/engine';
import { tempHome } from '../helpers/paths';

type TestEngine = Awaited<ReturnType<typeof startTestEngine>>;

/** Parameters of the tiny llama fixture, counted from its shapes: embeddings, output head, norms, attention and FFN. */
function tinyParams(o: TinyGgufOptions = {}): number {
  const nEmbd = o.nEmbd ?? 64;
  const nLayer = o.nLayer ?? 2;
  const nHead = o.nHead ?? 4;
  const nKv = ((o.nHeadKv ?? nHead) * nEmbd) / nHead;
  const nFf = o.nFf ?? 128;
  const vocab = 3 + 256 + (o.spaceToken === false ? 0 : 1);
  const perLayer = nEmbd * 2 + nEmbd * nEmbd * 2 + nEmbd * nKv * 2 + nEmbd * nFf * 3;
  return vocab * nEmbd * 2 + nEmbd + nLayer * perLayer;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('model library', () => {
  let engine: TestEngine;
  const files = tempHome('models-src');
  const cache = tempHome('hf-cache');
  const savedCache = process.env.HF_HUB_CACHE;

  before(async () => {
    process.env.HF_HUB_CACHE = cache;
    engine = await startTestEngine();
  });
  after(async () => {
    await engine.dispose();
    if (savedCache === undefined) delete process.env.HF_HUB_CACHE;
    else process.env.HF_HUB_CACHE = savedCache;
  });

  async function importModel(path: string, mode: 'reference' | 'copy' = 'reference', name?: string) {
    const job = engine.api.models.import({ path, mode, name, tags: [] });
    const done = await waitForFinal(engine, job.id, 60_000);
    const [artifact] = engine.artifacts.list({ jobId: job.id, limit: 5 });
    return { job: done, model: artifact ? engine.api.models.get(artifact.id) : null };
  }

  test('a GGUF imported by reference stays where it is, with its inspected facts and sha256', async () => {
    const opts: TinyGgufOptions = { seed: 11, tensorType: 'f16', nEmbd: 64 };
    const bytes = buildTinyGguf(opts);
    const file = join(files, 'tiny-f16.gguf');
    writeFileSync(file, bytes);
    const { job, model } = await importModel(file);
    assert.equal(job.state, 'succeeded', job.error ?? '');
    assert.ok(model);
    assert.equal(model.path, file);
    assert.equal(model.managed, false);
    assert.equal(model.source, 'reference');
    assert.equal(model.sha256, sha256(bytes));
    assert.equal(model.sizeBytes, bytes.length);
    assert.equal(model.format, 'gguf');
    assert.equal(model.inspection.architecture, 'llama');
    assert.equal(model.inspection.parameterCount, tinyParams(opts));
    assert.equal(model.inspection.quantization, 'F16');
    assert.equal(model.inspection.contextLength, 256);
    assert.ok(model.inspection.chatTemplateExample?.includes('<|im_start|>user'), 'the chat template was rendered over an example');
    assert.deepEqual(
      engine.api.models.list({ limit: 10 }).map((m) => m.id),
      [model.id],
    );

    assert.throws(() => engine.api.models.import({ path: file, mode: 'reference', tags: [] }), /already in the library/);

    const fit = await engine.api.models.memoryFit({ id: model.id, contextSize: 256 });
    assert.equal(fit.method, 'node-llama-cpp');
    assert.ok(fit.cpuOnly.ramBytes >= bytes.length * 0.5, `estimate ${fit.cpuOnly.ramBytes} covers the weights`);
    assert.equal(fit.verdict, fit.fullGpu ? 'fits-gpu' : 'fits-ram');

    const removed = await engine.api.models.remove({ id: model.id, force: false });
    assert.equal(removed.deletedFiles, false);
    assert.ok(existsSync(file), 'removing a referenced model never deletes the user’s file');
  });

  test('a copied model lives in the library folder; rename, tags and notes stick; removing deletes only our copy', async () => {
    const bytes = buildTinyGguf({ seed: 12 });
    const file = join(files, 'tiny-copy.gguf');
    writeFileSync(file, bytes);
    const { job, model } = await importModel(file, 'copy', 'Tiny copy');
    assert.equal(job.state, 'succeeded', job.error ?? '');
    assert.ok(model);
    assert.equal(model.managed, true);
    assert.ok(model.path.startsWith(join(engine.home, 'artifacts')), model.path);
    assert.deepEqual(readFileSync(model.path), bytes);
    assert.equal(model.sha256, sha256(bytes));

    const updated = engine.api.models.update({ id: model.id, name: 'Tiny renamed', tags: ['test', 'test', 'tiny'], notes: 'copied' });
    assert.deepEqual([updated.name, updated.tags, updated.notes], ['Tiny renamed', ['test', 'tiny'], 'copied']);
    assert.deepEqual(
      engine.api.models.list({ search: 'renamed tiny', limit: 10 }).map((m) => m.id),
      [model.id],
    );

    // A derived artifact (what quantize/fine-tune jobs will register) protects its parent.
    engine.artifacts.insert({
      id: 'a-child',
      kind: 'model',
      name: 'child',
      path: join(files, 'child.gguf'),
      sha256: 'c'.repeat(64),
      sizeBytes: 1,
      jobId: null,
      parents: [model.id],
      meta: {},
      tags: [],
      notes: '',
      managed: false,
    });
    assert.deepEqual(engine.api.models.get(model.id).children, ['a-child']);
    await assert.rejects(engine.api.models.remove({ id: model.id, force: false }), /derived artifact/);
    const removed = await engine.api.models.remove({ id: model.id, force: true });
    assert.equal(removed.deletedFiles, true);
    assert.deepEqual(removed.orphanedChildren, ['a-child']);
    assert.ok(!existsSync(model.path));
    assert.ok(existsSync(file), 'the source of a copy is untouched');
    engine.artifacts.remove('a-child');
  });

  test('malformed files fail their import job with an error naming the file; the engine keeps working', async () => {
    const good = buildTinyGguf({ seed: 13 });
    const truncated = join(files, 'truncated.gguf');
    writeFileSync(truncated, good.subarray(0, Math.floor(good.length * 0.6)));
    const badMagic = join(files, 'bad-magic.gguf');
    writeFileSync(badMagic, Buffer.concat([Buffer.from('GGUX'), good.subarray(4)]));
    for (const [file, why] of [
      [truncated, /truncated/i],
      [badMagic, /magic|not a GGUF/i],
    ] as const) {
      const { job, model } = await importModel(file);
      assert.equal(job.state, 'failed');
      assert.match(job.error ?? '', new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      assert.match(job.error ?? '', why);
      assert.equal(model, null, 'nothing was registered');
    }
    const inspect = await waitForFinal(engine, engine.api.models.inspectPath(files, false).id);
    assert.equal(inspect.state, 'failed', 'a folder of several unrelated files is not one model');
    const after = join(files, 'after.gguf');
    writeFileSync(after, good);
    const { job } = await importModel(after);
    assert.equal(job.state, 'succeeded', 'the engine still imports after failures');
  });

  test('models in the Hugging Face cache are found and registered in place, with digests from the blob names', async () => {
    const bytes = buildTinyGguf({ seed: 14 });
    const [repo] = await writeHfCache(cache, [{ repo: 'someone/tiny-GGUF', files: { 'tiny-Q8_0.gguf': bytes, 'README.md': '---\nlicense: mit\n---\n' } }]);
    const found = await engine.api.models.hfCache();
    const entry = found.find((e) => e.repo === 'someone/tiny-GGUF');
    assert.ok(entry, JSON.stringify(found));
    assert.equal(entry.modelId, null);
    assert.equal(entry.path, join(repo!.snapshot, 'tiny-Q8_0.gguf'));
    const { job, model } = await importModel(entry.path);
    assert.equal(job.state, 'succeeded', job.error ?? '');
    assert.ok(model);
    assert.equal(model.source, 'hf-cache');
    assert.equal(model.managed, false);
    assert.equal(model.path, entry.path, 'not copied');
    assert.equal(model.sha256, sha256(bytes));
    assert.equal(model.sourceRef, `hf:someone/tiny-GGUF@${repo!.revision}/tiny-Q8_0.gguf`);
    assert.equal((await engine.api.models.hfCache()).find((e) => e.repo === 'someone/tiny-GGUF')?.modelId, model.id);
  });
});
