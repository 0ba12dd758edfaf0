import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { _electron as electron, type ElectronApplication, type Page } from 'playwright-core';
import { waitForAsync } from '../helpers/engine';
import { byTestId, visible, WAIT_MS } from '../helpers/page';
import { repoRoot, tempHome } from '../helpers/paths';

/** The Electron binary `npm install` downloads (it cannot be downloaded on every machine), as scripts/start.mjs finds it. */
function electronBinary(): string | null {
  const pkg = join(repoRoot, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

function electronSkipReason(): string | undefined {
  if (!electronBinary())
    return 'no Electron binary in node_modules/electron (its download failed or was skipped): the app is tested through `whittle serve` instead';
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return 'no display for Electron (run under xvfb-run)';
  if (!existsSync(join(repoRoot, 'out', 'main', 'engine-host.js'))) return 'the app is not built (npx electron-vite build)';
  return undefined;
}

/** The engine's utility process, as Electron lists it. */
async function enginePid(app: ElectronApplication): Promise<number | null> {
  const metrics = await app.evaluate(({ app: a }) => a.getAppMetrics().map((m) => ({ type: m.type, name: m.name ?? m.serviceName ?? '', pid: m.pid })));
  return metrics.find((m) => m.type === 'Utility' && m.name === 'Whittle Engine')?.pid ?? null;
}

const SUITE = 'the Electron app, with its engine in a utility process';
const noElectron = electronSkipReason();

// Without an Electron binary this reports one skipped test with the reason (a skipped suite counts as no tests at all).
if (noElectron) test(SUITE, { skip: noElectron }, () => {});
else
  describe(SUITE, () => {
    let app: ElectronApplication;
    let page: Page;
    const home = tempHome('electron');

    before(async () => {
      app = await electron.launch({ executablePath: electronBinary()!, args: [repoRoot], env: { ...process.env, WHITTLE_HOME: home, WHITTLE_TEST_JOBS: '1' } });
      page = await app.firstWindow();
      await visible(byTestId(page, 'page-library'));
    });

    after(async () => {
      await app?.close();
      rmSync(home, { recursive: true, force: true });
    });

    test('the window reaches the engine through the preload bridge', async () => {
      await page.locator('[data-testid="connection-status"][data-status="connected"]').waitFor({ timeout: WAIT_MS });
      assert.match(await (await visible(byTestId(page, 'app-version'))).innerText(), /^v\d+\.\d+\.\d+/);
      assert.equal(await byTestId(page, 'app-data-dir').innerText(), home);
    });

    test('the engine runs in its own process, and the page has no way to the session token', async () => {
      const pid = await enginePid(app);
      assert.ok(pid, 'a utility process named Whittle Engine');
      const mainPid = await app.evaluate(() => process.pid);
      assert.notEqual(pid, mainPid);
      // The bridge is two functions over one IPC channel; the token lives in the main process only.
      const seen = await page.evaluate(() => {
        const g = globalThis as unknown as { electronTRPC?: object; document: { cookie: string } };
        return { bridge: Object.keys(g.electronTRPC ?? {}).sort(), cookie: g.document.cookie };
      });
      assert.deepEqual(seen, { bridge: ['onMessage', 'sendMessage'], cookie: '' });
    });

    test('killing the engine leaves the window up, and a restart brings the page back', async () => {
      const first = await enginePid(app);
      assert.ok(first);
      // Answer the crash dialog with "Restart the engine".
      await app.evaluate(({ dialog }) => {
        dialog.showMessageBox = () => Promise.resolve({ response: 0, checkboxChecked: false });
      });
      process.kill(first, 'SIGKILL');
      const second = await waitForAsync(
        'a new engine process',
        async () => {
          const pid = await enginePid(app);
          return pid !== null && pid !== first ? pid : null;
        },
        60_000,
      );
      assert.ok(second);
      assert.equal(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length), 1);
      await page.locator('[data-testid="connection-status"][data-status="connected"]').waitFor({ timeout: WAIT_MS });
      assert.equal(await byTestId(page, 'app-data-dir').innerText(), home);
    });
  });
