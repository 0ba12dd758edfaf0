import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildTinyGguf, CHATML_TEMPLATE, type TinyGgufOptions } from '../fixtures/tiny-gguf';
import { byTestId, screenshot, shots, visible, WAIT_MS, waitForNumberAbove } from '../helpers/page';
import { chromiumSkipReason, collectPageProblems, launchChromium, type PageProblems } from '../helpers/browser';
import { writeHfCache } from '../fixtures/model-folders';
import { startFakeHub, type FakeHub } from '../helpers/fake-hub';
import { callApi, serveApp, type ServedApp } from '../helpers/server';

/** What the functions run inside the page use of the DOM (this project's Node typings have no DOM lib). */
interface PageElement {
  getAttribute(name: string): string | null;
  textContent: string | null;
}
declare const document: { querySelector(selector: string): PageElement | null };

const REPO = 'whittle-test/tiny-llama-GGUF';
const F16_FILE = 'tiny-llama-F16.gguf';
/** Wide enough that the F16 file is ~1.7 MB: at the throttled rate below the download takes a few seconds. */
const F16_OPTIONS = { nEmbd: 256, tensorType: 'f16', name: 'tiny-llama' } as const satisfies TinyGgufOptions;
const F32_OPTIONS = { nEmbd: 256, tensorType: 'f32', name: 'tiny-llama' } as const satisfies TinyGgufOptions;
const THROTTLE_BYTES_PER_SEC = 500_000;
/** A model already in the user's Hugging Face cache, to be added by reference. */
const CACHED_REPO = 'whittle-test/cached-llama-GGUF';
const CACHED_FILE = 'cached-llama-F32.gguf';

/**
 * The shape the fixture builds for these options, from its documented defaults: a byte vocabulary
 * (<unk>, <s>, </s>, 256 byte tokens, and the "▁" token), 2 layers, 4 heads, KV heads = heads, FF 128.
 */
function expectedShape(opts: TinyGgufOptions): { parameters: number; vocab: number; layers: number; context: number } {
  const nEmbd = opts.nEmbd ?? 64;
  const nLayer = opts.nLayer ?? 2;
  const nHead = opts.nHead ?? 4;
  const nHeadKv = opts.nHeadKv ?? nHead;
  const nFf = opts.nFf ?? 128;
  const vocab = 3 + 256 + (opts.spaceToken === false ? 0 : 1);
  const nEmbdKv = (nEmbd / nHead) * nHeadKv;
  // token_embd + output_norm + output, then per layer: two norms, q, k, v, o, gate, up, down.
  const perLayer = 2 * nEmbd + 2 * nEmbd * nEmbd + 2 * nEmbd * nEmbdKv + 3 * nEmbd * nFf;
  return { parameters: 2 * nEmbd * vocab + nEmbd + nLayer * perLayer, vocab, layers: nLayer, context: opts.contextLength ?? 256 };
}

