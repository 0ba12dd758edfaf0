import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface BuildHooks {
  progress(fraction: number | null, message: string): void;
  log(line: string): void;
  signal?: AbortSignal;
  jobs?: number;
}

/** Runs one build step, logging every line; a failure carries the step's last 15 lines. */
export function runStep(cmd: string, args: string[], cwd: string, hooks: BuildHooks, onLine?: (line: string) => void, env?: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    hooks.log(`$ ${cmd} ${args.join(' ')}`);
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], signal: hooks.signal, windowsHide: true });
    const tail: string[] = [];
    for (const s of [child.stdout, child.stderr]) {
      createInterface({ input: s }).on('line', (line) => {
        hooks.log(line);
        tail.push(line);
        if (tail.length > 15) tail.shift();
        onLine?.(line);
      });
    }
    child.once('error', (err) => reject(new Error(`${cmd} could not start: ${err.message}${(err as NodeJS.ErrnoException).code === 'ENOENT' ? ` (install ${cmd})` : ''}`)));
    child.once('close', (code, sig) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args[0] ?? ''} failed (${sig ?? `exit ${code}`}):\n${tail.join('\n')}`));
    });
  });
}

