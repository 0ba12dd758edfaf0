import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from '../helpers/paths';

describe('the install configuration', () => {
  test('npm reads the project config without warnings (no unknown .npmrc keys on every npx call)', () => {
    const r = spawnSync('npm', ['config', 'get', 'registry'], { cwd: repoRoot, encoding: 'utf8', shell: process.platform === 'win32' });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /Unknown (project|user|env) config/);
  });

  test("onnxruntime-node's install script (a CUDA download from outside the npm registry) is denied in package.json", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
    assert.equal(pkg.allowScripts?.['onnxruntime-node'], false);
  });
});
