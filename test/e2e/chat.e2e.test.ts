import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ConversationWithMessages } from '../../shared/chat';
import type { JobRecord } from '../../shared/jobs';
import { buildTinyGguf } from '../fixtures/tiny-gguf';
import { chromiumSkipReason, collectPageProblems, launchChromium, type PageProblems } from '../helpers/browser';
import { waitForAsync } from '../helpers/engine';
import { byTestId, screenshot, shots, visible, WAIT_MS, waitForNumberAbove } from '../helpers/page';
import { callApi, serveApp, type ServedApp } from '../helpers/server';

/** Every byte is a token for these models (256-token context), so the prompt stays short and replies small. */
const PROMPT = 'Hi';
const MAX_TOKENS = 12;
const SEED = 7;
const DATASET = 'chat-e2e';
const EDITED = 'Yo';
/** Loading a model starts a worker process; CI machines are slow. */
const LOAD_MS = 90_000;

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
  assert.equal(job.state, 'succeeded', `import ${name}: ${JSON.stringify(job)}`);
  const models = (await callApi(url, 'models.list', {}, 'GET')).body.result?.data as { id: string; name: string }[];
  const model = models.find((m) => m.name === name);
  assert.ok(model, `${name} is in the library`);
  return model.id;
}

const column = (i: number): string => `[data-testid="chat-column"][data-column="${i}"]`;
const reply = (i: number): string => `${column(i)} [data-testid="chat-message"][data-role="assistant"]`;

const SUITE = 'the Chat playground in Chromium: two models side by side, saved, exported';
const noChromium = chromiumSkipReason();

