import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { builtCli, repoRoot, tempHome } from '../helpers/paths';

describe('packaged toolchains (extra resources beside app.asar)', () => {
  const dir = tempHome('packaged');
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('scripts/package-toolchains.mjs stages tools and uv that a packaged app finds with an empty cache', () => {
    const staged = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'package-toolchains.mjs')], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, WHITTLE_HOME: join(dir, 'home') },
    });
    assert.equal(staged.status, 0, staged.stderr + staged.stdout);
    // The layout electron-builder.yml produces under process.resourcesPath.
    const resources = join(dir, 'resources');
    cpSync(join(repoRoot, 'resources', 'python'), join(resources, 'python'), { recursive: true });
    cpSync(join(repoRoot, 'build', 'toolchains'), resources, { recursive: true });
    const env = { ...process.env, WHITTLE_RESOURCES: resources, WHITTLE_CACHE: join(dir, 'empty-cache'), WHITTLE_HOME: join(dir, 'home') };
    const status = spawnSync(process.execPath, [builtCli, 'toolchain', 'status', '--json'], { encoding: 'utf8', env });
    assert.equal(status.status, 0, status.stderr);
    const out = JSON.parse(status.stdout) as { components: { component: string; state: string; dir: string | null }[] };
    const llama = out.components.find((c) => c.component === 'llama')!;
    assert.equal(llama.state, 'ready');
    assert.ok(llama.dir?.startsWith(join(resources, 'llama')), llama.dir ?? '');
    assert.equal(out.components.find((c) => c.component === 'python')!.state, 'missing');
    const uv = spawnSync(process.execPath, [builtCli, 'toolchain', 'uv', '--json'], {
      encoding: 'utf8',
      env: { ...env, UV_DEFAULT_INDEX: 'http://127.0.0.1:9/unreachable' },
    });
    assert.equal(uv.status, 0, uv.stderr);
    const pinned = (JSON.parse(readFileSync(join(repoRoot, 'resources', 'python', 'uv-pin.json'), 'utf8')) as { version: string }).version;
    assert.deepEqual(JSON.parse(uv.stdout), { path: join(resources, 'uv', process.platform === 'win32' ? 'uv.exe' : 'uv'), version: pinned, fetched: false });
  });
});
