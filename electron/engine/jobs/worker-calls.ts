/**
 * Functions the engine runs in a short-lived worker process (worker-call.ts) rather than in its own: anything
 * that parses a model file. Loaded only in the worker; each input is validated again since it crossed a process boundary.
 */
import { estimateGgufInWorker, GgufEstimateInput } from '../models/memory-fit-estimate';

export const WORKER_CALLS = ['memory-fit.gguf'] as const;
export type WorkerCallName = (typeof WORKER_CALLS)[number];

export async function runWorkerCall(fn: string, input: unknown): Promise<unknown> {
  switch (fn as WorkerCallName) {
    case 'memory-fit.gguf':
      return estimateGgufInWorker(GgufEstimateInput.parse(input));
  }
  throw new Error(`worker: unknown call ${fn}`);
}
