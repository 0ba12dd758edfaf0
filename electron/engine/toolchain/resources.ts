import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The app's `resources/` folder: WHITTLE_RESOURCES (set by the Electron shell to process.resourcesPath when packaged,
 * where electron-builder puts extraResources), else the checkout's resources/ found by walking up from this bundle.
 * Python must run these scripts from real files, never from inside app.asar.
 */
export function resourcesDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.WHITTLE_RESOURCES) return env.WHITTLE_RESOURCES;
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'resources');
    if (existsSync(join(candidate, 'python', 'pyproject.toml'))) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return resolve('resources');
}

export const pythonResourcesDir = (env: NodeJS.ProcessEnv = process.env): string => join(resourcesDir(env), 'python');
