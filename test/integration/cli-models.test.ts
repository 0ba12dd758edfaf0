import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { LibraryModel } from '../../shared/models';
import type { HubModelSummary } from '../../shared/hub';
import { buildTinyGguf } from '../fixtures/tiny-gguf';
import { startFakeHub, type FakeHub } from '../helpers/fake-hub';
import { builtCli, tempHome } from '../helpers/paths';

const home = tempHome('cli-models');
const files = tempHome('cli-models-src');
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Async, so the Hub stand-in in this process keeps serving while the CLI runs. */
function whittle(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [builtCli, ...args], {
      env: { ...process.env, WHITTLE_HOME: home, HF_HUB_CACHE: join(home, 'no-hf-cache'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('whittle models / pull / hub', () => {
  let hub: FakeHub;
  const gguf = buildTinyGguf({ seed: 31, tensorType: 'f16' });
  const remote = buildTinyGguf({ seed: 32 });

  before(async () => {
    hub = await startFakeHub({
      repos: [
        {
          id: 'whittle-test/remote-GGUF',
          tags: ['gguf'],
          library: 'gguf',
          downloads: 7,
          files: [
            { path: 'remote-Q8_0.gguf', data: remote },
            { path: 'remote-F32.gguf', data: remote },
          ],
        },
      ],
    });
  });
  after(async () => {
    await hub.close();
    rmSync(home, { recursive: true, force: true });
    rmSync(files, { recursive: true, force: true });
  });

  test('models import / list / inspect / set / rm', async () => {
    const file = join(files, 'cli-tiny.gguf');
    writeFileSync(file, gguf);
    const imported = await whittle(['models', 'import', file, '--json']);
    assert.equal(imported.code, 0, imported.stderr);
    const model = JSON.parse(imported.stdout) as LibraryModel;
    assert.equal(model.sha256, sha256(gguf));

    const list = await whittle(['models', 'list', '--json']);
    assert.deepEqual(
      (JSON.parse(list.stdout) as LibraryModel[]).map((m) => m.id),
      [model.id],
    );
    const table = await whittle(['models', 'list']);
    assert.match(table.stdout, new RegExp(`${model.id}.*gguf.*llama.*F16`));

    for (const target of [model.id, file]) {
      const r = await whittle(['models', 'inspect', target, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const facts = JSON.parse(r.stdout) as Record<string, unknown>;
      assert.deepEqual(
        [facts.format, facts.architecture, facts.quantization, facts.contextLength, facts.sizeBytes, facts.sha256],
        ['gguf', 'llama', 'F16', 256, gguf.length, sha256(gguf)],
      );
      assert.equal(typeof facts.parameters, 'number');
      assert.match(String(facts.chatTemplate), /im_start/);
    }
    const outside = join(files, 'outside.gguf');
    writeFileSync(outside, gguf);
    const inspected = await whittle(['models', 'inspect', outside]);
    assert.equal(inspected.code, 0, inspected.stderr);
    assert.match(inspected.stdout, /architecture\s+llama/);
    assert.match(inspected.stdout, /chat template, rendered/);

    const set = await whittle(['models', 'set', model.id, '--name', 'CLI tiny', '--tags', 'a', 'b', '--json']);
    assert.deepEqual([(JSON.parse(set.stdout) as LibraryModel).name, (JSON.parse(set.stdout) as LibraryModel).tags], ['CLI tiny', ['a', 'b']]);

    const bad = join(files, 'bad.gguf');
    writeFileSync(bad, gguf.subarray(0, 100));
    const failed = await whittle(['models', 'import', bad]);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*(truncated|past the end)`));

    const rm = await whittle(['models', 'rm', model.id]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, /files stay where they are/);
    const none = await whittle(['models', 'rm', model.id]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /No model with id/);
  });

  test('hub search and pull honour HF_ENDPOINT', async () => {
    const env = { HF_ENDPOINT: hub.url };
    const found = await whittle(['hub', 'search', 'remote', '--library', 'gguf', '--json'], env);
    assert.equal(found.code, 0, found.stderr);
    assert.deepEqual(
      (JSON.parse(found.stdout) as HubModelSummary[]).map((m) => m.id),
      ['whittle-test/remote-GGUF'],
    );

    const pulled = await whittle(['pull', 'hf:whittle-test/remote-GGUF:Q8_0', '--json'], env);
    assert.equal(pulled.code, 0, pulled.stderr);
    const model = JSON.parse(pulled.stdout) as LibraryModel;
    assert.equal(model.sha256, sha256(remote));
    assert.match(model.sourceRef ?? '', /remote-Q8_0\.gguf$/);

    const missing = await whittle(['pull', 'hf:whittle-test/no-such-repo'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no-such-repo.*(not found|404)/i);
    const badUri = await whittle(['pull', 'whittle-test/remote-GGUF'], env);
    assert.equal(badUri.code, 1);
    assert.match(badUri.stderr, /expected hf:owner\/name/);
  });
});
