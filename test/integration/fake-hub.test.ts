/**
 * The fake Hub speaks the Hub's protocol: the real @huggingface/hub client works against it, and its
 * resolve/CDN routes behave like the Hub's (redirects, linked headers, ranges, gating, error codes).
 *
 *   node --import tsx --test test/integration/fake-hub.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { downloadFile, fileDownloadInfo, listFiles, listModels, modelInfo, whoAmI, type ListFileEntry } from '@huggingface/hub';
import { fileChunks, fileSha256, generatedBytes, gitBlobSha1, startFakeHub, type FakeFileSpec, type FakeHub } from '../helpers/fake-hub';
import { repoRoot } from '../helpers/paths';

const TOKEN = 'hf_fake_hub_test_token';
const README = '---\nlicense: apache-2.0\nlanguage: en\n---\n# Tiny\nA tiny model.\n';
const gguf: FakeFileSpec = { path: 'tiny-Q4_K_M.gguf', data: { sizeBytes: 300_000, seed: 1 } };
const config: FakeFileSpec = { path: 'config.json', data: '{"model_type":"llama"}\n' };
const onnx: FakeFileSpec = { path: 'onnx/model.onnx', data: { sizeBytes: 50_000, seed: 2 } };
const gatedFile: FakeFileSpec = { path: 'model.gguf', data: { sizeBytes: 20_000, seed: 3 } };

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('fake Hub', () => {
  let hub: FakeHub;
  let hubUrl: string;

  before(async () => {
    hub = await startFakeHub({
      token: TOKEN,
      user: 'tester',
      repos: [
        {
          id: 'acme/tiny-gguf',
          library: 'gguf',
          tags: ['text-generation'],
          pipelineTag: 'text-generation',
          downloads: 100,
          likes: 5,
          parameterCount: 1_000_000,
          lastModified: '2024-05-01T00:00:00.000Z',
          files: [{ path: 'README.md', data: README }, gguf, config],
        },
        {
          id: 'acme/onnx-thing',
          library: 'onnx',
          downloads: 50,
          likes: 50,
          files: [onnx, { path: 'onnx/genai_config.json', data: '{}' }, { path: 'README.md', data: '# ONNX' }],
        },
        { id: 'acme/gated-gguf', library: 'gguf', gated: 'manual', downloads: 10, license: 'llama3', files: [gatedFile] },
        {
          id: 'other/tiny-st',
          library: 'transformers',
          downloads: 1000,
          parameterCount: 5_000_000,
          files: [{ path: 'model.safetensors', data: { sizeBytes: 40_000, seed: 4 } }],
        },
      ],
    });
    hubUrl = hub.url;
  });

  after(async () => {
    await hub.close();
  });

  test('generated content is deterministic, random-access, and hashes the same however it is chunked', () => {
    const spec = { data: { sizeBytes: 3 * 1024 * 1024 + 123, seed: 9 } };
    const whole = Buffer.concat([...fileChunks(spec, 0, spec.data.sizeBytes, 1 << 20)]);
    assert.equal(whole.length, spec.data.sizeBytes);
    assert.deepEqual(Buffer.concat([...fileChunks(spec, 0, spec.data.sizeBytes, 4093)]), whole);
    for (const [a, b] of [
      [0, 1],
      [3, 4099],
      [4095, 4105],
      [1048570, 1048590],
      [spec.data.sizeBytes - 5, spec.data.sizeBytes],
    ] as const) {
      assert.deepEqual(generatedBytes(spec.data, a, b), whole.subarray(a, b), `bytes ${a}-${b}`);
    }
    assert.equal(fileSha256(spec), sha256(whole));
    // No two blocks alike: a misplaced write changes the hash.
    assert.notDeepEqual(whole.subarray(0, 4096), whole.subarray(1 << 20, (1 << 20) + 4096));
    assert.notEqual(fileSha256({ data: { sizeBytes: 1000, seed: 1 } }), fileSha256({ data: { sizeBytes: 1000, seed: 2 } }));
  });

  test('listModels: search, author, tag filter, sort, and expanded fields', async () => {
    const byQuery = await collect(listModels({ hubUrl, search: { query: 'TINY' } }));
    assert.deepEqual(byQuery.map((m) => m.name).sort(), ['acme/tiny-gguf', 'other/tiny-st']);
    const first = byQuery.find((m) => m.name === 'acme/tiny-gguf')!;
    assert.equal(first.downloads, 100);
    assert.equal(first.likes, 5);
    assert.equal(first.gated, false);
    assert.equal(first.task, 'text-generation');
    assert.equal(first.updatedAt.toISOString(), '2024-05-01T00:00:00.000Z');
    assert.match(first.id, /^[0-9a-f]{24}$/);

    const ggufs = await collect(listModels({ hubUrl, search: { tags: ['gguf'] }, sort: 'downloads' }));
    assert.deepEqual(
      ggufs.map((m) => m.name),
      ['acme/tiny-gguf', 'acme/gated-gguf'],
    );
    assert.equal(ggufs[1]!.gated, 'manual');

    const byOwner = await collect(listModels({ hubUrl, search: { owner: 'other' }, additionalFields: ['library_name', 'tags', 'safetensors'] }));
    assert.equal(byOwner.length, 1);
    assert.equal(byOwner[0]!.library_name, 'transformers');
    assert.deepEqual(byOwner[0]!.safetensors, { parameters: { BF16: 5_000_000 }, total: 5_000_000 });

    const limited = await collect(listModels({ hubUrl, sort: 'likes', limit: 2 }));
    assert.deepEqual(
      limited.map((m) => m.name),
      ['acme/onnx-thing', 'acme/tiny-gguf'],
    );
  });

  test('/api/models pages with a Link header, as the Hub does', async () => {
    const res = await fetch(`${hubUrl}/api/models?limit=3&sort=downloads`);
    const page1 = (await res.json()) as { id: string }[];
    assert.equal(page1.length, 3);
    const link = res.headers.get('link') ?? '';
    const next = /<([^>]+)>; rel="next"/.exec(link)?.[1];
    assert.ok(next, `a next link: ${link}`);
    const page2 = (await (await fetch(next)).json()) as { id: string }[];
    assert.deepEqual(
      page2.map((m) => m.id),
      ['acme/gated-gguf'],
    );
    // The default listing fields of the Hub.
    assert.deepEqual(
      Object.keys(page1[0]!).sort(),
      ['_id', 'createdAt', 'downloads', 'id', 'library_name', 'likes', 'modelId', 'private', 'tags', 'trendingScore'].sort(),
    );
  });

  test('modelInfo: sha, card data, file paths, parameter counts', async () => {
    const info = await modelInfo({ hubUrl, name: 'acme/tiny-gguf', additionalFields: ['sha', 'cardData', 'tags', 'library_name', 'filePaths'] });
    assert.equal(info.name, 'acme/tiny-gguf');
    assert.match(info.sha, /^[0-9a-f]{40}$/);
    assert.equal(info.cardData?.license, 'apache-2.0');
    assert.ok(info.tags.includes('gguf'));
    assert.equal(info.library_name, 'gguf');
    assert.deepEqual(info.filePaths.sort(), ['README.md', 'config.json', 'tiny-Q4_K_M.gguf']);

    const byRev = await modelInfo({ hubUrl, name: 'acme/tiny-gguf', revision: info.sha, additionalFields: ['sha'] });
    assert.equal(byRev.sha, info.sha);
    await assert.rejects(modelInfo({ hubUrl, name: 'acme/tiny-gguf', revision: 'nope' }), (e: Error & { statusCode?: number }) => e.statusCode === 404);

    const full = (await (await fetch(`${hubUrl}/api/models/acme/tiny-gguf?blobs=true`)).json()) as {
      sha: string;
      gguf?: { total: number };
      siblings: { rfilename: string; size: number; lfs?: { sha256: string; size: number; pointerSize: number } }[];
    };
    assert.equal(full.sha, info.sha);
    assert.equal(full.gguf?.total, 1_000_000);
    const sib = full.siblings.find((s) => s.rfilename === gguf.path)!;
    assert.equal(sib.size, 300_000);
    assert.equal(sib.lfs?.sha256, fileSha256(gguf));
    assert.ok(sib.lfs && sib.lfs.pointerSize > 100 && sib.lfs.pointerSize < 200);
    assert.equal(full.siblings.find((s) => s.rfilename === 'config.json')?.lfs, undefined);

    const gated = await modelInfo({ hubUrl, name: 'acme/gated-gguf', additionalFields: ['cardData'] });
    assert.equal(gated.gated, 'manual', 'metadata of gated repos is public');
    assert.equal(gated.cardData?.license, 'llama3');
  });

  test('listFiles with expand: sizes, LFS sha256, git oids, folders', async () => {
    const files = await collect(listFiles({ hubUrl, repo: 'acme/tiny-gguf', recursive: true, expand: true }));
    const byPath = new Map(files.map((f) => [f.path, f]));
    const g = byPath.get(gguf.path)!;
    assert.equal(g.type, 'file');
    assert.equal(g.size, 300_000);
    assert.deepEqual({ oid: g.lfs?.oid, size: g.lfs?.size }, { oid: fileSha256(gguf), size: 300_000 });
    assert.match(g.oid ?? '', /^[0-9a-f]{40}$/);
    assert.ok(g.lastCommit?.id);
    const c = byPath.get('config.json')!;
    assert.equal(c.lfs, undefined);
    assert.equal(c.oid, gitBlobSha1(config));

    const top: ListFileEntry[] = await collect(listFiles({ hubUrl, repo: 'acme/onnx-thing' }));
    assert.deepEqual(
      top.map((f) => `${f.type}:${f.path}`),
      ['file:README.md', 'directory:onnx'],
    );
    const inside = await collect(listFiles({ hubUrl, repo: 'acme/onnx-thing', path: 'onnx' }));
    assert.deepEqual(
      inside.map((f) => f.path),
      ['onnx/genai_config.json', 'onnx/model.onnx'],
    );
    await assert.rejects(collect(listFiles({ hubUrl, repo: 'acme/onnx-thing', path: 'nope' })), (e: Error & { statusCode?: number }) => e.statusCode === 404);
  });

  test('fileDownloadInfo and downloadFile: LFS through the CDN redirect, small files directly', async () => {
    const lfs = await fileDownloadInfo({ hubUrl, repo: 'acme/tiny-gguf', path: gguf.path });
    assert.ok(lfs);
    assert.equal(lfs.size, 300_000);
    assert.equal(lfs.etag, `"${fileSha256(gguf)}"`);
    // The CDN is another origin, so the client keeps the resolve URL (it must not send the token there).
    assert.equal(lfs.url, `${hubUrl}/acme/tiny-gguf/resolve/main/${gguf.path}`);

    const small = await fileDownloadInfo({ hubUrl, repo: 'acme/tiny-gguf', path: 'config.json' });
    assert.equal(small?.size, Buffer.byteLength(config.data as string));
    assert.equal(small?.etag, `"${gitBlobSha1(config)}"`);

    assert.equal(await fileDownloadInfo({ hubUrl, repo: 'acme/tiny-gguf', path: 'missing.bin' }), null);

    const blob = await downloadFile({ hubUrl, repo: 'acme/tiny-gguf', path: gguf.path });
    assert.ok(blob);
    assert.equal(sha256(Buffer.from(await blob.arrayBuffer())), fileSha256(gguf));
    assert.deepEqual(Buffer.from(await blob.slice(1000, 1010).arrayBuffer()), generatedBytes(gguf.data as { sizeBytes: number; seed: number }, 1000, 1010));
    const text = await (await downloadFile({ hubUrl, repo: 'acme/tiny-gguf', path: 'config.json' }))?.text();
    assert.equal(text, config.data);
  });

  test('gated repos: 401 GatedRepo without the token; with it the signed CDN URL needs no header', async () => {
    await assert.rejects(fileDownloadInfo({ hubUrl, repo: 'acme/gated-gguf', path: 'model.gguf' }), (e: Error & { statusCode?: number }) => {
      assert.equal(e.statusCode, 401);
      assert.match(e.message, /restricted/);
      return true;
    });
    const res = await fetch(`${hubUrl}/acme/gated-gguf/resolve/main/model.gguf`, { method: 'HEAD', redirect: 'manual' });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('x-error-code'), 'GatedRepo');

    const info = await fileDownloadInfo({ hubUrl, repo: 'acme/gated-gguf', path: 'model.gguf', accessToken: TOKEN });
    assert.equal(info?.size, 20_000);
    const head = await fetch(`${hubUrl}/acme/gated-gguf/resolve/main/model.gguf`, { redirect: 'manual', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(head.status, 302);
    const cdn = await fetch(head.headers.get('location')!);
    assert.equal(cdn.status, 200);
    assert.equal(sha256(Buffer.from(await cdn.arrayBuffer())), fileSha256(gatedFile));
    const unsigned = await fetch(head.headers.get('location')!.replace(/Signature=[^&]+/, 'Signature=bad'));
    assert.equal(unsigned.status, 403);
    await unsigned.arrayBuffer();
  });

  test('whoAmI: the token names the user; a wrong one is refused', async () => {
    const me = await whoAmI({ hubUrl, accessToken: TOKEN });
    assert.equal(me.name, 'tester');
    assert.equal(me.type, 'user');
    assert.equal(me.auth.accessToken?.role, 'read');
    assert.ok(me.auth.accessToken?.createdAt instanceof Date);
    await assert.rejects(whoAmI({ hubUrl, accessToken: 'hf_wrong_token_123' }), (e: Error & { statusCode?: number }) => e.statusCode === 401);
  });

  test('resolve and CDN headers, Range requests and 416, like the Hub', async () => {
    const sha = fileSha256(gguf);
    const res = await fetch(`${hubUrl}/acme/tiny-gguf/resolve/main/${gguf.path}`, { method: 'HEAD', redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('x-linked-size'), '300000');
    assert.equal(res.headers.get('x-linked-etag'), `"${sha}"`);
    assert.match(res.headers.get('x-repo-commit') ?? '', /^[0-9a-f]{40}$/);
    assert.ok(res.headers.get('etag'));
    const location = res.headers.get('location')!;

    const part = await fetch(location, { headers: { range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), 'bytes 100-199/300000');
    assert.equal(part.headers.get('content-length'), '100');
    assert.equal(part.headers.get('accept-ranges'), 'bytes');
    assert.equal(part.headers.get('etag'), `"${sha}"`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), generatedBytes({ sizeBytes: 300_000, seed: 1 }, 100, 200));

    const open = await fetch(location, { headers: { range: 'bytes=299990-' } });
    assert.equal(open.headers.get('content-range'), 'bytes 299990-299999/300000');
    assert.equal((await open.arrayBuffer()).byteLength, 10);
    const suffix = await fetch(location, { headers: { range: 'bytes=-5' } });
    assert.equal(suffix.headers.get('content-range'), 'bytes 299995-299999/300000');
    await suffix.arrayBuffer();

    const bad = await fetch(location, { headers: { range: 'bytes=300000-' } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers.get('content-range'), 'bytes */300000');
    await bad.arrayBuffer();

    const direct = await fetch(`${hubUrl}/acme/tiny-gguf/resolve/main/config.json`, { headers: { range: 'bytes=0-5' } });
    assert.equal(direct.status, 206);
    assert.equal(direct.headers.get('etag'), `"${gitBlobSha1(config)}"`);
    assert.equal(await direct.text(), (config.data as string).slice(0, 6));
  });

  test('404s carry the Hub error codes and a JSON body', async () => {
    const repo = await fetch(`${hubUrl}/acme/nope/resolve/main/x.gguf`);
    assert.equal(repo.status, 404);
    assert.equal(repo.headers.get('x-error-code'), 'RepoNotFound');
    assert.deepEqual(await repo.json(), { error: 'Repository not found' });
    const entry = await fetch(`${hubUrl}/acme/tiny-gguf/resolve/main/x.gguf`);
    assert.equal(entry.status, 404);
    assert.equal(entry.headers.get('x-error-code'), 'EntryNotFound');
    assert.equal(((await entry.json()) as { error: string }).error, 'Entry not found');
    const api = await fetch(`${hubUrl}/api/models/acme/nope`);
    assert.equal(api.status, 404);
    assert.equal(api.headers.get('x-error-code'), 'RepoNotFound');
    await api.arrayBuffer();
  });

  test('faults: failing status, dropped connection, corrupted byte; requests and bytes are recorded', async () => {
    const head = await fetch(`${hubUrl}/acme/tiny-gguf/resolve/main/${gguf.path}`, { method: 'HEAD', redirect: 'manual' });
    const location = head.headers.get('location')!;
    const sha = fileSha256(gguf);
    const before = hub.bytesServed(sha);

    hub.faults = { failStatus: { status: 503, times: 1, retryAfterSeconds: 2 } };
    const failed = await fetch(location);
    assert.equal(failed.status, 503);
    assert.equal(failed.headers.get('retry-after'), '2');
    await failed.arrayBuffer();
    const ok = await fetch(location);
    assert.equal(ok.status, 200);
    await ok.arrayBuffer();

    hub.faults = { dropAfterBytes: 1000 };
    const dropped = await fetch(location);
    await assert.rejects(dropped.arrayBuffer());
    const whole = await fetch(location);
    assert.equal((await whole.arrayBuffer()).byteLength, 300_000, 'only `times` (1) responses are dropped');

    hub.faults = { corruptByteAt: { path: gguf.path, offset: 150_000 } };
    const corrupted = Buffer.from(await (await fetch(location)).arrayBuffer());
    assert.notEqual(sha256(corrupted), sha);
    assert.equal(corrupted.filter((b, i) => b !== generatedBytes({ sizeBytes: 300_000, seed: 1 }, i, i + 1)[0]).length, 1);
    hub.faults = {};

    const cdnGets = hub.requests.filter((r) => r.sha256 === sha && r.method === 'GET');
    assert.ok(cdnGets.some((r) => r.status === 503));
    assert.ok(cdnGets.some((r) => r.bytesSent === 1000));
    assert.equal(hub.bytesServed(sha) - before, 300_000 * 3 + 1000);
    assert.equal(hub.bytesServed(gguf.path), hub.bytesServed(sha));
  });

  test('throttling caps the rate', async () => {
    const head = await fetch(`${hubUrl}/acme/tiny-gguf/resolve/main/${gguf.path}`, { method: 'HEAD', redirect: 'manual' });
    hub.faults = { throttleBytesPerSec: 1_000_000 };
    const t0 = performance.now();
    await (await fetch(head.headers.get('location')!, { headers: { range: 'bytes=0-199999' } })).arrayBuffer();
    hub.faults = {};
    assert.ok(performance.now() - t0 >= 150, 'about 0.2 s for 200 KB at 1 MB/s');
  });

  test('fake-hub-main serves a JSON spec in its own process until SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-hub-main-'));
    try {
      const spec = join(dir, 'spec.json');
      writeFileSync(
        spec,
        JSON.stringify({
          repos: [
            {
              id: 'x/y',
              files: [
                { path: 'a.txt', data: 'hello' },
                { path: 'b.bin', data: { base64: Buffer.from([1, 2, 3]).toString('base64') } },
              ],
            },
          ],
        }),
      );
      const proc = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'helpers', 'fake-hub-main.ts'), spec], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
      const url = await new Promise<string>((resolve) =>
        createInterface({ input: proc.stdout }).once('line', (l) => resolve((JSON.parse(l) as { url: string }).url)),
      );
      assert.equal(await (await fetch(`${url}/x/y/resolve/main/a.txt`)).text(), 'hello');
      assert.deepEqual([...Buffer.from(await (await fetch(`${url}/x/y/resolve/main/b.bin`)).arrayBuffer())], [1, 2, 3]);
      proc.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
