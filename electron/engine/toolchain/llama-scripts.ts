import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { bundleDigest, llamaSource } from './llama-source';
import { runStep, type BuildHooks } from './run-step';

/** What the Python toolchain needs from the llama.cpp source: the converters and the gguf-py they were written against. */
export const LLAMA_PYTHON_SCRIPTS = ['convert_hf_to_gguf.py', 'convert_lora_to_gguf.py', 'conversion', 'gguf-py'] as const;

export async function llamaSourceId(): Promise<string> {
  const src = llamaSource();
  return `${src.tag}-${(await bundleDigest(src.bundle)).slice(0, 12)}`;
}

/**
 * Copies llama.cpp's converter scripts out of node-llama-cpp's source bundle into `dest`, so conversions use the same
 * llama.cpp version as inference and the tools. Skipped when `dest` already holds this source's copy.
 */
export async function extractLlamaScripts(dest: string, hooks: BuildHooks): Promise<{ source: string; reused: boolean }> {
  const source = await llamaSourceId();
  const stamp = join(dest, '.source');
  if (existsSync(stamp) && (await readFile(stamp, 'utf8')) === source && LLAMA_PYTHON_SCRIPTS.every((p) => existsSync(join(dest, p))))
    return { source, reused: true };
  const work = `${dest}.extract-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  await mkdir(dirname(dest), { recursive: true });
  try {
    // Only the converter files are checked out of the bundle, not the whole source tree.
    await runStep(
      'git',
      ['-c', 'advice.detachedHead=false', 'clone', '--quiet', '--no-tags', '--no-checkout', llamaSource().bundle, join(work, 'src')],
      dirname(dest),
      hooks,
    );
    await runStep('git', ['-C', join(work, 'src'), 'checkout', 'HEAD', '--', ...LLAMA_PYTHON_SCRIPTS], dirname(dest), hooks);
    for (const p of LLAMA_PYTHON_SCRIPTS) await cp(join(work, 'src', p), join(work, 'out', p), { recursive: true });
    await writeFile(join(work, 'out', '.source'), source);
    await rm(dest, { recursive: true, force: true });
    await rename(join(work, 'out'), dest);
    return { source, reused: false };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
