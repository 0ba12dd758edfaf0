import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ToolchainComponentStatus, ToolchainStatus } from '../../../shared/toolchain';
import { detectNpus } from '../hardware/npu-detect';
import { findLlamaTools } from './llama-build';
import { LLAMA_BACKENDS, LLAMA_TOOLS, llamaSource } from './llama-source';
import { checkPythonEnv } from './python-check';
import { findPythonEnv, pythonEnvKey, pythonEnvPaths } from './python-env';
import { lockDrift } from './python-install';

const exe = (name: string): string => (process.platform === 'win32' ? `${name}.exe` : name);

export async function llamaStatus(cacheDir: string): Promise<ToolchainComponentStatus> {
  const base = { component: 'llama' as const, title: 'llama.cpp tools', sizeBytes: null };
  let tag: string | null = null;
  try {
    tag = llamaSource().tag;
  } catch (err) {
    return { ...base, state: 'broken', version: null, dir: null, detail: (err as Error).message, items: [], fix: null, builtAt: null, buildSeconds: null };
  }
  const builds = (await Promise.all(LLAMA_BACKENDS.map(async (b) => ({ backend: b, build: await findLlamaTools(cacheDir, b) })))).filter((b) => b.build);
  const cpu = builds.find((b) => b.backend === 'cpu')?.build ?? builds[0]?.build ?? null;
  const fix = {
    label: 'Build llama.cpp tools',
    command: 'whittle toolchain install llama',
    action: { component: 'llama' as const, backend: 'cpu' as const, repair: false, fixtures: false },
  };
  if (!cpu) {
    return {
      ...base,
      state: 'missing',
      version: tag,
      dir: null,
      detail: `Not built for llama.cpp ${tag}: needed to quantize, measure perplexity and fine-tune (a few minutes, once).`,
      items: LLAMA_TOOLS.map((t) => ({ name: t, version: null, ok: false, problem: 'not built' })),
      fix,
      builtAt: null,
      buildSeconds: null,
    };
  }
  return {
    ...base,
    state: 'ready',
    version: cpu.manifest.tag,
    dir: cpu.dir,
    detail: `Built for ${builds.map((b) => b.backend).join(', ')} from the llama.cpp source inside node-llama-cpp.`,
    items: cpu.manifest.tools.map((t) => ({ name: t, version: cpu.manifest.tag, ok: existsSync(join(cpu.dir, 'bin', exe(t))), problem: null })),
    fix: null,
    builtAt: cpu.manifest.builtAt,
    buildSeconds: cpu.manifest.buildSeconds,
  };
}

/** Cheap by default (installed files and versions); `deep` also imports every package, which takes a while. */
export async function pythonStatus(cacheDir: string, deep = false): Promise<{ status: ToolchainComponentStatus; providers: string[] | null }> {
  const base = { component: 'python' as const, title: 'Python toolchain (Olive, transformers, llama.cpp converters)' };
  const paths = pythonEnvPaths(cacheDir, await pythonEnvKey());
  const install = {
    label: 'Install Python toolchain',
    command: 'whittle toolchain install python',
    action: { component: 'python' as const, backend: 'cpu' as const, repair: false, fixtures: false },
  };
  const repair = {
    label: 'Repair Python toolchain',
    command: 'whittle toolchain install python --repair',
    action: { component: 'python' as const, backend: 'cpu' as const, repair: true, fixtures: false },
  };
  const none = { sizeBytes: null, builtAt: null, buildSeconds: null };
  if (!existsSync(paths.python)) {
    return {
      status: {
        ...base,
        ...none,
        state: 'missing',
        version: null,
        dir: null,
        detail: 'Not installed: needed for ONNX export with Olive, Hugging Face -> GGUF conversion and LoRA fine-tuning (downloads about 3 GB once).',
        items: [],
        fix: install,
      },
      providers: null,
    };
  }
  const env = await findPythonEnv(cacheDir);
  const outcome = await checkPythonEnv(paths, deep);
  const items = Object.entries(outcome.check?.versions ?? {}).map(([name, version]) => {
    const broken = outcome.check?.broken.find((b) => b.name.toLowerCase() === name.toLowerCase());
    const failedImport = outcome.check?.imports.find((i) => !i.ok && i.dist === name);
    const problem = !version ? 'not installed' : broken ? `${broken.missing} files missing` : failedImport ? failedImport.error : null;
    return { name, version, ok: !problem, problem };
  });
  const meta = env ? { sizeBytes: env.manifest.sizeBytes, builtAt: env.manifest.builtAt, buildSeconds: env.manifest.buildSeconds } : none;
  if (!env) {
    return {
      status: {
        ...base,
        ...meta,
        state: 'broken',
        version: outcome.check?.python ?? null,
        dir: paths.root,
        detail: 'An install did not finish (it was stopped or failed).',
        items,
        fix: repair,
      },
      providers: null,
    };
  }
  const drift = await lockDrift(cacheDir, paths, env.manifest.groups).catch(() => []);
  if (drift.length) outcome.problems.push(`differs from the lock: ${drift.slice(0, 5).join(', ')}${drift.length > 5 ? ` and ${drift.length - 5} more` : ''}`);
  if (outcome.problems.length) {
    return {
      status: {
        ...base,
        ...meta,
        state: 'broken',
        version: env.manifest.python,
        dir: paths.root,
        detail: outcome.problems.slice(0, 3).join('; '),
        items,
        fix: repair,
      },
      providers: env.manifest.onnxruntimeProviders,
    };
  }
  const source = env.manifest.pythonSource === 'system' ? 'system Python' : 'Python downloaded by uv';
  return {
    status: {
      ...base,
      ...meta,
      state: 'ready',
      version: env.manifest.python,
      dir: paths.root,
      detail: `${outcome.check?.distributions ?? '?'} packages from the lock, ${source}, llama.cpp converters ${env.manifest.llamaCpp}.`,
      items,
      fix: null,
    },
    providers: outcome.check?.onnxruntimeProviders ?? env.manifest.onnxruntimeProviders,
  };
}

export async function toolchainStatus(cacheDir: string, deep = false): Promise<ToolchainStatus> {
  const [llama, python, npus] = await Promise.all([llamaStatus(cacheDir), pythonStatus(cacheDir, deep), detectNpus()]);
  return { cacheDir, components: [llama, python.status], npus, pythonProviders: python.providers };
}
