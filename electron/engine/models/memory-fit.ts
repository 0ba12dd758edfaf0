import { freemem, totalmem } from 'node:os';
import type { LibraryModel, MemoryFit } from '../../../shared/models';

type NodeLlamaCpp = typeof import('node-llama-cpp');
type Llama = Awaited<ReturnType<NodeLlamaCpp['getLlama']>>;

let llamaPromise: Promise<Llama> | null = null;

/** node-llama-cpp's binding, loaded once and only for estimates (no model is loaded in the engine process). */
function llamaForEstimates(): Promise<Llama> {
  llamaPromise ??= import('node-llama-cpp').then((m) => m.getLlama({ gpu: 'auto', build: 'never', progressLogs: false, logLevel: m.LlamaLogLevel.error }));
  return llamaPromise;
}

const GiB = 1024 ** 3;
const fmt = (b: number): string => `${(b / GiB).toFixed(b < 10 * GiB ? 2 : 1)} GiB`;

interface Estimate {
  cpuOnlyRam: number;
  fullGpu: { ram: number; vram: number } | null;
  method: MemoryFit['method'];
}

async function ggufEstimate(model: LibraryModel, contextSize: number, llama: Llama | null): Promise<Estimate> {
  const { readGgufFileInfo, GgufInsights } = await import('node-llama-cpp');
  const info = await readGgufFileInfo(model.path, { logWarnings: false });
  const insights = await GgufInsights.from(info, llama ?? undefined);
  const cpuModel = await insights.estimateModelResourceRequirementsV2({ gpuLayers: 0 });
  const cpuCtx = await insights.estimateContextResourceRequirementsV2({ contextSize, modelGpuLayers: 0 });
  const cpuOnlyRam = cpuModel.cpuRam + cpuCtx.cpuRam;
  let fullGpu: Estimate['fullGpu'] = null;
  if (llama && llama.gpu !== false) {
    const layers = insights.totalLayers;
    const gm = await insights.estimateModelResourceRequirementsV2({ gpuLayers: layers });
    const gc = await insights.estimateContextResourceRequirementsV2({ contextSize, modelGpuLayers: layers });
    fullGpu = { ram: gm.cpuRam + gc.cpuRam, vram: gm.gpuVram + gc.gpuVram };
  }
  return { cpuOnlyRam, fullGpu, method: 'node-llama-cpp' };
}

/** Weights + an f16 KV cache + ~15% compute buffers, from the config facts the inspection found. */
export function formulaEstimate(model: Pick<LibraryModel, 'sizeBytes' | 'inspection'>, contextSize: number): number {
  const i = model.inspection;
  const layers = i.layerCount ?? 0;
  const heads = i.headCount ?? 0;
  const kvHeads = i.headCountKv ?? heads;
  const headDim = heads && i.embeddingLength ? i.embeddingLength / heads : 0;
  const kvBytes = 2 * layers * contextSize * kvHeads * headDim * 2;
  return Math.round(model.sizeBytes * 1.15 + kvBytes + 64 * 1024 ** 2);
}

export async function estimateMemoryFit(model: LibraryModel, contextSize: number): Promise<MemoryFit> {
  let llama: Llama | null = null;
  try {
    llama = await llamaForEstimates();
  } catch {
    llama = null;
  }
  let est: Estimate;
  if (model.format === 'gguf') {
    try {
      est = await ggufEstimate(model, contextSize, llama);
    } catch {
      est = { cpuOnlyRam: formulaEstimate(model, contextSize), fullGpu: null, method: 'formula' };
    }
  } else {
    const ram = formulaEstimate(model, contextSize);
    est = { cpuOnlyRam: ram, fullGpu: null, method: 'formula' };
  }

  const totalRam = totalmem();
  const freeRam = freemem();
  let vram: { total: number; free: number } | null = null;
  if (llama && llama.gpu !== false) {
    try {
      const v = await llama.getVramState();
      if (v.total > 0) vram = { total: v.total, free: v.free };
    } catch {
      vram = null;
    }
  }
  if (est.method === 'formula' && vram) est.fullGpu = { ram: Math.round(est.cpuOnlyRam * 0.1), vram: est.cpuOnlyRam };

  let verdict: MemoryFit['verdict'];
  let summary: string;
  if (est.fullGpu && vram && est.fullGpu.vram <= vram.free) {
    verdict = 'fits-gpu';
    summary = `Fits on the GPU: needs ${fmt(est.fullGpu.vram)} of ${fmt(vram.free)} free VRAM at ${contextSize} tokens.`;
  } else if (est.fullGpu && vram && est.fullGpu.vram > vram.free && est.cpuOnlyRam <= freeRam + vram.free) {
    verdict = 'fits-partial-gpu';
    summary = `Too big for the GPU alone (${fmt(est.fullGpu.vram)} > ${fmt(vram.free)} free VRAM); runs with some layers on the CPU.`;
  } else if (est.cpuOnlyRam <= freeRam) {
    verdict = 'fits-ram';
    summary = `Fits in RAM: needs ${fmt(est.cpuOnlyRam)} of ${fmt(freeRam)} free at ${contextSize} tokens.`;
  } else if (est.cpuOnlyRam <= totalRam * 0.9) {
    verdict = 'tight';
    summary = `Needs ${fmt(est.cpuOnlyRam)}: more than the ${fmt(freeRam)} free now, but under this machine's ${fmt(totalRam)}; close other apps or use a shorter context.`;
  } else {
    verdict = 'too-big';
    summary = `Needs ${fmt(est.cpuOnlyRam)} at ${contextSize} tokens; this machine has ${fmt(totalRam)}. Pick a smaller quantization or context.`;
  }
  return {
    contextSize,
    cpuOnly: { ramBytes: est.cpuOnlyRam },
    fullGpu: est.fullGpu ? { ramBytes: est.fullGpu.ram, vramBytes: est.fullGpu.vram } : null,
    totalRamBytes: totalRam,
    freeRamBytes: freeRam,
    totalVramBytes: vram?.total ?? null,
    freeVramBytes: vram?.free ?? null,
    verdict,
    summary,
    method: est.method,
  };
}
