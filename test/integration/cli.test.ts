import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SystemReport } from '../../shared/hardware';
import type { JobRecord } from '../../shared/jobs';
import { builtCli, tempHome } from '../helpers/paths';

const home = tempHome('cli');
function whittle(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [builtCli, ...args], {
    env: { ...process.env, WHITTLE_HOME: home, WHITTLE_TEST_JOBS: '1', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const PYTHON_CHECK = 'Python toolchain (Olive, transformers, llama.cpp converters)';

describe('the whittle CLI', () => {
  after(() => rmSync(home, { recursive: true, force: true }));

  test('--help lists the commands', () => {
    const r = whittle(['--help']);
    assert.equal(r.code, 0);
    for (const cmd of ['serve', 'jobs', 'system', 'doctor']) assert.match(r.stdout, new RegExp(`\\b${cmd}\\b`));
  });

  test('system --json runs a system report job and prints a valid report', () => {
    const r = whittle(['system', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = SystemReport.parse(JSON.parse(r.stdout));
    assert.ok(report.cpu.logicalCores > 0);
    const list = whittle(['jobs', 'list', '--json']);
    const jobs = JSON.parse(list.stdout) as JobRecord[];
    assert.equal(jobs[0]?.kind, 'system-report');
    assert.equal(jobs[0]?.state, 'succeeded');
    const shown = whittle(['jobs', 'show', jobs[0].id, '--log', '--json']);
    assert.match((JSON.parse(shown.stdout) as { log: string }).log, /Reading memory and disks/);
  });

  test('jobs start waits for the job; a failing job exits non-zero with its error', () => {
    const ok = whittle(['jobs', 'start', 'test.sleep', '--input', '{"seconds":0.2,"steps":2}', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as JobRecord).state, 'succeeded');
    const bad = whittle(['jobs', 'start', 'test.sleep', '--input', '{"seconds":0.2,"steps":2,"failAt":1}', '--json']);
    assert.equal(bad.code, 1);
    assert.match((JSON.parse(bad.stdout) as JobRecord).error ?? '', /fail at step 1/);
  });

  test('jobs start --timeout fails a job that runs too long', () => {
    const slow = whittle(['jobs', 'start', 'test.sleep', '--input', '{"seconds":30,"steps":30}', '--timeout', '2', '--json']);
    assert.equal(slow.code, 1, slow.stderr);
    const job = JSON.parse(slow.stdout) as JobRecord;
    assert.equal(job.state, 'failed');
    assert.match(job.error ?? '', /timed out after 2 s/);
    assert.match(whittle(['jobs', 'start', 'test.sleep', '--timeout', 'soon']).stderr, /--timeout: a number of seconds above 0/);
    const unknown = whittle(['jobs', 'start', 'model.quantise', '--input', '{}']);
    assert.equal(unknown.code === 0, false);
    // The list comes from the job-kind registry: every user-facing kind, no test-only ones.
    assert.match(unknown.stderr, /Unknown job kind "model\.quantise"\. Kinds: .*model\.convert/);
    assert.doesNotMatch(unknown.stderr, /test\.sleep/);
  });

  test('bad input names the field and exits non-zero', () => {
    const r = whittle(['jobs', 'start', 'test.sleep', '--input', '{"seconds":"soon"}']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /input\.seconds/);
    const notJson = whittle(['jobs', 'start', 'test.sleep', '--input', '{']);
    assert.match(notJson.stderr, /--input: not valid JSON/);
    const missing = whittle(['jobs', 'show', 'j-missing']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No job with id j-missing/);
    const state = whittle(['jobs', 'list', '--state', 'sleeping']);
    assert.match(state.stderr, /--state: unknown state "sleeping"/);
  });

  test('doctor --json reports every check and passes on this install', () => {
    const r = whittle(['doctor', '--json']);
    const out = JSON.parse(r.stdout) as { ok: boolean; checks: { name: string; status: string }[] };
    assert.equal(out.ok, true, JSON.stringify(out.checks));
    assert.equal(r.code, 0);
    assert.deepEqual(
      out.checks.map((c) => c.name),
      ['Node.js', 'Data dir', 'Database', 'llama.cpp (node-llama-cpp)', 'ONNX Runtime', 'llama.cpp tools', PYTHON_CHECK, 'NPU', 'App UI build'],
    );
    // The test run built the tools and the Python env into WHITTLE_CACHE before the integration tests.
    assert.equal(out.checks.find((c) => c.name === 'llama.cpp tools')?.status, 'ok');
    assert.equal(out.checks.find((c) => c.name === PYTHON_CHECK)?.status, 'ok');
  });

  test('doctor names the fix when the toolchains are not installed', () => {
    const r = whittle(['doctor', '--json'], { WHITTLE_CACHE: join(home, 'empty-cache') });
    const out = JSON.parse(r.stdout) as { ok: boolean; checks: { name: string; status: string; fix: string | null }[] };
    const tools = out.checks.find((c) => c.name === 'llama.cpp tools');
    assert.deepEqual([tools?.status, tools?.fix], ['warn', 'whittle toolchain install llama']);
    const python = out.checks.find((c) => c.name === PYTHON_CHECK);
    assert.deepEqual([python?.status, python?.fix], ['warn', 'whittle toolchain install python']);
  });

  test('serve prints "Listening on http://127.0.0.1:PORT" once it answers', async () => {
    const proc = spawn(process.execPath, [builtCli, 'serve', '--port', '0'], {
      env: { ...process.env, WHITTLE_HOME: home },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [line] = (await once(createInterface({ input: proc.stdout }), 'line')) as [string];
      const match = /^Listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      assert.ok(match, line);
      // The app API wants the session token, which serve leaves in the data dir (0600) for this user's tools.
      const tokenFile = join(home, 'serve.token');
      const token = readFileSync(tokenFile, 'utf8').trim();
      if (process.platform !== 'win32') assert.equal(statSync(tokenFile).mode & 0o777, 0o600, 'only this user can read the token');
      const res = await fetch(`${match[1]}/api/app.info`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200, 'the API answers as soon as the line is printed');
      assert.equal((await fetch(`${match[1]}/api/app.info`)).status, 401, 'not without the token');
    } finally {
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    }
  });

  test('doctor fails clearly when the data dir cannot be used', () => {
    const notADir = join(home, 'a-file-not-a-folder');
    writeFileSync(notADir, 'x');
    const r = whittle(['doctor', '--json'], { WHITTLE_HOME: notADir });
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout) as { ok: boolean; checks: { name: string; status: string; detail: string }[] };
    assert.equal(out.ok, false);
    const dataDir = out.checks.find((c) => c.name === 'Data dir');
    assert.equal(dataDir?.status, 'fail');
    assert.match(dataDir?.detail ?? '', /a-file-not-a-folder/);
  });
});
