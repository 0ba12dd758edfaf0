import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { z } from 'zod';
import { UpdateConversationRequest } from '../../shared/chat';
import { UpdateOpenAiSettings } from '../../shared/inference';
import { UpdateModelRequest } from '../../shared/models';
import { appRouter, MAX_JOBS_PER_REQUEST } from '../../shared/api/router';
import type { EngineApi } from '../../shared/api/engine-api';
import { openDatabase } from '../../electron/engine/store/database';
import { SettingsStore } from '../../electron/engine/store/settings-store';
import { startTestEngine } from '../helpers/engine';
import { tempHome } from '../helpers/paths';

/**
 * Every patch ("update") schema of a setting or record: the fields to send one at a time with a sample value, and
 * the fields every patch must carry (the id of the thing patched).
 */
const PATCH_SCHEMAS: { name: string; schema: z.ZodObject; required: Record<string, unknown>; samples: Record<string, unknown> }[] = [
  {
    name: 'UpdateOpenAiSettings',
    schema: UpdateOpenAiSettings,
    required: {},
    samples: { enabled: false, apiKey: 'k-123', corsOrigins: ['http://localhost:3000'] },
  },
  {
    name: 'UpdateConversationRequest',
    schema: UpdateConversationRequest,
    required: { id: 'c1' },
    samples: { title: 't', columns: [{ modelId: 'm1' }], systemPrompt: 's', params: {}, sameSeed: false, activeLeafId: null },
  },
  { name: 'UpdateModelRequest', schema: UpdateModelRequest, required: { id: 'm1' }, samples: { name: 'n', tags: ['a'], notes: 'x' } },
];

describe('patch schemas carry only the fields sent', () => {
  for (const { name, schema, required, samples } of PATCH_SCHEMAS) {
    test(`${name}: a patch of one field parses to exactly that field`, () => {
      const optional = Object.keys(schema.shape).filter((k) => !(k in required));
      assert.deepEqual(optional.sort(), Object.keys(samples).sort(), `${name}: a sample for every field`);
      for (const [key, value] of Object.entries(samples)) {
        const parsed = schema.safeParse({ ...required, [key]: value });
        assert.ok(parsed.success, `${name}.${key}: ${parsed.success ? '' : parsed.error.message}`);
        assert.deepEqual(
          Object.keys(parsed.data as object).sort(),
          [...Object.keys(required), key].sort(),
          `${name}: patching ${key} must not add other fields`,
        );
      }
      assert.deepEqual(Object.keys(schema.parse(required) as object).sort(), Object.keys(required).sort(), `${name}: an empty patch stays empty`);
    });
  }
});

const mode = (file: string): number => statSync(file).mode & 0o777;
const dbBytes = (home: string): string =>
  ['whittle.db', 'whittle.db-wal', 'whittle.db-shm']
    .map((f) => {
      try {
        return readFileSync(join(home, f)).toString('latin1');
      } catch {
        return '';
      }
    })
    .join('');

