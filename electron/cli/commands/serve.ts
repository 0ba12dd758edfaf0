import type { Command } from 'commander';
import { startHttpServer } from '../../engine/server/http-server';
import { openEngine, paths } from '../context';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the app to a browser and the API to clients (binds 127.0.0.1 unless told otherwise)')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port to bind (0 picks a free one)', (v) => Number.parseInt(v, 10), 8741)
    .option('--open', 'open the app in the default browser')
    .option('--json', 'print one JSON line with the URL instead of text')
    .action(async (opts: { host: string; port: number; open?: boolean; json?: boolean }) => {
      const engine = await openEngine('server');
      const server = await startHttpServer(engine.api, { host: opts.host, port: opts.port, rendererDir: paths.rendererDir });
      // The UI is served by this same server, so stopping the API only turns /v1 off (the setting).
      engine.server.current = { url: () => server.url, start: async () => undefined, stop: async () => undefined };
      // `whittle models load|unload` find the server through this.
      engine.settings.set('serve.running', { url: server.url, pid: process.pid });
      if (opts.json) process.stdout.write(`${JSON.stringify({ url: server.url, dataDir: engine.config.dataDir, pid: process.pid })}\n`);
      else process.stdout.write(`Listening on ${server.url}\n`);
      if (opts.open) {
        const { default: open } = await import('open');
        await open(server.url).catch((err: unknown) => process.stderr.write(`Could not open a browser (${String(err)}); visit ${server.url}\n`));
      }
      let stopping = false;
      const stop = async (): Promise<void> => {
        if (stopping) return;
        stopping = true;
        if (engine.settings.get<{ pid: number }>('serve.running')?.pid === process.pid) engine.settings.set('serve.running', null);
        await server.close();
        await engine.close();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop());
      process.on('SIGTERM', () => void stop());
    });
}
