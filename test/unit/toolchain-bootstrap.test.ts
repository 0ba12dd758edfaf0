import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import { detectLinuxNpus } from '../../electron/engine/hardware/npu-detect';
import { pythonJobEnv } from '../../electron/engine/toolchain/python-env';
import { UvDownloadMeter } from '../../electron/engine/toolchain/python-install';
import { ensureUv, uvExe, type UvPin } from '../../electron/engine/toolchain/uv-bootstrap';

const platform = `${process.platform}-${process.arch}`;

describe('uv bootstrap from a package index (a local stand-in speaking PEP 691 JSON)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'whittle-uv-'));
  const wheelName = 'uv-9.9.9-py3-none-any.whl';
  const wheel = zipSync({
    'uv/__init__.py': strToU8(''),
    [`uv-9.9.9.data/scripts/${uvExe()}`]: strToU8('#!/bin/sh\necho "uv 9.9.9 (stand-in)"\n'),
    'uv-9.9.9.dist-info/METADATA': strToU8('Name: uv\nVersion: 9.9.9\n'),
  });
  const sha = createHash('sha256').update(wheel).digest('hex');
  let server: Server;
  let index: string;
  const requests: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url} ${req.headers.accept ?? ''}`);
      if (req.url === '/simple/uv/') {
        res.setHeader('Content-Type', 'application/vnd.pypi.simple.v1+json');
        res.end(JSON.stringify({ files: [{ filename: wheelName, url: `../../files/${wheelName}`, hashes: { sha256: sha } }] }));
      } else if (req.url === `/files/${wheelName}`) res.end(Buffer.from(wheel));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    index = `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple`;
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const pin = (over: Partial<{ sha256: string; file: string }> = {}): UvPin => ({
    version: '9.9.9',
    index,
    wheels: { [platform]: { file: wheelName, sha256: sha, ...over } },
  });

  test('fetches the pinned wheel, checks its sha256 and unpacks only the binary, once', async () => {
    const cache = join(dir, 'ok');
    const got = await ensureUv(cache, () => undefined, undefined, pin());
    assert.equal(got.fetched, true);
    assert.equal(got.path, join(cache, 'uv', '9.9.9', uvExe()));
    if (process.platform !== 'win32') assert.match(execFileSync(got.path, { encoding: 'utf8' }), /uv 9\.9\.9/);
    assert.ok(requests.some((r) => r.startsWith('GET /simple/uv/ application/vnd.pypi.simple.v1+json')));
    const again = await ensureUv(cache, () => undefined, undefined, pin());
    assert.equal(again.fetched, false);
  });

  test('refuses a wheel whose sha256 is not the pinned one, leaving nothing behind', async () => {
    const cache = join(dir, 'bad');
    await assert.rejects(
      ensureUv(cache, () => undefined, undefined, pin({ sha256: '0'.repeat(64) })),
      new RegExp(`${wheelName}: sha256 ${sha} does not match the pinned 0{64}`),
    );
    assert.equal(existsSync(join(cache, 'uv', '9.9.9', uvExe())), false);
  });

  test('names the file when the index does not list it, and the platform when nothing is pinned for it', async () => {
    await assert.rejects(
      ensureUv(join(dir, 'missing'), () => undefined, undefined, pin({ file: 'uv-9.9.9-other.whl' })),
      /\/simple\/uv\/ does not list uv-9\.9\.9-other\.whl/,
    );
    await assert.rejects(
      ensureUv(join(dir, 'none'), () => undefined, undefined, { version: '9.9.9', index, wheels: {} }),
      new RegExp(`no uv 9\\.9\\.9 wheel is pinned for ${platform}`),
    );
  });
});

describe('uv output and job environment', () => {
  test("uv's Downloading/Downloaded lines become a byte fraction", () => {
    const meter = new UvDownloadMeter();
    assert.equal(meter.line('Resolved 102 packages in 1.2s'), null);
    meter.line('Downloading torch (300.0MiB)');
    meter.line('Downloading numpy (100.0MiB)');
    assert.equal(meter.line('Downloading tiny (512.0KiB)')?.fraction, 0);
    const half = meter.line(' Downloaded numpy');
    assert.ok(half && Math.abs(half.fraction - 100 / 400.5) < 1e-9, JSON.stringify(half));
    assert.match(half.message, /100\/401 MiB/);
    meter.line(' Downloaded torch');
    assert.equal(meter.line(' Downloaded tiny')?.fraction, 1);
  });

  test('Python jobs run offline, telemetry off, without the shell’s PYTHONPATH or venv', () => {
    const env = pythonJobEnv({ PATH: '/bin', PYTHONPATH: '/elsewhere', VIRTUAL_ENV: '/v', HF_TOKEN: 'x' });
    assert.notEqual(env.PYTHONPATH, '/elsewhere');
    assert.match(env.PYTHONPATH ?? '', /resources[\\/]python$/);
    assert.equal(env.VIRTUAL_ENV, undefined);
    for (const k of ['HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE', 'OLIVE_DISABLE_TELEMETRY', 'PYTHONNOUSERSITE']) assert.equal(env[k], '1', k);
  });

  test('Python jobs inherit no secrets: only an allow-list of the parent environment, plus the secrets a job is given', () => {
    const parent = {
      PATH: '/bin',
      HOME: '/home/u',
      LC_ALL: 'C.UTF-8',
      CUDA_VISIBLE_DEVICES: '0',
      OMP_NUM_THREADS: '4',
      OPENBLAS_CORETYPE: 'Haswell',
      HF_TOKEN: 'hf_secret',
      HUGGING_FACE_HUB_TOKEN: 'hf_legacy',
      OPENAI_API_KEY: 'sk-x',
      AWS_SECRET_ACCESS_KEY: 'aws',
      GITHUB_TOKEN: 'gh',
      HTTPS_PROXY: 'http://user:pw@proxy:8080',
      CUDA_AUTH_TOKEN: 'sneaky',
      SOME_RANDOM_VAR: 'x',
    };
    const env = pythonJobEnv(parent);
    for (const k of ['PATH', 'HOME', 'LC_ALL', 'CUDA_VISIBLE_DEVICES', 'OMP_NUM_THREADS', 'OPENBLAS_CORETYPE'])
      assert.equal(env[k], parent[k as keyof typeof parent], k);
    for (const k of [
      'HF_TOKEN',
      'HUGGING_FACE_HUB_TOKEN',
      'OPENAI_API_KEY',
      'AWS_SECRET_ACCESS_KEY',
      'GITHUB_TOKEN',
      'HTTPS_PROXY',
      'CUDA_AUTH_TOKEN',
      'SOME_RANDOM_VAR',
    ]) {
      assert.equal(env[k], undefined, `${k} reached the job`);
    }
    assert.deepEqual(JSON.parse(env.WHITTLE_JOB_GUARD ?? ''), { models: [] });
    assert.equal(pythonJobEnv(parent, { secrets: { HF_TOKEN: 'given' } }).HF_TOKEN, 'given');
  });
});

describe('NPU detection on Linux (the accel subsystem)', () => {
  test('names NPUs by their kernel driver, from the driver link or the uevent file', async () => {
    const sys = mkdtempSync(join(tmpdir(), 'whittle-accel-'));
    try {
      mkdirSync(join(sys, 'drivers', 'intel_vpu'), { recursive: true });
      mkdirSync(join(sys, 'accel', 'accel0', 'device'), { recursive: true });
      symlinkSync(join(sys, 'drivers', 'intel_vpu'), join(sys, 'accel', 'accel0', 'device', 'driver'));
      mkdirSync(join(sys, 'accel', 'accel1', 'device'), { recursive: true });
      writeFileSync(join(sys, 'accel', 'accel1', 'device', 'uevent'), 'DRIVER=amdxdna\nPCI_ID=1022:1502\n');
      mkdirSync(join(sys, 'accel', 'accel2', 'device'), { recursive: true });
      const found = await detectLinuxNpus(join(sys, 'accel'));
      assert.deepEqual(
        found.map((n) => [n.vendor, n.name]),
        [
          ['Intel', 'Intel NPU (AI Boost)'],
          ['AMD', 'AMD XDNA NPU (Ryzen AI)'],
          ['unknown', 'Accelerator accel2'],
        ],
      );
      assert.match(found[0]!.source, /accel0 \(driver intel_vpu\)/);
      assert.deepEqual(await detectLinuxNpus(join(sys, 'nope')), []);
    } finally {
      rmSync(sys, { recursive: true, force: true });
    }
  });
});
