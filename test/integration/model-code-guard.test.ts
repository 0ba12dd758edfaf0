import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pythonJobEnv, type PythonJobGuard } from '../../electron/engine/toolchain/python-env';
import { EVIL_MODULE, evilPickleScript, makeRemoteCodeFolder } from '../fixtures/model-code';
import { pythonEnv, tinyHfModel } from '../fixtures/python-models';
import { startTestEngine, waitForFinal } from '../helpers/engine';
import { builtCli, tempHome } from '../helpers/paths';

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('code shipped inside a model folder', () => {
  const home = tempHome('model-code');
  const marker = join(home, 'remote-code-ran.json');
  let folder: string;
  let python: string;
  const savedToken = process.env.HF_TOKEN;

  before(async () => {
    python = (await pythonEnv()).paths.python;
    folder = makeRemoteCodeFolder(await tinyHfModel('llama'), join(home, 'evil-llama'), marker);
    // A secret in the app's own environment, as on a user's machine: no job may see it.
    process.env.HF_TOKEN = 'hf_secret_that_jobs_must_not_see';
  });
  after(() => {
    if (savedToken === undefined) delete process.env.HF_TOKEN;
    else process.env.HF_TOKEN = savedToken;
    rmSync(home, { recursive: true, force: true });
  });

  test('is flagged at import, refused by a conversion until the user allows it, and runs (without secrets) once allowed', async () => {
    const engine = await startTestEngine();
    try {
      const imported = await waitForFinal(engine, engine.api.models.import({ path: folder, mode: 'reference', tags: [] }).id, 120_000);
      assert.equal(imported.state, 'succeeded', imported.error ?? '');
      const model = engine.api.models.list({ limit: 10 }).find((m) => m.format === 'hf')!;
      const code = model.inspection.modelCode;
      assert.ok(code, 'the inspection records the code');
      assert.deepEqual(
        code.autoMap.map((a) => [a.source, a.autoClass, a.ref]),
        [
          ['tokenizer_config.json', 'AutoTokenizer', 'tokenization_evil.EvilTokenizer'],
          ['tokenizer_config.json', 'AutoTokenizer', 'tokenization_evil.EvilTokenizer'],
        ],
      );
      assert.deepEqual(
        code.files.map((f) => [f.path, f.kind, f.sha256]),
        [[EVIL_MODULE, 'python', sha256(join(folder, EVIL_MODULE))]],
      );
      assert.ok(
        model.inspection.warnings.some((w) => w.startsWith('This model runs its own code') && w.includes(EVIL_MODULE)),
        model.inspection.warnings.join('\n'),
      );
      assert.equal(model.codeConsent, null);

      const refused = await waitForFinal(engine, engine.api.models.convert({ modelId: model.id, to: 'gguf', outtype: 'f16' }).id, 300_000);
      assert.equal(refused.state, 'failed');
      assert.match(refused.error ?? '', /^Refused to run code from .*evil-llama.*: it asks transformers to import classes from the folder/);
      assert.match(refused.error ?? '', new RegExp(`whittle models trust ${model.id}`));
      assert.equal(existsSync(marker), false, "the folder's code did not run");
      assert.equal(engine.api.models.list({ limit: 10 }).filter((m) => m.format === 'gguf').length, 0, 'nothing entered the library');

      const trusted = await engine.api.models.trustCode({ id: model.id, trust: true });
      assert.deepEqual(
        trusted.codeConsent?.files.map((f) => [f.path, f.sha256]),
        [[EVIL_MODULE, sha256(join(folder, EVIL_MODULE))]],
      );
      const allowed = await waitForFinal(engine, engine.api.models.convert({ modelId: model.id, to: 'gguf', outtype: 'f16' }).id, 300_000);
      assert.doesNotMatch(allowed.error ?? '', /Refused to run code/);
      assert.ok(existsSync(marker), `with consent the code ran (job ${allowed.state}: ${allowed.error ?? ''})`);
      const seen = JSON.parse(readFileSync(marker, 'utf8')) as { ran: boolean; hf_token: string | null; legacy_token: string | null };
      assert.deepEqual(seen, { ran: true, hf_token: null, legacy_token: null }, 'the job environment held no Hub token');

      // A file changed after consent is refused again: the consent covers the digests the user saw.
      rmSync(marker);
      appendFileSync(join(folder, EVIL_MODULE), '\n# changed after the user allowed it\n');
      const changed = await waitForFinal(engine, engine.api.models.convert({ modelId: model.id, to: 'gguf', outtype: 'f16' }).id, 300_000);
      assert.equal(changed.state, 'failed');
      assert.match(changed.error ?? '', /tokenization_evil\.py changed since you allowed it/);
      assert.equal(existsSync(marker), false);

      const revoked = await engine.api.models.trustCode({ id: model.id, trust: false });
      assert.equal(revoked.codeConsent, null);
    } finally {
      await engine.dispose();
    }
  });

  test('`whittle models trust` lists the files with their sha256 and records the consent', () => {
    const cliHome = join(home, 'cli-home');
    mkdirSync(cliHome, { recursive: true });
    const run = (args: string[]) =>
      spawnSync(process.execPath, [builtCli, ...args], { env: { ...process.env, WHITTLE_HOME: cliHome }, encoding: 'utf8', timeout: 300_000 });
    const imported = run(['models', 'import', folder, '--json']);
    assert.equal(imported.status, 0, imported.stderr);
    const id = (JSON.parse(imported.stdout) as { id: string }).id;
    const trusted = run(['models', 'trust', id, '--json']);
    assert.equal(trusted.status, 0, trusted.stderr);
    assert.match(trusted.stderr, new RegExp(`${EVIL_MODULE}\\s+python\\s+sha256 ${sha256(join(folder, EVIL_MODULE))}`));
    const out = JSON.parse(trusted.stdout) as { codeConsent: { files: { path: string; sha256: string }[] } };
    assert.deepEqual(
      out.codeConsent.files.map((f) => f.path),
      [EVIL_MODULE],
    );
    const revoked = run(['models', 'trust', id, '--revoke', '--json']);
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.equal((JSON.parse(revoked.stdout) as { codeConsent: unknown }).codeConsent, null);
  });

  test('a pickle checkpoint is never unpickled without consent, whatever the script passes to torch.load', () => {
    const pickleMarker = join(home, 'pickle-ran');
    const modelDir = join(home, 'pickle-model');
    mkdirSync(modelDir, { recursive: true });
    const bin = join(modelDir, 'pytorch_model.bin');
    const loose = join(home, 'loose.bin');
    for (const out of [bin, loose]) {
      const made = spawnSync(python, ['-I', '-c', evilPickleScript(out, pickleMarker)], { encoding: 'utf8' });
      assert.equal(made.status, 0, made.stderr);
    }
    const load = (file: string, guard: PythonJobGuard, weightsOnly: string) =>
      spawnSync(
        python,
        [
          '-c',
          `import sys, torch\ntry:\n    torch.load(sys.argv[1], weights_only=${weightsOnly})\nexcept BaseException as e:\n    print(type(e).__name__ + ': ' + str(e)); sys.exit(3)`,
          file,
        ],
        {
          env: pythonJobEnv(process.env, { guard }),
          encoding: 'utf8',
          timeout: 120_000,
        },
      );
    const noConsent: PythonJobGuard = { models: [{ id: 'm1', name: 'pickled', dir: modelDir, consent: null }] };

    const inModel = load(bin, noConsent, 'True');
    assert.equal(inModel.status, 3, inModel.stderr);
    assert.match(inModel.stdout, /^ModelCodeRefused: Refused to run code from pickled .*pytorch_model\.bin is a pickle checkpoint/);
    const anywhere = load(loose, noConsent, 'False');
    assert.equal(anywhere.status, 3, anywhere.stderr);
    assert.match(anywhere.stdout, /^ModelCodeRefused: Refused to unpickle .*loose\.bin with weights_only=False/);
    assert.equal(existsSync(pickleMarker), false, 'no pickle ran');

    const consent: PythonJobGuard = {
      models: [{ id: 'm1', name: 'pickled', dir: modelDir, consent: { files: [{ path: 'pytorch_model.bin', kind: 'pickle', sha256: sha256(bin) }] } }],
    };
    load(bin, consent, 'False');
    assert.ok(existsSync(pickleMarker), 'with consent for that exact file, torch.load unpickles it');
  });
});
