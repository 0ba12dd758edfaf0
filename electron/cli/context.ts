import { defaultDataDir, testJobsEnabled } from '../engine/config';
import { hostPaths } from '../engine/host-paths';
import { startEngine, type Engine } from '../engine';

export const paths = hostPaths(__dirname);

export interface GlobalOptions {
  json?: boolean;
}

export function openEngine(host: 'cli' | 'server' = 'cli'): Promise<Engine> {
  // The server is long-lived, so it picks up downloads a crash or reboot interrupted; a CLI command only runs its own jobs.
  return startEngine({
    dataDir: defaultDataDir(),
    host,
    version: paths.version,
    worker: paths.worker,
    testJobs: testJobsEnabled(),
    resumeInterrupted: host === 'server',
  });
}

/** Runs a command body with an engine and always closes it, so the CLI never leaves jobs marked running. */
export async function withEngine<T>(fn: (engine: Engine) => T | Promise<T>): Promise<T> {
  const engine = await openEngine();
  const stop = (): void => void engine.close().then(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await fn(engine);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await engine.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
