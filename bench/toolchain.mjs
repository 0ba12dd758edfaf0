// `npm run bench -- toolchain [--cold-tools] [--json]`
//
// What the toolchains cost, each against the reference tool run the same way in this process tree:
//   setup   warm `npm test` setup: `whittle toolchain install llama` + `install python --fixtures` when both are
//           already in the cache (what every test run pays); target < 60 s.
//   env     creating the Python env into an empty folder from a warm uv cache, ours (uv fetched by us, `uv sync
//           --frozen`, llama.cpp converter scripts, the full import check, the manifest)
//           against bare `uv sync --frozen` of the same lock into another empty folder.
//   tools   (--cold-tools, ~6 min on 2 cores) building the llama.cpp tools into an empty cache, ours against a bare
//           `cmake` configure + build of the same targets from the same source.
// A benchmark, not a test: it exits 0 even when a target is missed, but says FAIL.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'bin', 'whittle.js');
const cache = process.env.WHITTLE_CACHE ?? join(root, '.cache', 'whittle');
const { values: opts } = parseArgs({ options: { 'cold-tools': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } }, strict: true });

function timed(cmd, args, env = {}, cwd = root) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 28 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${(r.stderr || r.stdout).slice(-3000)}`);
  return { s, stdout: r.stdout };
}

const home = mkdtempSync(join(tmpdir(), 'whittle-bench-toolchain-'));
const results = {};
try {
  // Make sure both are there (cold on a fresh machine), then time the warm path.
  timed(process.execPath, [cli, 'toolchain', 'install', 'llama', '--json'], { WHITTLE_CACHE: cache, WHITTLE_HOME: home });
  timed(process.execPath, [cli, 'toolchain', 'install', 'python', '--fixtures', '--json'], { WHITTLE_CACHE: cache, WHITTLE_HOME: home });
  const warm = [0, 1, 2].map(
    () =>
      timed(process.execPath, [cli, 'toolchain', 'install', 'llama', '--json'], { WHITTLE_CACHE: cache, WHITTLE_HOME: home }).s +
      timed(process.execPath, [cli, 'toolchain', 'install', 'python', '--fixtures', '--json'], { WHITTLE_CACHE: cache, WHITTLE_HOME: home }).s,
  );
  results.setup = { seconds: warm.sort((a, b) => a - b)[1], target: 60 };

  // Env from a warm uv cache: a fresh cache folder that shares only uv's download cache and the uv binary.
  const fresh = join(home, 'cache');
  mkdirSync(fresh, { recursive: true });
  symlinkSync(join(cache, 'uv-cache'), join(fresh, 'uv-cache'));
  symlinkSync(join(cache, 'uv'), join(fresh, 'uv'));
  const ours = timed(process.execPath, [cli, 'toolchain', 'install', 'python', '--json'], { WHITTLE_CACHE: fresh, WHITTLE_HOME: home });
  const uv = JSON.parse(timed(process.execPath, [cli, 'toolchain', 'uv', '--json'], { WHITTLE_CACHE: fresh, WHITTLE_HOME: home }).stdout).path;
  const bare = timed(
    uv,
    ['sync', '--frozen', '--no-install-project', '--project', join(root, 'resources', 'python'), '--python-preference', 'system'],
    { UV_CACHE_DIR: join(cache, 'uv-cache'), UV_PROJECT_ENVIRONMENT: join(home, 'bare-venv'), UV_NO_PROGRESS: '1' },
    home,
  );
  const verify = JSON.parse(ours.stdout).result.verifySeconds;
  results.env = { oursSeconds: ours.s, verifySeconds: verify, uvSyncSeconds: bare.s, ratio: ours.s / bare.s, ratioWithoutVerify: (ours.s - verify) / bare.s };

  if (opts['cold-tools']) {
    const cold = join(home, 'cold');
    const t = timed(process.execPath, [cli, 'toolchain', 'install', 'llama', '--json'], { WHITTLE_CACHE: cold, WHITTLE_HOME: home });
    const src = join(home, 'src');
    timed('git', ['clone', '--quiet', join(root, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle'), src]);
    const t0 = process.hrtime.bigint();
    timed('cmake', [
      '-S',
      src,
      '-B',
      join(src, 'build'),
      '-DCMAKE_BUILD_TYPE=Release',
      '-DLLAMA_CURL=OFF',
      '-DLLAMA_OPENSSL=OFF',
      '-DLLAMA_BUILD_TESTS=OFF',
      '-DLLAMA_BUILD_SERVER=OFF',
      '-DGGML_NATIVE=OFF',
      '-DBUILD_SHARED_LIBS=OFF',
      ...(existsSync('/usr/bin/ninja') ? ['-G', 'Ninja'] : []),
    ]);
    timed('cmake', [
      '--build',
      join(src, 'build'),
      '-j',
      String(cpus().length),
      '--target',
      'llama-quantize',
      'llama-imatrix',
      'llama-perplexity',
      'llama-bench',
      'llama-finetune',
      'llama-export-lora',
      'llama-gguf-split',
    ]);
    const bareTools = Number(process.hrtime.bigint() - t0) / 1e9;
    results.tools = { oursSeconds: t.s, cmakeSeconds: bareTools, ratio: t.s / bareTools };
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}

if (opts.json) console.log(JSON.stringify(results, null, 2));
else {
  console.log(
    `setup (warm, median of 3)  ${results.setup.seconds.toFixed(1)} s  (target < ${results.setup.target} s) ${results.setup.seconds < results.setup.target ? 'PASS' : 'FAIL'}`,
  );
  console.log(
    `python env (warm uv cache) ours ${results.env.oursSeconds.toFixed(1)} s vs uv sync ${results.env.uvSyncSeconds.toFixed(1)} s  ratio ${results.env.ratio.toFixed(2)}; without our import check (${results.env.verifySeconds} s) ${results.env.ratioWithoutVerify.toFixed(2)}`,
  );
  if (results.tools)
    console.log(
      `llama.cpp tools (cold)     ours ${results.tools.oursSeconds.toFixed(0)} s vs cmake ${results.tools.cmakeSeconds.toFixed(0)} s  ratio ${results.tools.ratio.toFixed(2)}`,
    );
}
