import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { chromiumSkipReason, launchChromium } from '../helpers/browser';
import { byTestId, screenshot, visible, WAIT_MS } from '../helpers/page';
import { serveApp, type ServedApp } from '../helpers/server';

const skip = chromiumSkipReason();

describe('the API server panel on the Chat page', { skip }, () => {
  let app: ServedApp;
  let browser: Browser;
  before(async () => {
    app = await serveApp();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  test('shows the /v1 URL and a curl example, and Stop/Start switch the API off and on', async () => {
    const page = await browser.newPage();
    await page.goto(`${app.url}/#/chat`);
    await visible(byTestId(page, 'page-chat'));
    await byTestId(page, 'api-server-toggle').click();
    await visible(byTestId(page, 'api-server-panel'));
    await page.locator('[data-testid="api-server-state"]', { hasText: 'Running' }).waitFor({ timeout: WAIT_MS });
    assert.equal(await byTestId(page, 'api-server-url').textContent(), `${app.url}/v1`);
    assert.match((await byTestId(page, 'api-server-curl').textContent()) ?? '', new RegExp(`curl ${app.url.replace(/[.:/]/g, '\\$&')}/v1/chat/completions`));
    assert.equal((await fetch(`${app.url}/v1/models`)).status, 200);

    await byTestId(page, 'api-server-switch').click();
    await page.locator('[data-testid="api-server-state"]', { hasText: 'Stopped' }).waitFor({ timeout: WAIT_MS });
    const off = await fetch(`${app.url}/v1/models`);
    assert.equal(off.status, 503);
    assert.equal(((await off.json()) as { error: { code: string } }).error.code, 'api_disabled');
    await screenshot(page, 'api-server-stopped');

    await byTestId(page, 'api-server-switch').click();
    await page.locator('[data-testid="api-server-state"]', { hasText: 'Running' }).waitFor({ timeout: WAIT_MS });
    assert.equal((await fetch(`${app.url}/v1/models`)).status, 200);

    await byTestId(page, 'api-server-key').fill('k-123');
    await page.getByRole('button', { name: 'Set', exact: true }).click();
    await page.getByText('API key (set)').waitFor({ timeout: WAIT_MS });
    assert.equal((await fetch(`${app.url}/v1/models`)).status, 401);
    assert.equal((await fetch(`${app.url}/v1/models`, { headers: { Authorization: 'Bearer k-123' } })).status, 200);
    await page.close();
  });
});
