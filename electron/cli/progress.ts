import { SingleBar } from 'cli-progress';
import { isFinalJobState, type JobRecord } from '../../shared/jobs';
import type { Engine } from '../engine';

/** Waits for a job to end, drawing a progress bar on a terminal (nothing when --json or not a TTY). */
export async function waitForJob(engine: Engine, id: string, opts: { bar: boolean; title: string }): Promise<JobRecord> {
  const bar =
    opts.bar && process.stderr.isTTY
      ? new SingleBar(
          { format: `${opts.title} [{bar}] {percentage}% | {message}`, stream: process.stderr, hideCursor: true, clearOnComplete: false },
          undefined,
        )
      : null;
  bar?.start(100, 0, { message: 'Queued' });
  const abort = new AbortController();
  try {
    const current = engine.runner.get(id);
    if (isFinalJobState(current.state) || current.state === 'paused') return current;
    for await (const e of engine.bus.iterate(abort.signal)) {
      if (e.type !== 'job' || e.job.id !== id) continue;
      const f = e.job.progress.fraction;
      bar?.update(f === null ? 0 : Math.round(f * 100), { message: e.job.progress.message });
      if (isFinalJobState(e.job.state) || e.job.state === 'paused') return e.job;
    }
    return engine.runner.get(id);
  } finally {
    abort.abort();
    bar?.stop();
  }
}
