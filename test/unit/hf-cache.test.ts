import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { hfHubCacheDir, scanHfCache } from '../../electron/engine/models/hf-cache';
import { inspectModel } from '../../electron/engine/models/inspect';
import { splitGguf, writeHfCache, writeHfFolder, writeOnnxFolder } from '../fixtures/model-folders';
import { buildTinyGguf } from '../fixtures/tiny-gguf';
import { tempHome } from '../helpers/paths';

const root = tempHome('hf-cache');
after(() => rmSync(root, { recursive: true, force: true }));

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The files of a generated folder, relative path -> bytes. */
function folderFiles(dir: string, prefix = ''): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) Object.assign(out, folderFiles(join(dir, e.name), `${prefix}${e.name}/`));
    else out[`${prefix}${e.name}`] = readFileSync(join(dir, e.name));
  }
  return out;
}

test('scanHfCache finds GGUF quants, split sets, HF and ONNX folders in a symlinked cache, skipping incomplete downloads', async () => {
  const cache = join(root, 'hub');
  const q4 = buildTinyGguf({ seed: 1 });
  const q8 = buildTinyGguf({ seed: 2, tensorType: 'f16' });
  const [part1, part2] = splitGguf(buildTinyGguf({ seed: 3 }), 2) as [Buffer, Buffer];
  const hfSrc = await writeHfFolder(join(root, 'src-hf'));
  const onnxSrc = await writeOnnxFolder(join(root, 'src-onnx'));
  const HF_OLD = '1'.repeat(40);
  const HF_MAIN = '2'.repeat(40);

  const repos = await writeHfCache(cache, [
    {
      repo: 'someone/tiny-GGUF',
      files: {
        'tiny.Q4_K_M.gguf': q4,
        'tiny.Q8_0.gguf': q8,
        'split/tiny-00001-of-00002.gguf': part1,
        'split/tiny-00002-of-00002.gguf': part2,
        'README.md': '# tiny',
      },
      incomplete: { 'tiny.F16.gguf': buildTinyGguf({ seed: 4 }) },
      dangling: ['tiny.Q2_K.gguf', 'half/half-00001-of-00002.gguf'],
    },
    { repo: 'acme/tiny-llama', revision: HF_OLD, main: false, files: folderFiles(hfSrc.dir) },
    { repo: 'acme/tiny-llama', revision: HF_MAIN, files: folderFiles(hfSrc.dir) },
    {
      repo: 'acme/tiny-onnx',
      files: {
        'README.md': 'x',
        ...Object.fromEntries(Object.entries(folderFiles(onnxSrc.dir)).map(([k, v]) => [`cpu_and_mobile/cpu-int4-rtn-block-32/${k}`, v])),
      },
    },
    { repo: 'acme/broken', files: { 'config.json': '{}' }, dangling: ['model.safetensors'] },
  ]);
  // Dataset repos are not models.
  await writeHfCache(cache, [{ repo: 'x/y', files: { 'data.gguf': q4 } }]);
  renameSync(join(cache, 'models--x--y'), join(cache, 'datasets--x--y'));

  const found = await scanHfCache(cache);
  const summary = found.map((m) => `${m.repo} ${m.format} ${m.path.slice(cache.length + 1)}`);
  const ggufRepo = repos[0]!;
  const ggufSnap = `models--someone--tiny-GGUF/snapshots/${ggufRepo.revision}`;
  assert.deepEqual(summary, [
    `acme/tiny-llama hf models--acme--tiny-llama/snapshots/${HF_MAIN}`,
    `acme/tiny-llama hf models--acme--tiny-llama/snapshots/${HF_OLD}`,
    `acme/tiny-onnx onnx models--acme--tiny-onnx/snapshots/${repos[3]!.revision}/cpu_and_mobile/cpu-int4-rtn-block-32`,
    `someone/tiny-GGUF gguf ${ggufSnap}/split/tiny-00001-of-00002.gguf`,
    `someone/tiny-GGUF gguf ${ggufSnap}/tiny.Q4_K_M.gguf`,
    `someone/tiny-GGUF gguf ${ggufSnap}/tiny.Q8_0.gguf`,
  ]);

  const q4Entry = found.find((m) => m.path.endsWith('tiny.Q4_K_M.gguf'))!;
  assert.equal(q4Entry.revision, ggufRepo.revision);
  assert.equal(q4Entry.sizeBytes, q4.length);
  assert.deepEqual(q4Entry.files, [{ path: q4Entry.path, blobPath: realpathSync(q4Entry.path), sha256: sha256(q4) }]);
  assert.ok(q4Entry.files[0]!.blobPath.startsWith(join(cache, 'models--someone--tiny-GGUF', 'blobs')), 'blob inside the cache, not a copy');

  const split = found.find((m) => m.path.includes('split'))!;
  assert.deepEqual(
    split.files.map((f) => f.sha256),
    [sha256(part1), sha256(part2)],
  );
  assert.equal(split.sizeBytes, part1.length + part2.length);

  const hf = found.find((m) => m.format === 'hf' && m.revision === HF_MAIN)!;
  const safetensors = hf.files.find((f) => f.path.endsWith('model.safetensors'))!;
  assert.equal(safetensors.sha256, sha256(readFileSync(hfSrc.shardFiles[0]!)));
  const config = hf.files.find((f) => f.path.endsWith('config.json') && !f.path.endsWith('_config.json'))!;
  assert.equal(config.sha256, null, 'small files are stored under their git sha1, not a sha256');
  assert.equal(
    hf.sizeBytes,
    Object.values(folderFiles(hfSrc.dir)).reduce((a, b) => a + b.length, 0),
  );

  // The entries are importable where they lie.
  const inspected = await inspectModel(q4Entry.path);
  assert.equal(inspected.inspection.format, 'gguf');
  assert.equal((await inspectModel(hf.path)).inspection.name, 'acme/tiny-llama');
  const onnx = found.find((m) => m.format === 'onnx')!;
  const onnxInspection = (await inspectModel(onnx.path)).inspection;
  assert.equal(onnxInspection.quantization, 'int4');
  assert.equal(onnxInspection.name, 'acme/tiny-onnx/cpu_and_mobile/cpu-int4-rtn-block-32');
  assert.ok(statSync(split.path).isFile());
});

test('scanHfCache of a missing folder is empty', async () => {
  assert.deepEqual(await scanHfCache(join(root, 'nowhere')), []);
});

test('hfHubCacheDir: HF_HUB_CACHE, then HF_HOME/hub, then XDG_CACHE_HOME/huggingface/hub, then ~/.cache/huggingface/hub', () => {
  const all = { HF_HUB_CACHE: '/a/hub', HF_HOME: '/b', XDG_CACHE_HOME: '/c' };
  assert.equal(hfHubCacheDir(all), '/a/hub');
  assert.equal(hfHubCacheDir({ ...all, HF_HUB_CACHE: undefined }), join('/b', 'hub'));
  assert.equal(hfHubCacheDir({ XDG_CACHE_HOME: '/c' }), join('/c', 'huggingface', 'hub'));
  assert.equal(hfHubCacheDir({}), join(homedir(), '.cache', 'huggingface', 'hub'));
  assert.equal(hfHubCacheDir({ HF_HOME: '~/hf' }), join(homedir(), 'hf', 'hub'));
});
