import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { consentForFolder, findModelCode, modelCodeWarning } from '../../electron/engine/models/inspect/model-code';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('finding the code a model folder ships', () => {
  const root = mkdtempSync(join(tmpdir(), 'whittle-model-code-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  test('auto_map entries of every config, *.py files at any depth, top-level pickles; links are not followed', async () => {
    const dir = join(root, 'custom');
    mkdirSync(join(dir, 'sub', 'deeper'), { recursive: true });
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ model_type: 'x', auto_map: { AutoConfig: 'configuration_x.XConfig', AutoModelForCausalLM: 'modeling_x.XForCausalLM' } }),
    );
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ auto_map: { AutoTokenizer: ['tokenization_x.XTokenizer', null] } }));
    writeFileSync(join(dir, 'modeling_x.py'), 'import os\n');
    writeFileSync(join(dir, 'sub', 'deeper', 'helpers.py'), 'x = 1\n');
    writeFileSync(join(dir, 'pytorch_model.bin'), 'not really a pickle');
    writeFileSync(join(dir, 'sub', 'optimizer.pt'), 'nested pickles are not weights');
    const outside = join(root, 'outside.py');
    writeFileSync(outside, 'print(1)\n');
    symlinkSync(outside, join(dir, 'linked.py'));

    const code = await findModelCode(dir);
    assert.ok(code);
    assert.deepEqual(code.autoMap, [
      { source: 'config.json', autoClass: 'AutoConfig', ref: 'configuration_x.XConfig' },
      { source: 'config.json', autoClass: 'AutoModelForCausalLM', ref: 'modeling_x.XForCausalLM' },
      { source: 'tokenizer_config.json', autoClass: 'AutoTokenizer', ref: 'tokenization_x.XTokenizer' },
    ]);
    assert.deepEqual(code.files, [
      { path: 'modeling_x.py', kind: 'python', sizeBytes: 10, sha256: sha('import os\n') },
      { path: 'pytorch_model.bin', kind: 'pickle', sizeBytes: 19, sha256: null },
      { path: 'sub/deeper/helpers.py', kind: 'python', sizeBytes: 6, sha256: sha('x = 1\n') },
    ]);
    const warning = modelCodeWarning(code);
    assert.match(
      warning,
      /^This model runs its own code: its config\.json and tokenizer_config\.json ask transformers to load configuration_x\.XConfig, modeling_x\.XForCausalLM, tokenization_x\.XTokenizer/,
    );
    assert.match(warning, /pickle checkpoints \(pytorch_model\.bin\)/);

    const consent = await consentForFolder(dir, 123);
    assert.equal(consent.grantedAt, 123);
    assert.deepEqual(
      consent.files.find((f) => f.kind === 'pickle'),
      { path: 'pytorch_model.bin', kind: 'pickle', sizeBytes: 19, sha256: sha('not really a pickle') },
    );
  });

  test('a plain folder ships no code', async () => {
    const dir = join(root, 'plain');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama' }));
    writeFileSync(join(dir, 'model.safetensors'), '');
    assert.equal(await findModelCode(dir), null);
  });
});
