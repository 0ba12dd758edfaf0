/**
 * Resource bounds for worker processes that parse untrusted model files, and the words for a worker that
 * died of them. Shared by the job supervisor and the short-lived worker calls (worker-call.ts).
 */

/** V8 heap for workers that parse model files. A legit header (GGUF vocabulary, a 90k-tensor safetensors JSON) takes a few hundred MB. */
export const DEFAULT_INSPECT_HEAP_MB = 1536;

/** The inspect heap limit; WHITTLE_INSPECT_HEAP_MB overrides it (a bigger machine, an unusually big header, tests). */
export function inspectHeapLimitMb(env: NodeJS.ProcessEnv = process.env): number {
  const raw = Number(env.WHITTLE_INSPECT_HEAP_MB);
  return Number.isInteger(raw) && raw >= 32 && raw <= 65_536 ? raw : DEFAULT_INSPECT_HEAP_MB;
}

/** execArgv for a worker: the entry's own (loaders such as tsx) plus the heap limit, replacing any limit already there. */
export function workerExecArgv(base: readonly string[], heapLimitMb: number | null | undefined): string[] {
  if (!heapLimitMb) return [...base];
  return [...base.filter((a) => !a.startsWith('--max-old-space-size')), `--max-old-space-size=${heapLimitMb}`];
}

/** What V8 prints to stderr when a process reaches its heap limit (then it aborts). */
const OUT_OF_MEMORY = /JavaScript heap out of memory|Reached heap limit|Ineffective mark-compacts near heap limit|ERR_WORKER_OUT_OF_MEMORY/;

export function isOutOfMemoryLine(line: string): boolean {
  return OUT_OF_MEMORY.test(line);
}

export interface WorkerDeath {
  /** Short name of the worker for messages: "inspect", "import", "memory-fit". */
  label: string;
  /** What it was working on (a file or folder), if known. */
  subject?: string | null;
  heapLimitMb?: number | null;
  outOfMemory: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A clear sentence for a worker that exited without reporting a result. */
export function describeWorkerDeath(d: WorkerDeath): string {
  const on = d.subject ? ` on ${d.subject}` : '';
  if (d.outOfMemory) {
    const limit = d.heapLimitMb ? ` (limit ${d.heapLimitMb} MB)` : '';
    return `the ${d.label} worker ran out of memory${limit}${on}: the file is malformed or too large to inspect safely`;
  }
  const how = d.signal ? `signal ${d.signal}` : `exit code ${d.code}`;
  return `the ${d.label} worker process died (${how})${on}`;
}
