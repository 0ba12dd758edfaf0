/**
 * A short-lived worker process for one request (a memory-fit estimate): the same worker script as jobs, given a
 * `call` message instead of a `start`. No job record and no staging folder, but the same bounds as an inspect job:
 * a V8 heap limit, a deadline after which its process tree is killed, and a clear error when it dies.
 */
import { startProcess } from '../process/supervisor';
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

export async function callWorker<T>(entry: WorkerCallEntry, fn: string, input: unknown, o: WorkerCallOptions): Promise<T> {
  // Like job workers, a call never sees the Hub token.
  const { HF_TOKEN: _t, HUGGING_FACE_HUB_TOKEN: _l, ...env } = process.env;
  const tail: string[] = [];
  let outOfMemory = false;
  let reply: WorkerMessage | null = null;
  const worker = startProcess<WorkerMessage>({
    script: entry.script,
    execArgv: workerExecArgv(entry.execArgv, o.heapLimitMb),
    env,
    ownGroup: true,
    timeoutMs: o.timeoutMs,
    graceMs: 0,
    onLine: (line) => {
      if (isOutOfMemoryLine(line)) outOfMemory = true;
      tail.push(line);
      if (tail.length > STDERR_TAIL) tail.shift();
    },
    onMessage: (m) => {
      if (m.type !== 'progress') reply = m;
    },
  });
  const msg: CallMessage = { type: 'call', fn, input };
  worker.send(msg, (err) => {
    if (err) worker.stop(0);
  });
  // `exited` comes after stdout and stderr ended (or a short wait), so the out-of-memory line has been seen.
  const { code, signal, spawnError, timedOut } = await worker.exited;
  const on = o.subject ? ` on ${o.subject}` : '';
  const r = reply as WorkerMessage | null;
  if (r?.type === 'done' && code === 0) return r.result as T;
  if (spawnError) throw new WorkerCallError(`could not start the ${o.label} worker: ${spawnError.message}`, 'died');
  if (timedOut) throw new WorkerCallError(`the ${o.label} worker took longer than ${Math.round(o.timeoutMs / 1000)} s${on} and was stopped`, 'timeout');
  if (r?.type === 'error') throw new WorkerCallError(r.message, r.code);
  const death = describeWorkerDeath({ label: o.label, subject: o.subject, heapLimitMb: o.heapLimitMb, outOfMemory, code, signal });
  throw new WorkerCallError(outOfMemory ? death : `${death}\n${tail.join('\n')}`.trim(), outOfMemory ? 'out-of-memory' : 'died');
}
