import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { builtCli, tempHome } from './paths';

export interface ServedApp {
  url: string;
  home: string;
  /** The run's session token for the app API (/api), as `whittle serve --json` prints it. */
  token: string;
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
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const { url, token } = await new Promise<{ url: string; token: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`whittle serve did not start in 20 s: ${stderr}`)), 20_000);
    proc.once('exit', (code) => reject(new Error(`whittle serve exited with ${code}: ${stderr}`)));
    createInterface({ input: proc.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as { url: string; token: string });
    });
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  tokens.set(url, token);
  return {
    url,
    home,
    token,
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

/** Session tokens of the servers `serveApp` started, by URL, so `callApi` can authenticate as the CLI does. */
const tokens = new Map<string, string>();

/** The header that authenticates a request to the app API of the server at `url` (started by `serveApp`). */
export function apiAuth(url: string): Record<string, string> {
  const token = tokens.get(url);
  if (!token) throw new Error(`no session token known for ${url}: start it with serveApp()`);
  return { authorization: `Bearer ${token}` };
}

/** Calls a tRPC procedure over plain HTTP with the server's session token, as a local tool (the CLI) does. */
export async function callApi(
  url: string,
  path: string,
  input?: unknown,
  method: 'GET' | 'POST' = input === undefined ? 'GET' : 'POST',
): Promise<{ status: number; body: ApiBody }> {
  const target = method === 'GET' && input !== undefined ? `${url}/api/${path}?input=${encodeURIComponent(JSON.stringify(input))}` : `${url}/api/${path}`;
  const headers = apiAuth(url);
  const res = await fetch(
    target,
    method === 'POST' ? { method, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(input ?? {}) } : { headers },
  );
  return { status: res.status, body: (await res.json()) as ApiBody };
}
