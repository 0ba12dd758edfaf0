import { startProcess } from '../process/supervisor';
import { abortReason } from '../util/abort-reason';

export interface BuildHooks {
  progress: (fraction: number | null, message: string) => void;
  log: (line: string) => void;
  signal?: AbortSignal;
  jobs?: number;
}

/** Runs one build step, logging every line; a failure carries the step's last 15 lines. */
export async function runStep(
  cmd: string,
  args: string[],
  cwd: string,
  hooks: BuildHooks,
  onLine?: (line: string) => void,
  env?: NodeJS.ProcessEnv,
): Promise<void> {
  hooks.log(`$ ${cmd} ${args.join(' ')}`);
  const tail: string[] = [];
  const step = startProcess({
    command: cmd,
    args,
    cwd,
    env: env ?? process.env,
    signal: hooks.signal,
    onLine: (line) => {
      hooks.log(line);
      tail.push(line);
      if (tail.length > 15) tail.shift();
      onLine?.(line);
    },
  });
  const { code, signal: sig, spawnError } = await step.exited;
  if (hooks.signal?.aborted) throw abortReason(hooks.signal);
  if (spawnError)
    throw new Error(`${cmd} could not start: ${spawnError.message}${(spawnError as NodeJS.ErrnoException).code === 'ENOENT' ? ` (install ${cmd})` : ''}`);
  if (code !== 0) throw new Error(`${cmd} ${args[0] ?? ''} failed (${sig ?? `exit ${code}`}):\n${tail.join('\n')}`);
}
