import type { JobInput, JobResult } from '../../../../shared/jobs';
import { defaultCacheDir } from '../../config';
import { buildLlamaTools } from '../../toolchain/llama-build';
import { installPythonEnv } from '../../toolchain/python-install';
import type { JobOutput, WorkerContext } from '../../jobs/worker-protocol';
import { throttle } from '../../util/throttle';

/** Builds a toolchain into the shared cache (not the library: toolchains are not artifacts of a data dir). */
export async function runToolchainInstall(ctx: WorkerContext, input: JobInput<'toolchain.install'>): Promise<JobOutput<JobResult<'toolchain.install'>>> {
  const progress = throttle((f: number | null, m: string) => ctx.progress(f, m), 500);
  const hooks = { progress, log: ctx.log, signal: ctx.signal };
  if (input.component === 'python') {
    const env = await installPythonEnv(defaultCacheDir(), { repair: input.repair, fixtures: input.fixtures }, hooks);
    ctx.log(
      env.reused ? `already installed: ${env.paths.root}` : `Python ${env.manifest.python} toolchain in ${env.paths.root} (${env.manifest.buildSeconds} s)`,
    );
    return { result: { component: 'python', dir: env.paths.root, pythonPath: env.paths.python, reused: env.reused, repaired: env.repaired, ...env.manifest } };
  }
  const built = await buildLlamaTools(defaultCacheDir(), input.backend, hooks);
  ctx.log(built.reused ? `already built: ${built.dir}` : `built ${built.manifest.tools.join(', ')} in ${built.manifest.buildSeconds} s into ${built.dir}`);
  return { result: { component: input.component, dir: built.dir, reused: built.reused, ...built.manifest } };
}
