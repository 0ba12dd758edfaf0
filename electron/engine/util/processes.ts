import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Alive and not a zombie: a process whose parent died may linger unreaped (e.g. under a container's init) yet answer signal 0. */
export function isPidRunning(pid: number): boolean {
  if (!isPidAlive(pid)) return false;
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Kills a worker and everything it started. Workers lead their own process group on POSIX. */
export function killProcessTree(pid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (process.platform === 'win32') {
    spawnSync('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
    return;
  }
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Whether `pid` is still one of our job workers. Used before killing a worker left behind by an
 * engine that died, so a recycled pid never gets a signal. Only Linux can tell; elsewhere we assume no.
 */
export function isOurWorker(pid: number, jobId: string): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8');
    return env.split('\0').includes(`WHITTLE_JOB_ID=${jobId}`);
  } catch {
    return false;
  }
}
