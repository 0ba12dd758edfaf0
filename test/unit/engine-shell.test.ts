import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import type { SecretStore } from '../../electron/engine/hub/token-store';
import { connectParent } from '../../electron/engine-host/parent-channel';
import { HostToShell, ShellToHost, type HostStartConfig } from '../../electron/engine-host/protocol';
import { ShellClient, shellSecretStore } from '../../electron/engine-host/shell-client';
import { EngineRelay, MAX_FRAME_BYTES, type RendererEndpoint } from '../../electron/main/engine-relay';
import { EngineHostError, OutputTail, startEngineHost, type HostExit, type HostProcess } from '../../electron/main/engine-host-process';
import { shellServices } from '../../electron/main/shell-services';
import { repoRoot } from '../helpers/paths';

function memorySecrets(kind: SecretStore['kind'], initial: string | null): SecretStore & { value: string | null } {
  const store = {
    kind,
    value: initial,
    read: () => store.value,
    write: (s: string) => void (store.value = s),
    clear: () => void (store.value = null),
  };
  return store;
}

interface Received {
  id: number;
  error: { message: string; data?: unknown };
}

function endpoint(key = 1): RendererEndpoint & { got: Received[] } {
  const got: Received[] = [];
  return { key, got, send: (m) => void got.push(m as Received) };
}

test('shell services: the keychain store answers the engine, and reveal takes only absolute paths', async () => {
  const secrets = memorySecrets('keychain', 'hf_one');
  const revealed: string[] = [];
  const serve = shellServices({ secrets, reveal: (p) => void revealed.push(p) });
  assert.deepEqual(await serve({ method: 'secret.read' }), { kind: 'keychain', secret: 'hf_one' });
  await serve({ method: 'secret.write', secret: 'hf_two' });
  assert.equal(secrets.value, 'hf_two');
  await serve({ method: 'secret.clear' });
  assert.equal(secrets.value, null);
  await serve({ method: 'reveal', path: '/tmp/model.gguf' });
  assert.deepEqual(revealed, ['/tmp/model.gguf']);
  await assert.rejects(serve({ method: 'reveal', path: 'relative/model.gguf' }), /absolute path/);
});

test('protocol: messages of the wrong shape are refused on both sides', () => {
  assert.equal(HostToShell.safeParse({ type: 'request', id: 1, call: { method: 'shell.openExternal', url: 'https://x' } }).success, false);
  assert.equal(HostToShell.safeParse({ type: 'ready', url: 'not a url', token: 'x'.repeat(43), pid: 1 }).success, false);
  assert.equal(HostToShell.safeParse({ type: 'request', id: 1, call: { method: 'reveal', path: '/a' } }).success, true);
  assert.equal(ShellToHost.safeParse({ type: 'start', config: { dataDir: '' } }).success, false);
  assert.equal(ShellToHost.safeParse({ type: 'response', id: 3, value: null, error: 'no' }).success, true);
});

test('the host channel adapter speaks utilityProcess parentPort and child_process IPC alike', () => {
  const port = new EventEmitter() as EventEmitter & { postMessage(m: unknown): void; posted: unknown[] };
  port.posted = [];
  port.postMessage = (m) => void port.posted.push(m);
  const utility = connectParent(Object.assign(new EventEmitter(), { parentPort: port }) as unknown as NodeJS.Process);
  const seen: unknown[] = [];
  utility.onMessage((m) => seen.push(m));
  port.emit('message', { data: { type: 'shutdown' }, ports: [] });
  utility.post({ type: 'failed', message: 'x' });
  assert.deepEqual(seen, [{ type: 'shutdown' }]);
  assert.deepEqual(port.posted, [{ type: 'failed', message: 'x' }]);

  const sent: unknown[] = [];
  const proc = Object.assign(new EventEmitter(), { connected: true, send: (m: unknown) => sent.push(m) > 0 });
  const forked = connectParent(proc as unknown as NodeJS.Process);
  const got: unknown[] = [];
  let gone = false;
  forked.onMessage((m) => got.push(m));
  forked.onDisconnect(() => (gone = true));
  proc.emit('message', { type: 'shutdown' });
  proc.emit('disconnect');
  forked.post({ type: 'failed', message: 'y' });
  assert.deepEqual(got, [{ type: 'shutdown' }]);
  assert.deepEqual(sent, [{ type: 'failed', message: 'y' }]);
  assert.equal(gone, true);

  assert.throws(() => connectParent(new EventEmitter() as unknown as NodeJS.Process), /IPC channel/);
});

