/**
 * Hub access on company networks: HTTPS_PROXY/HTTP_PROXY (through a local CONNECT proxy), NO_PROXY, and a
 * company CA in NODE_EXTRA_CA_CERTS (an HTTPS fake Hub whose certificate a throwaway CA signed).
 *
 *   node --import tsx --test test/integration/hub-proxy.test.ts
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { downloadFile } from '../../electron/engine/hub/download-file';
import { listRepoFiles } from '../../electron/engine/hub/hub-client';
import { resolveUrl } from '../../electron/engine/hub/hub-endpoint';
import { createHubNet, proxyFromEnv, resetHubNet } from '../../electron/engine/net/http-dispatcher';
import { sha256File } from '../../electron/engine/util/files';
import { buildTinyGguf } from '../fixtures/tiny-gguf';
import { startTestEngine, waitForFinal } from '../helpers/engine';
import { fileSha256, startFakeHub, type FakeFileSpec, type FakeHub } from '../helpers/fake-hub';
import { makeTestCa, type TestCa } from '../helpers/test-ca';
import { startTestProxy, type TestProxy } from '../helpers/test-proxy';

const MiB = 1024 * 1024;
// Over 32 MiB: downloaded in parallel ranged segments.
const big: FakeFileSpec = { path: 'big.gguf', data: { sizeBytes: 34 * MiB + 321, seed: 41 } };
const small: FakeFileSpec = { path: 'config.json', data: '{"proxied":true}\n' };
const REPO = 'acme/proxied';
const FAST_RETRY = { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 };

const NET_VARS = [
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'ALL_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'all_proxy',
  'no_proxy',
  'NODE_EXTRA_CA_CERTS',
  'HF_ENDPOINT',
  'HF_HUB_CACHE',
  'HF_TOKEN',
];
const saved = Object.fromEntries(NET_VARS.map((k) => [k, process.env[k]]));

/** Sets exactly these network variables (the others unset) and makes the engine read them again. */
async function useEnv(vars: Partial<Record<(typeof NET_VARS)[number], string>>): Promise<void> {
  for (const k of NET_VARS) {
    if (k.startsWith('HF_')) continue;
    if (vars[k] === undefined) delete process.env[k];
    else process.env[k] = vars[k];
  }
  await resetHubNet();
}