if (noChromium) test(SUITE, { skip: noChromium }, () => {});
else
  describe(SUITE, () => {
    let app: ServedApp;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let problems: PageProblems;
    const ids: string[] = [];
    let conversationId = '';
    const replies: string[] = [];

    before(async () => {
      mkdirSync(shots, { recursive: true });
      const [served, launched] = await Promise.allSettled([serveApp(), launchChromium()]);
      if (served.status === 'fulfilled') app = served.value;
      if (launched.status === 'fulfilled') browser = launched.value;
      if (served.status === 'rejected') throw served.reason;
      if (launched.status === 'rejected') throw launched.reason;
      for (const [seed, name] of [
        [1, 'tiny-one'],
        [2, 'tiny-two'],
      ] as const) {
        const file = join(app.home, `${name}.gguf`);
        writeFileSync(file, buildTinyGguf({ seed, name }));
        ids.push(await importModel(app.url, file, name));
      }
      context = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: 'dark' });
      problems = await collectPageProblems(context);
      page = await context.newPage();
      await page.goto(`${app.url}/#/chat`);
      await visible(byTestId(page, 'chat-page'));
      await page.locator('[data-testid="connection-status"][data-status="connected"]').waitFor({ timeout: WAIT_MS });
    });

    after(async () => {
      await browser?.close();
      await app?.stop();
    });

    test('a new conversation with both models side by side, each loading into its column', async () => {
      await visible(byTestId(page, 'chat-list-empty'));
      await byTestId(page, 'chat-new').click();
      const picker = await visible(byTestId(page, 'chat-model-picker'));
      for (const id of ids) await picker.locator(`[data-testid="chat-model-option"][data-model-id="${id}"]`).check();
      await byTestId(page, 'chat-new-title').fill('Tiny duel');
      await byTestId(page, 'chat-new-param-max-tokens').fill(String(MAX_TOKENS));
      await byTestId(page, 'chat-new-param-seed').fill(String(SEED));
      await byTestId(page, 'chat-new-context').fill('256');
      await byTestId(page, 'chat-new-threads').fill('1');
      await byTestId(page, 'chat-new-gpu').selectOption('cpu');
      await byTestId(page, 'chat-new-create').click();

      const item = await visible(byTestId(page, 'chat-conversation-item'));
      conversationId = (await item.getAttribute('data-id')) ?? '';
      assert.ok(conversationId, 'the list names the conversation');
      assert.equal(await item.getAttribute('data-selected'), 'true');
      assert.match(await item.innerText(), /Tiny duel/);

      const columns = byTestId(page, 'chat-column');
      await visible(columns.nth(1));
      assert.equal(await columns.count(), 2, 'one column per model');
      assert.deepEqual(
        [await columns.nth(0).getAttribute('data-model-id'), await columns.nth(1).getAttribute('data-model-id')],
        ids,
        'columns in the order picked',
      );
      assert.match(await columns.nth(0).innerText(), /tiny-one/);
      assert.match(await columns.nth(1).innerText(), /tiny-two/);

      // Opening the conversation loads both models with its options; each column follows its own model.
      for (const i of [0, 1]) await page.locator(`${column(i)} [data-testid="chat-column-status"][data-state="ready"]`).waitFor({ timeout: LOAD_MS });
      const loaded = (await callApi(app.url, 'inference.list', undefined, 'GET')).body.result?.data as {
        modelId: string;
        state: string;
        contextSize: number;
        options: { threads?: number };
      }[];
      assert.deepEqual(loaded.map((m) => m.modelId).sort(), [...ids].sort(), 'the engine loaded both');
      for (const m of loaded) {
        assert.equal(m.options.threads, 1, 'loaded with the conversation’s options');
        assert.equal(m.contextSize, 256);
      }

      const server = (await callApi(app.url, 'conversations.get', { id: conversationId }, 'GET')).body.result?.data as ConversationWithMessages;
      assert.deepEqual(
        server.conversation.columns.map((c) => c.modelId),
        ids,
      );
      assert.equal(server.conversation.params.maxTokens, MAX_TOKENS);
      assert.equal(server.conversation.params.seed, SEED);
      assert.equal(server.conversation.sameSeed, true);
      assert.equal(server.messages.length, 0);
    });

    test('the context bar counts the draft in each model’s tokens', async () => {
      const usage = `${column(0)} [data-testid="chat-context-usage"]`;
      const empty = Number((await page.locator(usage).getAttribute('data-tokens')) || 0);
      await byTestId(page, 'chat-input').fill('Hello there');
      const counted = await waitForNumberAbove(page, usage, 'data-tokens', empty);
      // One token per byte, plus whatever the tokenizer adds (a BOS), never fewer than the bytes.
      assert.ok(counted >= 'Hello there'.length, `counted ${counted} tokens for 11 bytes`);
      assert.match(await page.locator(usage).innerText(), new RegExp(`^${counted} / 256 tokens`));
      await byTestId(page, 'chat-input').fill('');
    });

    test('one prompt streams into both columns, each reply with its metrics, same seed', async () => {
      await byTestId(page, 'chat-input').fill(PROMPT);
      await byTestId(page, 'chat-input').press('Enter');
      for (const i of [0, 1]) await page.locator(`${reply(i)}[data-state="saved"] [data-testid="chat-metrics"]`).waitFor({ timeout: LOAD_MS });
      await visible(byTestId(page, 'chat-send'));
      assert.equal(await byTestId(page, 'chat-input').inputValue(), '', 'the draft was sent');

      for (const i of [0, 1]) {
        const userMessages = page.locator(`${column(i)} [data-testid="chat-message"][data-role="user"]`);
        assert.equal(await userMessages.count(), 1);
        assert.match(await userMessages.innerText(), new RegExp(PROMPT));
        assert.equal(await page.locator(reply(i)).count(), 1, `one reply in column ${i}`);
        const message = page.locator(reply(i));
        assert.equal(await message.getAttribute('data-model-id'), ids[i], 'the reply names its model');
        assert.ok(Number(await message.getAttribute('data-chars')) > 0, `column ${i} has text`);
        // It streamed: the column received the reply as several text events, not one.
        const chunks = Number(await page.locator(column(i)).getAttribute('data-stream-chunks'));
        assert.ok(chunks > 1, `column ${i} streamed ${chunks} text events`);

        const metrics = message.getByTestId('chat-metrics');
        const ttft = Number(await metrics.getAttribute('data-ttft-ms'));
        const gen = Number(await metrics.getAttribute('data-gen-tps'));
        const prompt = Number(await metrics.getAttribute('data-prompt-tps'));
        const out = Number(await metrics.getAttribute('data-completion-tokens'));
        const tokensIn = Number(await metrics.getAttribute('data-prompt-tokens'));
        assert.ok(ttft > 0, `TTFT ${ttft}`);
        assert.ok(gen > 0, `gen tok/s ${gen}`);
        assert.ok(prompt > 0, `prompt tok/s ${prompt}`);
        assert.ok(out >= 1 && out <= MAX_TOKENS, `tokens out ${out}`);
        assert.ok(tokensIn >= PROMPT.length, `tokens in ${tokensIn}`);
        assert.ok(Number(await metrics.getAttribute('data-peak-rss')) > 0, 'peak memory');
        const shown = await metrics.innerText();
        assert.match(shown, /TTFT\s*[\d.]+ (ms|s)/, shown);
        assert.match(shown, /Gen\s*[\d.,]+ tok\/s/, shown);
        assert.match(shown, /Prompt\s*[\d.,]+ tok\/s/, shown);
        assert.match(shown, new RegExp(`Seed\\s*${SEED}`), 'the seed both columns used');
      }
      assert.equal(await byTestId(page, 'chat-same-seed').isChecked(), true);
      await screenshot(page, 'chat-side-by-side');

      const server = (await callApi(app.url, 'conversations.get', { id: conversationId }, 'GET')).body.result?.data as ConversationWithMessages;
      const user = server.messages.filter((m) => m.role === 'user');
      const assistants = server.messages.filter((m) => m.role === 'assistant').sort((a, b) => (a.column ?? 0) - (b.column ?? 0));
      assert.equal(user.length, 1);
      assert.equal(user[0]!.content, PROMPT);
      assert.deepEqual(
        assistants.map((m) => [m.column, m.modelId]),
        [
          [0, ids[0]],
          [1, ids[1]],
        ],
        'a saved reply per column',
      );
      for (const m of assistants) {
        assert.equal(typeof m.metrics?.ttftMs, 'number');
        assert.ok((m.metrics?.completionTokens ?? 0) > 0);
        replies.push(m.content);
      }
      assert.ok(server.conversation.activeLeafId && assistants.some((m) => m.id === server.conversation.activeLeafId), 'the reply chain is the active branch');
    });

    test('the conversation is saved: after a reload it is still there with its messages', async () => {
      await page.reload();
      await visible(byTestId(page, 'chat-page'));
      const item = await visible(byTestId(page, 'chat-conversation-item'));
      assert.equal(await byTestId(page, 'chat-conversation-item').count(), 1);
      assert.equal(await item.getAttribute('data-id'), conversationId);
      await item.locator('.chat-item-main').click();
      for (const i of [0, 1]) {
        await page.locator(`${reply(i)} [data-testid="chat-metrics"]`).waitFor({ timeout: WAIT_MS });
        assert.equal(Number(await page.locator(reply(i)).getAttribute('data-chars')), replies[i]!.length, `column ${i} shows the saved reply`);
        assert.match(await page.locator(`${column(i)} [data-testid="chat-message"][data-role="user"]`).innerText(), new RegExp(PROMPT));
      }
    });

    test('export to a dataset: the path and row count show, and the file holds the chat', async () => {
      await byTestId(page, 'chat-export').click();
      await byTestId(page, 'chat-export-name').fill(DATASET);
      await byTestId(page, 'chat-export-column').selectOption('1');
      await byTestId(page, 'chat-export-confirm').click();
      const result = await visible(byTestId(page, 'chat-export-result'), WAIT_MS);
      assert.equal(await result.getAttribute('data-rows'), '1');
      const path = (await result.getAttribute('data-path')) ?? '';
      assert.ok(path.startsWith(app.home) && path.endsWith(`${DATASET}.jsonl`), `written in the data dir: ${path}`);
      const text = await result.innerText();
      assert.ok(text.includes(path), `the result shows the path: ${text}`);
      assert.match(text, /\b1 row\b/);
      await screenshot(page, 'chat-export');

      assert.ok(existsSync(path), `${path} exists`);
      const lines = readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.trim());
      assert.equal(lines.length, 1);
      const row = JSON.parse(lines[0]!) as { messages: { role: string; content: string }[] };
      assert.ok(Array.isArray(row.messages), 'a chat row has messages');
      assert.deepEqual(
        row.messages,
        [
          { role: 'user', content: PROMPT },
          { role: 'assistant', content: replies[1] },
        ],
        'the user prompt and column 2’s reply',
      );
      await byTestId(page, 'chat-export-name').press('Escape');
      await byTestId(page, 'chat-export-result').waitFor({ state: 'detached', timeout: WAIT_MS });
    });

    test('edit the prompt: a new branch with new replies, and ‹ › back to the first', async () => {
      const firstUser = column(0) + ' [data-testid="chat-message"][data-role="user"]';
      await page.locator(firstUser).hover();
      await page.locator(firstUser).getByTestId('chat-edit').click();
      await byTestId(page, 'chat-edit-input').fill(EDITED);
      await byTestId(page, 'chat-edit-save').click();
      for (const i of [0, 1]) {
        await page.locator(`${column(i)} [data-testid="chat-message"][data-role="user"]`, { hasText: EDITED }).waitFor({ timeout: WAIT_MS });
        await page.locator(`${reply(i)}[data-state="saved"] [data-testid="chat-metrics"]`).waitFor({ timeout: LOAD_MS });
      }
      await visible(byTestId(page, 'chat-send'));
      const nav = page.locator(firstUser).getByTestId('chat-versions');
      assert.equal(await nav.innerText().then((t) => t.replace(/\s+/g, '')), '‹2/2›', 'the edit is version 2 of 2');

      const server = (await callApi(app.url, 'conversations.get', { id: conversationId }, 'GET')).body.result?.data as ConversationWithMessages;
      const users = server.messages.filter((m) => m.role === 'user');
      assert.deepEqual(
        users.map((m) => [m.content, m.parentId]),
        [
          [PROMPT, null],
          [EDITED, null],
        ],
        'the edit is a sibling of the original',
      );
      const edited = users[1]!;
      const branch = server.messages.filter((m) => m.role === 'assistant' && !replies.includes(m.content));
      assert.ok(server.messages.filter((m) => m.role === 'assistant').length === 4, 'two more replies, one per column');
      assert.ok(branch.length >= 1 && server.messages.some((m) => m.parentId === edited.id), 'the new replies hang under the edit');

      // Back to the first version: its replies show again, and the server remembers the branch.
      await nav.getByTestId('chat-version-prev').click();
      await page.locator(firstUser, { hasText: PROMPT }).waitFor({ timeout: WAIT_MS });
      for (const i of [0, 1]) assert.equal(Number(await page.locator(reply(i)).getAttribute('data-chars')), replies[i]!.length);
      await waitForAsync('the server to show the first branch', async () => {
        const c = (await callApi(app.url, 'conversations.get', { id: conversationId }, 'GET')).body.result?.data as ConversationWithMessages;
        const leaf = c.messages.find((m) => m.id === c.conversation.activeLeafId);
        return leaf && leaf.role === 'assistant' && replies.includes(leaf.content);
      });
    });

    test('regenerate one column: a new reply set that keeps the other column’s reply', async () => {
      const before = await page.locator(reply(1)).getAttribute('data-message-id');
      await page.locator(reply(1)).hover();
      await page.locator(reply(1)).getByTestId('chat-regenerate').click();
      await page.locator(`${reply(1)}[data-state="saved"]:not([data-message-id="${before}"]) [data-testid="chat-metrics"]`).waitFor({ timeout: LOAD_MS });
      await visible(byTestId(page, 'chat-send'));
      assert.equal(Number(await page.locator(reply(0)).getAttribute('data-chars')), replies[0]!.length, 'column 1 keeps its reply');
      const nav = page.locator(reply(1)).getByTestId('chat-versions');
      assert.equal((await nav.innerText()).replace(/\s+/g, ''), '‹2/2›');
      const server = (await callApi(app.url, 'conversations.get', { id: conversationId }, 'GET')).body.result?.data as ConversationWithMessages;
      const leaf = server.messages.find((m) => m.id === server.conversation.activeLeafId);
      assert.equal(leaf?.column, 1, 'the regenerated reply is the active leaf');
      assert.notEqual(leaf?.id, before);
    });

    test('Stop ends a long generation: the partial reply is kept and the engine is idle again', async () => {
      // Greedy, no repeat penalty: tiny-one then never samples its end token and would run to max tokens (many seconds).
      await byTestId(page, 'chat-param-temperature').fill('0');
      await byTestId(page, 'chat-param-repeat-penalty').fill('1');
      await byTestId(page, 'chat-param-max-tokens').fill('20000');
      await byTestId(page, 'chat-param-seed').fill('');
      await page.locator('[data-testid="chat-params-status"][data-state="saved"]').waitFor({ timeout: WAIT_MS });
      const saved = (await callApi(app.url, 'conversations.get', { id: conversationId }, 'GET')).body.result?.data as ConversationWithMessages;
      assert.deepEqual(
        [saved.conversation.params.temperature, saved.conversation.params.repeatPenalty, saved.conversation.params.maxTokens, saved.conversation.params.seed],
        [0, 1, 20000, undefined],
        'the parameters are saved to the conversation',
      );

      await byTestId(page, 'chat-input').fill('Go');
      await byTestId(page, 'chat-send').click();
      const stop = await visible(byTestId(page, 'chat-stop'));
      const live = `${column(0)} [data-testid="chat-turn"]:last-child [data-testid="chat-message"][data-role="assistant"]`;
      await waitForNumberAbove(page, `${live}[data-state="streaming"]`, 'data-chars', 0, LOAD_MS);
      await stop.click();
      await visible(byTestId(page, 'chat-send'));
      const metrics = page.locator(`${live} [data-testid="chat-metrics"]`);
      await metrics.waitFor({ timeout: WAIT_MS });
      assert.equal(await metrics.getAttribute('data-finish'), 'abort', 'column 1 was stopped');
      assert.match(await metrics.innerText(), /stopped/);
      const seed = await metrics.getAttribute('data-seed');
      assert.match(seed ?? '', /^\d+$/, 'a random seed was drawn for the send');
      // Column 2 (tiny-two) usually ends by itself first; whenever it replied, it used the same seed.
      const other = page.locator(`${column(1)} [data-testid="chat-turn"]:last-child [data-testid="chat-metrics"]`);
      if ((await other.count()) > 0) assert.equal(await other.getAttribute('data-seed'), seed, 'same seed in both columns');

      // Unsubscribing stopped the generation in the engine, long before 20,000 tokens.
      await waitForAsync(
        'the engine to stop generating',
        async () => {
          const loaded = (await callApi(app.url, 'inference.list', undefined, 'GET')).body.result?.data as { active: number; queued: number }[];
          return loaded.every((m) => m.active === 0 && m.queued === 0);
        },
        5_000,
      );
      const server = (await callApi(app.url, 'conversations.get', { id: conversationId }, 'GET')).body.result?.data as ConversationWithMessages;
      const partial = server.messages.find(
        (m) => m.role === 'assistant' && m.column === 0 && (m.metrics as { finishReason?: string } | null)?.finishReason === 'abort',
      );
      assert.ok(partial && partial.content.length > 0, 'the partial reply is saved');
      assert.equal(Number(await page.locator(live).getAttribute('data-chars')), partial.content.length);
      await screenshot(page, 'chat-stopped');

      // Esc in the prompt box stops too.
      await byTestId(page, 'chat-input').fill('Again');
      await byTestId(page, 'chat-input').press('Enter');
      await waitForNumberAbove(page, `${live}[data-state="streaming"]`, 'data-chars', 0, LOAD_MS);
      await byTestId(page, 'chat-input').press('Escape');
      await visible(byTestId(page, 'chat-send'));
      await page.locator(`${live} [data-testid="chat-metrics"][data-finish="abort"]`).waitFor({ timeout: WAIT_MS });
      assert.match(await page.locator(`${column(0)} [data-testid="chat-turn"]:last-child [data-role="user"]`).innerText(), /Again/);
    });

    test('a preset sets the sampling parameters, saved with the conversation', async () => {
      await byTestId(page, 'chat-param-preset-precise').click();
      assert.equal(await byTestId(page, 'chat-param-preset-precise').getAttribute('aria-pressed'), 'true');
      assert.equal(await byTestId(page, 'chat-param-temperature').inputValue(), '0.2');
      await page.locator('[data-testid="chat-params-status"][data-state="saved"]').waitFor({ timeout: WAIT_MS });
      await waitForAsync('the preset to be saved', async () => {
        const c = (await callApi(app.url, 'conversations.get', { id: conversationId }, 'GET')).body.result?.data as ConversationWithMessages;
        return c.conversation.params.temperature === 0.2 && c.conversation.params.topK === 20 && c.conversation.params.maxTokens === 20000;
      });
    });

    test('rename and delete a conversation', async () => {
      const item = byTestId(page, 'chat-conversation-item');
      await item.getByTestId('chat-rename').click();
      await byTestId(page, 'chat-rename-input').fill('Renamed duel');
      await byTestId(page, 'chat-rename-input').press('Enter');
      await page.locator('[data-testid="chat-conversation-title"]', { hasText: 'Renamed duel' }).waitFor({ timeout: WAIT_MS });
      assert.equal(await byTestId(page, 'chat-title').innerText(), 'Renamed duel');
      const list = (await callApi(app.url, 'conversations.list', undefined, 'GET')).body.result?.data as { id: string; title: string }[];
      assert.deepEqual(
        list.map((c) => [c.id, c.title]),
        [[conversationId, 'Renamed duel']],
      );

      await item.getByTestId('chat-delete').click();
      await byTestId(page, 'chat-delete-confirm').click();
      await visible(byTestId(page, 'chat-list-empty'));
      assert.equal(await byTestId(page, 'chat-column').count(), 0, 'nothing is open any more');
      const after = (await callApi(app.url, 'conversations.list', undefined, 'GET')).body.result?.data as unknown[];
      assert.equal(after.length, 0, 'the server forgot it');
    });

    test('no console errors, page errors or CSP violations in the run', () => {
      problems.assertNone('the Chat run');
    });
  });
