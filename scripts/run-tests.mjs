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
// Toolchains the integration and e2e tests use (llama.cpp tools, the Python env with its test fixtures) are built
// once into an ignored cache keyed by version (a warm machine only checks the keys); tests see it through WHITTLE_CACHE.
const cache = process.env.WHITTLE_TEST_CACHE ?? join(root, '.cache', 'whittle');
if (wanted.includes('integration') || wanted.includes('e2e')) {
  const home = mkdtempSync(join(tmpdir(), 'whittle-toolchain-setup-'));
  for (const [component, ...flags] of [['llama'], ['python', '--fixtures']]) {
    const t0 = Date.now();
    const built = spawnSync(process.execPath, [join(root, 'bin', 'whittle.js'), 'toolchain', 'install', component, ...flags, '--json'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, WHITTLE_CACHE: cache, WHITTLE_HOME: home },
      encoding: 'utf8',
    });
    if (built.status !== 0) {
      rmSync(home, { recursive: true, force: true });
      console.error(`Installing the ${component} toolchain for the tests failed:\n${built.stdout}`);
      process.exit(1);
    }
    const result = JSON.parse(built.stdout).result;
    console.log(
      `toolchain: ${component} ${result.reused ? 'reused' : `built in ${result.buildSeconds} s`} (${result.dir}); setup took ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  rmSync(home, { recursive: true, force: true });
}

// One file at a time: integration tests run real llama.cpp and Chromium on a 2-core machine.
const args = [
  '--import',
  'tsx',
  '--test',
  '--test-concurrency=1',
  '--test-timeout=600000',
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  '--test-reporter=./scripts/summary-reporter.mjs',
  '--test-reporter-destination=stdout',
  ...extra,
  ...files,
];
// The fake Hub and servers the tests start listen on loopback: a developer's proxy must not see that traffic
// (tests of proxying set their own variables).
const loopback = '127.0.0.1,localhost,::1';
const noProxy = [process.env.NO_PROXY ?? process.env.no_proxy, loopback].filter(Boolean).join(',');
const r = spawnSync(process.execPath, args, {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'test', WHITTLE_CACHE: cache, NO_PROXY: noProxy, no_proxy: noProxy },
});
process.exit(r.status ?? 1);
