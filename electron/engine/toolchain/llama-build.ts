import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { resourcesDir } from './resources';
import { runStep as run, type BuildHooks } from './run-step';
import { BACKEND_FLAGS, LLAMA_TOOLS, llamaSource, llamaToolsKey, type LlamaBackend } from './llama-source';

export type { BuildHooks } from './run-step';

export interface LlamaToolsManifest {
  key: string;
  tag: string;
  backend: LlamaBackend;
  tools: string[];
  builtAt: string;
  buildSeconds: number;
}

const exe = (name: string): string => (process.platform === 'win32' ? `${name}.exe` : name);

export function llamaToolsRoot(cacheDir: string): string {
  return join(cacheDir, 'llama');
}

/** The ready build for this source and backend, or null. A folder only gets its final name once complete. */
export async function findLlamaTools(cacheDir: string, backend: LlamaBackend): Promise<{ dir: string; manifest: LlamaToolsManifest } | null> {
  const key = await llamaToolsKey(llamaSource(), backend);
  // A packaged app ships prebuilt tools for its own llama.cpp version under resources/llama/<key> (scripts/package-toolchains.mjs).
  for (const root of [join(resourcesDir(), 'llama'), llamaToolsRoot(cacheDir)]) {
    const found = await readBuild(join(root, key));
    if (found) return found;
  }
  return null;
}

async function readBuild(dir: string): Promise<{ dir: string; manifest: LlamaToolsManifest } | null> {
  try {
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as LlamaToolsManifest;
    for (const t of manifest.tools) if (!existsSync(join(dir, 'bin', exe(t)))) return null;
    return { dir, manifest };
  } catch {
    return null;
  }
}

/**
 * llama.cpp's tools log through a background thread that is never flushed at exit (common/log.cpp leaks the
 * logger on purpose), so on a busy machine a tool's last lines (perplexity's final estimate, the KL statistics)
 * are often lost. Our static builds flush it from an atexit handler. A source without the anchor builds unpatched.
 */
async function patchSource(src: string, hooks: BuildHooks): Promise<void> {
  const file = join(src, 'common', 'log.cpp');
  const anchor = 'log->set_colors(tty_can_use_colors());';
  const text = await readFile(file, 'utf8');
  if (!text.includes(anchor)) return hooks.log(`warning: ${file} has changed; the tools' last log lines may be lost at exit`);
  await writeFile(file, `#include <cstdlib>\n${text.replace(anchor, `${anchor}\n        std::atexit([] { common_log_pause(common_log_main()); });`)}`);
  hooks.log('patched common/log.cpp: flush the log at exit');
}

/**
 * Builds the llama.cpp tools from node-llama-cpp's bundled source into <cache>/llama/<key>. The work happens
 * in a `.building-<pid>` folder that is renamed into place only when every tool is there, so a killed build
 * never looks ready; stale partial builds are removed by the next one.
 */
export async function buildLlamaTools(
  cacheDir: string,
  backend: LlamaBackend,
  hooks: BuildHooks,
): Promise<{ dir: string; manifest: LlamaToolsManifest; reused: boolean }> {
  const existing = await findLlamaTools(cacheDir, backend);
  if (existing) return { ...existing, reused: true };
  const src = llamaSource();
  const key = await llamaToolsKey(src, backend);
  const root = llamaToolsRoot(cacheDir);
  await mkdir(root, { recursive: true });
  for (const name of await readdir(root)) {
    if (name.startsWith(`${key}.building-`)) await rm(join(root, name), { recursive: true, force: true });
  }
  const work = join(root, `${key}.building-${process.pid}`);
  const started = Date.now();
  try {
    hooks.progress(0, 'Unpacking the llama.cpp source');
    await run('git', ['-c', 'advice.detachedHead=false', 'clone', '--quiet', src.bundle, join(work, 'src')], root, hooks);
    await patchSource(join(work, 'src'), hooks);
    hooks.progress(0.02, 'Configuring');
    const build = join(work, 'build');
    await run(
      'cmake',
      [
        '-S',
        join(work, 'src'),
        '-B',
        build,
        '-DCMAKE_BUILD_TYPE=Release',
        '-DLLAMA_CURL=OFF',
        '-DLLAMA_OPENSSL=OFF',
        '-DLLAMA_BUILD_TESTS=OFF',
        '-DLLAMA_BUILD_SERVER=OFF',
        '-DGGML_NATIVE=OFF',
        '-DBUILD_SHARED_LIBS=OFF',
        ...(existsSync('/usr/bin/ninja') || process.platform === 'win32' ? ['-G', 'Ninja'] : []),
        ...BACKEND_FLAGS[backend],
      ],
      work,
      hooks,
    );
    const jobs = hooks.jobs ?? Math.max(1, cpus().length);
    await run('cmake', ['--build', build, '--config', 'Release', '-j', String(jobs), '--target', ...LLAMA_TOOLS], work, hooks, (line) => {
      const m = /^\[(\d+)\/(\d+)\]/.exec(line) ?? /^\[\s*(\d+)%\]/.exec(line);
      if (!m) return;
      const fraction = m[2] ? Number(m[1]) / Number(m[2]) : Number(m[1]) / 100;
      hooks.progress(0.03 + 0.95 * fraction, `Compiling llama.cpp tools (${m[2] ? `${m[1]}/${m[2]}` : `${m[1]}%`})`);
    });
    const bin = join(work, 'out', 'bin');
    await mkdir(bin, { recursive: true });
    for (const tool of LLAMA_TOOLS) {
      const candidates = [join(build, 'bin', exe(tool)), join(build, 'bin', 'Release', exe(tool))];
      const found = candidates.find((c) => existsSync(c));
      if (!found) throw new Error(`the build did not produce ${tool} (looked in ${candidates.join(', ')})`);
      await copyFile(found, join(bin, exe(tool)));
    }
    const manifest: LlamaToolsManifest = {
      key,
      tag: src.tag,
      backend,
      tools: [...LLAMA_TOOLS],
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((Date.now() - started) / 1000),
    };
    await writeFile(join(work, 'out', 'manifest.json'), JSON.stringify(manifest, null, 2));
    const dir = join(root, key);
    await rm(dir, { recursive: true, force: true });
    await rename(join(work, 'out'), dir);
    hooks.progress(1, `Built ${LLAMA_TOOLS.length} tools in ${manifest.buildSeconds} s`);
    return { dir, manifest, reused: false };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
