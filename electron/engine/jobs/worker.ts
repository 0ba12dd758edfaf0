/**
 * Entry point of a job worker process, forked by the supervisor with an IPC channel.
 * Receives one `start` message, runs the job, reports progress and the result, and exits.
 * If the engine goes away (even by kill -9) the channel closes and the worker takes its whole
 * process group down with it, so no tool keeps running unsupervised.
 */
import { ModelFormatError } from '../models/inspect/errors';
import { jobKindDef } from './registry';
import { runWorkerCall } from './worker-calls';
import type { CallMessage, JobOutput, StartMessage, WorkerContext, WorkerMessage } from './worker-protocol';

function send(msg: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(msg, undefined, undefined, () => resolve());
  });
}

function dieWithGroup(): never {
  if (process.platform !== 'win32') {
    try {
      process.kill(-process.pid, 'SIGKILL');
    } catch {
      // not a group leader: just exit
    }
  }
  process.exit(70);
}

process.on('disconnect', dieWithGroup);

// A stop (cancel/pause) arrives as SIGTERM: let the job save resumable state; the supervisor SIGKILLs after its grace period.
const stopping = new AbortController();
process.on('SIGTERM', () => {
  stopping.abort(new Error('stopped'));
  setTimeout(() => process.exit(143), 2000).unref();
});

const errorCode = (err: unknown): string | undefined => (err instanceof ModelFormatError ? 'model-format' : undefined);

/** The input is parsed again here because it crossed a process boundary. */
async function runJob(ctx: WorkerContext, msg: StartMessage): Promise<JobOutput> {
  const def = jobKindDef(msg.kind);
  if (!def) throw new Error(`This version of Whittle has no job kind ${msg.kind}`);
  const input = def.contract.input.parse(msg.input);
  const run = await def.run();
  return run(ctx, input, msg.resolved);
}

process.once('message', (raw: unknown) => {
  const call = raw as CallMessage;
  if (call?.type === 'call') {
    runWorkerCall(call.fn, call.input)
      .then(async (result) => {
        await send({ type: 'done', result, artifacts: [] });
        process.exit(0);
      })
      .catch(async (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        await send({ type: 'error', message: e.message, code: errorCode(err) });
        process.exit(1);
      });
    return;
  }
  const msg = raw as StartMessage;
  if (msg?.type !== 'start') {
    void send({ type: 'error', message: 'worker: first message was not a start message' }).then(() => process.exit(2));
    return;
  }
  const ctx: WorkerContext = {
    jobId: msg.jobId,
    stagingDir: msg.stagingDir,
    dataDir: msg.dataDir,
    progress: (fraction, message) => void send({ type: 'progress', fraction, message }),
    log: (line) => process.stdout.write(`${line}\n`),
    metric: (name, value, opts) => void send({ type: 'metric', name, value, step: opts?.step ?? null, unit: opts?.unit ?? null, at: Date.now() }),
    rows: (kind, records) => void send({ type: 'rows', kind, records }),
    signal: stopping.signal,
  };
  runJob(ctx, msg)
    .then(async (out) => {
      await send({ type: 'done', result: out.result, artifacts: out.artifacts ?? [] });
      process.exit(0);
    })
    .catch(async (err: unknown) => {
      if (stopping.signal.aborted) process.exit(143);
      const e = err instanceof Error ? err : new Error(String(err));
      process.stderr.write(`${e.stack ?? e.message}\n`);
      await send({ type: 'error', message: e.message, code: errorCode(err) });
      process.exit(1);
    });
});
