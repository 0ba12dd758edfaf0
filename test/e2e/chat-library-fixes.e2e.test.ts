import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Conversation, ConversationWithMessages } from '../../shared/chat';
import type { JobRecord } from '../../shared/jobs';
import { buildTinyGguf } from '../fixtures/tiny-gguf';
import { chromiumSkipReason, collectPageProblems, launchChromium, type PageProblems } from '../helpers/browser';
import { waitForAsync } from '../helpers/engine';
import { startFakeHub, type FakeHub } from '../helpers/fake-hub';
import { byTestId, screenshot, shots, visible, WAIT_MS, waitForNumberAbove } from '../helpers/page';
import { callApi, serveApp, type ServedApp } from '../helpers/server';

/** The DOM members the layout checks read (the tests' tsconfig has no DOM library). */
interface Box {
  scrollWidth: number;
  clientWidth: number;
  textContent: string | null;
  parentElement: Box | null;
  getBoundingClientRect(): { width: number };
}

/** Issue 12, "Chat and library": partial replies survive a reload, template/schema/tools settings, export report, missing files, jobs, Discover. */
const LOAD_MS = 90_000;
const LONG_NAME = 'Meta-Llama-3.1-8B-Instruct-abliterated-imatrix-Q4_K_M-with-a-very-long-name';
const REPO = 'whittle-test/broken-GGUF';
const OPTIONS = { contextSize: 256, threads: 1, gpu: 'cpu' } as const;

async function importModel(url: string, path: string, name: string): Promise<string> {
  const started = await callApi(url, 'models.import', { path, mode: 'reference', name, tags: [] });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  const jobId = (started.body.result?.data as JobRecord).id;
  const job = await waitForAsync(
    `the import of ${name}`,
    async () => {
      const j = (await callApi(url, 'jobs.get', { id: jobId }, 'GET')).body.result?.data as JobRecord;
      return ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : null;
    },
    60_000,
  );
  assert.equal(job.state, 'succeeded', JSON.stringify(job));
  const models = (await callApi(url, 'models.list', {}, 'GET')).body.result?.data as { id: string; name: string }[];
  return models.find((m) => m.name === name)!.id;
}

const getConversation = async (url: string, id: string): Promise<ConversationWithMessages> =>
  (await callApi(url, 'conversations.get', { id }, 'GET')).body.result?.data as ConversationWithMessages;

const SUITE = 'Chat and library fixes in Chromium (issue 12)';
const noChromium = chromiumSkipReason();

