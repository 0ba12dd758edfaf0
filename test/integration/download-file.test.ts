/**
 * The Hub downloader against the fake Hub: parallel segments, resume, retries, verification, gating,
 * disk space.
 *
 *   node --import tsx --test test/integration/download-file.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChecksumError,
  DiskSpaceError,
  DownloadError,
  downloadFile,
  type DownloadFileOptions,
  type DownloadProgress,
} from '../../electron/engine/hub/download-file';
import type { PartState } from '../../electron/engine/hub/download-state';
import { sha256File } from '../../electron/engine/util/files';
import { fileChunks, fileSha256, generatedBytes, startFakeHub, type FakeFileSpec, type FakeHub } from '../helpers/fake-hub';

const TOKEN = 'hf_download_test_token';
const MiB = 1024 * 1024;
const big: FakeFileSpec = { path: 'big.gguf', data: { sizeBytes: 48 * MiB + 12_345, seed: 11 } };
const mid: FakeFileSpec = { path: 'mid.bin', data: { sizeBytes: 6 * MiB, seed: 12 } };
const small: FakeFileSpec = { path: 'config.json', data: '{"hello":"world"}\n' };
const gated: FakeFileSpec = { path: 'model.gguf', data: { sizeBytes: 2 * MiB, seed: 13 } };
const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 50 };

describe('downloadFile', () => {
  let hub: FakeHub;
  let work: string;
  let bigSha: string;
  let n = 0;
  /** A fresh dest and partial folder per download. */
  const paths = (name: string) => {
    const dir = join(work, `t${++n}`);
    return { dest: join(dir, 'out', name), partialDir: join(dir, 'partial') };
  };
  const resolveUrl = (repo: string, file: string) => `${hub.url}/${repo}/resolve/main/${file}`;
  const partFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'download-file-'));
    hub = await startFakeHub({
      token: TOKEN,
      repos: [
        { id: 'acme/models', files: [big, mid, small] },
        { id: 'acme/gated', gated: 'auto', files: [gated] },
      ],
    });
    bigSha = fileSha256(big);
  });

  after(async () => {
    await hub.close();
    rmSync(work, { recursive: true, force: true });
  });

  const get = (over: Partial<DownloadFileOptions> & { file?: FakeFileSpec; repo?: string } = {}) => {
    const file = over.file ?? big;
    const p = paths(file.path);
    return {
      ...p,
      run: (extra: Partial<DownloadFileOptions> = {}) =>
        downloadFile({ url: resolveUrl(over.repo ?? 'acme/models', file.path), ...p, connections: 4, retry: FAST_RETRY, ...over, ...extra }),
    };
  };

  test('a large file arrives intact over 4 parallel ranged connections, without the token going to the CDN', async () => {
    const progress: DownloadProgress[] = [];
    const from = hub.requests.length;
    const d = get({ headers: { Authorization: `Bearer ${TOKEN}` }, onProgress: (p) => progress.push(p) });
    const r = await d.run();
    assert.equal(r.sha256, bigSha);
    assert.equal(r.verified, 'sha256');
    assert.equal(r.sizeBytes, 48 * MiB + 12_345);
    assert.equal(r.connections, 4);
    assert.equal(r.resumedFromBytes, 0);
    assert.match(r.commit ?? '', /^[0-9a-f]{40}$/);
    assert.equal((await sha256File(d.dest)).sha256, bigSha, 'the file on disk hashes to the Hub sha256');
    assert.deepEqual(partFiles(d.partialDir), [], 'no partial files are left');

    const mine = hub.requests.slice(from);
    const cdn = mine.filter((q) => q.path.startsWith('/cdn/'));
    assert.ok(cdn.length >= 4, `several ranged requests (${cdn.length})`);
    assert.ok(cdn.every((q) => q.range && q.status === 206));
    assert.ok(
      cdn.every((q) => !q.authorization),
      'the Authorization header stays on the Hub origin',
    );
    assert.ok(mine.filter((q) => q.path.includes('/resolve/')).every((q) => q.authorization));
    assert.equal(hub.bytesServed(bigSha), r.sizeBytes, 'every byte was sent once');

    const last = progress.at(-1);
    assert.deepEqual({ done: last?.bytesDone, total: last?.bytesTotal }, { done: r.sizeBytes, total: r.sizeBytes });
  });

  test('an aborted download keeps its partial and state; the next call resumes and fetches only the rest', async () => {
    const d = get();
    const size = 48 * MiB + 12_345;
    hub.faults = { throttleBytesPerSec: 16 * MiB };
    const ac = new AbortController();
    await assert.rejects(
      d.run({
        signal: ac.signal,
        onProgress: (p) => {
          if (p.bytesDone >= 12 * MiB) ac.abort();
        },
      }),
      (e: Error) => e.name === 'AbortError',
    );
    hub.faults = {};
    assert.deepEqual(partFiles(d.partialDir).sort(), ['big.gguf.part', 'big.gguf.part.json']);
    assert.ok(!existsSync(d.dest));
    const state = JSON.parse(readFileSync(join(d.partialDir, 'big.gguf.part.json'), 'utf8')) as PartState;
    assert.equal(state.identity.sha256, bigSha);
    const saved = state.segments.reduce((s, x) => s + x.written, 0);
    assert.ok(saved >= 8 * MiB && saved < size, `saved ${saved} bytes`);

    const from = hub.requests.length;
    const logs: string[] = [];
    const r = await d.run({ log: (l) => logs.push(l) });
    const served = hub.requests.slice(from).reduce((s, q) => s + q.bytesSent, 0);
    assert.equal(r.resumedFromBytes, saved);
    assert.ok(served <= size - saved + 1024, `served ${served} bytes, expected about ${size - saved}`);
    assert.equal(r.sha256, bigSha);
    assert.equal((await sha256File(d.dest)).sha256, bigSha);
    assert.ok(
      logs.some((l) => /resuming big\.gguf/.test(l)),
      logs.join('\n'),
    );
    assert.deepEqual(partFiles(d.partialDir), []);
  });

  test('a partial for a different remote file is discarded, with the reason logged', async () => {
    const d = get({ file: mid });
    mkdirSync(d.partialDir, { recursive: true });
    writeFileSync(join(d.partialDir, 'mid.bin.part'), Buffer.alloc(MiB));
    const stale: PartState = {
      version: 1,
      identity: { sha256: 'f'.repeat(64), etag: 'x', size: 6 * MiB },
      segments: [{ start: 0, end: 6 * MiB, written: MiB }],
      updatedAt: '',
    };
    writeFileSync(join(d.partialDir, 'mid.bin.part.json'), JSON.stringify(stale));
    const logs: string[] = [];
    const r = await d.run({ log: (l) => logs.push(l) });
    assert.equal(r.resumedFromBytes, 0);
    assert.equal(r.sha256, fileSha256(mid));
    assert.ok(
      logs.some((l) => /discarding the partial download of mid\.bin: the sha256 changed/.test(l)),
      logs.join('\n'),
    );
  });

  test('dropped connections are retried from the last byte on disk', async () => {
    const d = get();
    hub.faults = { dropAfterBytes: 3 * MiB, times: 3 };
    const logs: string[] = [];
    const r = await d.run({ log: (l) => logs.push(l) });
    hub.faults = {};
    assert.equal(r.sha256, bigSha);
    assert.equal((await sha256File(d.dest)).sha256, bigSha);
    assert.equal(logs.filter((l) => /retrying/.test(l)).length, 3, logs.join('\n'));
  });

  test('503 twice, then success', async () => {
    const d = get({ file: mid });
    const from = hub.requests.length;
    hub.faults = { failStatus: { status: 503, times: 2 } };
    const r = await d.run();
    hub.faults = {};
    assert.equal(r.sha256, fileSha256(mid));
    assert.deepEqual(
      hub.requests
        .slice(from)
        .filter((q) => q.path.startsWith('/cdn/'))
        .map((q) => q.status),
      [503, 503, 200],
    );
  });

  test('429 with Retry-After waits as told', async () => {
    const d = get({ file: mid });
    hub.faults = { failStatus: { status: 429, times: 1, retryAfterSeconds: 1 } };
    const t0 = performance.now();
    const r = await d.run();
    hub.faults = {};
    assert.equal(r.sha256, fileSha256(mid));
    assert.ok(performance.now() - t0 >= 950, 'waited about a second');
  });

  test('retries give up after the configured attempts with a clear error', async () => {
    const d = get({ file: mid });
    hub.faults = { failStatus: { status: 503, times: 10 } };
    await assert.rejects(d.run({ retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } }), (e: DownloadError) => {
      assert.ok(e instanceof DownloadError);
      assert.equal(e.status, 503);
      assert.match(e.message, /acme\/models\/resolve\/main\/mid\.bin: HTTP 503 .*gave up after 3 attempts/);
      return true;
    });
    hub.faults = {};
  });

  test('a stalled response is abandoned after the stall timeout and retried', async () => {
    const d = get({ file: mid });
    hub.faults = { throttleBytesPerSec: 10 };
    const logs: string[] = [];
    const t0 = performance.now();
    await assert.rejects(
      d.run({ stallTimeoutMs: 200, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 }, log: (l) => logs.push(l) }),
      (e: DownloadError) => {
        assert.ok(e instanceof DownloadError);
        assert.match(e.message, /acme\/models\/resolve\/main\/mid\.bin: network error: no data for 200 ms.*gave up after 2 attempts/);
        return true;
      },
    );
    hub.faults = {};
    assert.ok(performance.now() - t0 < 5000);
    assert.equal(logs.filter((l) => /retrying/.test(l)).length, 1, logs.join('\n'));
    assert.ok(existsSync(join(d.partialDir, 'mid.bin.part.json')), 'the partial is kept for a later call');
  });

  test('a corrupted byte fails the sha256 check; neither the file nor the partial remains', async () => {
    const d = get();
    hub.faults = { corruptByteAt: { path: big.path, offset: 30 * MiB + 7 } };
    await assert.rejects(d.run(), (e: ChecksumError) => {
      assert.ok(e instanceof ChecksumError);
      assert.match(e.message, /big\.gguf/);
      assert.ok(e.message.includes(bigSha), 'names the expected sha256');
      assert.match(e.message, /got [0-9a-f]{64}/);
      return true;
    });
    hub.faults = {};
    assert.ok(!existsSync(d.dest));
    assert.deepEqual(partFiles(d.partialDir), []);
  });

  test('a small file kept in git is verified against its git blob id', async () => {
    const d = get({ file: small });
    const r = await d.run();
    assert.equal(r.verified, 'git-oid');
    assert.equal(readFileSync(d.dest, 'utf8'), small.data);
    assert.equal(
      r.sha256,
      createHash('sha256')
        .update(small.data as string)
        .digest('hex'),
    );
  });

  test('a gated file needs the token: 401 with the hint without it, downloaded with it', async () => {
    const d = get({ repo: 'acme/gated', file: gated });
    await assert.rejects(d.run(), (e: DownloadError) => {
      assert.ok(e instanceof DownloadError);
      assert.equal(e.status, 401);
      assert.match(
        e.message,
        /acme\/gated\/resolve\/main\/model\.gguf: HTTP 401 — requires a Hugging Face token \(gated model\): set HF_TOKEN or add a token in Settings/,
      );
      return true;
    });
    const from = hub.requests.length;
    const r = await d.run({ headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(r.sha256, fileSha256(gated));
    assert.ok(
      hub.requests
        .slice(from)
        .filter((q) => q.path.startsWith('/cdn/'))
        .every((q) => !q.authorization),
    );
  });

  test('missing files and repos give clear 404 errors, without retrying', async () => {
    const from = hub.requests.length;
    await assert.rejects(downloadFile({ url: resolveUrl('acme/models', 'nope.gguf'), ...paths('nope.gguf') }), (e: DownloadError) => {
      assert.equal(e.status, 404);
      assert.equal(e.code, 'EntryNotFound');
      assert.match(e.message, /acme\/models\/resolve\/main\/nope\.gguf: HTTP 404 — file not found in the repository/);
      return true;
    });
    assert.equal(hub.requests.length - from, 1, 'one request, no retries');
    await assert.rejects(downloadFile({ url: resolveUrl('acme/nothing', 'x.gguf'), ...paths('x.gguf') }), /HTTP 404 — repository not found/);
  });

  test('an expected size that differs from the Hub is an error', async () => {
    await assert.rejects(get({ file: mid, expectedSize: 123 }).run(), /reports 6291456 bytes, expected 123/);
  });

  test('no room for the file: DiskSpaceError before downloading (8 MB tmpfs)', async (t) => {
    const mnt = join(work, 'tmpfs');
    mkdirSync(mnt, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      t.skip('cannot mount a tmpfs here (needs root)');
      return;
    }
    try {
      const from = hub.requests.length;
      await assert.rejects(
        downloadFile({ url: resolveUrl('acme/models', mid.path), dest: join(mnt, 'out', 'mid.bin'), partialDir: join(mnt, 'partial') }),
        (e: DiskSpaceError) => {
          assert.ok(e instanceof DiskSpaceError);
          assert.equal(e.folder, join(mnt, 'partial'));
          assert.ok(e.neededBytes >= 6 * MiB + 64 * MiB);
          assert.ok(e.freeBytes !== null && e.freeBytes <= 8 * MiB);
          assert.match(e.message, /not enough free space in .*tmpfs\/partial for mid\.bin/);
          return true;
        },
      );
      assert.equal(hub.requests.slice(from).filter((q) => q.path.startsWith('/cdn/')).length, 0, 'nothing was downloaded');
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  test('disk full while writing: DiskSpaceError, the partial is kept, and a later call completes it', async () => {
    const d = get();
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    await assert.rejects(d.run({ writeFault: (written) => (written >= 16 * MiB ? enospc : null) }), (e: DiskSpaceError) => {
      assert.ok(e instanceof DiskSpaceError);
      assert.match(
        e.message,
        /^disk full while writing big\.gguf \(\d+\.\d MiB of 48\.0 MiB\); the partial download is kept in .* for resuming — free up \d+\.\d MiB and retry$/,
      );
      return true;
    });
    assert.deepEqual(partFiles(d.partialDir).sort(), ['big.gguf.part', 'big.gguf.part.json']);
    const state = JSON.parse(readFileSync(join(d.partialDir, 'big.gguf.part.json'), 'utf8')) as PartState;
    const saved = state.segments.reduce((s, x) => s + x.written, 0);
    assert.ok(saved >= 16 * MiB, `saved ${saved}`);
    const r = await d.run();
    assert.equal(r.resumedFromBytes, saved);
    assert.equal(r.sha256, bigSha);
  });

  test('an abort before the start rejects at once and leaves nothing', async () => {
    const d = get({ file: mid });
    await assert.rejects(d.run({ signal: AbortSignal.abort() }), (e: Error) => e.name === 'AbortError');
    assert.ok(!existsSync(d.dest));
    assert.deepEqual(partFiles(d.partialDir), []);
  });

  test('a server that ignores Range and sends chunked bodies: one connection, from the start', async () => {
    const spec = { sizeBytes: 40 * MiB + 3, seed: 21 };
    const server = createServer((req, res) => {
      // Claims ranges on HEAD, ignores them on GET, and never says how long the body is.
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-length': spec.sizeBytes, 'accept-ranges': 'bytes', etag: '"v1"' }).end();
        return;
      }
      res.writeHead(200, { etag: '"v1"' });
      for (const part of fileChunks({ data: spec })) res.write(part);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/plain.bin`;
      const p = paths('plain.bin');
      const logs: string[] = [];
      const sha = fileSha256({ data: spec });
      const r = await downloadFile({ url, ...p, connections: 4, expectedSha256: sha, log: (l) => logs.push(l) });
      assert.equal(r.sha256, sha);
      assert.equal(r.sizeBytes, spec.sizeBytes);
      assert.ok(
        logs.some((l) => /ignores Range requests; downloading plain\.bin again with one connection/.test(l)),
        logs.join('\n'),
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  test('the generated fixture is what the test thinks it is', () => {
    // Guards the expected hashes above: they come from the spec, not from the hub.
    const spec = mid.data as { sizeBytes: number; seed: number };
    const h = createHash('sha256');
    for (let at = 0; at < spec.sizeBytes; at += 3 * MiB) h.update(generatedBytes(spec, at, Math.min(spec.sizeBytes, at + 3 * MiB)));
    assert.equal(h.digest('hex'), fileSha256(mid));
  });
});
