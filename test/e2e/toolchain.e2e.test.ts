import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { JobRecord } from '../../shared/jobs';
import type { ToolchainStatus } from '../../shared/toolchain';
import { byTestId, screenshot, shots, visible, WAIT_MS } from '../helpers/page';
import { chromiumSkipReason, collectPageProblems, launchChromium, type PageProblems } from '../helpers/browser';
import { callApi, serveApp, type ServedApp } from '../helpers/server';

/** What the function run inside the page uses (this project's Node typings have no DOM lib). */
declare const navigator: { clipboard: { readText(): Promise<string> } };

const COMPONENTS = ['llama', 'python'] as const;
const FIXES = {
  llama: { label: 'Build llama.cpp tools', command: 'whittle toolchain install llama' },
  python: { label: 'Install Python toolchain', command: 'whittle toolchain install python' },
} as const;

async function apiStatus(url: string): Promise<ToolchainStatus> {
  const res = await callApi(url, 'toolchain.status', {}, 'GET');
  assert.equal(res.status, 200, `toolchain.status: ${JSON.stringify(res.body.error)}`);
  return res.body.result?.data as ToolchainStatus;
}

async function getJob(url: string, id: string): Promise<JobRecord> {
  const res = await callApi(url, 'jobs.get', { id }, 'GET');
  assert.equal(res.status, 200, `jobs.get ${id}: ${JSON.stringify(res.body.error)}`);
  return res.body.result?.data as JobRecord;
}

/** A fresh page on `app`'s Hardware page, with the toolchain status shown. */
async function openHardware(context: BrowserContext, app: ServedApp): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${app.url}/#/hardware`);
  await visible(byTestId(page, 'page-hardware'));
  await page.locator('[data-testid="connection-status"][data-status="connected"]').waitFor({ timeout: WAIT_MS });
  await visible(byTestId(page, 'toolchain-section'));
  await visible(byTestId(page, 'toolchain-llama'));
  return page;
}

/** The NPU card lists exactly what the engine found, or says there are none. */
async function assertNpus(page: Page, status: ToolchainStatus): Promise<void> {
  const card = await visible(byTestId(page, 'toolchain-npus'));
  const listed = card.getByTestId('toolchain-npu');
  if (status.npus.length === 0) {
    assert.equal((await card.getByTestId('toolchain-npus-none').innerText()).trim(), 'None detected');
    assert.equal(await listed.count(), 0);
  } else {
    assert.equal(await card.getByTestId('toolchain-npus-none').count(), 0, 'no "None detected" beside a list');
    assert.equal(await listed.count(), status.npus.length, 'one row per NPU');
    for (const [i, npu] of status.npus.entries()) assert.ok((await listed.nth(i).innerText()).includes(npu.name), `NPU ${npu.name} is listed`);
  }
}

const SUITE = 'the Toolchains section of the Hardware page in Chromium';
const noChromium = chromiumSkipReason();

