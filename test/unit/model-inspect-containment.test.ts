/**
 * Files a model's own metadata names (genai_config.json's filenames, ONNX external-data locations, safetensors index
 * shards) must resolve inside the model's folder: a hostile folder (a cloned repo, a download from a hostile mirror)
 * must not make inspection read, or an import copy, files elsewhere.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { inspectModel, ModelFormatError } from '../../electron/engine/models/inspect';
import { buildOnnxModel, writeHfCache, writeHfFolder, writeOnnxFolder } from '../fixtures/model-folders';
import { tempHome } from '../helpers/paths';

const base = tempHome('inspect-contained');
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
/** A fresh <case>/model folder next to <case>/outside, which holds what the hostile names point at. */
const fresh = (): { dir: string; outside: string } => {
  const root = join(base, `case-${++n}`);
  mkdirSync(join(root, 'outside'), { recursive: true });
  return { dir: join(root, 'model'), outside: join(root, 'outside') };
};

const rejects = (dir: string, pattern: RegExp): Promise<void> =>
  assert.rejects(inspectModel(dir), (err: unknown) => {
    assert.ok(err instanceof ModelFormatError, String(err));
    assert.match(err.message, pattern);
    return true;
  });

const setGenaiFilename = (dir: string, filename: string): void => {
  const path = join(dir, 'genai_config.json');
  const genai = JSON.parse(readFileSync(path, 'utf8')) as { model: { decoder: { filename: string } } };
  genai.model.decoder.filename = filename;
  writeFileSync(path, JSON.stringify(genai));
};

/** Rewrites model.onnx so its tensors live at `location`, and writes the data there (relative to the folder). */
const setDataLocation = (dir: string, location: string, dataAt: string): void => {
  const { model, data } = buildOnnxModel({ dataFileName: location });
  writeFileSync(join(dir, 'model.onnx'), model);
  unlinkSync(join(dir, 'model.onnx.data'));
  writeFileSync(dataAt, data!);
};

test('genai_config.json filenames with .. or an absolute path are refused, naming the value', async () => {
  const a = fresh();
  await writeOnnxFolder(a.dir);
  await writeOnnxFolder(a.outside, { inline: true });
  setGenaiFilename(a.dir, '../outside/model.onnx');
  await rejects(
    a.dir,
    /genai_config\.json: model\.decoder\.filename '\.\.\/outside\/model\.onnx' has a "\.\." segment: it must be a relative path inside its folder; refusing to read it/,
  );

  setGenaiFilename(a.dir, join(a.outside, 'model.onnx'));
  await rejects(a.dir, /model\.decoder\.filename '\/.*\/outside\/model\.onnx' is an absolute path/);

  setGenaiFilename(a.dir, '..\\outside\\model.onnx');
  await rejects(a.dir, /model\.decoder\.filename '\.\.\\\\outside\\\\model\.onnx' contains a backslash/);

  // A link named by the config that leads out of the folder.
  symlinkSync(join(a.outside, 'model.onnx'), join(a.dir, 'linked.onnx'));
  setGenaiFilename(a.dir, 'linked.onnx');
  await rejects(a.dir, /model\.decoder\.filename 'linked\.onnx' leads outside .* through a symbolic link/);

  setGenaiFilename(a.dir, 'model.onnx');
  const ok = await inspectModel(a.dir);
  assert.equal(ok.inspection.format, 'onnx');
  assert.ok(
    ok.files.every((f) => f.startsWith(`${a.dir}/`)),
    ok.files.join(', '),
  );
});

test('ONNX external-data locations with .., absolute paths or links out are refused', async () => {
  const a = fresh();
  await writeOnnxFolder(a.dir);
  setDataLocation(a.dir, '../outside/model.onnx.data', join(a.outside, 'model.onnx.data'));
  await rejects(a.dir, /model\.onnx: external data location of tensor .* '\.\.\/outside\/model\.onnx\.data' has a "\.\." segment/);

  const b = fresh();
  await writeOnnxFolder(b.dir);
  setDataLocation(b.dir, join(b.outside, 'weights.bin'), join(b.outside, 'weights.bin'));
  await rejects(b.dir, /external data location of tensor .* '\/.*\/outside\/weights\.bin' is an absolute path/);

  // The right name, but a symbolic link to a file elsewhere (a cloned repo can hold one).
  const c = fresh();
  await writeOnnxFolder(c.dir);
  setDataLocation(c.dir, 'model.onnx.data', join(c.outside, 'model.onnx.data'));
  symlinkSync(join(c.outside, 'model.onnx.data'), join(c.dir, 'model.onnx.data'));
  await rejects(c.dir, /external data location of tensor .* 'model\.onnx\.data' leads outside .* through a symbolic link/);
});

test('a model in the Hugging Face cache (files linked to blobs) still inspects', async () => {
  const src = fresh();
  await writeOnnxFolder(src.dir);
  await writeHfFolder(join(src.outside, 'hf'), { shards: 2 });
  const read = (dir: string): Record<string, Buffer> => Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
  const cache = join(base, 'hub');
  const [onnx, hf] = await writeHfCache(cache, [
    { repo: 'acme/tiny-onnx', files: read(src.dir) },
    { repo: 'acme/tiny-hf', files: read(join(src.outside, 'hf')) },
  ]);
  assert.equal((await inspectModel(onnx!.snapshot)).inspection.format, 'onnx');
  const inspected = await inspectModel(hf!.snapshot);
  assert.equal(inspected.inspection.format, 'hf');
  assert.equal(inspected.inspection.extra.shards, 2);
});

test('safetensors index shards with .., absolute paths or links out are refused', async () => {
  const setup = async (): Promise<{ dir: string; outside: string; index: { weight_map: Record<string, string> }; second: string }> => {
    const f = fresh();
    await writeHfFolder(f.dir, { shards: 2 });
    const index = JSON.parse(readFileSync(join(f.dir, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    return { ...f, index, second: 'model-00002-of-00002.safetensors' };
  };
  const remap = (dir: string, index: { weight_map: Record<string, string> }, from: string, to: string): void => {
    for (const [k, v] of Object.entries(index.weight_map)) if (v === from) index.weight_map[k] = to;
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
  };

  const a = await setup();
  renameSync(join(a.dir, a.second), join(a.outside, a.second));
  remap(a.dir, a.index, a.second, `../outside/${a.second}`);
  await rejects(a.dir, /model\.safetensors\.index\.json: shard '\.\.\/outside\/model-00002-of-00002\.safetensors' has a "\.\." segment/);

  const b = await setup();
  renameSync(join(b.dir, b.second), join(b.outside, b.second));
  remap(b.dir, b.index, b.second, join(b.outside, b.second));
  await rejects(b.dir, /shard '\/.*\/outside\/model-00002-of-00002\.safetensors' is an absolute path/);

  const c = await setup();
  renameSync(join(c.dir, c.second), join(c.outside, c.second));
  symlinkSync(join(c.outside, c.second), join(c.dir, c.second));
  await rejects(c.dir, /shard 'model-00002-of-00002\.safetensors' leads outside .* through a symbolic link/);

  const ok = await setup();
  assert.equal((await inspectModel(ok.dir)).inspection.extra.shards, 2);
});
