import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { LlamaTool } from './llama-source';

export interface ToolRun {
  bin: string;
  signal?: AbortSignal;
  log?(line: string): void;
}

export class LlamaToolError extends Error {
  override name = 'LlamaToolError';
}

/** Runs one tool; stdout is returned whole (for machine-readable output), every line of both streams goes to `onLine`. */
export function runLlamaTool(tool: LlamaTool, args: string[], run: ToolRun, onLine?: (line: string, stream: 'stdout' | 'stderr') => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(run.bin, process.platform === 'win32' ? `${tool}.exe` : tool), args, { stdio: ['ignore', 'pipe', 'pipe'], signal: run.signal });
    let stdout = '';
    const tail: string[] = [];
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    createInterface({ input: child.stdout }).on('line', (l) => onLine?.(l, 'stdout'));
    createInterface({ input: child.stderr }).on('line', (l) => {
      run.log?.(l);
      tail.push(l);
      if (tail.length > 12) tail.shift();
      onLine?.(l, 'stderr');
    });
    child.once('error', (err) => reject(new LlamaToolError(`${tool} could not start: ${err.message}`)));
    child.once('exit', (code, sig) => {
      if (code === 0) return resolve(stdout);
      // llama.cpp tools print their reason last, on stderr.
      const why = tail.filter((l) => /error|failed|invalid|unknown|cannot|unable/i.test(l)).at(-1) ?? tail.at(-1) ?? '';
      reject(new LlamaToolError(`${tool} failed (${sig ?? `exit ${code}`}): ${why}\n${tail.join('\n')}`));
    });
  });
}

export const QUANT_TYPES = ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q2_K', 'Q3_K_S', 'Q3_K_M', 'Q3_K_L', 'Q4_K_S', 'Q4_K_M', 'Q5_K_S', 'Q5_K_M', 'Q6_K', 'IQ4_NL', 'IQ4_XS', 'F16', 'BF16', 'F32'] as const;
export type QuantType = (typeof QUANT_TYPES)[number];

export interface QuantizeOptions {
  input: string;
  output: string;
  type: QuantType;
  threads?: number;
  imatrix?: string;
  allowRequantize?: boolean;
  onProgress?(done: number, total: number, tensor: string): void;
}

export interface QuantizeResult {
  modelMiB: number | null;
  quantMiB: number | null;
  bitsPerWeight: number | null;
}

export async function llamaQuantize(o: QuantizeOptions, run: ToolRun): Promise<QuantizeResult> {
  const args = [...(o.allowRequantize ? ['--allow-requantize'] : []), ...(o.imatrix ? ['--imatrix', o.imatrix] : []), o.input, o.output, o.type, String(o.threads ?? 1)];
  const res: QuantizeResult = { modelMiB: null, quantMiB: null, bitsPerWeight: null };
  await runLlamaTool('llama-quantize', args, run, (line) => {
    const p = /^\[\s*(\d+)\/\s*(\d+)\]\s+(\S+)/.exec(line);
    if (p) o.onProgress?.(Number(p[1]), Number(p[2]), p[3]!);
    const m = /model size\s*=\s*([\d.]+) MiB/.exec(line);
    if (m) res.modelMiB = Number(m[1]);
    const q = /quant size\s*=\s*([\d.]+) MiB \(([\d.]+) BPW\)/.exec(line);
    if (q) {
      res.quantMiB = Number(q[1]);
      res.bitsPerWeight = Number(q[2]);
    }
  });
  return res;
}

export interface BenchOptions {
  model: string;
  threads?: number;
  nPrompt?: number;
  nGen?: number;
  repetitions?: number;
  gpuLayers?: number;
}

/** One row of `llama-bench -o json` (the fields Whittle uses; the tool prints more). */
export interface BenchRow {
  n_prompt: number;
  n_gen: number;
  n_threads: number;
  avg_ts: number;
  stddev_ts: number;
  model_type: string;
  model_size: number;
  model_n_params: number;
  backends: string;
}

export async function llamaBench(o: BenchOptions, run: ToolRun): Promise<BenchRow[]> {
  const args = ['-m', o.model, '-t', String(o.threads ?? 1), '-p', String(o.nPrompt ?? 64), '-n', String(o.nGen ?? 16), '-r', String(o.repetitions ?? 2), '-ngl', String(o.gpuLayers ?? 0), '-o', 'json'];
  const out = await runLlamaTool('llama-bench', args, run);
  let rows: unknown;
  try {
    rows = JSON.parse(out);
  } catch {
    throw new LlamaToolError(`llama-bench printed no JSON: ${out.slice(0, 200)}`);
  }
  if (!Array.isArray(rows)) throw new LlamaToolError('llama-bench JSON is not a list');
  return rows as BenchRow[];
}

export async function ggufSplit(o: { input: string; outputPrefix: string; maxTensors?: number; maxSize?: string }, run: ToolRun): Promise<void> {
  const by = o.maxSize ? ['--split-max-size', o.maxSize] : ['--split-max-tensors', String(o.maxTensors ?? 128)];
  await runLlamaTool('llama-gguf-split', ['--split', ...by, o.input, o.outputPrefix], run);
}

export async function ggufMerge(o: { firstPart: string; output: string }, run: ToolRun): Promise<void> {
  await runLlamaTool('llama-gguf-split', ['--merge', o.firstPart, o.output], run);
}
