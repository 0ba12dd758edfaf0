import { join } from 'node:path';
import type { JobInput, JobResult } from '../../../../shared/jobs';
import type { LibraryModel } from '../../../../shared/models';
import { defaultCacheDir } from '../../config';
import { inspectModel } from '../../models/inspect';
import { MODEL_KIND, type ModelMeta } from '../../models/library';
import { hashFile, modelDigest, sizeOf } from '../../models/model-files';
import { findPythonEnv } from '../../toolchain/python-env';
import { runPythonJob } from '../../toolchain/python-job';
import type { JobOutput, WorkerContext } from '../../jobs/worker-protocol';
import { checkGgufLoads } from './model-checks';
import { throttle } from '../../util/throttle';
import { slugify } from './model-import';

/**
 * Hugging Face checkpoint -> GGUF with llama.cpp's converter, run in the Python toolchain as a JSON-lines job.
 * The GGUF is written into the staging folder, loaded by llama.cpp (vocabulary) and hashed before it is registered
 * as a child of the source model.
 */
export async function runModelConvert(
  ctx: WorkerContext,
  input: JobInput<'model.convert'>,
  resolved: { source: LibraryModel },
): Promise<JobOutput<JobResult<'model.convert'>>> {
  const src = resolved.source;
  if (src.format !== 'hf') throw new Error(`${src.name} is a ${src.format} model; only Hugging Face checkpoints convert to GGUF`);
  const env = await findPythonEnv(defaultCacheDir());
  if (!env) throw new Error('The Python toolchain is not installed: run `whittle toolchain install python` (or Install on the Hardware page)');
  const name = input.name ?? `${src.name} ${input.outtype.toUpperCase()}`;
  const file = `${slugify(name)}.gguf`;
  const out = join(ctx.stagingDir, file);
  const progress = throttle((f: number | null, m: string) => ctx.progress(f === null ? null : 0.9 * f, m), 250);
  const run = await runPythonJob(
    env.paths.python,
    'hf_to_gguf',
    ['--llama-scripts', env.paths.llamaScripts, '--model', src.path, '--out', out, '--outtype', input.outtype, '--name', src.name],
    {
      progress,
      log: ctx.log,
      metric: (m) => {
        if (typeof m.value === 'number') ctx.metric(m.name, m.value, { step: m.step ?? undefined, unit: m.unit ?? undefined });
      },
      signal: ctx.signal,
      guard: { models: [{ id: src.id, name: src.name, dir: src.path, consent: src.codeConsent ? { files: src.codeConsent.files } : null }] },
    },
  );
  ctx.progress(0.92, 'Inspecting the GGUF');
  const m = await inspectModel(out);
  await checkGgufLoads(ctx, m.entry, m.inspection);
  const sizeBytes = await sizeOf(out);
  const sha = await hashFile(out, () => undefined, ctx.signal);
  const files = [{ path: file, sha256: sha, sizeBytes }];
  const meta: ModelMeta = { format: 'gguf', source: 'job', sourceRef: `convert:${src.id}`, entry: null, inspection: m.inspection, files };
  return {
    result: { name, outtype: input.outtype, sizeBytes, tensors: typeof run.metrics.tensors?.value === 'number' ? run.metrics.tensors.value : null },
    artifacts: [
      {
        file,
        kind: MODEL_KIND,
        name,
        parents: [src.id],
        sha256: modelDigest(files),
        sizeBytes,
        meta: { ...meta, convertedFrom: src.id, outtype: input.outtype },
        tags: ['converted'],
      },
    ],
  };
}