describe('/v1 settings and secrets at rest', () => {
  test('patching CORS origins keeps the key and the switch; patching the switch keeps the origins', async () => {
    const engine = await startTestEngine();
    try {
      const inf = engine.api.inference;
      inf.updateOpenAiSettings({ apiKey: 'k-123' });
      await inf.setServerRunning(false);
      const after = inf.updateOpenAiSettings({ corsOrigins: ['http://localhost:3000'] });
      assert.deepEqual(after, { enabled: false, apiKeySet: true, corsOrigins: ['http://localhost:3000'] });
      assert.equal(await inf.checkApiKey('Bearer k-123'), true, 'the key still works');
      assert.deepEqual(inf.updateOpenAiSettings({ enabled: true }), { enabled: true, apiKeySet: true, corsOrigins: ['http://localhost:3000'] });
      assert.deepEqual(inf.updateOpenAiSettings({ apiKey: null }), { enabled: true, apiKeySet: false, corsOrigins: ['http://localhost:3000'] });
    } finally {
      await engine.dispose();
    }
  });

  test('the key is stored hashed: absent from the database files, right key accepted, wrong ones refused', async () => {
    const engine = await startTestEngine();
    try {
      const key = 'sk-whittle-0123456789abcdef';
      const view = engine.api.inference.updateOpenAiSettings({ apiKey: key });
      assert.ok(!JSON.stringify(view).includes(key), 'the API never returns the key');
      assert.ok(!JSON.stringify(engine.api.inference.serverInfo()).includes(key));
      assert.ok(!dbBytes(engine.home).includes(key), 'the key is not in whittle.db, -wal or -shm');
      const check = (header: string | undefined) => engine.api.inference.checkApiKey(header);
      assert.equal(await check(`Bearer ${key}`), true);
      assert.equal(await check(`Bearer ${key}`), true, 'again (cached digest)');
      assert.equal(await check(`Bearer ${key}x`), false);
      assert.equal(await check('Bearer sk-whittle'), false);
      assert.equal(await check(key), false, 'without Bearer');
      assert.equal(await check(undefined), false);
    } finally {
      await engine.dispose();
    }
  });

  test('a key an older Whittle stored in clear is hashed when the database opens, leaving no copy on disk', async () => {
    const home = tempHome('clear-key');
    try {
      const key = 'legacy-clear-key-5f2c9a';
      const db = openDatabase(join(home, 'whittle.db'));
      db.pragma('secure_delete = OFF');
      new SettingsStore(db).set('openai', { enabled: false, apiKey: key, corsOrigins: ['http://a.example'] });
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      assert.ok(dbBytes(home).includes(key), 'the fixture has the clear key on disk');
      const engine = await startTestEngine({ home });
      try {
        assert.ok(!dbBytes(home).includes(key), 'no clear copy left after opening');
        assert.deepEqual(engine.api.inference.openAiSettings(), { enabled: false, apiKeySet: true, corsOrigins: ['http://a.example'] });
        assert.equal(await engine.api.inference.checkApiKey(`Bearer ${key}`), true);
        assert.equal(await engine.api.inference.checkApiKey('Bearer nope'), false);
      } finally {
        await engine.close();
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test(
    'the data dir is 0700 and whittle.db, -wal and -shm are 0600, also when an older Whittle left them 0644',
    { skip: process.platform === 'win32' },
    async () => {
      const parent = tempHome('modes');
      const home = join(parent, 'data');
      try {
        let engine = await startTestEngine({ home });
        engine.api.inference.updateOpenAiSettings({ corsOrigins: [] });
        assert.equal(mode(home), 0o700);
        for (const f of ['whittle.db', 'whittle.db-wal', 'whittle.db-shm']) assert.equal(mode(join(home, f)).toString(8), '600', f);
        await engine.close();
        const { chmodSync } = await import('node:fs');
        for (const f of ['whittle.db', 'whittle.db-wal', 'whittle.db-shm']) {
          try {
            chmodSync(join(home, f), 0o644);
          } catch {
            // -wal/-shm may be gone after a clean close
          }
        }
        engine = await startTestEngine({ home });
        for (const f of ['whittle.db', 'whittle.db-wal', 'whittle.db-shm']) assert.equal(mode(join(home, f)).toString(8), '600', `${f} after reopening`);
        await engine.close();
      } finally {
        rmSync(parent, { recursive: true, force: true });
      }
    },
  );
});

describe('jobs started per request', () => {
  test(`one request (one context, as an HTTP batch has) may start at most ${MAX_JOBS_PER_REQUEST} jobs`, async () => {
    let started = 0;
    const job = { id: 'j', state: 'queued' };
    const api = {
      jobs: { start: () => (started++, job) },
      models: { import: () => (started++, job) },
      hub: { download: () => (started++, job) },
    } as unknown as EngineApi;
    const batch = appRouter.createCaller({ api });
    const calls = Array.from({ length: MAX_JOBS_PER_REQUEST + 4 }, (_, i) =>
      i % 2 ? batch.jobs.start({ kind: 'test.sleep', input: { seconds: 1 } }) : batch.hub.download({ repo: 'a/b', files: ['x.gguf'] }),
    );
    const results = await Promise.allSettled(calls);
    assert.equal(started, MAX_JOBS_PER_REQUEST);
    const refused = results.filter((r) => r.status === 'rejected');
    assert.equal(refused.length, 4);
    for (const r of refused) {
      const err = r.reason as { code?: string; message: string };
      assert.equal(err.code, 'TOO_MANY_REQUESTS');
      assert.match(err.message, new RegExp(`at most ${MAX_JOBS_PER_REQUEST} jobs`));
    }
    // Another request (a new context) starts jobs again.
    await appRouter.createCaller({ api }).models.import({ path: '/x.gguf' });
    assert.equal(started, MAX_JOBS_PER_REQUEST + 1);
  });
});
