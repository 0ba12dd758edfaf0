/**
 * Every child process the engine starts goes through here: job workers, worker calls and model hosts (Node
 * scripts forked with an IPC channel) and tools (llama.cpp, Python jobs, build steps). One place decides how a child
 * starts, how its output becomes lines, and how it stops: SIGTERM, then SIGKILL after a grace period, to its whole
 * process group when it leads one.
 */
import { fork, spawn, type ChildProcess, type Serializable } from 'node:child_process';
import { killProcessTree } from '../util/processes';
import { LineSplitter } from './line-splitter';

export type OutputStream = 'stdout' | 'stderr';

interface CommonOptions {
  args?: readonly string[];
  cwd?: string;
  /** The whole environment of the child; the engine's own when unset. */
  env?: NodeJS.ProcessEnv;
  /**
   * Lead a new process group (POSIX), so a stop reaches everything the child started. Only for children that die
   * with their parent on their own (an IPC worker exits when its channel closes). Tools stay in their parent's
   * group: that is how a stopped worker, or one whose engine died, takes its tools down with it.
   */
  ownGroup?: boolean;
  /** Each line of stdout and stderr, `\r` and `\r\n` ending lines as `\n` does. */
  onLine?: (line: string, stream: OutputStream) => void;
  /** Raw text as it arrives (before `onLine` sees its lines), for output without line ends. */
  onText?: (text: string, stream: OutputStream) => void;
  /** Aborting stops the child; aborted before the start, it never starts. */
  signal?: AbortSignal;
  /** Between SIGTERM and SIGKILL when stopping; 0 kills at once. 3000 by default. */
  graceMs?: number;
  /** Wall-clock limit: then `onTimeout` runs and the child is stopped. */
  timeoutMs?: number;
  onTimeout?: () => void;
  /**
   * How long to wait after the exit for stdout and stderr to end. The last output (V8's out-of-memory report, a
   * tool's final result) arrives by then; a grandchild still holding the pipe is not waited for. 1000 by default.
   */
  drainMs?: number;
}

/** A program run with pipes for stdout and stderr. */
export interface SpawnOptions extends CommonOptions {
  command: string;
}

/** A Node script forked with an IPC channel. */
export interface ForkOptions<In> extends CommonOptions {
  script: string;
  /** Node's flags (a loader, a heap limit); this process's own when unset. */
  execArgv?: readonly string[];
  onMessage?: (message: In) => void;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** It could not start (no such program, no permission): it never ran. */
  spawnError: Error | null;
  /** Stopped because `signal` aborted, or never started because it was aborted already. */
  aborted: boolean;
  timedOut: boolean;
}

export interface SupervisedProcess {
  /** Unset when it never started. */
  readonly pid: number | undefined;
  /** Resolves once it exited and its output was read (never rejects). */
  readonly exited: Promise<ProcessExit>;
  readonly running: boolean;
  /** Sends over the IPC channel; false (and `onSent` gets an error) when there is none. */
  send: (message: Serializable, onSent?: (err: Error | null) => void) => boolean;
  /** SIGTERM now, SIGKILL after `graceMs` (the start option's by default). While a stop is under way only 0 (kill now) changes anything; after the exit, nothing does. */
  stop: (graceMs?: number) => void;
}

const DEFAULT_GRACE_MS = 3000;
const DEFAULT_DRAIN_MS = 1000;
const POSIX = process.platform !== 'win32';

