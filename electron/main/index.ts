import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, shell } from 'electron';
import { createIPCHandler } from 'trpc-electron/main';
import { appRouter } from '../../shared/api/router';
import { startEngine, type Engine } from '../engine';
import { defaultDataDir, testJobsEnabled } from '../engine/config';
import { hostPaths } from '../engine/host-paths';
import { startHttpServer, type RunningServer } from '../engine/server/http-server';
import { fileSecretStore } from '../engine/hub/token-store';
import { keychainSecretStore } from './keychain-store';
import { hardenApp } from './security';

const paths = hostPaths(__dirname);
const devServerUrl = process.env.ELECTRON_RENDERER_URL;
const rendererIndex = join(paths.rendererDir, 'index.html');
const rendererOrigin = devServerUrl ? new URL(devServerUrl).origin : null;

function isOwnUrl(url: string): boolean {
  if (rendererOrigin) return url.startsWith(`${rendererOrigin}/`) || url === rendererOrigin;
  return url.split('#')[0] === pathToFileURL(rendererIndex).href;
}

let engine: Engine | null = null;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
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
  win.once('ready-to-show', () => win.show());
  if (devServerUrl) void win.loadURL(devServerUrl);
  else void win.loadFile(rendererIndex);
  return win;
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();
  hardenApp(isOwnUrl, { devServer: devServerUrl !== undefined && !app.isPackaged });
  // Job workers (Python scripts, prebuilt llama.cpp tools, uv) find the extra resources through this.
  if (app.isPackaged && !process.env.WHITTLE_RESOURCES) process.env.WHITTLE_RESOURCES = process.resourcesPath;
  try {
    const dataDir = defaultDataDir();
    engine = await startEngine({
      dataDir,
      host: 'electron',
      version: paths.version,
      worker: paths.worker,
      testJobs: testJobsEnabled(),
      secretStore: keychainSecretStore(dataDir, fileSecretStore(dataDir)),
      resumeInterrupted: true,
      reveal: async (path) => shell.showItemInFolder(path),
    });
  } catch (err) {
    dialog.showErrorBox('Whittle could not start', err instanceof Error ? err.message : String(err));
    app.exit(1);
    return;
  }
  const api = engine.api;
  // The OpenAI-compatible API: the app runs its own HTTP server on 127.0.0.1 when the user starts it (Chat → API server).
  let http: RunningServer | null = null;
  engine.server.current = {
    url: () => http?.url ?? null,
    async start() {
      http ??= await startHttpServer(api, { host: '127.0.0.1', port: 8741, rendererDir: null }).catch(() => startHttpServer(api, { host: '127.0.0.1', port: 0, rendererDir: null }));
    },
    async stop() {
      await http?.close();
      http = null;
    },
  };
  const win = createWindow();
  createIPCHandler({
    router: appRouter,
    windows: [win],
    // Every IPC request is checked to come from our own renderer; tRPC validates its payload against the schema.
    createContext: async ({ event }) => {
      const from = event.senderFrame?.url ?? '';
      if (!isOwnUrl(from)) throw new Error(`IPC from an unexpected frame: ${from}`);
      return { api };
    },
  });
  app.on('second-instance', () => {
    if (win.isMinimized()) win.restore();
    win.focus();
  });
}

app.on('window-all-closed', () => app.quit());
app.on('before-quit', (event) => {
  if (!engine) return;
  event.preventDefault();
  const closing = engine;
  engine = null;
  void closing.close().finally(() => app.quit());
});

void main();
