import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, shell, type IpcMainEvent, type MessageBoxOptions } from 'electron';
import { ELECTRON_TRPC_CHANNEL } from 'trpc-electron/main';
import { defaultDataDir, testJobsEnabled } from '../engine/config';
import { hostPaths } from '../engine/host-paths';
import { fileSecretStore } from '../engine/hub/token-store';
import type { HostStartConfig } from '../engine-host/protocol';
import { EngineHostError, startEngineHost, type RunningEngineHost } from './engine-host-process';
import { EngineRelay } from './engine-relay';
import { keychainSecretStore } from './keychain-store';
import { hardenApp } from './security';
import { shellServices, type ShellServices } from './shell-services';
import { launchUtilityHost } from './utility-host';

const paths = hostPaths(__dirname);
const engineHostScript = join(__dirname, 'engine-host.js');
const devServerUrl = process.env.ELECTRON_RENDERER_URL;
const rendererIndex = join(paths.rendererDir, 'index.html');
const rendererOrigin = devServerUrl ? new URL(devServerUrl).origin : null;

function isOwnUrl(url: string): boolean {
  if (rendererOrigin) return url.startsWith(`${rendererOrigin}/`) || url === rendererOrigin;
  return url.split('#')[0] === pathToFileURL(rendererIndex).href;
}

/** The engine runs in a utility process (electron/engine-host); the window's tRPC calls reach it through this relay. */
const relay = new EngineRelay();
let engine: RunningEngineHost | null = null;
let booting: Promise<void> | null = null;
let win: BrowserWindow | null = null;
let quitting = false;
let readyToQuit = false;

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 560,
    show: false,
    title: 'Whittle',
    backgroundColor: '#16171a',
    webPreferences: {
      preload: paths.preloadScript,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  const id = window.webContents.id;
  // A new document starts its tRPC ids afresh: the old one's calls and subscriptions end with its connection.
  window.webContents.on('did-start-navigation', (details) => {
    if (details.isMainFrame && !details.isSameDocument) relay.forget(id);
  });
  window.webContents.on('render-process-gone', () => relay.forget(id));
  window.webContents.once('destroyed', () => relay.forget(id));
  window.once('ready-to-show', () => window.show());
  if (devServerUrl) void window.loadURL(devServerUrl);
  else void window.loadFile(rendererIndex);
  return window;
}

function onIpc(event: IpcMainEvent, message: unknown): void {
  const frame = event.senderFrame;
  // Only our own page's top frame may call the engine; the engine validates every payload against its schema.
  if (!frame || frame.parent !== null || !isOwnUrl(frame.url)) {
    console.warn(`Whittle: ignoring IPC from an unexpected frame: ${frame?.url ?? '(gone)'}`);
    return;
  }
  const sender = event.sender;
  relay.handle({ key: sender.id, send: (m) => void (!sender.isDestroyed() && sender.send(ELECTRON_TRPC_CHANNEL, m)) }, message);
}

function hostEnv(): Record<string, string> {
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  // Job workers (Python scripts, prebuilt llama.cpp tools, uv) find the extra resources through this.
  if (app.isPackaged && !env.WHITTLE_RESOURCES) env.WHITTLE_RESOURCES = process.resourcesPath;
  return env;
}

function bootEngine(config: HostStartConfig, services: ShellServices): Promise<void> {
  relay.starting();
  return (booting = startEngineHost({ launch: () => launchUtilityHost(engineHostScript, hostEnv()), config, services }).then(
    (running) => {
      engine = running;
      relay.connect(running);
      void running.exited.then((stopped) => {
        if (engine === running) engine = null;
        if (!stopped.expected) void engineDown(stopped.reason, stopped.output, config, services);
      });
    },
    (err: unknown) => {
      const stopped = err instanceof EngineHostError ? err.stopped : null;
      void engineDown(stopped?.reason ?? String(err), stopped?.output ?? '', config, services);
    },
  ));
}

/** The engine died or could not start: the window stays, the error is shown, and the user may restart it. */
async function engineDown(reason: string, output: string, config: HostStartConfig, services: ShellServices): Promise<void> {
  relay.disconnect(reason);
  if (quitting) return;
  console.error(`Whittle: ${reason}${output ? `\n${output}` : ''}`);
  const options: MessageBoxOptions = {
    type: 'error',
    title: 'Whittle',
    message: reason,
    detail: [
      'Jobs that were running are marked interrupted; downloads resume when the engine starts again.',
      output && `Last output:\n${output.split('\n').slice(-12).join('\n')}`,
    ]
      .filter(Boolean)
      .join('\n\n'),
    buttons: ['Restart the engine', 'Quit Whittle'],
    defaultId: 0,
    cancelId: 1,
    noLink: true,
  };
  const { response } = win && !win.isDestroyed() ? await dialog.showMessageBox(win, options) : await dialog.showMessageBox(options);
  if (quitting) return;
  if (response !== 0) {
    app.quit();
    return;
  }
  await bootEngine(config, services);
  // The page's subscriptions belonged to the engine that died: a fresh page subscribes to the new one.
  if (engine && win && !win.isDestroyed()) win.webContents.reload();
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();
  hardenApp(isOwnUrl, { devServer: devServerUrl !== undefined && !app.isPackaged });
  const dataDir = defaultDataDir();
  const config: HostStartConfig = {
    dataDir,
    version: paths.version,
    worker: paths.worker,
    testJobs: testJobsEnabled(),
    resumeInterrupted: true,
    apiPort: 8741,
  };
  const services = shellServices({
    // safeStorage is usable only once the app is ready.
    secrets: keychainSecretStore(dataDir, fileSecretStore(dataDir)),
    reveal: (path) => shell.showItemInFolder(path),
  });
  ipcMain.on(ELECTRON_TRPC_CHANNEL, onIpc);
  void bootEngine(config, services);
  win = createWindow();
  app.on('second-instance', () => {
    if (!win || win.isDestroyed()) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
}

app.on('window-all-closed', () => app.quit());
// Quitting waits for the engine to shut down, so its running jobs end as interrupted rather than orphaned.
app.on('before-quit', (event) => {
  if (readyToQuit) return;
  event.preventDefault();
  if (quitting) return;
  quitting = true;
  relay.close();
  void (async () => {
    await booting;
    await engine?.stop();
  })().finally(() => {
    readyToQuit = true;
    app.quit();
  });
});

void main();