if (noChromium) test(SUITE, { skip: noChromium }, () => {});
else
  describe(SUITE, () => {
    let hub: FakeHub;
    let app: ServedApp;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let problems: PageProblems;
    let modelId = '';
    let conversationId = '';

    before(async () => {
      mkdirSync(shots, { recursive: true });
      const gguf = buildTinyGguf({ seed: 3, name: 'broken' });
      hub = await startFakeHub({ repos: [{ id: REPO, library: 'gguf', tags: ['gguf'], files: [{ path: 'broken-F32.gguf', data: gguf }] }] });
      // Every copy the hub serves has a flipped byte: the download fails its checksum.
      hub.faults = { corruptByteAt: { path: 'broken-F32.gguf', offset: 200 } };
      const [served, launched] = await Promise.allSettled([serveApp({ env: { HF_ENDPOINT: hub.url, HF_TOKEN: '' } }), launchChromium()]);
      if (served.status === 'fulfilled') app = served.value;
      if (launched.status === 'fulfilled') browser = launched.value;
      if (served.status === 'rejected') throw served.reason;
      if (launched.status === 'rejected') throw launched.reason;
      const file = join(app.home, 'tiny-one.gguf');
      writeFileSync(file, buildTinyGguf({ seed: 1, name: 'tiny-one' }));
      modelId = await importModel(app.url, file, 'tiny-one');
      context = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: 'dark' });
      problems = await collectPageProblems(context);
      page = await context.newPage();
    });

    after(async () => {
      await browser?.close();
      await app?.stop();
      await hub?.close();
    });

    test('a reply streaming when the page reloads is kept, marked interrupted, and the engine stops', async () => {
      // Greedy without a repeat penalty: tiny-one never ends by itself, so the reply is still streaming at the reload.
      const created = await callApi(app.url, 'conversations.create', {
        title: 'Reload me',
        columns: [{ modelId, options: OPTIONS }],
        params: { temperature: 0, repeatPenalty: 1, maxTokens: 20000 },
      });
      conversationId = (created.body.result?.data as Conversation).id;
      await page.goto(`${app.url}/#/chat`);
      await page.locator(`[data-testid="chat-conversation-item"][data-id="${conversationId}"] .chat-item-main`).click();
      await page.locator('[data-testid="chat-column-status"][data-state="ready"]').waitFor({ timeout: LOAD_MS });
      await byTestId(page, 'chat-input').fill('Go');
      await byTestId(page, 'chat-input').press('Enter');
      const live = '[data-testid="chat-message"][data-role="assistant"][data-state="streaming"]';
      await waitForNumberAbove(page, live, 'data-chars', 20, LOAD_MS);
      // The engine saved it while it streamed.
      await waitForAsync(
        'the engine to save the streaming reply',
        async () => {
          const c = await getConversation(app.url, conversationId);
          const m = c.messages.find((x) => x.role === 'assistant');
          return m && m.status === 'streaming' && m.content.length > 0 ? m : null;
        },
        5_000,
      );

      await page.reload();
      await visible(byTestId(page, 'chat-page'));
      const badge = await visible(page.locator('[data-testid="chat-message"][data-role="assistant"] [data-testid="chat-interrupted"]'), WAIT_MS);
      assert.match(await badge.innerText(), /interrupted/);
      const server = await getConversation(app.url, conversationId);
      const reply = server.messages.find((m) => m.role === 'assistant');
      assert.ok(reply && reply.content.length > 0, 'the partial reply is saved');
      assert.equal(reply.status, 'interrupted');
      assert.equal(
        Number(await page.locator('[data-testid="chat-message"][data-role="assistant"]').getAttribute('data-chars')),
        reply.content.length,
        'the page shows the saved text',
      );
      assert.equal(await page.getByText('No reply.').count(), 0);
      await waitForAsync(
        'the engine to stop generating',
        async () => {
          const loaded = (await callApi(app.url, 'inference.list', undefined, 'GET')).body.result?.data as { active: number; queued: number }[];
          return loaded.every((m) => m.active === 0 && m.queued === 0);
        },
        10_000,
      );
      await screenshot(page, 'chat-interrupted');
    });

    test('conversation settings: chat template, JSON schema and tools, validated and saved', async () => {
      await byTestId(page, 'chat-template-choice').selectOption('chatml');
      await waitForAsync('the ChatML template to be saved', async () =>
        (await getConversation(app.url, conversationId)).conversation.params.chatTemplate?.includes('<|im_start|>'),
      );
      await byTestId(page, 'chat-template-choice').selectOption('custom');
      await byTestId(page, 'chat-template-custom').fill('{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}assistant:');
      await waitForAsync('the custom template to be saved', async () =>
        (await getConversation(app.url, conversationId)).conversation.params.chatTemplate?.startsWith('{% for m in messages %}'),
      );

      await byTestId(page, 'chat-json-schema').fill('{"type":');
      const schemaError = await visible(byTestId(page, 'chat-json-schema-error'));
      assert.match(await schemaError.innerText(), /JSON schema: not valid JSON/);
      await byTestId(page, 'chat-json-schema').fill('{"type":"object","properties":{"answer":{"type":"string"}}}');
      await byTestId(page, 'chat-json-schema-error').waitFor({ state: 'detached', timeout: WAIT_MS });
      await waitForAsync(
        'the schema to be saved',
        async () => (await getConversation(app.url, conversationId)).conversation.params.jsonSchema?.type === 'object',
      );

      await byTestId(page, 'chat-tools').fill('[{"type":"function","function":{"description":"no name"}}]');
      assert.match(await (await visible(byTestId(page, 'chat-tools-error'))).innerText(), /Tools: item 1: function\.name/);
      await byTestId(page, 'chat-tools').fill('[{"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{}}}}]');
      await visible(byTestId(page, 'chat-generation-conflict'));
      await waitForAsync(
        'the tools to be saved',
        async () => (await getConversation(app.url, conversationId)).conversation.params.tools?.[0]?.name === 'get_time',
      );
      await screenshot(page, 'chat-generation-settings');

      // Cleared again: the settings drop them, and a reload shows what was saved.
      await byTestId(page, 'chat-json-schema').fill('');
      await byTestId(page, 'chat-tools').fill('');
      await page.locator('[data-testid="chat-params-status"][data-state="saved"]').waitFor({ timeout: WAIT_MS });
      await waitForAsync('schema and tools to be cleared', async () => {
        const p = (await getConversation(app.url, conversationId)).conversation.params;
        return p.jsonSchema === undefined && p.tools === undefined;
      });
      await page.reload();
      await visible(byTestId(page, 'chat-template-choice'));
      assert.equal(await byTestId(page, 'chat-template-choice').inputValue(), 'custom');
      assert.match(await byTestId(page, 'chat-template-custom').inputValue(), /^\{% for m in messages %\}/);
    });

    test('export to a dataset fixes invalid rows and reports what it did', async () => {
      const created = await callApi(app.url, 'conversations.create', { title: 'Messy', columns: [{ modelId, options: OPTIONS }] });
      const id = (created.body.result?.data as Conversation).id;
      let parent: string | null = null;
      for (const [role, content] of [
        ['user', 'first'],
        ['user', 'second'],
        ['assistant', 'answer'],
        ['user', 'dangling'],
      ] as const) {
        const added = await callApi(app.url, 'conversations.addMessage', {
          conversationId: id,
          parentId: parent,
          role,
          content,
          column: role === 'assistant' ? 0 : null,
          modelId: role === 'assistant' ? modelId : null,
          metrics: null,
        });
        parent = (added.body.result?.data as { id: string }).id;
      }
      // A fresh page: the list shows the conversation made through the API.
      await page.goto(`${app.url}/#/chat`);
      await page.reload();
      await page.locator(`[data-testid="chat-conversation-item"][data-id="${id}"] .chat-item-main`).click();
      await byTestId(page, 'chat-export').click();
      await byTestId(page, 'chat-export-name').fill('messy');
      await byTestId(page, 'chat-export-confirm').click();
      const result = await visible(byTestId(page, 'chat-export-result'), WAIT_MS);
      assert.equal(await result.getAttribute('data-written'), '1');
      const report = await visible(byTestId(page, 'chat-export-report'));
      const text = await report.innerText();
      assert.match(text, /merged 1 consecutive same-role message/);
      assert.match(text, /dropped the trailing user turn/);
      const row = JSON.parse(readFileSync((await result.getAttribute('data-path'))!, 'utf8').trim()) as unknown;
      assert.deepEqual(row, {
        messages: [
          { role: 'user', content: 'first\n\nsecond' },
          { role: 'assistant', content: 'answer' },
        ],
      });
      await screenshot(page, 'chat-export-report');
    });

    test('a model whose file was deleted shows “File missing” and will not load; long names are not cut at 1024x700', async () => {
      const file = join(app.home, 'doomed.gguf');
      writeFileSync(file, buildTinyGguf({ seed: 2, name: 'doomed' }));
      const doomed = await importModel(app.url, file, LONG_NAME);
      rmSync(file);
      // The library stats files at most every 2 s: wait until it has noticed.
      await waitForAsync(
        'the library to notice the file is gone',
        async () => {
          const models = (await callApi(app.url, 'models.list', {}, 'GET')).body.result?.data as { id: string; missing: boolean }[];
          return models.find((m) => m.id === doomed)?.missing;
        },
        10_000,
      );
      await page.setViewportSize({ width: 1024, height: 700 });
      await page.goto(`${app.url}/#/library`);
      await page.reload();
      const row = await visible(page.locator(`[data-testid="model-row-${doomed}"][data-missing="true"]`), WAIT_MS);
      assert.match(await row.getByTestId('model-missing').innerText(), /File missing/);
      assert.equal(await page.locator(`[data-testid="model-row-${modelId}"] [data-testid="model-missing"]`).count(), 0, 'a model on disk is not marked');
      const cell = row.getByTestId('model-name-cell');
      const fits = await cell.evaluate((el: Box) => ({ scroll: el.scrollWidth, client: el.clientWidth, text: el.textContent ?? '' }));
      assert.ok(fits.scroll <= fits.client, `the name is not cut: ${JSON.stringify(fits)}`);
      assert.ok(fits.text.includes(LONG_NAME), 'the whole name shows');
      const table = await byTestId(page, 'model-table').evaluate((el: Box) => ({ table: el.scrollWidth, room: el.parentElement!.clientWidth }));
      assert.ok(table.table <= table.room, `the table fits its pane, no column is pushed out: ${JSON.stringify(table)}`);
      assert.match((await cell.getAttribute('title')) ?? '', new RegExp(LONG_NAME));
      await screenshot(page, 'library-1024x700');
      await row.click();
      await visible(byTestId(page, 'model-detail-missing'));
      const open = await row
        .getByTestId('model-name-cell')
        .evaluate((el: Box) => ({ scroll: el.scrollWidth, client: el.clientWidth, width: el.getBoundingClientRect().width }));
      assert.ok(open.scroll <= open.client && open.width > 80, `with the detail open the name still shows whole: ${JSON.stringify(open)}`);
      await screenshot(page, 'library-1024x700-detail');

      const load = await callApi(app.url, 'inference.load', { modelId: doomed, options: {} });
      assert.equal(load.status, 404, JSON.stringify(load.body));
      assert.match(load.body.error?.message ?? '', /file is missing/);
      const listed = (await callApi(app.url, 'models.list', {}, 'GET')).body.result?.data as { id: string; missing: boolean }[];
      assert.deepEqual(
        listed.filter((m) => m.missing).map((m) => m.id),
        [doomed],
      );
      await page.setViewportSize({ width: 1400, height: 900 });
    });

    test('Jobs: a failed job lists its error, and a succeeded job offers no Retry', async () => {
      const failed = (await callApi(app.url, 'jobs.start', { kind: 'test.sleep', input: { seconds: 0.2, steps: 2, heavy: false, failAt: 1 } })).body.result
        ?.data as JobRecord;
      const ok = (await callApi(app.url, 'jobs.start', { kind: 'test.sleep', input: { seconds: 0.2, steps: 1, heavy: false } })).body.result?.data as JobRecord;
      await page.goto(`${app.url}/#/jobs`);
      const message = await visible(page.locator(`[data-testid="job-row-${failed.id}"][data-state="failed"] [data-testid="job-message"]`), WAIT_MS);
      assert.match(await message.innerText(), /test\.sleep was told to fail at step 1/);
      await page.locator(`[data-testid="job-row-${ok.id}"][data-state="succeeded"]`).click();
      await visible(byTestId(page, 'job-detail'));
      assert.equal(await byTestId(page, 'job-retry').count(), 0, 'no Retry on a succeeded job');
      await page.locator(`[data-testid="job-row-${failed.id}"]`).click();
      await visible(byTestId(page, 'job-retry'));
    });

    test('Discover: a download that fails says so instead of “Downloading”', async () => {
      await page.goto(`${app.url}/#/library`);
      await byTestId(page, 'library-tab-discover').click();
      await byTestId(page, 'hub-search-input').fill('broken');
      await byTestId(page, 'hub-search-submit').click();
      await (await visible(byTestId(page, `hub-result-${REPO.replace('/', '__')}`))).click();
      await visible(byTestId(page, 'hub-detail'));
      await byTestId(page, 'hub-variant-download-0').click();
      const failed = await visible(byTestId(page, 'hub-download-failed'), 60_000);
      assert.match(await failed.innerText(), /failed/);
      assert.equal(await byTestId(page, 'hub-download-started').count(), 0);
      await screenshot(page, 'hub-download-failed');
    });

    test('no console errors, page errors or CSP violations in the run', () => {
      problems.assertNone('the run');
    });
  });
