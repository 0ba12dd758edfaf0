import { relative, sep } from 'node:path';
import type { JobInput, JobResult } from '../../../../shared/jobs';
import { inspectModel } from '../../models/inspect';
import { hashFile, modelDigest, sizeOf, type ModelFileDigest } from '../../models/model-files';
import { ByteMeter } from '../../models/progress-meter';
import type { JobOutput, WorkerContext } from '../../jobs/worker-protocol';
import { throttle } from '../../util/throttle';

/** Inspects a path out of process: a malformed file fails this job, never the app. */
export async function runModelInspect(ctx: WorkerContext, input: JobInput<'model.inspect'>): Promise<JobOutput<JobResult<'model.inspect'>>> {
  ctx.progress(null, 'Inspecting');
  const m = await inspectModel(input.path);
  ctx.log(`${m.entry}: ${m.inspection.format} ${m.inspection.architecture ?? ''} ${m.inspection.quantization ?? ''}`);
  let sha256: string | null = null;
  if (input.hash) {
    const sizes = await Promise.all(m.files.map(sizeOf));
    const meter = new ByteMeter(sizes.reduce((a, b) => a + b, 0));
    const report = throttle(() => ctx.progress(meter.fraction, meter.message('Hashing')));
    const digests: ModelFileDigest[] = [];
    for (const [i, f] of m.files.entries()) {
      const h = await hashFile(
        f,
        (n) => {
          meter.add(n);
          report();
        },
        ctx.signal,
      );
      digests.push({ path: relative(m.root, f).split(sep).join('/'), sha256: h, sizeBytes: sizes[i]! });
    }
    sha256 = modelDigest(digests);
  }
  return { result: { entry: m.entry, files: m.files, sha256, inspection: m.inspection } };
}
