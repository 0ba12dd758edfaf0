import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEngine, type Engine } from '../../electron/engine';
import { isFinalJobState, type JobRecord } from '../../shared/jobs';
import { repoRoot, tempHome } from './paths';

/** An engine started from source, with workers run through tsx, in a throwaway data dir. */
export async function startTestEngine(opts: { home?: string; pollMs?: number } = {}): Promise<Engine & { home: string; dispose(): Promise<void> }> {
  const home = opts.home ?? tempHome('engine');
  const engine = await startEngine({
    dataDir: home,
    host: 'cli',
    version: '0.0.0-test',
    worker: { script: join(repoRoot, 'electron', 'engine', 'jobs', 'worker.ts'), execArgv: ['--import', 'tsx'] },
    modelHost: { script: join(repoRoot, 'electron', 'engine', 'inference', 'model-host.ts'), execArgv: ['--import', 'tsx'] },
    testJobs: true,
    pollMs: opts.pollMs ?? 200,
  });
  return Object.assign(engine, {
    home,
    async dispose() {
      await engine.close();
      if (!opts.home) rmSync(home, { recursive: true, force: true });
    },
  });
}

export async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export function waitForState(engine: Engine, id: string, states: JobRecord['state'][], timeoutMs = 30_000): Promise<JobRecord> {
  return waitFor(
    `job ${id} to be ${states.join('/')}`,
    () => {
      const j = engine.jobs.get(id);
      return j && states.includes(j.state) ? j : null;
    },
    timeoutMs,
  );
}

export function waitForFinal(engine: Engine, id: string, timeoutMs = 60_000): Promise<JobRecord> {
  return waitFor(
    `job ${id} to finish`,
    () => {
      const j = engine.jobs.get(id);
      return j && isFinalJobState(j.state) ? j : null;
    },
    timeoutMs,
  );
}

export async function waitForAsync<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}
