import { InvalidArgumentError, type Command } from 'commander';
import { startHttpServer } from '../../engine/server/http-server';
import { isLoopbackHost } from '../../engine/server/host-check';
import { normalizeOrigin, removeServeToken, writeServeToken } from '../../engine/server/session-auth';
import { openEngine, paths } from '../context';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the app to a browser and the API to clients (binds 127.0.0.1 unless told otherwise)')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port to bind (0 picks a free one)', (v) => Number.parseInt(v, 10), 8741)
    .option(
      '--allow-origin <origin>',
      'another origin whose pages may call the app API (repeatable; they still need the session token)',
      (v: string, all: string[]) => {
        try {
          return [...all, normalizeOrigin(v)];
        } catch (err) {
          throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
        }
      },
      [] as string[],
    )
    .option('--open', 'open the app in the default browser')
    .option('--json', 'print one JSON line with the URL instead of text')
    .action(async (opts: { host: string; port: number; allowOrigin: string[]; open?: boolean; json?: boolean }) => {
      const engine = await openEngine('server');
      const server = await startHttpServer(engine.api, { host: opts.host, port: opts.port, rendererDir: paths.rendererDir, allowedOrigins: opts.allowOrigin });
      // Local tools of this user (`whittle models load`) read the app API's session token from a 0600 file in the data dir.
      writeServeToken(engine.config.dataDir, server.token);
      // Opening this link gives a browser the token (as Jupyter's); on loopback the app hands it to the page by itself.
      const appLink = `${server.url}/?token=${server.token}`;
      // The UI is served by this same server, so stopping the API only turns /v1 off (the setting).
      engine.server.current = { url: () => server.url, start: () => Promise.resolve(), stop: () => Promise.resolve() };
      // `whittle models load|unload` find the server through this.
      engine.settings.set('serve.running', { url: server.url, pid: process.pid });
      if (opts.json) process.stdout.write(`${JSON.stringify({ url: server.url, dataDir: engine.config.dataDir, pid: process.pid, token: server.token })}\n`);
      else {
        process.stdout.write(`Listening on ${server.url}\n`);
        if (!isLoopbackHost(opts.host)) process.stdout.write(`Open the app with its session token: ${appLink}\n`);
      }
      if (opts.open) {
        const { default: open } = await import('open');
        await open(appLink).catch((err: unknown) => process.stderr.write(`Could not open a browser (${String(err)}); visit ${appLink}\n`));
      }
      let stopping = false;
      const stop = async (): Promise<void> => {
        if (stopping) return;
        stopping = true;
        if (engine.settings.get<{ pid: number }>('serve.running')?.pid === process.pid) engine.settings.set('serve.running', null);
        removeServeToken(engine.config.dataDir, server.token);
        await server.close();
        await engine.close();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop());
      process.on('SIGTERM', () => void stop());
    });
}
