import type { EngineApi } from '../../shared/api/engine-api';
import type { ServerControl } from '../engine/api/engine-api';
import { startEngine, type Engine } from '../engine';
import { startHttpServer, type RunningServer } from '../engine/server/http-server';
import type { ParentChannel } from './parent-channel';
import { ShellToHost, type HostStartConfig } from './protocol';
import { ShellClient, shellSecretStore } from './shell-client';

/** The OpenAI-compatible API the user switches on in Chat → API server: its own server, on `port` or a free one. */
function openAiServer(api: EngineApi, port: number): ServerControl & { close(): Promise<void> } {
  let http: RunningServer | null = null;
  return {
    url: () => http?.url ?? null,
    async start() {
      http ??= await startHttpServer(api, { host: '127.0.0.1', port, rendererDir: null }).catch(() =>
        startHttpServer(api, { host: '127.0.0.1', port: 0, rendererDir: null }),
      );
    },
    async stop() {
      await http?.close();
      http = null;
    },
    close() {
      return this.stop();
    },
  };
}

/**
 * The engine host: what `whittle serve` runs (the engine, and the app API on 127.0.0.1 behind a per-run
 * session token), started by the Electron shell, which gets the URL and token in `ready` and relays its
 * window's tRPC calls there. Things only the shell can do (keychain, reveal) are requests to it.
 */
export function runEngineHost(parent: ParentChannel, exit: (code: number) => void = (code) => process.exit(code)): void {
  const shell = new ShellClient(parent);
  let engine: Engine | null = null;
  let server: RunningServer | null = null;
  let openAi: ReturnType<typeof openAiServer> | null = null;
  let started = false;
  let stopping: Promise<void> | null = null;

  // Closing the engine stops its job workers and model hosts and closes the store before the process exits.
  const stop = (code: number): Promise<void> =>
    (stopping ??= (async () => {
      try {
        await server?.close();
        await openAi?.close();
        await engine?.close();
      } catch (err) {
        process.stderr.write(`Whittle engine: error while stopping: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        code = code || 1;
      }
      exit(code);
    })());

  const start = async (config: HostStartConfig): Promise<void> => {
    try {
      const secretStore = await shellSecretStore(shell);
      engine = await startEngine({
        dataDir: config.dataDir,
        host: 'electron',
        version: config.version,
        worker: config.worker,
        modelHost: config.modelHost,
        testJobs: config.testJobs,
        resumeInterrupted: config.resumeInterrupted,
        secretStore,
        reveal: async (path) => void (await shell.call({ method: 'reveal', path })),
      });
      openAi = openAiServer(engine.api, config.apiPort);
      engine.server.current = openAi;
      server = await startHttpServer(engine.api, { host: '127.0.0.1', port: 0, rendererDir: null });
      if (stopping) return;
      parent.post({ type: 'ready', url: server.url, token: server.token, pid: process.pid });
    } catch (err) {
      parent.post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
      await stop(1);
    }
  };

  parent.onMessage((raw) => {
    const parsed = ShellToHost.safeParse(raw);
    if (!parsed.success) {
      process.stderr.write(`Whittle engine: ignoring a malformed message from the app: ${parsed.error.message}\n`);
      return;
    }
    const message = parsed.data;
    if (message.type === 'start' && !started) {
      started = true;
      void start(message.config);
    } else if (message.type === 'response') shell.settle(message.id, message.value, message.error);
    else if (message.type === 'shutdown') void stop(0);
  });
  parent.onDisconnect(() => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  process.once('SIGINT', () => void stop(0));
}
