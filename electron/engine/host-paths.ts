import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkerEntry } from './jobs/runner';

export interface HostPaths {
  version: string;
  worker: WorkerEntry;
  rendererDir: string;
  preloadScript: string;
}

/**
 * Where the built pieces live relative to a built entry point in out/main (the CLI, the Electron main
 * process). Packaged apps keep the same layout inside app.asar.
 */
export function hostPaths(entryDir: string): HostPaths {
  const pkgFile = join(entryDir, '..', '..', 'package.json');
  const version = existsSync(pkgFile) ? (JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string }).version : '0.0.0';
  return {
    version,
    worker: { script: join(entryDir, 'job-worker.js'), execArgv: [] },
    rendererDir: join(entryDir, '..', 'renderer'),
    preloadScript: join(entryDir, '..', 'preload', 'index.js'),
  };
}
