import { z } from 'zod';
import { jobKind } from './job-kind';

export const TOOLCHAIN_COMPONENTS = ['llama', 'python'] as const;
export const ToolchainComponent = z.enum(TOOLCHAIN_COMPONENTS);
export type ToolchainComponent = z.infer<typeof ToolchainComponent>;

export const LLAMA_BACKEND_NAMES = ['cpu', 'cuda', 'vulkan', 'metal'] as const;

/** One install/repair action; the same object is a job input, an API request and a doctor fix. */
export const ToolchainInstallInput = z
  .object({
    component: ToolchainComponent,
    /** llama only. */
    backend: z.enum(LLAMA_BACKEND_NAMES).default('cpu'),
    /** python only: reinstall what the check finds broken or missing. */
    repair: z.boolean().default(false),
    /** python only: also the test-fixture group (a real Gemma 3 270M GGUF). */
    fixtures: z.boolean().default(false),
  })
  .strict();
export type ToolchainInstallInput = z.infer<typeof ToolchainInstallInput>;

export interface ToolchainItem {
  name: string;
  version: string | null;
  ok: boolean;
  /** Why it is not ok, in words. */
  problem: string | null;
}

export interface ToolchainFix {
  label: string;
  /** The CLI command that does the same. */
  command: string;
  action: ToolchainInstallInput;
}

export interface ToolchainComponentStatus {
  component: ToolchainComponent;
  title: string;
  state: 'ready' | 'missing' | 'broken';
  /** llama.cpp release, or the Python version. */
  version: string | null;
  dir: string | null;
  /** One sentence: what is there, or what is wrong. */
  detail: string;
  /** Tools, or the packages Whittle uses. */
  items: ToolchainItem[];
  fix: ToolchainFix | null;
  sizeBytes: number | null;
  builtAt: string | null;
  buildSeconds: number | null;
}

export interface NpuDevice {
  name: string;
  vendor: string;
  /** The kernel driver, PnP id or platform fact it was found by. */
  source: string;
}

export interface ToolchainStatus {
  cacheDir: string;
  components: ToolchainComponentStatus[];
  npus: NpuDevice[];
  /** ONNX Runtime execution providers of the Python env (null: not installed or not checked). */
  pythonProviders: string[] | null;
}

/** The toolchain's manifest (versions, tools, build time) follows these fields. */
export const toolchainInstallJob = jobKind({
  kind: 'toolchain.install',
  title: 'Install toolchain',
  input: ToolchainInstallInput,
  result: z.looseObject({ component: ToolchainComponent, dir: z.string(), reused: z.boolean() }),
});