export function startProcess(o: SpawnOptions): SupervisedProcess;
export function startProcess<In = unknown>(o: ForkOptions<In>): SupervisedProcess;
export function startProcess<In>(o: SpawnOptions | ForkOptions<In>): SupervisedProcess {
  const notStarted = (spawnError: Error | null): SupervisedProcess => ({
    pid: undefined,
    exited: Promise.resolve({ code: null, signal: null, spawnError, aborted: spawnError === null, timedOut: false }),
    running: false,
    send: (_m, onSent) => {
      onSent?.(new Error('the process is not running'));
      return false;
    },
    stop: () => undefined,
  });
  if (o.signal?.aborted) return notStarted(null);

  const ownGroup = !!o.ownGroup;
  let child: ChildProcess;
  try {
    child =
      'script' in o
        ? forkScript(o, ownGroup)
        : spawn(o.command, o.args ?? [], { cwd: o.cwd, env: o.env, detached: ownGroup && POSIX, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  } catch (err) {
    // Invalid arguments throw; a missing program is reported by the 'error' event below.
    return notStarted(err instanceof Error ? err : new Error(String(err)));
  }

  let exitSeen = false;
  let stopping = false;
  let timedOut = false;
  let aborted = false;
  let settled = false;
  let delivering = true;
  let hardKill: NodeJS.Timeout | undefined;
  let resolveExit!: (e: ProcessExit) => void;
  const exited = new Promise<ProcessExit>((r) => (resolveExit = r));

  const signalTree = (sig: NodeJS.Signals): void => {
    const pid = child.pid;
    if (pid === undefined) return;
    if (ownGroup && POSIX) {
      // Also after the leader exited (a SIGKILL due after the grace): a group id is not reused while the group has members.
      try {
        return void process.kill(-pid, sig);
      } catch {
        // no such group (any more)
      }
    }
    if (exitSeen) return;
    if (ownGroup) killProcessTree(pid, sig);
    else child.kill(sig);
  };

  const stop = (graceMs = o.graceMs ?? DEFAULT_GRACE_MS): void => {
    if (exitSeen || child.pid === undefined) return;
    if (graceMs <= 0) {
      stopping = true;
      clearTimeout(hardKill);
      return signalTree('SIGKILL');
    }
    if (stopping) return;
    stopping = true;
    signalTree('SIGTERM');
    hardKill = setTimeout(() => signalTree('SIGKILL'), graceMs);
    hardKill.unref();
  };

  const onAbort = (): void => {
    if (exitSeen) return;
    aborted = true;
    stop();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });

  const deadline =
    o.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          if (exitSeen || stopping) return;
          timedOut = true;
          o.onTimeout?.();
          stop();
        }, o.timeoutMs);
  deadline?.unref();

  const ended: Promise<void>[] = [];
  const flushers: (() => void)[] = [];
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = child[name];
    if (!stream) continue;
    const splitter = new LineSplitter();
    const flush = (): void => {
      if (!delivering) return;
      for (const line of splitter.end()) o.onLine?.(line, name);
    };
    flushers.push(flush);
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => {
      if (!delivering) return;
      o.onText?.(text, name);
      for (const line of splitter.push(text)) o.onLine?.(line, name);
    });
    stream.on('error', () => undefined);
    ended.push(
      new Promise<void>((r) => {
        const done = (): void => {
          flush();
          r();
        };
        stream.once('end', done);
        stream.once('close', done);
      }),
    );
  }
  if ('script' in o) {
    const onMessage = o.onMessage;
    if (onMessage) child.on('message', (m) => delivering && onMessage(m as In));
    if (child.connected) ended.push(new Promise<void>((r) => child.once('disconnect', () => r())));
  }

  const settle = (e: Omit<ProcessExit, 'aborted' | 'timedOut'>): void => {
    if (settled) return;
    settled = true;
    o.signal?.removeEventListener('abort', onAbort);
    clearTimeout(deadline);
    if (!(ownGroup && POSIX)) clearTimeout(hardKill);
    for (const flush of flushers) flush();
    // Nothing is reported after `exited`; pipes a grandchild still holds are let go.
    delivering = false;
    child.stdout?.destroy();
    child.stderr?.destroy();
    resolveExit({ ...e, aborted, timedOut });
  };

  // After a start failure Node emits 'error' with no pid; later errors (a failed send, kill) change nothing here.
  child.on('error', (err) => {
    if (child.pid === undefined) settle({ code: null, signal: null, spawnError: err });
  });
  child.once('exit', (code, signal) => {
    exitSeen = true;
    let cap: NodeJS.Timeout | undefined;
    const drained = new Promise<void>((r) => (cap = setTimeout(r, o.drainMs ?? DEFAULT_DRAIN_MS)));
    void Promise.race([Promise.all(ended), drained]).then(() => {
      clearTimeout(cap);
      settle({ code, signal, spawnError: null });
    });
  });

  return {
    get pid() {
      return child.pid;
    },
    exited,
    get running() {
      return child.pid !== undefined && !exitSeen;
    },
    send(message, onSent) {
      if (!child.connected) {
        onSent?.(new Error('the process has no open IPC channel'));
        return false;
      }
      return child.send(message, (err) => onSent?.(err));
    },
    stop,
  };
}

function forkScript<In>(o: ForkOptions<In>, ownGroup: boolean): ChildProcess {
  // Under Electron, process.execPath is the Electron binary; this makes it run as plain Node.
  const env = process.versions.electron ? { ...(o.env ?? process.env), ELECTRON_RUN_AS_NODE: '1' } : o.env;
  return fork(o.script, [...(o.args ?? [])], {
    cwd: o.cwd,
    env,
    execArgv: o.execArgv ? [...o.execArgv] : undefined,
    detached: ownGroup && POSIX,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
}
