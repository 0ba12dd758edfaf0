import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { builtCli, tempHome } from './paths';

export interface ServedApp {
  url: string;
  home: string;
  proc: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs the built `whittle serve --json` as a user would, with test jobs on and a throwaway data dir. */
export async function serveApp(opts: { home?: string; args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<ServedApp> {
  const home = opts.home ?? tempHome('serve');
  const proc = spawn(process.execPath, [builtCli, 'serve', '--port', '0', '--json', ...(opts.args ?? [])], {
    env: { ...process.env, WHITTLE_HOME: home, WHITTLE_TEST_JOBS: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`whittle serve did not start in 20 s: ${stderr}`)), 20_000);
    proc.once('exit', (code) => reject(new Error(`whittle serve exited with ${code}: ${stderr}`)));
    createInterface({ input: proc.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    });
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    url,
    home,
    proc,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}

export interface ApiBody {
  result?: { data: unknown };
  error?: { message: string; code: number; data?: { code?: string; httpStatus?: number; issues?: { path: string; message: string }[] | null } };
}

/** Calls a tRPC procedure over plain HTTP, as any client could. */
export async function callApi(url: string, path: string, input?: unknown, method: 'GET' | 'POST' = input === undefined ? 'GET' : 'POST'): Promise<{ status: number; body: ApiBody }> {
  const target = method === 'GET' && input !== undefined ? `${url}/api/${path}?input=${encodeURIComponent(JSON.stringify(input))}` : `${url}/api/${path}`;
  const res = await fetch(target, method === 'POST' ? { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(input ?? {}) } : {});
  return { status: res.status, body: (await res.json()) as ApiBody };
}