test('the engine side of the secret store: read once from the shell, writes forwarded in order', async () => {
  const posted: unknown[] = [];
  const parent = {
    post(m: { type: string; id?: number; call?: { method: string } }) {
      posted.push(m.call);
      if (m.type === 'request' && m.call?.method === 'secret.read')
        queueMicrotask(() => client.settle(m.id!, { kind: 'keychain', secret: 'hf_shell' }, undefined));
    },
    onMessage: () => undefined,
    onDisconnect: () => undefined,
  };
  const client = new ShellClient(parent);
  const store = await shellSecretStore(client, () => undefined);
  assert.equal(store.kind, 'keychain');
  assert.equal(store.read(), 'hf_shell');
  store.write('hf_new');
  assert.equal(store.read(), 'hf_new');
  store.clear();
  assert.equal(store.read(), null);
  assert.deepEqual(posted, [{ method: 'secret.read' }, { method: 'secret.write', secret: 'hf_new' }, { method: 'secret.clear' }]);
});

test('a shell request the app never answers times out instead of hanging the engine', async () => {
  const client = new ShellClient({ post: () => undefined, onMessage: () => undefined, onDisconnect: () => undefined }, 50);
  await assert.rejects(client.call({ method: 'reveal', path: '/x' }), /did not answer reveal/);
});

test('the relay holds calls while the engine starts, refuses malformed or oversized ones, and fails them once it is down', () => {
  const relay = new EngineRelay();
  const win = endpoint();
  relay.handle(win, { method: 'request', operation: { id: 1, type: 'query', path: 'app.info', input: undefined } });
  assert.equal(win.got.length, 0, 'held while starting');
  relay.handle(win, { method: 'request', operation: { id: 2, type: 'drop-tables', path: 'app.info' } });
  assert.match(JSON.stringify(win.got[0]), /"id":2.*BAD_REQUEST/);
  relay.disconnect('The Whittle engine process was killed (SIGKILL).');
  const failed = win.got[1]!;
  assert.equal(failed.id, 1);
  assert.equal(failed.error.message, 'The Whittle engine process was killed (SIGKILL).');
  assert.equal(failed.error.data, undefined, 'no data: the renderer reads it as "cannot reach the engine"');
  relay.handle(win, { method: 'request', operation: { id: 3, type: 'mutation', path: 'jobs.start', input: {} } });
  assert.match(win.got[2]!.error.message, /SIGKILL/);

  const up = new EngineRelay();
  up.connect({ url: 'http://127.0.0.1:9', token: 't'.repeat(43) });
  const big = endpoint(2);
  up.handle(big, {
    method: 'request',
    operation: { id: 7, type: 'query', path: 'inference.countTokens', input: { modelId: 'm', text: 'x'.repeat(MAX_FRAME_BYTES) } },
  });
  assert.match(JSON.stringify(big.got[0]), /"id":7.*PAYLOAD_TOO_LARGE/);
  up.close();
});

test('process output keeps only its last lines for the crash message', () => {
  const tail = new OutputTail(3);
  tail.push('one\ntwo\n');
  tail.push('three\r\nfour\n\n');
  assert.equal(tail.text(), 'two\nthree\nfour');
});

test('the engine host may not import electron (it also runs under plain Node)', async () => {
  // A snippet no tsconfig includes: the layering rule needs no types.
  const eslint = new ESLint({ cwd: repoRoot, overrideConfig: [tseslint.configs.disableTypeChecked] });
  const [result] = await eslint.lintText("import { app } from 'electron';\nexport const x = app;\n", { filePath: 'electron/engine-host/bad.ts' });
  assert.ok((result?.messages ?? []).some((m) => m.ruleId === 'no-restricted-imports'));
});

