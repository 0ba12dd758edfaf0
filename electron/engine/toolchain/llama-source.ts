import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const LLAMA_TOOLS = [
  'llama-quantize',
  'llama-imatrix',
  'llama-perplexity',
  'llama-bench',
  'llama-finetune',
  'llama-export-lora',
  'llama-gguf-split',
] as const;
export type LlamaTool = (typeof LLAMA_TOOLS)[number];

export const LLAMA_BACKENDS = ['cpu', 'cuda', 'vulkan', 'metal'] as const;
export type LlamaBackend = (typeof LLAMA_BACKENDS)[number];

/** CMake switches per backend; CPU builds are portable (no -march=native) so a cache can move between machines. */
export const BACKEND_FLAGS: Record<LlamaBackend, string[]> = {
  cpu: [],
  cuda: ['-DGGML_CUDA=ON'],
  vulkan: ['-DGGML_VULKAN=ON'],
  metal: ['-DGGML_METAL=ON'],
};

export interface LlamaSource {
  /** The node-llama-cpp package's llama folder. */
  dir: string;
  bundle: string;
  /** llama.cpp release the binding was built from (node-llama-cpp's llama.cpp.info.json). */
  tag: string;
  repo: string;
}

/** The llama.cpp source shipped inside node-llama-cpp, so tools and the inference binding are one version. */
export function llamaSource(): LlamaSource {
  // The package exports no package.json; its entry is dist/index.js.
  const dir = join(dirname(require.resolve('node-llama-cpp')), '..', 'llama');
  const bundle = join(dir, 'gitRelease.bundle');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: reinstall node-llama-cpp (npm install)`);
  const info = JSON.parse(readFileSync(join(dir, 'llama.cpp.info.json'), 'utf8')) as { tag: string; llamaCppGithubRepo: string };
  return { dir, bundle, tag: info.tag, repo: info.llamaCppGithubRepo };
}

export async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Bumped whenever the patches applied to the source before building (llama-build.ts) change. */
export const LLAMA_TOOLS_PATCHLEVEL = 1;

/** Cache key: source version and digest, our patch level, backend, platform. A change to any of them means another build. */
const digests = new Map<string, Promise<string>>();

/** The bundle's sha256, hashed once per process and file version (35 MB; status checks ask often). */
export function bundleDigest(bundle: string): Promise<string> {
  const st = statSync(bundle);
  const key = `${bundle}:${st.size}:${st.mtimeMs}`;
  let d = digests.get(key);
  if (!d) digests.set(key, (d = fileSha256(bundle)));
  return d;
}

export async function llamaToolsKey(src: LlamaSource, backend: LlamaBackend): Promise<string> {
  const digest = (await bundleDigest(src.bundle)).slice(0, 12);
  return `${src.tag}-${digest}-p${LLAMA_TOOLS_PATCHLEVEL}-${backend}-${process.platform}-${process.arch}`;
}
