import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HubFile } from '../../shared/hub';
import { defaultVariant, expandSelection, hubVariants } from '../../electron/engine/hub/hub-variants';
import { parseHfUri } from '../../electron/engine/hub/hf-uri';

test('hf: URIs and huggingface.co URLs name a repo, revision, path and quant', () => {
  assert.deepEqual(parseHfUri('hf:owner/name'), { repo: 'owner/name', revision: 'main', path: null, quant: null });
  assert.deepEqual(parseHfUri('hf:owner/name@v1.0/sub/file.gguf'), { repo: 'owner/name', revision: 'v1.0', path: 'sub/file.gguf', quant: null });
  assert.deepEqual(parseHfUri('hf:bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M'), {
    repo: 'bartowski/Llama-3.2-1B-Instruct-GGUF',
    revision: 'main',
    path: null,
    quant: 'Q4_K_M',
  });
  assert.deepEqual(parseHfUri('https://huggingface.co/owner/name/blob/abc123/model.gguf'), {
    repo: 'owner/name',
    revision: 'abc123',
    path: 'model.gguf',
    quant: null,
  });
  for (const bad of ['owner/name', 'hf:owner', 'hf:owner/na me', 'hf:owner/name/../x', 'hf:owner/name@'])
    assert.throws(() => parseHfUri(bad), /hf:|owner\/name|path|revision/, bad);
});

const f = (path: string, sizeBytes = 10): HubFile => ({ path, sizeBytes, lfsSha256: null });

test('a repo offers one variant per GGUF quant (split sets once, projectors excluded), per GenAI folder and the checkpoint', () => {
  const files = [
    f('README.md'),
    f('config.json'),
    f('model.safetensors', 100),
    f('tokenizer.json'),
    f('m-Q4_K_M.gguf', 40),
    f('m-Q8_0.gguf', 80),
    f('mmproj-m-f16.gguf', 5),
    f('big/m-F16-00001-of-00002.gguf', 50),
    f('big/m-F16-00002-of-00002.gguf', 50),
    f('cpu-int4/genai_config.json'),
    f('cpu-int4/model.onnx', 2),
    f('cpu-int4/model.onnx.data', 30),
    f('cpu-int4/tokenizer.json'),
  ];
  const v = hubVariants(files);
  assert.deepEqual(
    v.map((x) => [x.label, x.format, x.sizeBytes]),
    [
      ['Q4_K_M', 'gguf', 40],
      ['Q8_0', 'gguf', 80],
      ['F16 (2 parts)', 'gguf', 100],
      ['ONNX cpu-int4', 'onnx', 10 + 2 + 30 + 10],
      ['Transformers (safetensors)', 'hf', 10 + 10 + 100 + 10],
    ],
  );
  assert.equal(defaultVariant(v, null)?.label, 'Q4_K_M');
  assert.equal(defaultVariant(v, 'q8_0')?.label, 'Q8_0');
  assert.equal(defaultVariant(v, 'Q2_K'), null);
  assert.deepEqual(expandSelection(files, ['big/m-F16-00002-of-00002.gguf']), ['big/m-F16-00001-of-00002.gguf', 'big/m-F16-00002-of-00002.gguf']);
  assert.deepEqual(expandSelection(files, ['cpu-int4']), [
    'cpu-int4/genai_config.json',
    'cpu-int4/model.onnx',
    'cpu-int4/model.onnx.data',
    'cpu-int4/tokenizer.json',
  ]);
  assert.throws(() => expandSelection(files, ['nope.gguf']), /nope\.gguf: no such file/);
  assert.throws(() => expandSelection(files, ['x-00001-of-00002.gguf']), /no such file/);
});
