import { StartJobRequest } from '../../../../shared/jobs';
import type { JobOutput, WorkerContext } from '../worker-protocol';
import { runModelConvert } from './model-convert';
import { runModelDownload } from './model-download';
import { runModelImport } from './model-import';
import { runModelInspect } from './model-inspect';
import { runSystemReport } from './system-report';
import { runTestSleep } from './test-sleep';
import { runToolchainInstall } from './toolchain-install';

/** Runs one job inside the worker. The input was validated by the API; it is parsed again here because it crossed a process boundary. */
export async function runJobKind(ctx: WorkerContext, kind: string, input: unknown): Promise<JobOutput> {
  const req = StartJobRequest.parse({ kind, input });
  switch (req.kind) {
    case 'system-report':
      return runSystemReport(ctx);
    case 'test.sleep':
      return runTestSleep(ctx, req.input);
    case 'model.import':
      return runModelImport(ctx, req.input);
    case 'model.inspect':
      return runModelInspect(ctx, req.input);
    case 'model.download':
      return runModelDownload(ctx, req.input);
    case 'toolchain.install':
      return runToolchainInstall(ctx, req.input);
    case 'model.convert':
      return runModelConvert(ctx, req.input);
  }
}
