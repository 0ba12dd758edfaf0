import type { JobInput } from '../../../../shared/jobs';
import { defaultCacheDir } from '../../config';
import { buildLlamaTools } from '../../toolchain/llama-build';
import type { JobOutput, WorkerContext } from '../worker-protocol';
import { throttle } from './model-checks';

/** Builds a toolchain into the shared cache (not the library: toolchains are not artifacts of a data dir). */
export async function runToolchainInstall(ctx: WorkerContext, input: JobInput<'toolchain.install'>): Promise<JobOutput> {
  const progress = throttle((f: number | null, m: string) => ctx.progress(f, m), 500);
  const built = await buildLlamaTools(defaultCacheDir(), input.backend, { progress, log: ctx.log, signal: ctx.signal });
  ctx.log(built.reused ? `already built: ${built.dir}` : `built ${built.manifest.tools.join(', ')} in ${built.manifest.buildSeconds} s into ${built.dir}`);
  return { result: { component: input.component, dir: built.dir, reused: built.reused, ...built.manifest } };
}
