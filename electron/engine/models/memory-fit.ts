import { stat } from 'node:fs/promises';
import { freemem, totalmem } from 'node:os';
import { ConflictError } from '../../../shared/errors';
import type { LibraryModel, MemoryFit } from '../../../shared/models';
import { WorkerCallError, type WorkerCallOptions } from '../jobs/worker-call';
import { inspectHeapLimitMb } from '../jobs/worker-limits';
import type { GgufEstimate, GgufEstimateInput } from './memory-fit-estimate';

type NodeLlamaCpp = typeof import('node-llama-cpp');
type Llama = Awaited<ReturnType<NodeLlamaCpp['getLlama']>>;

let llamaPromise: Promise<Llama> | null = null;

/** node-llama-cpp's binding, loaded once and only for the VRAM state: no model file is read in the engine process. */
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

/** Runs a function of jobs/worker-calls.ts in a bounded worker process (JobRunner.call). */
export interface WorkerCaller {
  call<T>(fn: string, input: unknown, options: WorkerCallOptions): Promise<T>;
}

/** A worker has this long to pre-scan the header, load the binding and estimate; a bigger wait means a hostile file. */
const GGUF_ESTIMATE_TIMEOUT_MS = 60_000;
const MAX_CACHED_ESTIMATES = 64;
/** Worker results by input, file size and mtime (oldest first). */
const estimates = new Map<string, GgufEstimate>();

/**
 * The GGUF is parsed in a worker process behind the bounds-checked pre-scan (memory-fit-estimate.ts): the file may
 * have changed since it was imported, and node-llama-cpp's reader trusts its lengths.
 */
async function ggufEstimate(model: LibraryModel, contextSize: number, llama: Llama | null, worker: WorkerCaller): Promise<Estimate> {
  const input: GgufEstimateInput = { path: model.path, contextSize, gpu: llama?.gpu ?? false };
  // A worker per request costs a process start and the binding's load: repeat asks for an unchanged file are answered from memory.
  const s = await stat(model.path);
  const key = JSON.stringify([input, s.size, s.mtimeMs]);
  let r = estimates.get(key);
  if (!r) {
    r = await worker.call<GgufEstimate>('memory-fit.gguf', input, {
      label: 'memory-fit',
      subject: model.path,
      heapLimitMb: inspectHeapLimitMb(),
      timeoutMs: GGUF_ESTIMATE_TIMEOUT_MS,
    });
    estimates.set(key, r);
    if (estimates.size > MAX_CACHED_ESTIMATES) estimates.delete(estimates.keys().next().value as string);
  }
  return { cpuOnlyRam: r.cpuOnlyRam, fullGpu: r.fullGpu, method: 'node-llama-cpp' };
}

/** The worker found the file damaged, or the file exhausted its bounds: say so rather than estimate from stale facts. */
function isFileFault(err: unknown): err is WorkerCallError {
  return err instanceof WorkerCallError && (err.code === 'model-format' || err.code === 'out-of-memory' || err.code === 'timeout');
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

export async function estimateMemoryFit(model: LibraryModel, contextSize: number, worker: WorkerCaller): Promise<MemoryFit> {
  let llama: Llama | null = null;
  try {
    llama = await llamaForEstimates();
  } catch {
    llama = null;
  }
  let est: Estimate;
  if (model.format === 'gguf') {
    try {
      est = await ggufEstimate(model, contextSize, llama, worker);
    } catch (err) {
      if (isFileFault(err)) {
        throw new ConflictError(
          `Cannot estimate the memory ${model.name} needs: ${err.message}. The file changed or was damaged after it was imported; re-import it.`,
        );
      }
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
