import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobInput, JobResult } from '../../../../shared/jobs';
import type { JobOutput, WorkerContext } from '../worker-protocol';

/**
 * Test-only: sleeps in steps, writing a partial output file as it goes, so tests can watch progress,
 * cancel mid-way and check that the partial file never reaches the library. Optionally reports metrics
 * at every step and rows at the first, for the typed-outputs tests.
 */
export async function runTestSleep(ctx: WorkerContext, input: JobInput<'test.sleep'>): Promise<JobOutput<JobResult<'test.sleep'>>> {
  const out = join(ctx.stagingDir, 'sleep-output.txt');
  const stepMs = (input.seconds * 1000) / input.steps;
  for (let i = 1; i <= input.steps; i++) {
    await sleep(stepMs);
    await appendFile(out, `step ${i}\n`);
    ctx.log(`step ${i}/${input.steps}`);
    if (i === 1 && input.rows)
      ctx.rows(
        'sample',
        Array.from({ length: input.rows }, (_, n) => ({ n, correct: n % 2 === 0 })),
      );
    if (input.metrics) {
      ctx.metric('loss', 1 / i, { step: i });
      ctx.metric('throughput', 10 * i, { step: i, unit: 'steps/s' });
    }
    if (input.failAt === i) throw new Error(`test.sleep was told to fail at step ${i}`);
    ctx.progress(i / input.steps, `Step ${i} of ${input.steps}`);
  }
  // The cast stands in for a worker bug: the supervisor must refuse a result its kind's schema does not allow.
  const result = input.badResult ? ({ steps: 'not a number' } as unknown as { steps: number }) : { steps: input.steps };
  return { result, artifacts: [{ file: 'sleep-output.txt', kind: 'test-output', name: 'sleep-output.txt' }] };
}
