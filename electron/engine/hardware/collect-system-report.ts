import os from 'node:os';
import type { SystemReport } from '../../../shared/hardware';

type Progress = (fraction: number, message: string) => void;

/** Instruction-set features that pick llama.cpp / ONNX Runtime kernels, as systeminformation names them. */
const NOTABLE_CPU_FEATURES = [
  'sse4_2',
  'avx',
  'avx2',
  'fma',
  'f16c',
  'avx512f',
  'avx512bw',
  'avx512vnni',
  'avx_vnni',
  'amx_int8',
  'neon',
  'asimd',
  'sve',
  'dotprod',
];

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Collects what this machine can run. Each probe fails on its own: a missing runtime is a finding, not a crash. */
export async function collectSystemReport(progress: Progress): Promise<SystemReport> {
  const si = await import('systeminformation');

  progress(0.05, 'Reading operating system and CPU');
  const [osInfo, cpu, flagsText] = await Promise.all([si.osInfo(), si.cpu(), si.cpuFlags()]);
  const flags = flagsText.split(/\s+/).filter(Boolean).sort();
  const features = Object.fromEntries(NOTABLE_CPU_FEATURES.map((f) => [f, flags.includes(f)]));

  progress(0.2, 'Reading memory and disks');
  const [mem, fsSizes] = await Promise.all([si.mem(), si.fsSize()]);
  const disks = fsSizes.filter((d) => d.size > 0).map((d) => ({ mount: d.mount, filesystem: d.fs, type: d.type, sizeBytes: d.size, freeBytes: d.available }));

  progress(0.35, 'Asking llama.cpp for GPUs');
  const llama = await probeLlama();

  progress(0.65, 'Asking ONNX Runtime for execution providers');
  const onnxRuntime = await probeOnnxRuntime();

  progress(0.8, 'Listing graphics adapters');
  const systemGpus = await si
    .graphics()
    .then((g) =>
      g.controllers.map((c) => ({
        name: c.model || c.name || 'Unknown adapter',
        vendor: c.vendor || '',
        vramBytes: c.vram ? c.vram * 1024 * 1024 : null,
        source: 'system' as const,
      })),
    )
    .catch(() => []);

  progress(1, 'Done');
  return {
    createdAt: Date.now(),
    os: { platform: process.platform, release: os.release(), arch: process.arch, hostname: os.hostname(), distro: `${osInfo.distro} ${osInfo.release}`.trim() },
    cpu: {
      brand: `${cpu.manufacturer} ${cpu.brand}`.trim(),
      manufacturer: cpu.manufacturer,
      physicalCores: cpu.physicalCores,
      logicalCores: cpu.cores,
      speedGHz: cpu.speed || null,
      flags,
      features,
    },
    memory: { totalBytes: mem.total, availableBytes: mem.available, swapTotalBytes: mem.swaptotal },
    disks,
    llama,
    onnxRuntime,
    systemGpus,
    runtime: { node: process.versions.node, v8: process.versions.v8, electron: process.versions.electron ?? null },
  };
}

async function probeLlama(): Promise<SystemReport['llama']> {
  try {
    const { getLlama, getLlamaGpuTypes, LlamaLogLevel } = await import('node-llama-cpp');
    const supported = await getLlamaGpuTypes('supported');
    // build: 'never' so a probe never starts a compile; a missing binary is reported, not built.
    const llama = await getLlama({ gpu: 'auto', build: 'never', logLevel: LlamaLogLevel.error });
    const [vram, names] = await Promise.all([llama.getVramState(), llama.getGpuDeviceNames()]);
    const perDevice = names.length ? vram.total / names.length : null;
    const result: SystemReport['llama'] = {
      version: llama.llamaCppRelease.release,
      supportedGpuBackends: supported.filter((t): t is Exclude<typeof t, false> => t !== false),
      selectedBackend: llama.gpu === false ? 'cpu' : llama.gpu,
      gpus: names.map((name) => ({ name, vendor: '', vramBytes: perDevice, source: 'llama.cpp' as const })),
      vram: llama.gpu === false ? null : { totalBytes: vram.total, freeBytes: vram.free },
      error: null,
    };
    await llama.dispose();
    return result;
  } catch (err) {
    return { version: null, supportedGpuBackends: [], selectedBackend: 'none', gpus: [], vram: null, error: errorText(err) };
  }
}

async function probeOnnxRuntime(): Promise<SystemReport['onnxRuntime']> {
  try {
    const ort = await import('onnxruntime-node');
    return {
      version: ort.env.versions.node ?? ort.env.versions.common,
      executionProviders: ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled })),
      error: null,
    };
  } catch (err) {
    return { version: null, executionProviders: [], error: errorText(err) };
  }
}
