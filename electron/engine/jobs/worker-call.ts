/**
 * A short-lived worker process for one request (a memory-fit estimate): the same worker script as jobs, given a
 * `call` message instead of a `start`. No job record and no staging folder, but the same bounds as an inspect job:
 * a V8 heap limit, a deadline after which its process tree is killed, and a clear error when it dies.
 */
import { fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { killProcessTree } from '../util/processes';
import { describeWorkerDeath, isOutOfMemoryLine, workerExecArgv } from './worker-limits';
import type { CallMessage, WorkerMessage } from './worker-protocol';

export interface WorkerCallEntry {
  script: string;
  execArgv: string[];
}

export interface WorkerCallOptions {
  /** Short name for messages: "the memory-fit worker ran out of memory …". */
  label: string;
  /** The file it works on, named in errors. */
  subject?: string | null;
  heapLimitMb: number;
  timeoutMs: number;
}

/** Why a worker call failed: `code` is the worker's classification ('model-format'), or 'out-of-memory', 'timeout', 'died'. */
export class WorkerCallError extends Error {
  override name = 'WorkerCallError';

  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

const STDERR_TAIL = 20;

export function callWorker<T>(entry: WorkerCallEntry, fn: string, input: unknown, o: WorkerCallOptions): Promise<T> {
  // Like job workers, a call never sees the Hub token.
  const { HF_TOKEN: _t, HUGGING_FACE_HUB_TOKEN: _l, ...env } = process.env;
  if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
  const child = fork(entry.script, [], {
    execArgv: workerExecArgv(entry.execArgv, o.heapLimitMb),
    detached: process.platform !== 'win32',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env,
  });
  const tail: string[] = [];
  let outOfMemory = false;
  const onLine = (line: string): void => {
    if (isOutOfMemoryLine(line)) outOfMemory = true;
    tail.push(line);
    if (tail.length > STDERR_TAIL) tail.shift();
  };
  for (const stream of [child.stdout, child.stderr]) if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
  let reply: WorkerMessage | null = null;
  child.on('message', (m: WorkerMessage) => {
    if (m.type !== 'progress') reply = m;
  });

  return new Promise<T>((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) killProcessTree(child.pid, 'SIGKILL');
    }, o.timeoutMs);
    timer.unref();
    const on = o.subject ? ` on ${o.subject}` : '';
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void => {
      clearTimeout(timer);
      const r = reply as WorkerMessage | null;
      if (r?.type === 'done' && code === 0) return resolve(r.result as T);
      if (spawnError) return reject(new WorkerCallError(`could not start the ${o.label} worker: ${spawnError.message}`, 'died'));
      if (timedOut) return reject(new WorkerCallError(`the ${o.label} worker took longer than ${Math.round(o.timeoutMs / 1000)} s${on} and was stopped`, 'timeout'));
      if (r?.type === 'error') return reject(new WorkerCallError(r.message, r.code));
      const death = describeWorkerDeath({ label: o.label, subject: o.subject, heapLimitMb: o.heapLimitMb, outOfMemory, code, signal });
      reject(new WorkerCallError(outOfMemory ? death : `${death}\n${tail.join('\n')}`.trim(), outOfMemory ? 'out-of-memory' : 'died'));
    };
    child.once('error', (err) => finish(null, null, err));
    // 'close' waits for stdout/stderr to end, so the out-of-memory line has been seen.
    child.once('close', (code, signal) => finish(code, signal));
    const msg: CallMessage = { type: 'call', fn, input };
    child.send(msg, (err) => {
      if (err && child.pid !== undefined) killProcessTree(child.pid, 'SIGKILL');
    });
  });
}
