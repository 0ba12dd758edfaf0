import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'libsql';
import type { SecretStore } from '../../electron/engine/hub/token-store';
import type { HostStartConfig } from '../../electron/engine-host/protocol';
import { EngineHostError, OutputTail, startEngineHost, type HostProcess, type RunningEngineHost } from '../../electron/main/engine-host-process';
import { EngineRelay, type RendererEndpoint } from '../../electron/main/engine-relay';
import { shellServices } from '../../electron/main/shell-services';
import type { JobRecord } from '../../shared/jobs';
import { isPidAlive } from '../../electron/engine/util/processes';
import { waitFor, waitForAsync } from '../helpers/engine';
import { repoRoot, tempHome } from '../helpers/paths';

/**
 * The engine host as the Electron shell runs it, with plain Node standing in for utilityProcess (the host's
 * channel adapter speaks both): the shell side here is the app's own code (engine-host-process.ts,
 * shell-services.ts, engine-relay.ts) minus the few Electron calls.
 */

const entry = join(repoRoot, 'electron', 'engine-host', 'index.ts');

const builtEntry = join(repoRoot, 'out', 'main', 'engine-host.js');

/** child_process.fork in the role of utilityProcess.fork (utility-host.ts); the source entry runs through tsx. */
function forkNodeHost(script = entry): HostProcess {
  // No Hub token from the environment (it would win over the keychain's), and a Hub that refuses at once.
  const env: NodeJS.ProcessEnv = { ...process.env, HF_ENDPOINT: 'http://127.0.0.1:9' };
  delete env.HF_TOKEN;
  delete env.HUGGING_FACE_HUB_TOKEN;
  const child = fork(script, [], { execArgv: script.endsWith('.ts') ? ['--import', 'tsx'] : [], env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const tail = new OutputTail();
  child.stdout!.on('data', (d: Buffer) => tail.push(d));
  child.stderr!.on('data', (d: Buffer) => tail.push(d));
  return {
    post: (message) => void (child.connected && child.send(message)),
    onMessage: (listener) => void child.on('message', listener),
    onExit: (listener) => void child.once('exit', (code, signal) => listener({ code, signal })),
    kill: () => void child.kill('SIGKILL'),
    output: () => tail.text(),
  };
}

function hostConfig(home: string): HostStartConfig {
  return {
    dataDir: home,
    version: '0.0.0-test',
    worker: { script: join(repoRoot, 'electron', 'engine', 'jobs', 'worker.ts'), execArgv: ['--import', 'tsx'] },
    modelHost: { script: join(repoRoot, 'electron', 'engine', 'inference', 'model-host.ts'), execArgv: ['--import', 'tsx'] },
    testJobs: true,
    resumeInterrupted: true,
    apiPort: 0,
  };
}

/** The keychain as the engine sees it through the shell. */
function keychain(initial: string | null): SecretStore & { value: string | null; calls: string[] } {
  const store = {
    kind: 'keychain' as const,
    value: initial,
    calls: [] as string[],
    read: () => (store.calls.push('read'), store.value),
    write: (s: string) => void (store.calls.push('write'), (store.value = s)),
    clear: () => void (store.calls.push('clear'), (store.value = null)),
  };
  return store;
}

function startHost(home: string, secrets = keychain(null), config = hostConfig(home), script = entry): Promise<RunningEngineHost> {
  return startEngineHost({
    launch: () => forkNodeHost(script),
    config,
    services: shellServices({ secrets, reveal: () => undefined }),
    readyTimeoutMs: 60_000,
    stopTimeoutMs: 20_000,
  });
}

async function api(host: RunningEngineHost, path: string, input?: unknown, token: string | null = host.token): Promise<{ status: number; data: unknown }> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const res =
    input === undefined
      ? await fetch(`${host.url}/api/${path}`, { headers })
      : await fetch(`${host.url}/api/${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(input) });
  const body = (await res.json()) as { result?: { data: unknown }; error?: unknown };
  return { status: res.status, data: body.result?.data ?? body.error };
}

interface Received {
  id: number;
  result?: { type: string; data?: unknown };
  error?: { message: string; data?: unknown };
}

/** A window as the relay sees it: `got` is what trpc-electron's ipcLink in the page would receive. */
function fakeWindow(key: number): RendererEndpoint & { got: Received[] } {
  const got: Received[] = [];
  return { key, got, send: (m) => void got.push(m as Received) };
}

test('the engine host serves the app API like `whittle serve`, gets the Hub token from the shell, relays the window, and shuts down cleanly', async () => {
  const home = tempHome('engine-host');
  const secrets = keychain('hf_from_the_keychain');
  const relay = new EngineRelay();
  const win = fakeWindow(1);
  // A window's first calls arrive before the engine is up: the relay holds them.
  relay.handle(win, { method: 'request', operation: { id: 1, type: 'query', path: 'app.info', input: undefined, context: {} } });
  const host = await startHost(home, secrets);
  try {
    assert.match(host.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const info = await api(host, 'app.info');
    assert.equal(info.status, 200);
    assert.equal((info.data as { host: string; dataDir: string }).host, 'electron');
    assert.equal((info.data as { dataDir: string }).dataDir, home);
    assert.equal((await api(host, 'app.info', undefined, null)).status, 401, 'the app API needs the session token, as under serve');

    // The secret crossed the process boundary: the engine reports a keychain token it never read from disk.
    assert.deepEqual(secrets.calls, ['read']);
    const status = await api(host, 'hub.tokenStatus');
    assert.equal((status.data as { source: string }).source, 'keychain');
    await api(host, 'hub.setToken', { token: 'hf_typed_in_the_app' });
    await waitFor('the keychain to get the new token', () => secrets.value === 'hf_typed_in_the_app');
    await api(host, 'hub.clearToken', {});
    await waitFor('the keychain to drop the token', () => secrets.value === null);
    assert.deepEqual(secrets.calls, ['read', 'write', 'clear']);

    // The window's held call, then a subscription and a job start, all through the relay.
    relay.connect(host);
    await waitFor('app.info over the relay', () => win.got.find((m) => m.id === 1));
    assert.equal((win.got.find((m) => m.id === 1)!.result!.data as { host: string }).host, 'electron');
    relay.handle(win, { method: 'request', operation: { id: 2, type: 'subscription', path: 'jobs.events', input: undefined } });
    await waitFor('the subscription to start', () => win.got.find((m) => m.id === 2 && m.result?.type === 'started'));
    relay.handle(win, {
      method: 'request',
      operation: { id: 3, type: 'mutation', path: 'jobs.start', input: { kind: 'test.sleep', input: { seconds: 60, steps: 600 } } },
    });
    const started = await waitFor('jobs.start over the relay', () => win.got.find((m) => m.id === 3));
    assert.equal(started.error, undefined, JSON.stringify(started.error));
    const job = started.result!.data as JobRecord;
    await waitFor('a job event on the subscription', () => win.got.some((m) => m.id === 2 && JSON.stringify(m.result?.data ?? null).includes(job.id)));
    relay.handle(win, { method: 'request', operation: { id: 4, type: 'query', path: 'jobs.get', input: { id: 'no-such-job' } } });
    const missing = await waitFor('an engine error over the relay', () => win.got.find((m) => m.id === 4));
    assert.equal((missing.error?.data as { code: string }).code, 'NOT_FOUND', 'engine errors pass through with their tRPC shape');
    await waitForAsync('the job to run', async () => (await fetchJob(host, job.id)).state === 'running', 30_000);
    relay.handle(win, { method: 'subscription.stop', id: 2 });

    // Quitting the app: the shell asks the host to shut down; the engine stops its workers and closes the store.
    const stopped = await host.stop();
    relay.disconnect(stopped.reason);
    assert.equal(stopped.expected, true);
    assert.equal(stopped.exit.code, 0, stopped.output);
    const row = jobRow(home, job.id);
    assert.notEqual(row.state, 'running', 'the engine finished the job record before it exited');
    assert.equal(isPidAlive(row.worker_pid!), false, 'no worker outlives the engine');
    relay.handle(win, { method: 'request', operation: { id: 5, type: 'query', path: 'app.info', input: undefined } });
    assert.equal(win.got.find((m) => m.id === 5)?.error?.message, 'The Whittle engine stopped.');
  } finally {
    relay.close();
    await host.stop();
    rmSync(home, { recursive: true, force: true });
  }
});

function jobRow(home: string, id: string): { state: string; error: string | null; worker_pid: number | null } {
  const db = new Database(join(home, 'whittle.db'));
  try {
    return db.prepare('SELECT state, error, worker_pid FROM jobs WHERE id = ?').get(id) as { state: string; error: string | null; worker_pid: number | null };
  } finally {
    db.close();
  }
}

async function fetchJob(host: RunningEngineHost, id: string): Promise<JobRecord> {
  const res = await fetch(`${host.url}/api/jobs.get?input=${encodeURIComponent(JSON.stringify({ id }))}`, {
    headers: { authorization: `Bearer ${host.token}` },
  });
  return ((await res.json()) as { result: { data: JobRecord } }).result.data;
}

test("a SIGKILLed engine host is reported with a clear reason, and the window's calls fail instead of hanging", async () => {
  const home = tempHome('engine-host-kill');
  const host = await startHost(home);
  const relay = new EngineRelay();
  const win = fakeWindow(1);
  try {
    relay.connect(host);
    relay.handle(win, { method: 'request', operation: { id: 1, type: 'subscription', path: 'jobs.events', input: undefined } });
    await waitFor('the subscription to start', () => win.got.find((m) => m.id === 1 && m.result?.type === 'started'));

    process.kill(host.pid, 'SIGKILL');
    const stopped = await host.exited;
    assert.equal(stopped.expected, false);
    assert.equal(stopped.exit.signal, 'SIGKILL');
    assert.equal(stopped.reason, 'The Whittle engine process was killed (SIGKILL).');

    const ended = await waitFor('the open subscription to fail', () => win.got.find((m) => m.id === 1 && m.error));
    assert.match(ended.error!.message, /Whittle engine/);
    assert.equal(ended.error!.data, undefined, 'reads as "cannot reach the engine" in the renderer');
    relay.disconnect(stopped.reason);
    relay.handle(win, { method: 'request', operation: { id: 2, type: 'query', path: 'app.info', input: undefined } });
    assert.equal(win.got.find((m) => m.id === 2)?.error?.message, stopped.reason);
  } finally {
    relay.close();
    rmSync(home, { recursive: true, force: true });
  }
});

test('an engine that cannot start says why, and the process is gone', async () => {
  const home = tempHome('engine-host-fail');
  const notADir = join(home, 'a-file');
  writeFileSync(notADir, 'x');
  try {
    const err = await startEngineHost({
      launch: () => forkNodeHost(),
      config: hostConfig(join(notADir, 'data')),
      services: shellServices({ secrets: keychain(null), reveal: () => undefined }),
      readyTimeoutMs: 60_000,
    }).then(
      () => assert.fail('the host started on an impossible data dir'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof EngineHostError, String(err));
    assert.equal(err.stopped.expected, false);
    assert.equal(err.stopped.exit.code, 1);
    assert.match(err.stopped.reason, /^The Whittle engine could not start: .*(ENOTDIR|not a directory)/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test(
  'the built engine-host.js (what the app forks) runs under plain Node',
  { skip: existsSync(builtEntry) ? undefined : 'not built: npx electron-vite build' },
  async () => {
    const home = tempHome('engine-host-built');
    const built = join(repoRoot, 'out', 'main');
    const config = { ...hostConfig(home), worker: { script: join(built, 'job-worker.js'), execArgv: [] }, modelHost: undefined };
    const host = await startHost(home, keychain(null), config, builtEntry);
    try {
      const info = await api(host, 'app.info');
      assert.equal((info.data as { host: string }).host, 'electron');
      const stopped = await host.stop();
      assert.equal(stopped.exit.code, 0, stopped.output);
    } finally {
      await host.stop();
      rmSync(home, { recursive: true, force: true });
    }
  },
);

// JobRunner.shutdown() stops workers without marking them as stopped by the engine, so their jobs end as
// 'failed' (worker died of SIGTERM) rather than 'interrupted'; the shell forwards the shutdown either way.
test('quitting the app ends a running job as interrupted', async () => {
  const home = tempHome('engine-host-quit');
  const host = await startHost(home);
  try {
    const started = await api(host, 'jobs.start', { kind: 'test.sleep', input: { seconds: 60, steps: 600 } });
    const job = started.data as JobRecord;
    await waitForAsync('the job to run', async () => (await fetchJob(host, job.id)).state === 'running', 30_000);
    const stopped = await host.stop();
    assert.equal(stopped.exit.code, 0, stopped.output);
    const row = jobRow(home, job.id);
    assert.equal(row.state, 'interrupted', row.error ?? '');
  } finally {
    await host.stop();
    rmSync(home, { recursive: true, force: true });
  }
});
