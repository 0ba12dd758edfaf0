import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pythonResourcesDir } from './resources';

export interface PythonEnvManifest {
  key: string;
  python: string;
  /** Where the interpreter came from: a system Python or one uv downloaded. */
  pythonSource: 'system' | 'managed';
  uv: string;
  llamaCpp: string;
  groups: string[];
  versions: Record<string, string | null>;
  onnxruntimeProviders: string[] | null;
  builtAt: string;
  buildSeconds: number;
  /** Of which the import check took. */
  verifySeconds: number;
  sizeBytes: number;
}

export interface PythonEnvPaths {
  root: string;
  venv: string;
  python: string;
  /** llama.cpp's convert_hf_to_gguf.py, convert_lora_to_gguf.py, conversion/ and gguf-py/ from the bundled source. */
  llamaScripts: string;
  manifest: string;
}

/** Cache key: the lock (what gets installed) and the platform. Job scripts are read from resources/ at run time and are not part of it. */
export async function pythonEnvKey(resources = pythonResourcesDir()): Promise<string> {
  const h = createHash('sha256');
  for (const f of ['pyproject.toml', 'uv.lock', '.python-version']) h.update(await readFile(join(resources, f)));
  const py = (await readFile(join(resources, '.python-version'), 'utf8')).trim().replace('.', '');
  return `py${py}-${h.digest('hex').slice(0, 12)}-${process.platform}-${process.arch}`;
}

export function pythonEnvPaths(cacheDir: string, key: string): PythonEnvPaths {
  const root = join(cacheDir, 'python', key);
  const venv = join(root, 'venv');
  return {
    root,
    venv,
    python: process.platform === 'win32' ? join(venv, 'Scripts', 'python.exe') : join(venv, 'bin', 'python'),
    llamaScripts: join(root, 'llama-scripts'),
    manifest: join(root, 'manifest.json'),
  };
}

/** The env is ready only once its manifest exists: install writes it last, after the import check passed. */
export async function findPythonEnv(cacheDir: string): Promise<{ paths: PythonEnvPaths; manifest: PythonEnvManifest } | null> {
  const paths = pythonEnvPaths(cacheDir, await pythonEnvKey());
  if (!existsSync(paths.python)) return null;
  try {
    return { paths, manifest: JSON.parse(await readFile(paths.manifest, 'utf8')) as PythonEnvManifest };
  } catch {
    return null;
  }
}

/**
 * The environment every Python job runs with: the toolchain's own packages only (no user site, no PYTHONPATH from
 * the shell), offline for the Hub (models reach Python as local folders), telemetry off, unbuffered output.
 */
export function pythonJobEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const k of ['PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV', 'CONDA_PREFIX']) delete env[k];
  return {
    ...env,
    PYTHONPATH: pythonResourcesDir(base),
    PYTHONNOUSERSITE: '1',
    PYTHONUNBUFFERED: '1',
    PYTHONIOENCODING: 'utf-8',
    HF_HUB_OFFLINE: '1',
    TRANSFORMERS_OFFLINE: '1',
    HF_DATASETS_OFFLINE: '1',
    HF_HUB_DISABLE_TELEMETRY: '1',
    OLIVE_DISABLE_TELEMETRY: '1',
    DO_NOT_TRACK: '1',
    TOKENIZERS_PARALLELISM: 'false',
  };
}