const SUITE = 'the Library in Chromium: Hub search, download, inspect, import';
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
    let downloadJobId: string;
    let modelId: string;
    const scratch = mkdtempSync(join(tmpdir(), 'whittle-library-e2e-'));

    before(async () => {
      mkdirSync(shots, { recursive: true });
      hub = await startFakeHub({
        repos: [
          {
            id: REPO,
            library: 'gguf',
            tags: ['gguf', 'llama', 'text-generation'],
            downloads: 1234,
            likes: 56,
            files: [
              {
                path: 'README.md',
                data: '---\nlicense: apache-2.0\n---\n# Tiny llama\n\nA **seeded** test model. <script>window.pwned = 1</script>\n\n- F16 and F32\n',
              },
              { path: 'tiny-llama-F32.gguf', data: buildTinyGguf(F32_OPTIONS) },
              { path: F16_FILE, data: buildTinyGguf(F16_OPTIONS) },
            ],
          },
        ],
      });
      hub.faults = { throttleBytesPerSec: THROTTLE_BYTES_PER_SEC };
      const hfCache = join(scratch, 'hf-cache');
      mkdirSync(hfCache);
      await writeHfCache(hfCache, [
        { repo: CACHED_REPO, files: { 'README.md': '# cached\n', [CACHED_FILE]: buildTinyGguf({ seed: 2, name: 'cached-llama' }) } },
      ]);
      const [served, launched] = await Promise.allSettled([serveApp({ env: { HF_ENDPOINT: hub.url, HF_HUB_CACHE: hfCache, HF_TOKEN: '' } }), launchChromium()]);
      if (served.status === 'fulfilled') app = served.value;
      if (launched.status === 'fulfilled') browser = launched.value;
      if (served.status === 'rejected') throw served.reason;
      if (launched.status === 'rejected') throw launched.reason;
      context = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: 'dark' });
      problems = await collectPageProblems(context);
      page = await context.newPage();
      await page.goto(`${app.url}/#/library`);
      await visible(byTestId(page, 'page-library'));
      await page.locator('[data-testid="connection-status"][data-status="connected"]').waitFor({ timeout: WAIT_MS });
    });

    after(async () => {
      await browser?.close();
      await app?.stop();
      await hub?.close();
      rmSync(scratch, { recursive: true, force: true });
    });

    test('Discover: search the Hub, open a model and download one variant', async () => {
      await visible(byTestId(page, 'models-empty'));
      await byTestId(page, 'library-tab-discover').click();
      await visible(page.locator('[data-testid^="catalog-card-"]').first());

      await byTestId(page, 'hub-search-input').fill('tiny');
      await byTestId(page, 'hub-search-submit').click();
      const result = await visible(byTestId(page, `hub-result-${REPO.replace('/', '__')}`));
      assert.match(await result.innerText(), /1\.2K/, 'the result shows its downloads');
      await result.click();

      const detail = await visible(byTestId(page, 'hub-detail'));
      assert.equal(await byTestId(page, 'hub-license').innerText(), 'apache-2.0');
      const card = await visible(byTestId(page, 'hub-card'));
      assert.match(await card.innerText(), /Tiny llama/);
      assert.match(await card.innerText(), /window\.pwned = 1/, 'HTML in the card shows as text');
      assert.equal(await card.locator('script').count(), 0, 'no markup from the card is rendered');
      assert.equal(await page.evaluate(() => (globalThis as { pwned?: number }).pwned), undefined);

      const variants = detail.locator('[data-testid^="hub-variant-"][data-label]');
      const labels: (string | null)[] = [];
      for (let i = 0; i < (await variants.count()); i++) labels.push(await variants.nth(i).getAttribute('data-label'));
      const index = labels.indexOf('F16');
      assert.ok(index >= 0, `an F16 variant is offered: ${JSON.stringify(labels)}`);
      assert.equal(labels.length, 2, 'one variant per GGUF file');
      await screenshot(page, 'library-discover');

      await byTestId(page, `hub-variant-download-${index}`).click();
      const notice = await visible(byTestId(page, 'hub-download-started'));
      downloadJobId = (await notice.getAttribute('data-job-id')) ?? '';
      assert.ok(downloadJobId, 'the notice names the download job');
    });

    test('Downloads: progress with bytes while it runs, then succeeded and shown in the library', async () => {
      await byTestId(page, 'library-tab-downloads').click();
      const rowSelector = `[data-testid="download-row-${downloadJobId}"]`;
      const row = await visible(page.locator(rowSelector));

      // While it runs: the byte count in the message and the fraction keep rising, and the tab counts it.
      await page.locator(`${rowSelector}[data-state="running"]`).waitFor({ timeout: WAIT_MS });
      const first = await waitForNumberAbove(page, rowSelector, 'data-fraction', 0);
      const message = await row.getByTestId('download-message').innerText();
      assert.match(message, /Downloaded [\d.]+ (?:[KMG]i)?B of [\d.]+ (?:[KMG]i)?B/, `the message gives bytes: ${message}`);
      assert.equal(await byTestId(page, 'downloads-count').innerText(), '1', 'the tab counts the active download');
      await screenshot(page, 'library-download-progress');
      const later = await waitForNumberAbove(page, rowSelector, 'data-fraction', first);
      assert.ok(later > first, `progress advanced: ${first} -> ${later}`);
      assert.equal(await row.getByTestId('download-cancel').count(), 1, 'a running download can be cancelled');

      // Pause keeps the partial data; Resume continues the same job from there.
      await row.getByTestId('download-pause').click();
      await page.locator(`${rowSelector}[data-state="paused"]`).waitFor({ timeout: WAIT_MS });
      assert.equal(await byTestId(page, 'downloads-count').count(), 0, 'a paused download is not counted as active');
      const servedWhenPaused = hub.bytesServed(`${REPO}/${F16_FILE}`);
      await row.getByTestId('download-resume').click();
      await page.locator(`${rowSelector}:is([data-state="queued"], [data-state="running"], [data-state="succeeded"])`).waitFor({ timeout: WAIT_MS });

      await page.locator(`${rowSelector}[data-state="succeeded"]`).waitFor({ timeout: 60_000 });
      assert.equal(await byTestId(page, 'downloads-count').count(), 0, 'nothing is active any more');
      assert.equal(await row.getByTestId('download-pause').count(), 0, 'a finished download has no Pause');
      const size = (await hub.fileInfo(REPO, F16_FILE)).size;
      const served = hub.bytesServed(`${REPO}/${F16_FILE}`);
      assert.ok(served >= size, `the whole file came from the hub: ${served} of ${size} bytes`);
      assert.ok(served - servedWhenPaused < size, `the resume did not start over: ${servedWhenPaused} bytes before the pause, ${served} in all`);

      await row.getByTestId('download-show-in-library').click();
      const detail = await visible(byTestId(page, 'model-detail'));
      modelId = (await detail.getAttribute('data-model-id')) ?? '';
      assert.ok(modelId, 'the detail names its model');
      assert.equal(await byTestId(page, 'library-tab-models').getAttribute('aria-selected'), 'true');
    });

    test('My models: the downloaded model with what the GGUF says, its chat template and its memory fit', async () => {
      const shape = expectedShape(F16_OPTIONS);
      const row = await visible(byTestId(page, `model-row-${modelId}`));
      assert.equal(await row.getAttribute('aria-selected'), 'true', 'the row is selected');
      assert.equal(await row.getAttribute('data-format'), 'gguf');
      assert.equal(await row.getAttribute('data-arch'), 'llama');
      assert.equal(await row.getAttribute('data-quant'), 'F16');
      assert.equal(Number(await row.getAttribute('data-params')), shape.parameters, 'parameters = the fixture tensors’ element count');
      assert.equal(await row.getByTestId('model-quant').innerText(), 'F16');

      assert.equal(await byTestId(page, 'model-architecture').innerText(), 'llama');
      assert.equal(await byTestId(page, 'model-quantization').innerText(), 'F16');
      assert.equal(Number(await byTestId(page, 'model-params').getAttribute('data-value')), shape.parameters);
      assert.equal(await byTestId(page, 'model-vocab').innerText(), shape.vocab.toLocaleString('en-US'));
      assert.equal(await byTestId(page, 'model-layers').innerText(), String(shape.layers));
      assert.equal(await byTestId(page, 'model-context').innerText(), String(shape.context));
      assert.equal(
        await byTestId(page, 'model-sha256').innerText(),
        (await hub.fileInfo(REPO, F16_FILE)).sha256,
        'a one-file model’s digest is its file’s sha256',
      );

      // The fixture's ChatML template, rendered: every turn is wrapped in its markers, ending on the assistant's cue.
      assert.ok(CHATML_TEMPLATE.includes('<|im_start|>'));
      const example = await (await visible(byTestId(page, 'chat-template-example'))).innerText();
      assert.match(example, /^<\|im_start\|>(system|user)\n/);
      assert.match(example, /<\|im_start\|>user\n[^<]+<\|im_end\|>/);
      assert.ok(example.trimEnd().endsWith('<|im_start|>assistant'), `ends with the generation prompt: ${JSON.stringify(example)}`);
      assert.equal(await byTestId(page, 'chat-template-error').count(), 0);

      const fit = byTestId(page, 'memory-fit');
      await page.locator('[data-testid="memory-fit"]:not([data-verdict=""])').waitFor({ timeout: WAIT_MS });
      assert.match((await fit.getAttribute('data-verdict')) ?? '', /^(fits-gpu|fits-partial-gpu|fits-ram|tight|too-big)$/);
      assert.ok((await byTestId(page, 'memory-fit-verdict').innerText()).length > 0);
      assert.match(await byTestId(page, 'memory-fit-summary').innerText(), /\d/);
      // A larger context asks again, and needs more memory.
      const at4k = await byTestId(page, 'memory-fit-summary').innerText();
      await byTestId(page, 'memory-fit-context').selectOption('16384');
      await page.waitForFunction(
        (before) => {
          const el = document.querySelector('[data-testid="memory-fit-summary"]');
          return !!el && el.textContent !== before;
        },
        at4k,
        { timeout: WAIT_MS },
      );
      await screenshot(page, 'library-model-detail');
    });

    test('My models: rename, tag and annotate a model; the server keeps it', async () => {
      await byTestId(page, 'model-rename').click();
      await byTestId(page, 'model-name-input').fill('Tiny llama F16');
      await byTestId(page, 'model-name-input').press('Enter');
      await page.locator(`[data-testid="model-row-${modelId}"] td`, { hasText: 'Tiny llama F16' }).first().waitFor({ timeout: WAIT_MS });
      assert.equal(await byTestId(page, 'model-name').innerText(), 'Tiny llama F16');

      await byTestId(page, 'model-tag-input').fill('e2e');
      await byTestId(page, 'model-tag-input').press('Enter');
      await visible(byTestId(page, 'model-tag-e2e'));

      await byTestId(page, 'model-notes').fill('Downloaded by the end-to-end test.');
      await byTestId(page, 'models-filter').click(); // blur saves
      await page.locator('[data-testid="model-notes-status"]', { hasText: 'Saved' }).waitFor({ timeout: WAIT_MS });

      const res = await callApi(app.url, 'models.get', { id: modelId }, 'GET');
      const model = res.body.result?.data as { name: string; tags: string[]; notes: string };
      assert.equal(model.name, 'Tiny llama F16');
      assert.deepEqual(model.tags, ['e2e']);
      assert.equal(model.notes, 'Downloaded by the end-to-end test.');

      // The filter finds it by tag and hides it for a format it is not.
      await byTestId(page, 'models-filter').fill('e2e');
      await visible(byTestId(page, `model-row-${modelId}`));
      await byTestId(page, 'models-filter').fill('');
      await byTestId(page, 'models-format-onnx').click();
      await visible(byTestId(page, 'models-none-match'));
      await byTestId(page, 'models-format-onnx').click();
      await visible(byTestId(page, `model-row-${modelId}`));
    });

    test('Import: a truncated GGUF fails with an error naming the file, and the app keeps working', async () => {
      const broken = join(scratch, 'broken-tiny.gguf');
      writeFileSync(broken, buildTinyGguf(F16_OPTIONS).subarray(0, 4096));

      await byTestId(page, 'import-open').click();
      await byTestId(page, 'import-path').fill(broken);
      await byTestId(page, 'import-submit').click();
      const error = await visible(byTestId(page, 'import-error'), 45_000);
      const text = await error.innerText();
      assert.ok(text.includes(broken), `the error names the file: ${text}`);
      assert.match((await byTestId(page, 'import-progress').getAttribute('data-state')) ?? '', /^failed$/);
      await screenshot(page, 'library-import-error');

      // Still responsive: the library lists the model, the table takes keyboard selection, other tabs open.
      const row = await visible(byTestId(page, `model-row-${modelId}`));
      assert.equal(await page.locator('[data-testid^="model-row-"]').count(), 1, 'the broken file did not enter the library');
      assert.equal(await page.locator('[data-testid^="model-row-"]', { hasText: 'broken' }).count(), 0);
      await row.click();
      await row.press('Escape');
      await byTestId(page, 'model-detail').waitFor({ state: 'detached', timeout: WAIT_MS });
      await row.press('Enter');
      await visible(byTestId(page, 'model-detail'));
      await byTestId(page, 'library-tab-discover').click();
      await visible(byTestId(page, 'hub-search-input'));
      await byTestId(page, 'library-tab-models').click();
      await visible(byTestId(page, `model-row-${modelId}`));
      const list = await callApi(app.url, 'models.list', {}, 'GET');
      assert.equal(list.status, 200);
      assert.equal((list.body.result?.data as unknown[]).length, 1);
    });

    test('Import: a GGUF used in place shows its progress and is selected once imported', async () => {
      const file = join(scratch, 'imported-tiny.gguf');
      writeFileSync(file, buildTinyGguf({ seed: 3, nLayer: 3, name: 'imported-tiny' }));

      await byTestId(page, 'import-open').click();
      await byTestId(page, 'import-path').fill(file);
      await byTestId(page, 'import-mode-reference').check();
      await byTestId(page, 'import-name').fill('Imported tiny');
      await byTestId(page, 'import-submit').click();
      await visible(byTestId(page, 'import-progress'));
      await visible(byTestId(page, 'import-done'), 45_000);

      const detail = byTestId(page, 'model-detail');
      await page.locator('[data-testid="model-name"]', { hasText: 'Imported tiny' }).waitFor({ timeout: WAIT_MS });
      const id = (await detail.getAttribute('data-model-id')) ?? '';
      assert.notEqual(id, modelId, 'the new model is selected');
      const row = await visible(byTestId(page, `model-row-${id}`));
      assert.equal(await row.getAttribute('aria-selected'), 'true');
      assert.equal(await byTestId(page, 'model-layers').innerText(), '3');
      assert.equal(await byTestId(page, 'model-path').innerText(), file, 'used in place');
      await byTestId(page, 'import-form').getByRole('button', { name: 'Close the import form' }).click();
    });

    test('HF cache: a model already in the Hugging Face cache is added in place', async () => {
      const entry = await visible(page.locator('[data-testid^="hf-cache-entry-"]', { hasText: CACHED_REPO }));
      await entry.getByRole('button', { name: 'Add' }).click();
      const row = await visible(page.locator('[data-testid^="model-row-"]', { hasText: 'cached-llama' }));
      await byTestId(page, 'hf-cache-empty').waitFor({ timeout: WAIT_MS });
      assert.equal(await row.getAttribute('data-params'), String(expectedShape({}).parameters));
      const cached = (await callApi(app.url, 'models.list', {}, 'GET')).body.result?.data as { name: string; source: string; managed: boolean; path: string }[];
      const model = cached.find((m) => m.name === 'cached-llama');
      assert.ok(model, 'the server lists it');
      assert.equal(model.source, 'hf-cache');
      assert.equal(model.managed, false);
      assert.ok(model.path.startsWith(join(scratch, 'hf-cache')), `used in place: ${model.path}`);
    });

    test('Delete: a managed model goes with its files; a model used in place leaves its files', async () => {
      const res = await callApi(app.url, 'models.get', { id: modelId }, 'GET');
      const path = (res.body.result?.data as { path: string }).path;
      assert.ok(existsSync(path), `the model file exists: ${path}`);

      await byTestId(page, `model-row-${modelId}`).click();
      await page.locator(`[data-testid="model-detail"][data-model-id="${modelId}"]`).waitFor({ timeout: WAIT_MS });
      await byTestId(page, 'model-delete').click();
      assert.match(await (await visible(byTestId(page, 'delete-what'))).innerText(), /will be deleted/);
      await byTestId(page, 'delete-cancel').click();
      await byTestId(page, 'delete-confirm').waitFor({ state: 'detached', timeout: WAIT_MS });
      assert.ok(existsSync(path), 'Cancel deletes nothing');

      await byTestId(page, 'model-delete').click();
      await byTestId(page, 'delete-submit').click();
      await byTestId(page, `model-row-${modelId}`).waitFor({ state: 'detached', timeout: WAIT_MS });
      assert.equal(await byTestId(page, 'model-detail').count(), 0, 'the detail closed');
      assert.ok(!existsSync(path), 'its file is gone');

      // Models used in place (imported by path, or from the HF cache) leave the library; their files stay.
      for (const name of ['Imported tiny', 'cached-llama']) {
        await (await visible(page.locator('[data-testid^="model-row-"]', { hasText: name }))).click();
        const kept = await byTestId(page, 'model-path').innerText();
        await byTestId(page, 'model-delete').click();
        assert.match(await (await visible(byTestId(page, 'delete-what'))).innerText(), /are kept/);
        await byTestId(page, 'delete-submit').click();
        await page.locator('[data-testid^="model-row-"]', { hasText: name }).waitFor({ state: 'detached', timeout: WAIT_MS });
        assert.ok(existsSync(kept), `${name} keeps its file: ${kept}`);
      }
      await visible(byTestId(page, 'models-empty'));
    });

    test('no console errors, page errors or CSP violations in the run', () => {
      problems.assertNone('the Library run');
    });
  });