async function restoreEnv(): Promise<void> {
  for (const k of NET_VARS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await resetHubNet();
}

const hostOf = (url: string) => new URL(url).host;

describe('Hub access behind a proxy', () => {
  let hub: FakeHub;
  let proxy: TestProxy;
  let work: string;
  let n = 0;
  const paths = (name: string) => {
    const dir = join(work, `t${++n}`);
    return { dest: join(dir, 'out', name), partialDir: join(dir, 'partial') };
  };
  const access = () => ({ endpoint: hub.url, token: null });

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'hub-proxy-'));
    proxy = await startTestProxy();
    hub = await startFakeHub({
      repos: [
        { id: REPO, files: [big, small] },
        { id: 'acme/tiny-GGUF', files: [{ path: 'tiny-Q8_0.gguf', data: buildTinyGguf({ seed: 42 }) }] },
      ],
    });
  });
  after(async () => {
    await restoreEnv();
    await hub.close();
    await proxy.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('without a proxy or CA in the environment the direct fast path is kept', async () => {
    const net = await createHubNet({ NO_PROXY: '127.0.0.1' });
    assert.equal(net.proxy, null);
    assert.equal(net.dispatcher, null);
    assert.equal(net.fetch, undefined);
    assert.equal(net.secureContext, undefined);
  });

  test('proxy variables: lower case first, ALL_PROXY as the fallback, empty ones ignored, bad ones named', () => {
    assert.deepEqual(proxyFromEnv({ https_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:2', HTTP_PROXY: 'http://c:3', no_proxy: 'x.test' }), {
      http: 'http://c:3',
      https: 'http://a:1',
      noProxy: 'x.test',
    });
    assert.deepEqual(proxyFromEnv({ ALL_PROXY: 'socks5://s:1080', https_proxy: ' ' }), { http: 'socks5://s:1080', https: 'socks5://s:1080', noProxy: '' });
    assert.deepEqual(proxyFromEnv({ HTTP_PROXY: 'http://c:3' }), { http: 'http://c:3', https: 'http://c:3', noProxy: '' });
    assert.equal(proxyFromEnv({ NO_PROXY: '*' }), null);
    assert.throws(
      () => proxyFromEnv({ HTTPS_PROXY: 'ftp://user:secret@p:21' }),
      (e: Error) => /only http:\/\/, https:\/\/ and socks5:\/\//.test(e.message) && !e.message.includes('secret'),
    );
  });

  test('with HTTPS_PROXY/HTTP_PROXY set, Hub API calls and the parallel ranged download go through the proxy', async () => {
    await useEnv({ HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url });
    proxy.reset();
    const files = await listRepoFiles(REPO, 'main', access());
    assert.deepEqual(
      files.map((f) => f.path),
      ['big.gguf', 'config.json'],
    );
    assert.ok(proxy.tunnels.includes(hostOf(hub.url)), `the API call went through the proxy: ${JSON.stringify(proxy.tunnels)}`);

    const requestsBefore = hub.requests.length;
    const p = paths('big.gguf');
    const res = await downloadFile({ url: resolveUrl(hub.url, REPO, 'main', 'big.gguf'), ...p, connections: 4, retry: FAST_RETRY });
    assert.equal(res.verified, 'sha256');
    assert.equal(res.sha256, fileSha256(big));
    assert.equal((await sha256File(p.dest)).sha256, fileSha256(big));
    assert.ok(res.connections > 1, `parallel segments (${res.connections})`);
    const cdnTunnels = proxy.tunnels.filter((t) => t === hostOf(hub.cdnUrl)).length;
    assert.ok(cdnTunnels >= 2, `the ranged CDN requests went through the proxy: ${JSON.stringify(proxy.tunnels)}`);
    const served = hub.requests.slice(requestsBefore).reduce((sum, r) => sum + r.bytesSent, 0);
    assert.ok(served >= 34 * MiB);
    assert.ok(proxy.bytesRelayed >= served, `the proxy relayed ${proxy.bytesRelayed} bytes, the Hub served ${served}`);

    const s = paths('config.json');
    const r2 = await downloadFile({ url: resolveUrl(hub.url, REPO, 'main', 'config.json'), ...s, retry: FAST_RETRY });
    assert.equal(readFileSync(s.dest, 'utf8'), '{"proxied":true}\n');
    assert.equal(r2.verified, 'git-oid');
  });

  test('NO_PROXY=127.0.0.1 bypasses the proxy', async () => {
    await useEnv({ HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
    proxy.reset();
    await listRepoFiles(REPO, 'main', access());
    const p = paths('big.gguf');
    const res = await downloadFile({ url: resolveUrl(hub.url, REPO, 'main', 'big.gguf'), ...p, connections: 4, retry: FAST_RETRY });
    assert.equal(res.sha256, fileSha256(big));
    assert.deepEqual(proxy.tunnels, []);
    assert.deepEqual(proxy.forwarded, []);
    assert.equal(proxy.bytesRelayed, 0);
  });

  test('an unreachable proxy fails the Hub call saying which proxy', async () => {
    const dead = await startTestProxy();
    const deadUrl = dead.url;
    await dead.close();
    await useEnv({ HTTPS_PROXY: deadUrl, HTTP_PROXY: deadUrl });
    await assert.rejects(
      listRepoFiles(REPO, 'main', access()),
      (e: Error) => e.message.includes('cannot reach the Hub') && e.message.includes(deadUrl),
      'names the proxy',
    );
    const p = paths('config.json');
    await assert.rejects(downloadFile({ url: resolveUrl(hub.url, REPO, 'main', 'config.json'), ...p, retry: FAST_RETRY }), /ECONNREFUSED/);
  });

  test('the model.download job (in its forked worker) goes through the proxy', async () => {
    await useEnv({ HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url });
    process.env.HF_ENDPOINT = hub.url;
    process.env.HF_HUB_CACHE = join(work, 'hf-cache');
    delete process.env.HF_TOKEN;
    proxy.reset();
    const engine = await startTestEngine();
    try {
      const job = engine.api.hub.download({ repo: 'acme/tiny-GGUF', revision: 'main', files: ['tiny-Q8_0.gguf'], tags: [], connections: 1 });
      const done = await waitForFinal(engine, job.id);
      assert.equal(done.state, 'succeeded', done.error ?? '');
      const [a] = engine.artifacts.list({ jobId: job.id, kind: 'model', limit: 1 });
      assert.ok(a);
      assert.equal(engine.api.models.get(a.id).sha256, fileSha256({ data: buildTinyGguf({ seed: 42 }) }));
      assert.ok(proxy.tunnels.includes(hostOf(hub.url)), `the worker's Hub calls went through the proxy: ${JSON.stringify(proxy.tunnels)}`);
      assert.ok(proxy.bytesRelayed >= buildTinyGguf({ seed: 42 }).length, `the file came through the proxy (${proxy.bytesRelayed} bytes relayed)`);
    } finally {
      await engine.dispose();
    }
  });
});

describe('Hub access with a company CA (NODE_EXTRA_CA_CERTS)', () => {
  let hub: FakeHub;
  let proxy: TestProxy;
  let ca: TestCa;
  let work: string;
  let n = 0;
  const paths = (name: string) => {
    const dir = join(work, `t${++n}`);
    return { dest: join(dir, 'out', name), partialDir: join(dir, 'partial') };
  };
  const access = () => ({ endpoint: hub.url, token: null });

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'hub-ca-'));
    ca = makeTestCa(work);
    proxy = await startTestProxy();
    hub = await startFakeHub({ tls: ca, repos: [{ id: REPO, files: [big, small] }] });
    assert.match(hub.url, /^https:\/\/127\.0\.0\.1:/);
    assert.match(hub.cdnUrl, /^https:/);
  });
  after(async () => {
    await restoreEnv();
    await hub.close();
    await proxy.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('without NODE_EXTRA_CA_CERTS the HTTPS Hub is refused, naming the certificate problem', async () => {
    await useEnv({});
    const p = paths('big.gguf');
    await assert.rejects(
      downloadFile({ url: resolveUrl(hub.url, REPO, 'main', 'big.gguf'), ...p, connections: 4, retry: FAST_RETRY }),
      (e: Error) => /TLS certificate not trusted/.test(e.message) && /NODE_EXTRA_CA_CERTS/.test(e.message),
    );
    await assert.rejects(listRepoFiles(REPO, 'main', access()), /TLS certificate not trusted.*NODE_EXTRA_CA_CERTS/);
  });

  // This process started without the variable, as the packaged app (nodeOptions fuse off) always does: Node's
  // own TLS does not know the CA, so these pass only because the engine reads the file and adds it itself.
  test('NODE_EXTRA_CA_CERTS set after start is honoured by the API calls and the parallel download', async () => {
    await useEnv({ NODE_EXTRA_CA_CERTS: ca.caPath });
    const files = await listRepoFiles(REPO, 'main', access());
    assert.deepEqual(
      files.map((f) => f.path),
      ['big.gguf', 'config.json'],
    );
    const p = paths('big.gguf');
    const res = await downloadFile({ url: resolveUrl(hub.url, REPO, 'main', 'big.gguf'), ...p, connections: 4, retry: FAST_RETRY });
    assert.equal(res.verified, 'sha256');
    assert.equal((await sha256File(p.dest)).sha256, fileSha256(big));
    assert.ok(res.connections > 1);
  });

  test('NODE_EXTRA_CA_CERTS with HTTPS_PROXY: the CA is trusted through the tunnel', async () => {
    await useEnv({ NODE_EXTRA_CA_CERTS: ca.caPath, HTTPS_PROXY: proxy.url });
    proxy.reset();
    await listRepoFiles(REPO, 'main', access());
    const p = paths('big.gguf');
    const res = await downloadFile({ url: resolveUrl(hub.url, REPO, 'main', 'big.gguf'), ...p, connections: 4, retry: FAST_RETRY });
    assert.equal((await sha256File(p.dest)).sha256, fileSha256(big));
    assert.equal(res.sha256, fileSha256(big));
    assert.ok(proxy.tunnels.includes(hostOf(hub.url)) && proxy.tunnels.includes(hostOf(hub.cdnUrl)), JSON.stringify(proxy.tunnels));
    assert.ok(proxy.bytesRelayed >= 34 * MiB);
  });

  test('an unreadable NODE_EXTRA_CA_CERTS fails naming the file', async () => {
    const missing = join(work, 'no-such-ca.pem');
    await useEnv({ NODE_EXTRA_CA_CERTS: missing });
    const p = paths('config.json');
    const named = (e: Error) => e.message.includes(`NODE_EXTRA_CA_CERTS=${missing}`) && /cannot read/.test(e.message);
    await assert.rejects(downloadFile({ url: resolveUrl(hub.url, REPO, 'main', 'config.json'), ...p, retry: FAST_RETRY }), named);
    await assert.rejects(listRepoFiles(REPO, 'main', access()), named);
    await useEnv({ NODE_EXTRA_CA_CERTS: join(work, 'server.csr') });
    await assert.rejects(listRepoFiles(REPO, 'main', access()), /server\.csr: the file holds no PEM certificate/);
  });
});