if (noChromium) test(SUITE, { skip: noChromium }, () => {});
else
  describe(SUITE, () => {
    let browser: Browser;

    before(async () => {
      mkdirSync(shots, { recursive: true });
      browser = await launchChromium();
    });

    after(async () => {
      await browser?.close();
    });

    describe('with an empty cache: both missing, each with its fix', () => {
      const scratch = mkdtempSync(join(tmpdir(), 'whittle-toolchain-e2e-'));
      const cache = join(scratch, 'cache');
      let app: ServedApp;
      let context: BrowserContext;
      let problems: PageProblems;
      let page: Page;

      before(async () => {
        mkdirSync(cache);
        app = await serveApp({ env: { WHITTLE_CACHE: cache } });
        context = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: 'dark' });
        await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
        problems = await collectPageProblems(context);
        page = await openHardware(context, app);
      });

      after(async () => {
        await context?.close();
        await app?.stop();
        rmSync(scratch, { recursive: true, force: true });
      });

      test('shows without a system report, for the cache the server uses', async () => {
        await visible(byTestId(page, 'hardware-empty'));
        assert.equal(await byTestId(page, 'hardware-report').count(), 0);
        assert.equal(await byTestId(page, 'toolchain-cache-dir').innerText(), cache);
      });

      test('llama.cpp tools and the Python toolchain are missing, with install buttons and commands', async () => {
        for (const component of COMPONENTS) {
          assert.equal(await byTestId(page, `toolchain-${component}-state`).innerText(), 'missing', `${component} state`);
          assert.equal(await byTestId(page, `toolchain-${component}`).getAttribute('data-state'), 'missing');
          const fix = byTestId(page, `toolchain-${component}-fix`);
          assert.equal(await fix.innerText(), FIXES[component].label, `${component} fix label`);
          assert.ok(await fix.isEnabled(), `${component} fix is enabled`);
          assert.equal(await byTestId(page, `toolchain-${component}-command`).innerText(), FIXES[component].command);
          assert.equal(await byTestId(page, `toolchain-${component}-progress`).count(), 0, `no ${component} job before one is started`);
          assert.equal(await byTestId(page, `toolchain-${component}-error`).count(), 0);
        }
        // Missing llama.cpp tools are listed as "to build", collapsed.
        const items = byTestId(page, 'toolchain-llama-items');
        assert.match(await items.locator('summary').innerText(), /^\d+ tools to build$/);
        assert.equal(await items.getAttribute('open'), null, 'the list starts collapsed');
        // No Python env, so its ONNX Runtime providers are unknown.
        assert.equal((await byTestId(page, 'toolchain-providers').innerText()).trim(), 'not known');
        await assertNpus(page, await apiStatus(app.url));
        await screenshot(page, 'toolchain-missing');
      });

      test('the copy button puts the CLI command on the clipboard', async () => {
        await byTestId(page, 'toolchain-python-copy').click();
        await page.locator('[data-testid="toolchain-python-copy"]', { hasText: 'Copied' }).waitFor({ timeout: WAIT_MS });
        assert.equal(await page.evaluate(() => navigator.clipboard.readText()), FIXES.python.command);
      });

      test('a deep check runs and says so', async () => {
        const header = byTestId(page, 'toolchain-section').locator('.toolchains-header');
        assert.match(await header.innerText(), /Quick check/);
        await byTestId(page, 'toolchain-deep-check').click();
        await header.filter({ hasText: 'Deep check (every package imported)' }).waitFor({ timeout: 60_000 });
        assert.equal(await byTestId(page, 'toolchain-section').getAttribute('data-checking'), '', 'the check is over');
        assert.ok(await byTestId(page, 'toolchain-deep-check').isEnabled());
        assert.equal(await byTestId(page, 'toolchain-python-state').innerText(), 'missing');
      });

      test('a failing install shows its progress, its job and its error, and the button comes back', async () => {
        // A file where the llama.cpp build folder must go: the build job fails at once, instead of compiling for minutes.
        writeFileSync(join(cache, 'llama'), 'not a folder');
        await byTestId(page, 'toolchain-llama-fix').click();
        const progress = await visible(byTestId(page, 'toolchain-llama-progress'));
        const jobId = await progress.getAttribute('data-job-id');
        assert.ok(jobId, 'the progress names its job');
        assert.equal(await progress.getByRole('link', { name: 'Open job' }).getAttribute('href'), `#/jobs/${encodeURIComponent(jobId)}`);

        await page.locator('[data-testid="toolchain-llama-progress"][data-state="failed"]').waitFor({ timeout: 60_000 });
        const job = await getJob(app.url, jobId);
        assert.equal(job.kind, 'toolchain.install');
        assert.equal(job.state, 'failed', 'the server agrees');
        assert.ok(job.error, 'the job has an error');
        const error = await visible(byTestId(page, 'toolchain-llama-error'));
        assert.ok((await error.innerText()).includes(job.error.split('\n')[0]!), `the error is shown: ${await error.innerText()}`);

        assert.ok(await byTestId(page, 'toolchain-llama-fix').isEnabled(), 'the fix can be tried again');
        assert.equal(await byTestId(page, 'toolchain-llama-state').innerText(), 'missing');
        // The Python card is not affected by the llama.cpp job.
        assert.equal(await byTestId(page, 'toolchain-python-progress').count(), 0);
        await screenshot(page, 'toolchain-install-failed');
        problems.assertNone('the empty-cache scenario');
      });
    });

    describe('with the shared test cache: installed toolchains are ready', () => {
      const shared = process.env.WHITTLE_CACHE;
      let app: ServedApp;
      let context: BrowserContext;
      let problems: PageProblems;
      let page: Page;
      let status: ToolchainStatus;

      before(async () => {
        if (!shared) return;
        app = await serveApp({ env: { WHITTLE_CACHE: shared } });
        context = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: 'dark' });
        problems = await collectPageProblems(context);
        page = await openHardware(context, app);
        status = await apiStatus(app.url);
      });

      after(async () => {
        await context?.close();
        await app?.stop();
      });

      for (const component of COMPONENTS) {
        test(`${component}: ready, with its version and no fix`, async (t) => {
          if (!shared) return t.skip('WHITTLE_CACHE is not set (scripts/run-tests.mjs sets it)');
          const expected = status.components.find((c) => c.component === component);
          assert.ok(expected, `the engine reports ${component}`);
          if (expected.state !== 'ready')
            return t.skip(`${component} is ${expected.state} in ${shared}: install it with \`${expected.fix?.command ?? 'whittle toolchain install'}\``);

          await page.locator(`[data-testid="toolchain-${component}"][data-state="ready"]`).waitFor({ timeout: WAIT_MS });
          assert.equal(await byTestId(page, `toolchain-${component}-state`).innerText(), 'ready');
          const version = await byTestId(page, `toolchain-${component}-version`).innerText();
          assert.ok(expected.version, `${component} has a version`);
          assert.equal(version, expected.version);
          assert.match(version, component === 'python' ? /^3\.\d+\.\d+$/ : /\d/);
          assert.equal(await byTestId(page, `toolchain-${component}-fix`).count(), 0, 'nothing to fix');
          assert.equal(await byTestId(page, `toolchain-${component}-command`).count(), 0);
          const card = byTestId(page, `toolchain-${component}`);
          assert.ok((await card.innerText()).includes(expected.dir ?? '(no dir)'), 'the folder is shown');
          const items = byTestId(page, `toolchain-${component}-items`);
          assert.match(await items.locator('summary').innerText(), new RegExp(`^${expected.items.length} (tools|packages), all working$`));
          assert.equal(await items.getAttribute('open'), null, 'ready items start collapsed');
        });
      }

      test('NPUs and the ONNX Runtime providers of the Python toolchain', async (t) => {
        if (!shared) return t.skip('WHITTLE_CACHE is not set (scripts/run-tests.mjs sets it)');
        await assertNpus(page, status);
        const providers = (await byTestId(page, 'toolchain-providers').innerText()).trim();
        if (status.pythonProviders === null) assert.equal(providers, 'not known');
        else for (const provider of status.pythonProviders) assert.ok(providers.includes(provider), `${provider} is shown`);
        await screenshot(page, 'toolchain-ready');
        problems.assertNone('the shared-cache scenario');
      });
    });
  });
