import { existsSync, realpathSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkPythonEnv, type PythonCheck } from './python-check';
import { findPythonEnv, pythonEnvKey, pythonEnvPaths, type PythonEnvManifest, type PythonEnvPaths } from './python-env';
import { extractLlamaScripts } from './llama-scripts';
import { pythonResourcesDir } from './resources';
import { runStep, type BuildHooks } from './run-step';
import { ensureUv, readUvPin, uvExe } from './uv-bootstrap';

export interface PythonInstallOptions {
  repair: boolean;
  fixtures: boolean;
}

export interface PythonInstallOutcome {
  paths: PythonEnvPaths;
  manifest: PythonEnvManifest;
  reused: boolean;
  /** Distributions reinstalled by a repair. */
  repaired: string[];
}

const MIB: Record<string, number> = { B: 1 / 2 ** 20, KiB: 1 / 1024, MiB: 1, GiB: 1024 };

/** Turns uv's non-interactive "Downloading torch (506.0MiB)" / " Downloaded torch" lines into a byte fraction. */
export class UvDownloadMeter {
  private sizes = new Map<string, number>();
  private done = new Set<string>();
  line(line: string): { fraction: number; message: string } | null {
    const started = /^Downloading (\S+) \(([\d.]+)(B|KiB|MiB|GiB)\)/.exec(line);
    if (started) this.sizes.set(started[1]!, Number(started[2]) * MIB[started[3]!]!);
    const finished = /^\s*Downloaded (\S+)/.exec(line);
    if (finished) this.done.add(finished[1]!);
    if (!started && !finished) return null;
    let total = 0;
    let got = 0;
    for (const [name, mib] of this.sizes) {
      total += mib;
      if (this.done.has(name)) got += mib;
    }
    return { fraction: total ? got / total : 0, message: `Downloading packages (${got.toFixed(0)}/${total.toFixed(0)} MiB)` };
  }
}

async function folderSize(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await folderSize(p);
    else if (e.isFile()) total += (await stat(p)).size;
  }
  return total;
}

export function uvEnv(cacheDir: string, paths: PythonEnvPaths): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['VIRTUAL_ENV', 'CONDA_PREFIX', 'PYTHONPATH', 'PYTHONHOME', 'UV_PROJECT', 'UV_OFFLINE']) delete env[k];
  return {
    ...env,
    UV_CACHE_DIR: join(cacheDir, 'uv-cache'),
    UV_PROJECT_ENVIRONMENT: paths.venv,
    UV_PYTHON_INSTALL_DIR: join(cacheDir, 'python', 'interpreters'),
    UV_NO_PROGRESS: '1',
    NO_COLOR: '1',
  };
}

/** Packages the lock wants that the env lacks or has at another version (`uv sync --dry-run`, offline: a few ms). */
export async function lockDrift(cacheDir: string, paths: PythonEnvPaths, groups: string[]): Promise<string[]> {
  const pin = await readUvPin();
  const uv = process.env.WHITTLE_UV ?? join(cacheDir, 'uv', pin.version, uvExe());
  if (!existsSync(uv)) return [];
  const lines: string[] = [];
  const args = [
    'sync',
    '--frozen',
    '--no-install-project',
    '--project',
    pythonResourcesDir(),
    '--inexact',
    '--dry-run',
    '--offline',
    ...groups.flatMap((g) => ['--group', g]),
  ];
  await runStep(uv, args, paths.root, { progress: () => undefined, log: (l) => lines.push(l) }, undefined, uvEnv(cacheDir, paths));
  return lines.filter((l) => /^ [+-] /.test(l)).map((l) => l.trim());
}

/**
 * Creates (or repairs) the pinned Python toolchain in <cache>/python/<key>: uv from the pinned wheel, llama.cpp's
 * converters from the bundled source, `uv sync --frozen` from resources/python/uv.lock, then a full import check.
 * The manifest that marks it ready is removed first and written last, so an interrupted install is never "ready".
 */
