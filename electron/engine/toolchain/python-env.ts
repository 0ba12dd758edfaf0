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

/** Variables a Python job may inherit: what the OS, the runtime and the accelerators need, and nothing that names a secret. */
const INHERITED = new Set([
  'PATH',
  'HOME',
  'USER',
  'USERNAME',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'TMP',
  'TEMP',
  'TERM',
  // Windows: the runtime cannot start without these.
  'SYSTEMROOT',
  'SYSTEMDRIVE',
  'WINDIR',
  'COMSPEC',
  'PATHEXT',
  'USERPROFILE',
  'APPDATA',
  'LOCALAPPDATA',
  'PROGRAMDATA',
  'PROGRAMFILES',
  'PROGRAMFILES(X86)',
  'PROGRAMW6432',
  'COMMONPROGRAMFILES',
  'NUMBER_OF_PROCESSORS',
  'OS',
  'PROCESSOR_ARCHITECTURE',
  'PROCESSOR_IDENTIFIER',
  // Shared libraries (CUDA, ROCm) and caches.
  'LD_LIBRARY_PATH',
  'DYLD_LIBRARY_PATH',
  'DYLD_FALLBACK_LIBRARY_PATH',
  'HF_HOME',
  'HF_HUB_CACHE',
  'TORCH_HOME',
  'WHITTLE_HOME',
  'WHITTLE_CACHE',
  'WHITTLE_JOB_ID',
]);
const INHERITED_PREFIXES = [
  'LC_',
  'XDG_',
  'CUDA_',
  'CUDNN_',
  'NVIDIA_',
  'HIP_',
  'ROCM_',
  'ROCR_',
  'HSA_',
  'OMP_',
  'MKL_',
  'OPENBLAS_',
  'KMP_',
  'GOMP_',
  'PYTORCH_',
  'ORT_',
  'OV_',
  'QNN_',
  'MPS_',
];
const SECRET = /TOKEN|SECRET|PASSW|CREDENTIAL|API_?KEY|PRIVATE|AUTH|COOKIE|SESSION/i;

/**
 * The environment every Python job runs with: an allow-list of the parent's variables (never a secret such as HF_TOKEN:
 * a job that downloads gets its token through `secrets`), the toolchain's own packages only (no user site, no
 * PYTHONPATH from the shell; resources/python first, so its sitecustomize installs the model-code guard), offline for
 * the Hub (models reach Python as local folders), telemetry off, unbuffered output. `guard` is the JSON the guard reads
 * (models in the job and the user's consent to run their code); without it no model's code may run.
 */
export function pythonJobEnv(
  base: NodeJS.ProcessEnv = process.env,
  opts: { guard?: PythonJobGuard; secrets?: Record<string, string> } = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) {
    if (v === undefined || SECRET.test(k)) continue;
    const upper = k.toUpperCase();
    if (INHERITED.has(upper) || INHERITED_PREFIXES.some((p) => upper.startsWith(p))) env[k] = v;
  }
  return {
    ...env,
    ...opts.secrets,
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
    WHITTLE_JOB_GUARD: JSON.stringify(opts.guard ?? { models: [] }),
  };
}

/** What resources/python/whittle_jobs/guard.py reads: the library models a job works on, with the user's consent. */
export interface PythonJobGuard {
  models: { id: string; name: string; dir: string; consent: { files: { path: string; kind: string; sha256: string }[] } | null }[];
}
