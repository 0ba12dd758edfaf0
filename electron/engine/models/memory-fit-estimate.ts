/**
 * The GGUF half of a memory-fit estimate. Runs only inside a worker process (worker-calls.ts): it parses the
 * model file (node-llama-cpp's readGgufFileInfo and GgufInsights, which loads the header into llama.cpp), after
 * the bounds-checked pre-scan, so a file changed or damaged since import fails the call, never the engine.
 */
import { z } from 'zod';
import { prescanGguf } from './inspect/gguf';

export const GgufEstimateInput = z
  .object({
    path: z.string().min(1),
    contextSize: z.number().int().positive(),
    /** The engine's GPU backend (from its llama binding), for the full-offload estimate; false: CPU only. */
    gpu: z.union([z.literal(false), z.enum(['cuda', 'vulkan', 'metal'])]),
  })
  .strict();
export type GgufEstimateInput = z.infer<typeof GgufEstimateInput>;

export interface GgufEstimate {
  cpuOnlyRam: number;
  fullGpu: { ram: number; vram: number } | null;
}

export async function estimateGgufInWorker(input: GgufEstimateInput): Promise<GgufEstimate> {
  const { entry } = await prescanGguf(input.path);
  const { getLlama, readGgufFileInfo, GgufInsights, LlamaLogLevel } = await import('node-llama-cpp');
  const info = await readGgufFileInfo(entry, { logWarnings: false, sourceType: 'filesystem' });
  const llama = await getLlama({ gpu: input.gpu, build: 'never', progressLogs: false, logLevel: LlamaLogLevel.error }).catch(() =>
    input.gpu === false ? null : getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: LlamaLogLevel.error }).catch(() => null),
  );
  try {
    const insights = await GgufInsights.from(info, llama ?? undefined);
    const cpuModel = await insights.estimateModelResourceRequirementsV2({ gpuLayers: 0 });
    const cpuCtx = await insights.estimateContextResourceRequirementsV2({ contextSize: input.contextSize, modelGpuLayers: 0 });
    let fullGpu: GgufEstimate['fullGpu'] = null;
    if (llama && llama.gpu !== false) {
      const layers = insights.totalLayers;
      const gm = await insights.estimateModelResourceRequirementsV2({ gpuLayers: layers });
      const gc = await insights.estimateContextResourceRequirementsV2({ contextSize: input.contextSize, modelGpuLayers: layers });
      fullGpu = { ram: gm.cpuRam + gc.cpuRam, vram: gm.gpuVram + gc.gpuVram };
    }
    return { cpuOnlyRam: cpuModel.cpuRam + cpuCtx.cpuRam, fullGpu };
  } finally {
    await llama?.dispose();
  }
}
