import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildTinyGguf } from '../fixtures/tiny-gguf';
import { writeHfCache } from '../fixtures/model-folders';
import { startTestEngine, waitFor, waitForAsync, waitForFinal } from '../helpers/engine';
import { startFakeHub, type FakeHub } from '../helpers/fake-hub';
import { tempHome } from '../helpers/paths';
import { callApi, serveApp } from '../helpers/server';
import type { JobRecord } from '../../shared/jobs';

type TestEngine = Awaited<ReturnType<typeof startTestEngine>>;

const TOKEN = 'hf_test_token_do_not_log_0123456789';
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

// nEmbd 512 makes the F32 file ~2.6 MB: big enough to stop mid-file under a throttle, small enough to be quick.
const F32 = buildTinyGguf({ seed: 21, nEmbd: 512, nFf: 512 });
const F16 = buildTinyGguf({ seed: 21, nEmbd: 512, nFf: 512, tensorType: 'f16' });
const GATED = buildTinyGguf({ seed: 22 });
const CACHED = buildTinyGguf({ seed: 23 });
const CACHED_SHA = 'c'.repeat(40);

describe('model downloads from a Hub stand-in', () => {
  let hub: FakeHub;
  let engine: TestEngine;
  const cache = tempHome('dl-hf-cache');
  const saved = { endpoint: process.env.HF_ENDPOINT, token: process.env.HF_TOKEN, cache: process.env.HF_HUB_CACHE };

  before(async () => {
    hub = await startFakeHub({
      token: TOKEN,
      user: 'tester',
      repos: [
        {
          id: 'whittle-test/tiny-GGUF',
          tags: ['gguf'],
          library: 'gguf',
          license: 'apache-2.0',
          files: [
            { path: 'README.md', data: '---\nlicense: apache-2.0\n---\n# tiny\n' },
            { path: 'tiny-F32.gguf', data: F32 },
            { path: 'tiny-F16.gguf', data: F16 },
          ],
        },
        { id: 'whittle-test/gated-GGUF', gated: 'manual', files: [{ path: 'gated-Q8_0.gguf', data: GATED }] },
        { id: 'whittle-test/cached-GGUF', sha: CACHED_SHA, files: [{ path: 'cached-Q4_K_M.gguf', data: CACHED }] },
      ],
    });
    process.env.HF_ENDPOINT = hub.url;
    process.env.HF_HUB_CACHE = cache;
    delete process.env.HF_TOKEN;
    engine = await startTestEngine();
  });
  after(async () => {
    await engine.dispose();
    await hub.close();
    for (const [k, v] of [
      ['HF_ENDPOINT', saved.endpoint],
      ['HF_TOKEN', saved.token],
      ['HF_HUB_CACHE', saved.cache],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const modelOf = (jobId: string) => {
    const [a] = engine.artifacts.list({ jobId, kind: 'model', limit: 1 });
    return a ? engine.api.models.get(a.id) : null;
  };
  const servedFor = (path: string): number => hub.bytesServed(`whittle-test/tiny-GGUF/${path}`);
  const progressAbove = (id: string, fraction: number): Promise<JobRecord> =>
    waitFor(`job ${id} past ${fraction}`, () => {
      const j = engine.jobs.get(id);
      return j && j.state === 'running' && (j.progress.fraction ?? 0) > fraction ? j : null;
    });

  test('hub search and details go through the Hub client to HF_ENDPOINT', async () => {
    const found = await engine.api.hub.search({ query: 'tiny', sort: 'downloads', limit: 10 });
    assert.ok(
      found.some((m) => m.id === 'whittle-test/tiny-GGUF'),
      JSON.stringify(found),
    );
    const d = await engine.api.hub.model('whittle-test/tiny-GGUF', 'main');
    assert.equal(d.license, 'apache-2.0');
    assert.deepEqual(d.variants.map((v) => v.label).sort(), ['F16', 'F32']);
    assert.equal(d.files.find((f) => f.path === 'tiny-F16.gguf')?.lfsSha256, sha256(F16));
    assert.match(d.cardMarkdown ?? '', /# tiny/);
  });

  test('pull hf:owner/name:F16 downloads the F16 file, verified, into the library', async () => {
    const job = await engine.api.hub.pull({ uri: 'hf:whittle-test/tiny-GGUF:F16', tags: ['pulled'] });
    const done = await waitForFinal(engine, job.id);
    assert.equal(done.state, 'succeeded', done.error ?? '');
    const model = modelOf(job.id);
    assert.ok(model);
    assert.equal(model.source, 'hub');
    assert.equal(model.sha256, sha256(F16));
    assert.deepEqual(readFileSync(model.path), F16);
    assert.equal(model.inspection.quantization, 'F16');
    assert.deepEqual(model.tags, ['pulled']);
    assert.match(model.sourceRef ?? '', /^hf:whittle-test\/tiny-GGUF@[0-9a-f]{40}\/tiny-F16\.gguf$/);
    await engine.api.models.remove({ id: model.id, force: false });
  });

  test('a worker killed mid-file resumes from its partial data, in place', async () => {
    const before = servedFor('tiny-F32.gguf');
    hub.faults = { throttleBytesPerSec: 1_000_000 };
    const job = engine.api.hub.download({ repo: 'whittle-test/tiny-GGUF', revision: 'main', files: ['tiny-F32.gguf'], tags: [], connections: 1 });
    assert.equal(
      engine.api.hub.download({ repo: 'whittle-test/tiny-GGUF', revision: 'main', files: ['tiny-F32.gguf'], tags: [], connections: 4 }).id,
      job.id,
      'asking again joins the running download',
    );
    await progressAbove(job.id, 0.3);
    const pid = engine.jobs.ownership(job.id)?.workerPid;
    assert.ok(pid);
    process.kill(-pid, 'SIGKILL');
    const failed = await waitForFinal(engine, job.id);
    assert.equal(failed.state, 'failed');
    const firstRun = servedFor('tiny-F32.gguf') - before;
    assert.ok(firstRun > 0 && firstRun < F32.length, `first run fetched ${firstRun} of ${F32.length}`);

    hub.faults = {};
    engine.api.jobs.resume(job.id);
    const done = await waitForFinal(engine, job.id);
    assert.equal(done.state, 'succeeded', done.error ?? '');
    const secondRun = servedFor('tiny-F32.gguf') - before - firstRun;
    if (process.env.DEBUG_DL) console.log((await engine.api.jobs.log(job.id, 200)).lines.join('\n'));
    // Up to a second of writes may be lost with the kill (state is flushed every second), never the whole prefix.
    assert.ok(secondRun < F32.length - firstRun / 4 && secondRun >= F32.length - firstRun, `resumed: fetched ${secondRun} more of ${F32.length}`);
    const model = modelOf(job.id);
    assert.deepEqual(readFileSync(model!.path), F32);
    await engine.api.models.remove({ id: model!.id, force: false });
  });

  test('pause keeps the partial; resume continues it; cancel + retry also resumes', async () => {
    const before = servedFor('tiny-F32.gguf');
    hub.faults = { throttleBytesPerSec: 1_000_000 };
    const job = engine.api.hub.download({ repo: 'whittle-test/tiny-GGUF', revision: 'main', files: ['tiny-F32.gguf'], tags: [], connections: 2 });
    await progressAbove(job.id, 0.25);
    const paused = await engine.api.jobs.pause(job.id);
    assert.equal(paused.state, 'paused');
    assert.equal(modelOf(job.id), null);
    const atPause = servedFor('tiny-F32.gguf') - before;

    engine.api.jobs.resume(job.id);
    await progressAbove(job.id, 0.5);
    const cancelled = await engine.api.jobs.cancel(job.id);
    assert.equal(cancelled.state, 'cancelled');
    const atCancel = servedFor('tiny-F32.gguf') - before;
    assert.ok(atCancel > atPause);

    hub.faults = {};
    const retry = engine.api.jobs.retry(job.id);
    const done = await waitForFinal(engine, retry.id);
    assert.equal(done.state, 'succeeded', done.error ?? '');
    const total = servedFor('tiny-F32.gguf') - before;
    assert.ok(total < F32.length * 1.5, `fetched ${total} bytes for a ${F32.length}-byte file over pause, resume, cancel and retry`);
    const model = modelOf(retry.id);
    assert.deepEqual(readFileSync(model!.path), F32);
    await engine.api.models.remove({ id: model!.id, force: false });
  });

  test('a corrupted byte fails the checksum; nothing enters the library and the partial is gone', async () => {
    hub.faults = { corruptByteAt: { path: 'tiny-F16.gguf', offset: 1000 } };
    const job = engine.api.hub.download({ repo: 'whittle-test/tiny-GGUF', revision: 'main', files: ['tiny-F16.gguf'], tags: [], connections: 1 });
    const done = await waitForFinal(engine, job.id);
    hub.faults = {};
    assert.equal(done.state, 'failed');
    assert.match(done.error ?? '', /tiny-F16\.gguf/);
    assert.match(done.error ?? '', new RegExp(sha256(F16)));
    assert.equal(modelOf(job.id), null);
    const downloads = join(engine.home, 'downloads');
    const leftovers = existsSync(downloads) ? execFileSync('find', [downloads, '-type', 'f'], { encoding: 'utf8' }).trim() : '';
    assert.equal(leftovers, '', 'no partial or unverified file is left');
  });

  test('a gated model needs a token; the token works from the store and never reaches logs or the database', async () => {
    const denied = await waitForFinal(
      engine,
      engine.api.hub.download({ repo: 'whittle-test/gated-GGUF', revision: 'main', files: [], tags: [], connections: 1 }).id,
    );
    assert.equal(denied.state, 'failed');
    assert.match(denied.error ?? '', /token/i);

    const status = await engine.api.hub.setToken(TOKEN);
    assert.deepEqual([status.source, status.user, status.error], ['file', 'tester', null]);
    const job = engine.api.hub.download({ repo: 'whittle-test/gated-GGUF', revision: 'main', files: [], tags: [], connections: 1 });
    const done = await waitForFinal(engine, job.id);
    assert.equal(done.state, 'succeeded', done.error ?? '');
    assert.deepEqual(readFileSync(modelOf(job.id)!.path), GATED);

    const tokenFile = join(engine.home, 'secrets', 'hf-token');
    if (process.platform !== 'win32') assert.equal((await import('node:fs')).statSync(tokenFile).mode & 0o777, 0o600);
    const logs = readdirSync(join(engine.home, 'jobs'))
      .map((d) => readFileSync(join(engine.home, 'jobs', d, 'job.log'), 'utf8'))
      .join('\n');
    assert.ok(!logs.includes(TOKEN), 'job logs do not contain the token');
    for (const f of readdirSync(engine.home).filter((n) => n.startsWith('whittle.db'))) {
      assert.ok(!readFileSync(join(engine.home, f)).includes(TOKEN), `${f} does not contain the token`);
    }
    await engine.api.hub.clearToken();
    assert.equal((await engine.api.hub.tokenStatus()).source, null);
  });

  test('a file already in the Hugging Face cache at that commit is registered from there, not downloaded', async () => {
    await writeHfCache(cache, [{ repo: 'whittle-test/cached-GGUF', revision: CACHED_SHA, files: { 'cached-Q4_K_M.gguf': CACHED } }]);
    const job = await engine.api.hub.pull({ uri: 'hf:whittle-test/cached-GGUF', tags: [] });
    const done = await waitForFinal(engine, job.id);
    assert.equal(done.state, 'succeeded', done.error ?? '');
    assert.equal(hub.bytesServed('whittle-test/cached-GGUF/cached-Q4_K_M.gguf'), 0);
    const model = modelOf(job.id);
    assert.equal(model?.source, 'hf-cache');
    assert.equal(model?.managed, false);
    assert.ok(model?.path.startsWith(cache));
  });

  test('not enough disk space fails before downloading, with the folder and sizes in the message', async (t) => {
    const small = tempHome('tmpfs');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', small], { stdio: 'ignore' });
    } catch {
      t.skip('cannot mount a tmpfs here (not root); the downloader tests cover ENOSPC with a fault-injecting writer');
      return;
    }
    try {
      const e2 = await startTestEngine({ home: join(small, 'home') });
      try {
        const done = await waitForFinal(
          e2,
          e2.api.hub.download({ repo: 'whittle-test/tiny-GGUF', revision: 'main', files: ['tiny-F32.gguf'], tags: [], connections: 1 }).id,
        );
        assert.equal(done.state, 'failed');
        assert.match(done.error ?? '', /Not enough disk space in .*downloads.* needs .* but .* is free/);
        assert.equal(e2.artifacts.list({ kind: 'model', limit: 5 }).length, 0);
      } finally {
        await e2.close();
      }
    } finally {
      // Lazy: a worker that has just exited may still hold the mount for a moment.
      execFileSync('umount', ['-l', small]);
    }
  });

  test('after the server is killed mid-download, the next start resumes the download by itself', async () => {
    const home = tempHome('dl-serve');
    mkdirSync(home, { recursive: true });
    const env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, HF_TOKEN: '' };
    const before = servedFor('tiny-F32.gguf');
    hub.faults = { throttleBytesPerSec: 800_000 };
    let app = await serveApp({ home, env });
    const started = await callApi(app.url, 'hub.download', { repo: 'whittle-test/tiny-GGUF', files: ['tiny-F32.gguf'], connections: 1 });
    const id = (started.body.result?.data as JobRecord).id;
    await waitFor('download under way', () => servedFor('tiny-F32.gguf') - before > F32.length * 0.3, 30_000);
    await app.stop('SIGKILL');
    const firstRun = servedFor('tiny-F32.gguf') - before;
    hub.faults = {};

    app = await serveApp({ home, env });
    try {
      const job = await waitForAsync(
        'resumed download to succeed',
        async () => {
          const r = await callApi(app.url, 'jobs.get', { id }, 'GET');
          const j = r.body.result?.data as JobRecord | undefined;
          return j?.state === 'succeeded' ? j : null;
        },
        60_000,
      ).catch(async (e: unknown) => {
        const r = await callApi(app.url, 'jobs.get', { id }, 'GET');
        throw new Error(`${String(e)}: ${JSON.stringify(r.body.result?.data)}`);
      });
      assert.equal(job.id, id, 'the same job id continued');
      const total = servedFor('tiny-F32.gguf') - before;
      assert.ok(total - firstRun < F32.length, `the restart fetched ${total - firstRun} bytes, less than the whole ${F32.length}`);
      const models = await callApi(app.url, 'models.list', {}, 'GET');
      const list = models.body.result?.data as { sha256: string }[];
      assert.deepEqual(
        list.map((m) => m.sha256),
        [sha256(F32)],
      );
    } finally {
      await app.stop();
    }
  });
});
