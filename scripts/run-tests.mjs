// Runs test tiers with Node's own test runner (TypeScript through tsx), in one process tree so the
// closing summary counts every test: `node scripts/run-tests.mjs [unit|integration|e2e|all]...`
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const tiers = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const extra = process.argv.slice(2).filter((a) => a.startsWith('-'));
const wanted = tiers.length === 0 || tiers.includes('all') ? ['unit', 'integration', 'e2e'] : tiers;

function find(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(find(p));
    else if (/\.test\.ts$/.test(name)) out.push(p);
  }
  return out.sort();
}

const files = wanted.flatMap((tier) => find(join(root, 'test', tier)).map((f) => relative(root, f)));
if (files.length === 0) {
  console.error(`No test files for ${wanted.join(', ')}`);
  process.exit(1);
}
// Toolchains the integration tests use are built once into an ignored cache keyed by llama.cpp version and
// backend (a warm machine only checks the key); tests see it through WHITTLE_CACHE.
const cache = process.env.WHITTLE_TEST_CACHE ?? join(root, '.cache', 'whittle');
if (wanted.includes('integration')) {
  const t0 = Date.now();
  const home = mkdtempSync(join(tmpdir(), 'whittle-toolchain-setup-'));
  const built = spawnSync(process.execPath, [join(root, 'bin', 'whittle.js'), 'toolchain', 'install', 'llama', '--json'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, WHITTLE_CACHE: cache, WHITTLE_HOME: home },
    encoding: 'utf8',
  });
  rmSync(home, { recursive: true, force: true });
  if (built.status !== 0) {
    console.error(`Building the llama.cpp tools for the tests failed:\n${built.stdout}`);
    process.exit(1);
  }
  const result = JSON.parse(built.stdout).result;
  console.log(`toolchain: llama.cpp tools ${result.reused ? 'reused' : `built in ${result.buildSeconds} s`} (${result.dir}); setup took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

// One file at a time: integration tests run real llama.cpp and Chromium on a 2-core machine.
const args = ["--import", "tsx", "--test", "--test-concurrency=1", "--test-timeout=600000", "--test-reporter=spec", "--test-reporter-destination=stdout", "--test-reporter=./scripts/summary-reporter.mjs", "--test-reporter-destination=stdout", ...extra, ...files];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test', WHITTLE_CACHE: cache } });
process.exit(r.status ?? 1);
