/**
 * A hostile Hub (an HF_ENDPOINT mirror) chooses the names a download turns into paths: the commit sha and every file
 * path. These tests point the engine at a fake Hub in hostile mode, which answers whatever those names make the
 * client request, and check that a pull fails with a clear error and that nothing outside the data dir is created
 * or deleted.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildTinyGguf } from '../fixtures/tiny-gguf';
import { startTestEngine, waitForFinal } from '../helpers/engine';
import { startFakeHub, type FakeHub } from '../helpers/fake-hub';
import { tempHome } from '../helpers/paths';

type TestEngine = Awaited<ReturnType<typeof startTestEngine>>;

const GGUF = buildTinyGguf({ seed: 31 });
const SHA = 'd'.repeat(40);

describe('downloads from a hostile Hub stay inside the data dir', () => {
  let hub: FakeHub;
  let engine: TestEngine;
  // <root>/home/data is the engine's data dir; <root>/home/victimdir and <root>/home/x are what the hostile names
  // point at (nested, so that even without the checks nothing escapes <root>).
  const root = tempHome('hostile-hub');
  const data = join(root, 'home', 'data');
  const victim = join(root, 'home', 'victimdir');
  const marker = join(victim, 'keep-me.txt');
  const cache = tempHome('hostile-hub-cache');
  const saved = { endpoint: process.env.HF_ENDPOINT, token: process.env.HF_TOKEN, cache: process.env.HF_HUB_CACHE };

  before(async () => {
    mkdirSync(victim, { recursive: true });
    writeFileSync(marker, 'precious');
    hub = await startFakeHub({
      hostile: true,
      repos: [
        // <data>/downloads/evil--sha/../../../victimdir is <root>/home/victimdir: a successful download then deletes it.
        { id: 'evil/sha', sha: '../../../victimdir', files: [{ path: 'tiny-Q8_0.gguf', data: GGUF }] },
        // <data>/downloads/evil--path/<sha>/done/../../../../../x is <root>/home/x.
        { id: 'evil/path', sha: SHA, files: [{ path: '../../../../../x/tiny.gguf', data: GGUF }] },
        { id: 'evil/absolute', sha: SHA, files: [{ path: join(root, 'abs', 'tiny.gguf'), data: GGUF }] },
        { id: 'evil/backslash', sha: SHA, files: [{ path: '..\\..\\..\\..\\..\\win\\tiny.gguf', data: GGUF }] },
        { id: 'fine/tiny-GGUF', sha: SHA, files: [{ path: 'tiny-Q8_0.gguf', data: GGUF }] },
      ],
    });
    process.env.HF_ENDPOINT = hub.url;
    process.env.HF_HUB_CACHE = cache;
    delete process.env.HF_TOKEN;
    engine = await startTestEngine({ home: data });
  });
  after(async () => {
    await engine.close();
    await hub.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
    for (const [k, v] of [
      ['HF_ENDPOINT', saved.endpoint],
      ['HF_TOKEN', saved.token],
      ['HF_HUB_CACHE', saved.cache],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  /** Everything under <root> that is not the data dir: only the victim dir and its marker, untouched. */
  const outsideData = (): string[] =>
    readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((p) => p !== 'home/data' && !p.startsWith('home/data/'))
      .sort();
  const assertNothingOutside = (): void => {
    assert.deepEqual(outsideData(), ['home', 'home/victimdir', 'home/victimdir/keep-me.txt']);
    assert.equal(readFileSync(marker, 'utf8'), 'precious');
  };
  const download = (repo: string) => engine.api.hub.download({ repo, revision: 'main', files: [], tags: [], connections: 1 });
  const modelOf = (jobId: string) => engine.artifacts.list({ jobId, kind: 'model', limit: 1 })[0] ?? null;

  test('a commit sha of ../../../victimdir fails the pull and deletes nothing outside the data dir', async () => {
    const job = await waitForFinal(engine, download('evil/sha').id);
    assert.equal(job.state, 'failed');
    assert.match(
      job.error ?? '',
      new RegExp(`the Hub at ${hub.url} returned commit sha '\\.\\./\\.\\./\\.\\./victimdir' for evil/sha: not a 40-hex commit id`),
    );
    assert.equal(modelOf(job.id), null);
    assertNothingOutside();
    // The same through `pull` (model details first): refused before any job starts.
    await assert.rejects(
      engine.api.hub.pull({ uri: 'hf:evil/sha', tags: [] }),
      /returned commit sha '\.\.\/\.\.\/\.\.\/victimdir' for evil\/sha: not a 40-hex commit id/,
    );
    assertNothingOutside();
  });

  test('a listed file path with ../ fails the pull and writes nothing outside the data dir', async () => {
    const job = await waitForFinal(engine, download('evil/path').id);
    assert.equal(job.state, 'failed');
    assert.match(
      job.error ?? '',
      /listed file '\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/x\/tiny\.gguf' in evil\/path: the path has a "\.\." segment; refusing to download it/,
    );
    assert.equal(modelOf(job.id), null);
    assert.ok(!existsSync(join(root, 'home', 'x')), `${join(root, 'home', 'x')} was not created`);
    assertNothingOutside();
    await assert.rejects(engine.api.hub.pull({ uri: 'hf:evil/path', tags: [] }), /listed file '\.\.\/.*x\/tiny\.gguf' in evil\/path/);
    await assert.rejects(engine.api.hub.model('evil/path', 'main'), /listed file '\.\.\/.*x\/tiny\.gguf' in evil\/path/);
    assertNothingOutside();
  });

  test('an absolute or backslashed file path fails the pull', async () => {
    const abs = await waitForFinal(engine, download('evil/absolute').id);
    assert.equal(abs.state, 'failed');
    assert.match(abs.error ?? '', /listed file '\/.*\/abs\/tiny\.gguf' in evil\/absolute: the path is an absolute path/);
    const bs = await waitForFinal(engine, download('evil/backslash').id);
    assert.equal(bs.state, 'failed');
    assert.match(bs.error ?? '', /listed file '\.\.\\\\\.\.\\\\.*tiny\.gguf' in evil\/backslash: the path contains a backslash/);
    assert.equal(modelOf(abs.id), null);
    assert.equal(modelOf(bs.id), null);
    assertNothingOutside();
  });

  test('a repo id with .. is refused before anything is requested', async () => {
    const requests = hub.requests.length;
    await assert.rejects(engine.api.hub.pull({ uri: 'hf:../..', tags: [] }), /not a valid owner\/name/);
    await assert.rejects(engine.api.hub.model('../victimdir', 'main'), /'\.\.\/victimdir' is not a valid Hub repo id/);
    assert.equal(hub.requests.length, requests);
    assertNothingOutside();
  });

  test('a well-formed repo on the same Hub still pulls into the library', async () => {
    const job = await engine.api.hub.pull({ uri: 'hf:fine/tiny-GGUF', tags: [] });
    const done = await waitForFinal(engine, job.id);
    assert.equal(done.state, 'succeeded', done.error ?? '');
    const artifact = modelOf(job.id);
    assert.ok(artifact);
    const model = engine.api.models.get(artifact.id);
    assert.deepEqual(readFileSync(model.path), GGUF);
    assert.ok(model.path.startsWith(`${data}/`), model.path);
    assertNothingOutside();
    const downloads = join(data, 'downloads');
    const leftovers = existsSync(downloads) ? execFileSync('find', [downloads, '-type', 'f'], { encoding: 'utf8' }).trim() : '';
    assert.equal(leftovers, '');
  });
});
