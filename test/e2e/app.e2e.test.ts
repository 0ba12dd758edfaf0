import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { JobRecord } from '../../shared/jobs';
import { PAGES } from '../../shared/navigation';
import { byTestId, screenshot, shots, visible, WAIT_MS, waitForNumberAbove } from '../helpers/page';
import { chromiumSkipReason, collectPageProblems, launchChromium, type PageProblems } from '../helpers/browser';
import { callApi, serveApp, type ServedApp } from '../helpers/server';

/**
 * What the functions below that run inside the page use of the DOM (this project's Node typings have no DOM lib).
 * The functions are passed to Playwright rather than strings: a string is eval'ed, which the app's CSP forbids.
 */
interface PageElement {
  getAttribute(name: string): string | null;
  textContent: string | null;
}
declare const document: { querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): { length: number } };
declare const location: { hash: string };

async function waitForHash(page: Page, hash: string): Promise<void> {
  await page.waitForFunction((want) => location.hash === want, hash, { timeout: WAIT_MS });
}

async function getJob(url: string, id: string): Promise<JobRecord> {
  const res = await callApi(url, 'jobs.get', { id }, 'GET');
  assert.equal(res.status, 200, `jobs.get ${id}: ${JSON.stringify(res.body.error)}`);
  return res.body.result?.data as JobRecord;
}

const SUITE = 'the app in Chromium, served by `whittle serve`';
const noChromium = chromiumSkipReason();

