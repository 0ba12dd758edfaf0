import type { ModelInspection } from '../../../../shared/models';
import type { WorkerContext } from '../../jobs/worker-protocol';

/**
 * Loads the GGUF's vocabulary with the real llama.cpp (no weights), inside this worker process, so a file
 * that parses but crashes llama.cpp fails this job instead of the app later.
 */
export async function checkGgufLoads(ctx: WorkerContext, entry: string, inspection: ModelInspection): Promise<void> {
  if (inspection.format !== 'gguf') return;
  ctx.progress(null, 'Checking that llama.cpp can load it');
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: LlamaLogLevel.error });
  try {
    const model = await llama.loadModel({ modelPath: entry, vocabOnly: true, gpuLayers: 0 });
    await model.dispose();
  } catch (err) {
    throw new Error(`${entry}: llama.cpp cannot load this model: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await llama.dispose();
  }
}
