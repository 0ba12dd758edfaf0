import { z } from 'zod';
import { jobKind } from './job-kind';

export const TestSleepInput = z
  .object({
    seconds: z.number().positive().max(3600),
    steps: z.number().int().min(1).max(10_000).default(10),
    heavy: z.boolean().default(true),
    failAt: z.number().int().min(1).optional(),
    /** Reports `loss` and `throughput` metrics at every step. */
    metrics: z.boolean().optional(),
    /** Sends this many `sample` rows at the first step (committed only if the job succeeds). */
    rows: z.number().int().min(0).max(100_000).optional(),
    /** Declares this much memory needed on its device (the device ledger). */
    needsBytes: z.number().int().min(0).optional(),
    /** Returns a result that does not match the kind's result schema (the supervisor must fail the job). */
    badResult: z.boolean().optional(),
  })
  .strict();

export const testSleepJob = jobKind({
  kind: 'test.sleep',
  title: 'Test: sleep',
  input: TestSleepInput,
  result: z.object({ steps: z.number().int() }),
  produces: ['test-output'],
  testOnly: true,
});