export async function installPythonEnv(cacheDir: string, opts: PythonInstallOptions, hooks: BuildHooks): Promise<PythonInstallOutcome> {
  const existing = await findPythonEnv(cacheDir);
  if (existing && !opts.repair && (!opts.fixtures || existing.manifest.groups.includes('fixtures'))) {
    // A ready env is re-checked cheaply (installed files, versions); a damaged one is repaired instead of trusted.
    const quick = await checkPythonEnv(existing.paths, false, { signal: hooks.signal });
    const drift = await lockDrift(cacheDir, existing.paths, existing.manifest.groups);
    if (quick.ok && !drift.length) return { ...existing, reused: true, repaired: [] };
    hooks.log(`the installed toolchain is damaged (${[...quick.problems, ...drift].join('; ')}); repairing`);
    opts = { ...opts, repair: true };
  }
  const started = Date.now();
  const key = await pythonEnvKey();
  const paths = pythonEnvPaths(cacheDir, key);
  await mkdir(paths.root, { recursive: true });
  await rm(paths.manifest, { force: true });
  // The groups ever installed here are remembered outside the manifest, so a repair after an interrupted install
  // (no manifest) keeps them instead of uninstalling them.
  const groupsFile = join(paths.root, 'groups.json');
  const remembered = existsSync(groupsFile) ? (JSON.parse(await readFile(groupsFile, 'utf8')) as string[]) : [];
  const groups = [...new Set([...(existing?.manifest.groups ?? []), ...remembered, ...(opts.fixtures ? ['fixtures'] : [])])];
  await writeFile(groupsFile, JSON.stringify(groups));

  hooks.progress(0, 'Fetching uv');
  const uv = await ensureUv(cacheDir, hooks.log, hooks.signal);
  hooks.log(`uv ${uv.version}: ${uv.path}`);
  hooks.progress(0.02, 'Copying llama.cpp converter scripts');
  const scripts = await extractLlamaScripts(paths.llamaScripts, hooks);

  let reinstall: string[] = [];
  if (opts.repair) {
    hooks.progress(0.04, 'Checking the environment');
    const before = await checkPythonEnv(paths, false, { log: hooks.log, signal: hooks.signal });
    if (!before.check) await rm(paths.venv, { recursive: true, force: true });
    else reinstall = before.check.broken.map((b) => b.name);
    hooks.log(before.ok ? 'check: no problems found before repair' : `check: ${before.problems.join('; ')}`);
  }

  const sync = async (extra: string[]): Promise<void> => {
    const meter = new UvDownloadMeter();
    const args = [
      'sync',
      '--frozen',
      '--no-install-project',
      '--project',
      pythonResourcesDir(),
      '--python-preference',
      'system',
      ...groups.flatMap((g) => ['--group', g]),
      ...extra,
    ];
    await runStep(
      uv.path,
      args,
      paths.root,
      hooks,
      (line) => {
        const m = meter.line(line);
        if (m) hooks.progress(0.05 + 0.75 * m.fraction, m.message);
        else if (/^(Installed|Prepared|Uninstalled) \d+ package/.test(line)) hooks.progress(0.8, line);
      },
      uvEnv(cacheDir, paths),
    );
  };
  hooks.progress(0.05, 'Installing packages');
  await sync(reinstall.flatMap((n) => ['--reinstall-package', n]));

  hooks.progress(0.82, 'Checking that every package imports');
  const verifyStarted = Date.now();
  let verified = await checkPythonEnv(paths, true, { log: hooks.log, signal: hooks.signal, progress: (f, m) => hooks.progress(0.82 + 0.16 * (f ?? 0), m) });
  if (!verified.ok && opts.repair) {
    hooks.log(`still broken after a targeted repair (${verified.problems.join('; ')}); reinstalling everything`);
    await sync(['--reinstall']);
    verified = await checkPythonEnv(paths, true, { log: hooks.log, signal: hooks.signal });
  }
  const verifySeconds = Math.round((Date.now() - verifyStarted) / 100) / 10;
  if (!verified.ok || !verified.check) throw new Error(`the Python toolchain does not work after installing:\n${verified.problems.join('\n')}`);
  const check: PythonCheck = verified.check;
  const interpreters = join(cacheDir, 'python', 'interpreters');
  let real = check.baseExecutable;
  try {
    real = realpathSync(check.baseExecutable);
  } catch {
    /* keep the reported path */
  }
  const manifest: PythonEnvManifest = {
    key,
    python: check.python,
    pythonSource: real.startsWith(interpreters) ? 'managed' : 'system',
    uv: uv.version,
    llamaCpp: scripts.source,
    groups,
    versions: check.versions,
    onnxruntimeProviders: check.onnxruntimeProviders,
    builtAt: new Date().toISOString(),
    buildSeconds: Math.round((Date.now() - started) / 1000),
    verifySeconds,
    sizeBytes: await folderSize(paths.venv),
  };
  await writeFile(paths.manifest, JSON.stringify(manifest, null, 2));
  hooks.progress(1, `Python ${check.python} toolchain ready (${check.distributions} packages)`);
  return { paths, manifest, reused: false, repaired: reinstall };
}
