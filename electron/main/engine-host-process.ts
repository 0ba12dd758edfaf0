import { HostToShell, type HostStartConfig, type ShellToHost } from '../engine-host/protocol';
import type { ShellServices } from './shell-services';

export interface HostExit {
  code: number | null;
  signal: string | null;
  /** Why Electron says the process went (its `child-process-gone` reason), where known. */
  cause?: string;
}

/** A started engine host process: an Electron utility process in the app (utility-host.ts), a Node child in tests. */
export interface HostProcess {
  post(message: ShellToHost): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (exit: HostExit) => void): void;
  /** Ends it now (used when it does not stop or start in time). */
  kill(): void;
  /** The last lines it wrote to stdout and stderr, for the error shown when it dies. */
  output(): string;
}

export interface EngineStopped {
  /** The shell asked it to stop. */
  expected: boolean;
  /** One sentence for a person. */
  reason: string;
  output: string;
  exit: HostExit;
}

export interface RunningEngineHost {
  url: string;
  token: string;
  pid: number;
  /** Settles when the process ends, whatever the cause. */
  exited: Promise<EngineStopped>;
  /** Asks the host to shut down (its running jobs end as interrupted), killing it after `stopTimeoutMs`. */
  stop(): Promise<EngineStopped>;
}

export interface EngineHostOptions {
  launch(): HostProcess;
  config: HostStartConfig;
  services: ShellServices;
  /** Opening the store and recovering a crashed run's jobs can take a while on a slow disk. */
  readyTimeoutMs?: number;
  stopTimeoutMs?: number;
}

export class EngineHostError extends Error {
  constructor(readonly stopped: EngineStopped) {
    super(stopped.reason);
  }
}

/** Keeps the last lines a process printed. */
export class OutputTail {
  #lines: string[] = [];
  constructor(private readonly max = 40) {}
  push(chunk: Buffer | string): void {
    this.#lines.push(
      ...String(chunk)
        .split(/\r?\n/)
        .filter((l) => l.trim() !== ''),
    );
    if (this.#lines.length > this.max) this.#lines = this.#lines.slice(-this.max);
  }
  text(): string {
    return this.#lines.join('\n');
  }
}

const CAUSES: Record<string, string> = {
  killed: 'was killed',
  crashed: 'crashed',
  oom: 'ran out of memory',
  'launch-failed': 'could not be launched',
  'integrity-failure': 'failed a code integrity check',
};

function describeExit(exit: HostExit, failure: string | null, stopRequested: boolean): string {
  if (failure) return `The Whittle engine could not start: ${failure.replace(/\.$/, '')}.`;
  if (stopRequested && exit.code === 0) return 'The Whittle engine stopped.';
  const how = (exit.cause && CAUSES[exit.cause]) ?? (exit.signal ? 'was killed' : 'ended unexpectedly');
  return `The Whittle engine process ${how} (${exit.signal ?? `exit code ${exit.code ?? 'unknown'}`}).`;
}

/**
 * Starts the engine host, serves its requests to the shell (shell-services.ts) for as long as it runs, and
 * resolves once its app API is up. Rejects with an EngineHostError when it exits or times out first.
 */
export function startEngineHost(opts: EngineHostOptions): Promise<RunningEngineHost> {
  let child: HostProcess;
  try {
    child = opts.launch();
  } catch (err) {
    const reason = `The Whittle engine could not be launched: ${err instanceof Error ? err.message : String(err)}`;
    return Promise.reject(new EngineHostError({ expected: false, reason, output: '', exit: { code: null, signal: null } }));
  }
  let failure: string | null = null;
  let stopRequested = false;
  let gone = false;
  const post = (message: ShellToHost): void => {
    if (!gone) child.post(message);
  };
  const exited = new Promise<EngineStopped>((resolve) =>
    child.onExit((exit) => {
      gone = true;
      resolve({ expected: stopRequested, reason: describeExit(exit, failure, stopRequested), output: child.output(), exit });
    }),
  );
  const stop = async (): Promise<EngineStopped> => {
    if (!gone && !stopRequested) {
      stopRequested = true;
      post({ type: 'shutdown' });
      const timer = setTimeout(() => child.kill(), opts.stopTimeoutMs ?? 20_000);
      void exited.finally(() => clearTimeout(timer));
    }
    return exited;
  };

  return new Promise<RunningEngineHost>((resolve, reject) => {
    const readyMs = opts.readyTimeoutMs ?? 120_000;
    const timer = setTimeout(() => {
      failure = `it gave no sign of life within ${Math.round(readyMs / 1000)} s`;
      child.kill();
    }, readyMs);
    void exited.then((stopped) => {
      clearTimeout(timer);
      reject(new EngineHostError(stopped));
    });
    child.onMessage((raw) => {
      const parsed = HostToShell.safeParse(raw);
      if (!parsed.success) {
        const id = (raw as { type?: unknown; id?: unknown } | null)?.id;
        if ((raw as { type?: unknown } | null)?.type === 'request' && typeof id === 'number')
          post({ type: 'response', id, value: null, error: `Not a request the app serves: ${parsed.error.message}` });
        return;
      }
      const message = parsed.data;
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve({ url: message.url, token: message.token, pid: message.pid, exited, stop });
      } else if (message.type === 'failed') failure = message.message;
      else {
        opts.services(message.call).then(
          (value) => post({ type: 'response', id: message.id, value }),
          (err: unknown) => post({ type: 'response', id: message.id, value: null, error: err instanceof Error ? err.message : String(err) }),
        );
      }
    });
    post({ type: 'start', config: opts.config });
  });
}