// Without a browser this reports one skipped test with the reason (a skipped suite counts as no tests at all).
if (noChromium) test(SUITE, { skip: noChromium }, () => {});
else
  describe(SUITE, () => {
    let app: ServedApp;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let problems: PageProblems;

    before(async () => {
      mkdirSync(shots, { recursive: true });
      // Browser and server start side by side: both are slow to start on a small machine.
      const [served, launched] = await Promise.allSettled([serveApp(), launchChromium()]);
      if (served.status === 'fulfilled') app = served.value;
      if (launched.status === 'fulfilled') browser = launched.value;
      if (served.status === 'rejected') throw served.reason;
      if (launched.status === 'rejected') throw launched.reason;
      assert.match(app.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'dark' });
      problems = await collectPageProblems(context);
      page = await context.newPage();
      await page.goto(app.url);
      await visible(byTestId(page, 'page-library'));
    });

    after(async () => {
      await browser?.close();
      await app?.stop();
    });

    test('the frame shows the engine it talks to', async () => {
      await page.locator('[data-testid="connection-status"][data-status="connected"]').waitFor({ timeout: WAIT_MS });
      assert.match(await (await visible(byTestId(page, 'app-version'))).innerText(), /^v\d+\.\d+\.\d+/);
      assert.equal(await byTestId(page, 'app-data-dir').innerText(), app.home);
    });

    test('every page opens from its nav link, and the hash follows', async () => {
      for (const { id, title } of PAGES) {
        await byTestId(page, `nav-${id}`).click();
        const shown = await visible(byTestId(page, `page-${id}`));
        await waitForHash(page, `#/${id}`);
        assert.equal(await byTestId(page, `nav-${id}`).getAttribute('aria-current'), 'page', `${id} is the current nav link`);
        assert.equal(await shown.locator('h1').first().innerText(), title);
        assert.equal(await page.locator('[data-testid^="page-"]').count(), 1, `only ${id} is shown`);
        await screenshot(page, id);
      }
    });

    test('Alt+1..9 switch pages', async () => {
      // Backwards, so every press is a change of page.
      for (let index = PAGES.length - 1; index >= 0; index--) {
        const { id } = PAGES[index]!;
        await page.keyboard.press(`Alt+Digit${index + 1}`);
        await visible(byTestId(page, `page-${id}`));
        await waitForHash(page, `#/${id}`);
      }
    });

    test('Hardware: run a system report and see what this machine has', async () => {
      await byTestId(page, 'nav-hardware').click();
      await visible(byTestId(page, 'hardware-empty'));
      assert.equal(await byTestId(page, 'hardware-progress').count(), 0, 'no report job before one is started');

      await byTestId(page, 'run-system-report').click();
      const progress = await visible(byTestId(page, 'hardware-progress'));
      const jobId = await progress.getAttribute('data-job-id');
      assert.ok(jobId, 'the progress names its job');
      assert.match((await progress.getAttribute('data-state')) ?? '', /^(queued|running|succeeded)$/);

      await page.locator('[data-testid="hardware-progress"][data-state="succeeded"]').waitFor({ timeout: 45_000 });
      assert.equal(await progress.getByRole('progressbar').getAttribute('aria-valuenow'), '100');
      assert.equal((await getJob(app.url, jobId)).state, 'succeeded', 'the server agrees');

      await visible(byTestId(page, 'hardware-report'));
      assert.equal(await byTestId(page, 'hardware-empty').count(), 0);
      for (const section of ['os', 'cpu', 'memory', 'disks', 'llama', 'onnx', 'gpus']) {
        const text = await (await visible(byTestId(page, `hardware-${section}`))).innerText();
        assert.ok(text.trim().split('\n').length > 1, `${section} section has content: ${JSON.stringify(text)}`);
      }
      assert.match(await byTestId(page, 'hardware-cpu').innerText(), new RegExp(`\\b${cpus().length} logical\\b`));
      assert.ok((await page.locator('[data-testid^="cpu-feature-"]').count()) > 0, 'CPU features are listed');

      const memoryTotal = await byTestId(page, 'hardware-memory').locator('dl > div', { hasText: 'Total' }).locator('dd').innerText();
      const gib = /^(\d+(?:\.\d+)?) GiB$/.exec(memoryTotal);
      assert.ok(gib, `memory total is shown in GiB: ${memoryTotal}`);
      const expected = totalmem() / 2 ** 30;
      assert.ok(Math.abs(Number(gib[1]) - expected) / expected < 0.05, `memory total ${memoryTotal} ≈ ${expected.toFixed(1)} GiB`);
      assert.ok((await byTestId(page, 'hardware-os').innerText()).includes(process.platform));

      await screenshot(page, 'hardware-report');
    });

    test('Jobs: watch a job run, stream its log, cancel it and retry it', async () => {
      const started = await callApi(app.url, 'jobs.start', { kind: 'test.sleep', input: { seconds: 60, steps: 600, heavy: true } });
      assert.equal(started.status, 200, JSON.stringify(started.body.error));
      const id = (started.body.result?.data as JobRecord).id;
      let retryId: string | undefined;
      try {
        await byTestId(page, 'nav-jobs').click();
        await visible(byTestId(page, 'job-table'));
        const rowSelector = `[data-testid="job-row-${id}"]`;
        const row = page.locator(rowSelector);
        await page.locator(`${rowSelector}[data-state="running"]`).waitFor({ timeout: WAIT_MS });

        // The row's bar moves as progress events arrive over the WebSocket.
        const bar = `${rowSelector} [role="progressbar"]`;
        const first = await waitForNumberAbove(page, bar, 'aria-valuenow', 0);
        const later = await waitForNumberAbove(page, bar, 'aria-valuenow', first);
        assert.ok(later > first, `progress advanced: ${first}% -> ${later}%`);

        await row.click();
        await waitForHash(page, `#/jobs/${id}`);
        const detail = await visible(byTestId(page, 'job-detail'));
        assert.equal(await byTestId(page, 'job-state').innerText(), 'running');
        assert.match(await byTestId(page, 'job-progress-message').innerText(), /^Step \d+ of 600$/);
        assert.match(await byTestId(page, 'job-input').innerText(), /"seconds": 60/);

        // Live log: lines keep arriving while the job runs.
        const stepLines = async (): Promise<number> =>
          (await byTestId(page, 'job-log').innerText()).split('\n').filter((l) => /^step \d+\/600$/.test(l)).length;
        const waitForMoreLines = (than: number): Promise<unknown> =>
          page.waitForFunction(
            (n) => (document.querySelector('[data-testid="job-log"]')?.textContent ?? '').split('\n').filter((l) => /^step \d+\/600$/.test(l)).length > n,
            than,
            { timeout: WAIT_MS, polling: 50 },
          );
        await waitForMoreLines(0);
        const linesBefore = await stepLines();
        await waitForMoreLines(linesBefore);
        assert.match(await byTestId(page, 'job-log').innerText(), /^step 1\/600$/m, 'the log starts at the first step');

        await byTestId(page, 'job-cancel').click();
        await page.locator(`${rowSelector}[data-state="cancelled"]`).waitFor({ timeout: WAIT_MS });
        await page.locator('[data-testid="job-state"]', { hasText: 'cancelled' }).waitFor({ timeout: WAIT_MS });
        assert.equal(await detail.getByTestId('job-cancel').count(), 0, 'a cancelled job cannot be cancelled again');
        const server = await getJob(app.url, id);
        assert.equal(server.state, 'cancelled', 'the server has it cancelled too');
        assert.ok(server.finishedAt !== null);
        // The log shown is the server's log exactly: the fetched tail and the live lines join without gaps or repeats.
        await page.waitForFunction(() => /\] cancelled$/m.test(document.querySelector('[data-testid="job-log"]')?.textContent ?? ''), undefined, {
          timeout: WAIT_MS,
        });
        const serverLog = await callApi(app.url, 'jobs.log', { id, tailLines: 100_000 }, 'GET');
        const { lines: serverLines } = serverLog.body.result!.data as { lines: string[] };
        assert.deepEqual((await byTestId(page, 'job-log').innerText()).split('\n'), serverLines);
        await screenshot(page, 'jobs-cancelled');

        const rowsBefore = await page.locator('[data-testid^="job-row-"]').count();
        await byTestId(page, 'job-retry').click();
        await page.waitForFunction((n) => document.querySelectorAll('[data-testid^="job-row-"]').length > n, rowsBefore, { timeout: WAIT_MS });
        await page.waitForFunction((old) => location.hash.startsWith('#/jobs/') && location.hash !== old, `#/jobs/${id}`, { timeout: WAIT_MS });
        retryId = decodeURIComponent(new URL(page.url()).hash.slice('#/jobs/'.length));
        await visible(byTestId(page, `job-row-${retryId}`));
        await page.locator(`[data-testid="job-row-${retryId}"]:is([data-state="queued"], [data-state="running"])`).waitFor({ timeout: WAIT_MS });
        const retried = await getJob(app.url, retryId);
        assert.equal(retried.retryOf, id);
        assert.equal(retried.kind, 'test.sleep');
        assert.deepEqual(retried.input, { seconds: 60, steps: 600, heavy: true });
        assert.match(await byTestId(page, 'job-detail').innerText(), new RegExp(`Retry of\\s+${id}`));
        await screenshot(page, 'jobs-retried');
      } finally {
        // Leave no minute-long job behind to load the machine for what follows.
        for (const job of [id, retryId]) if (job) await callApi(app.url, 'jobs.cancel', { id: job });
      }
    });

    test('Jobs: clicking a column header sorts the table (newest first, oldest first, then as listed)', async () => {
      for (const steps of [1, 2, 3]) {
        const started = await callApi(app.url, 'jobs.start', { kind: 'test.sleep', input: { seconds: 0.1, steps, heavy: false } });
        assert.equal(started.status, 200, JSON.stringify(started.body.error));
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
      const listed = (await callApi(app.url, 'jobs.list', { limit: 500 }, 'GET')).body.result?.data as JobRecord[];
      const listOrder = [...listed].sort((a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id)).map((j) => j.id);
      const created = new Map(listed.map((j) => [j.id, j.createdAt]));
      // Ties keep the list's order, in either direction.
      const oldestFirst = [...listOrder].sort((a, b) => created.get(a)! - created.get(b)!);

      await byTestId(page, 'nav-jobs').click();
      await byTestId(page, 'job-filter-all').click();
      await visible(byTestId(page, `job-row-${listOrder[0]}`));
      const shown = async (): Promise<string[]> => {
        const rows = await page.locator('[data-testid^="job-row-"]').all();
        return Promise.all(rows.map(async (row) => ((await row.getAttribute('data-testid')) ?? '').slice('job-row-'.length)));
      };
      const header = byTestId(page, 'job-table').locator('th', { has: byTestId(page, 'jobs-sort-created') });
      assert.deepEqual(await shown(), listOrder, 'unsorted: as listed, newest first');
      assert.equal(await header.getAttribute('aria-sort'), 'none');

      await byTestId(page, 'jobs-sort-created').click();
      assert.equal(await header.getAttribute('aria-sort'), 'descending');
      assert.deepEqual(await shown(), listOrder);
      await byTestId(page, 'jobs-sort-created').click();
      assert.equal(await header.getAttribute('aria-sort'), 'ascending');
      assert.deepEqual(await shown(), oldestFirst, 'oldest first');
      await screenshot(page, 'jobs-sorted-oldest-first');
      await byTestId(page, 'jobs-sort-created').click();
      assert.equal(await header.getAttribute('aria-sort'), 'none');
      assert.deepEqual(await shown(), listOrder, 'back to the list order');
    });

    test('the theme toggles between dark and light and survives a reload', async () => {
      const toggle = byTestId(page, 'theme-toggle');
      const htmlTheme = (): Promise<string | null> => page.locator('html').getAttribute('data-theme');
      const clickUntil = async (preference: string): Promise<void> => {
        for (let i = 0; i < 3 && (await toggle.getAttribute('data-preference')) !== preference; i++) await toggle.click();
        assert.equal(await toggle.getAttribute('data-preference'), preference);
      };

      await clickUntil('dark');
      assert.equal(await htmlTheme(), 'dark');
      await clickUntil('light');
      assert.equal(await htmlTheme(), 'light');
      await screenshot(page, 'theme-light');

      await page.reload();
      await visible(byTestId(page, 'theme-toggle'));
      assert.equal(await toggle.getAttribute('data-preference'), 'light', 'the preference persisted');
      assert.equal(await htmlTheme(), 'light');

      await clickUntil('dark');
      await page.reload();
      await visible(byTestId(page, 'theme-toggle'));
      assert.equal(await htmlTheme(), 'dark', 'dark persisted too');
      await page.locator('[data-testid="connection-status"][data-status="connected"]').waitFor({ timeout: WAIT_MS });
    });

    test('no console errors, page errors or CSP violations anywhere in the run', () => {
      problems.assertNone('the end-to-end run');
    });
  });