/** A host process the test drives by hand. */
function fakeHost(): HostProcess & { posted: unknown[]; say(m: unknown): void; end(exit: HostExit): void; killed: boolean } {
  const listeners: ((m: unknown) => void)[] = [];
  let onExit: (exit: HostExit) => void = () => undefined;
  const host = {
    posted: [] as unknown[],
    killed: false,
    post: (m: unknown) => void host.posted.push(m),
    onMessage: (l: (m: unknown) => void) => void listeners.push(l),
    onExit: (l: (exit: HostExit) => void) => void (onExit = l),
    kill: () => {
      host.killed = true;
      queueMicrotask(() => onExit({ code: null, signal: 'SIGKILL' }));
    },
    output: () => 'last words',
    say: (m: unknown) => listeners.forEach((l) => l(m)),
    end: (exit: HostExit) => onExit(exit),
  };
  return host;
}

const config: HostStartConfig = {
  dataDir: '/tmp/x',
  version: '0',
  worker: { script: '/w.js', execArgv: [] },
  testJobs: false,
  resumeInterrupted: false,
  apiPort: 0,
};
const services = shellServices({ secrets: memorySecrets('file', null), reveal: () => undefined });

test('the shell side of the host: start config first, requests answered (bad ones with an error), failures and timeouts explained', async () => {
  const host = fakeHost();
  const starting = startEngineHost({ launch: () => host, config, services });
  assert.deepEqual(host.posted[0], { type: 'start', config });
  host.say({ type: 'request', id: 0, call: { method: 'secret.read' } });
  host.say({ type: 'request', id: 1, call: { method: 'shell.openExternal', url: 'https://evil.example' } });
  await new Promise((r) => setImmediate(r));
  const refused = host.posted[1] as { type: string; id: number; error: string };
  assert.deepEqual([refused.type, refused.id], ['response', 1]);
  assert.match(refused.error, /Not a request the app serves/);
  assert.deepEqual(host.posted[2], { type: 'response', id: 0, value: { kind: 'file', secret: null } });
  host.say({ type: 'failed', message: 'ENOSPC: no space left on device.' });
  host.end({ code: 1, signal: null });
  const err = await starting.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof EngineHostError);
  assert.equal(err.message, 'The Whittle engine could not start: ENOSPC: no space left on device.');
  assert.equal(err.stopped.output, 'last words');

  const silent = fakeHost();
  const timedOut = await startEngineHost({ launch: () => silent, config, services, readyTimeoutMs: 20 }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.equal(silent.killed, true);
  assert.match(String(timedOut), /gave no sign of life within 0 s/);

  const unlaunchable = await startEngineHost({
    launch: () => {
      throw new Error('spawn ENOENT');
    },
    config,
    services,
  }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(unlaunchable instanceof EngineHostError);
  assert.match(unlaunchable.message, /could not be launched: spawn ENOENT/);
});

test('a running host: stop sends shutdown and waits, and a host that ignores it is killed', async () => {
  const host = fakeHost();
  const starting = startEngineHost({ launch: () => host, config, services, stopTimeoutMs: 20 });
  host.say({ type: 'ready', url: 'http://127.0.0.1:5555', token: 't'.repeat(43), pid: 42 });
  const running = await starting;
  assert.equal(running.url, 'http://127.0.0.1:5555');
  const stopped = await running.stop();
  assert.deepEqual(host.posted.at(-1), { type: 'shutdown' });
  assert.equal(host.killed, true, 'killed after stopTimeoutMs');
  assert.equal(stopped.expected, true);

  const crashing = fakeHost();
  const starting2 = startEngineHost({ launch: () => crashing, config, services });
  crashing.say({ type: 'ready', url: 'http://127.0.0.1:5556', token: 't'.repeat(43), pid: 43 });
  const second = await starting2;
  crashing.end({ code: 134, signal: null, cause: 'oom' });
  const gone = await second.exited;
  assert.equal(gone.expected, false);
  assert.equal(gone.reason, 'The Whittle engine process ran out of memory (exit code 134).');
  assert.equal(
    HostToShell.safeParse({ type: 'ready', url: 'http://evil.example:80', token: 't'.repeat(43), pid: 1 }).success,
    false,
    'the relay only ever connects to loopback',
  );
});
