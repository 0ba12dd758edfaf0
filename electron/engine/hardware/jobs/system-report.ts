import { join } from 'node:path';
import { collectSystemReport } from '../../hardware/collect-system-report';
import { writeFileAtomic } from '../../util/files';
import type { JobResult } from '../../../../shared/jobs';
import type { JobOutput, WorkerContext } from '../../jobs/worker-protocol';

export async function runSystemReport(ctx: WorkerContext): Promise<JobOutput<JobResult<'system-report'>>> {
  const report = await collectSystemReport((fraction, message) => {
    ctx.progress(fraction, message);
    ctx.log(message);
  });
  await writeFileAtomic(join(ctx.stagingDir, 'system-report.json'), JSON.stringify(report, null, 2));
  return {
    result: report,
    artifacts: [{ file: 'system-report.json', kind: 'system-report', name: `System report ${new Date(report.createdAt).toISOString()}` }],
  };
}
