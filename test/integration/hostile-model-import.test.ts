/**
 * Importing (with copy) a model folder whose metadata names files outside it: the import fails with the offending
 * name, and nothing is copied out of the model's staging folder or into the library.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildOnnxModel, writeHfFolder, writeOnnxFolder } from '../fixtures/model-folders';
import { startTestEngine, waitForFinal } from '../helpers/engine';
import { tempHome } from '../helpers/paths';

type TestEngine = Awaited<ReturnType<typeof startTestEngine>>;

describe('importing a hostile model folder', () => {
  let engine: TestEngine;
  const root = tempHome('hostile-import');
  const data = join(root, 'data');
  const src = join(root, 'src');
  const cache = tempHome('hostile-import-cache');
  const savedCache = process.env.HF_HUB_CACHE;

  before(async () => {
    process.env.HF_HUB_CACHE = cache;
    engine = await startTestEngine({ home: data });
  });
  after(async () => {
    await engine.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
    if (savedCache === undefined) delete process.env.HF_HUB_CACHE;
    else process.env.HF_HUB_CACHE = savedCache;
  });

  const importCopy = async (path: string, name: string) => {
    const job = await waitForFinal(engine, engine.api.models.import({ path, mode: 'copy', name, tags: [] }).id, 60_000);
    return { job, artifacts: engine.artifacts.list({ jobId: job.id, limit: 5 }) };
  };
  /** Every file under the data dir whose name came from the hostile folder's outside/ files. */
  const copiedOutside = (): string[] =>
    readdirSync(data, { recursive: true, encoding: 'utf8' }).filter(
      (p) => p.split('/').includes('outside') || p.endsWith('secret.data') || p.includes('00002-of-00002'),
    );

  test('an ONNX graph whose external data is ../outside/… is refused; nothing is copied', async () => {
    const dir = join(src, 'onnx', 'model');
    await writeOnnxFolder(dir);
    mkdirSync(join(src, 'onnx', 'outside'), { recursive: true });
    const { model, data: weights } = buildOnnxModel({ dataFileName: '../outside/secret.data' });
    writeFileSync(join(dir, 'model.onnx'), model);
    unlinkSync(join(dir, 'model.onnx.data'));
    writeFileSync(join(src, 'onnx', 'outside', 'secret.data'), weights!);

    const { job, artifacts } = await importCopy(dir, 'evil-onnx');
    assert.equal(job.state, 'failed');
    assert.match(job.error ?? '', /model\.onnx: external data location of tensor .* '\.\.\/outside\/secret\.data' has a "\.\." segment/);
    assert.deepEqual(artifacts, []);
    assert.deepEqual(copiedOutside(), []);
  });

  test('a safetensors index naming ../outside/… is refused; nothing is copied', async () => {
    const dir = join(src, 'hf', 'model');
    await writeHfFolder(dir, { shards: 2 });
    mkdirSync(join(src, 'hf', 'outside'), { recursive: true });
    const second = 'model-00002-of-00002.safetensors';
    renameSync(join(dir, second), join(src, 'hf', 'outside', second));
    const indexPath = join(dir, 'model.safetensors.index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { weight_map: Record<string, string> };
    for (const [k, v] of Object.entries(index.weight_map)) if (v === second) index.weight_map[k] = `../outside/${second}`;
    writeFileSync(indexPath, JSON.stringify(index));

    const { job, artifacts } = await importCopy(dir, 'evil-hf');
    assert.equal(job.state, 'failed');
    assert.match(job.error ?? '', /model\.safetensors\.index\.json: shard '\.\.\/outside\/model-00002-of-00002\.safetensors' has a "\.\." segment/);
    assert.deepEqual(artifacts, []);
    assert.deepEqual(copiedOutside(), []);
  });

  test('a well-formed ONNX folder still imports with copy, every file inside the model folder', async () => {
    const dir = join(src, 'good', 'model');
    await writeOnnxFolder(dir);
    const { job, artifacts } = await importCopy(dir, 'good-onnx');
    assert.equal(job.state, 'succeeded', job.error ?? '');
    const model = engine.api.models.get(artifacts[0]!.id);
    assert.ok(model.path.startsWith(`${data}/`), model.path);
    assert.ok(
      model.inspection.files.every((f) => !f.path.startsWith('..')),
      JSON.stringify(model.inspection.files),
    );
    assert.deepEqual(copiedOutside(), []);
  });
});
