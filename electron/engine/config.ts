import { homedir } from 'node:os';
import { join } from 'node:path';

/** The platform's app data dir, or WHITTLE_HOME. The Electron app, the server and the CLI all use this one. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.WHITTLE_HOME) return env.WHITTLE_HOME;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Whittle');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Whittle');
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'whittle');
}

export const testJobsEnabled = (env: NodeJS.ProcessEnv = process.env): boolean => env.WHITTLE_TEST_JOBS === '1';

/**
 * Built toolchains (llama.cpp tools, the Python env) are shared by every data dir: WHITTLE_CACHE, else the
 * platform's cache dir. So a throwaway WHITTLE_HOME (a test, a second profile) reuses them.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.WHITTLE_CACHE) return env.WHITTLE_CACHE;
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'Whittle', 'Cache');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'Whittle');
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'whittle');
}
