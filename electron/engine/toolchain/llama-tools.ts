import { open, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startProcess, type OutputStream as Stream } from '../process/supervisor';
import { abortReason } from '../util/abort-reason';
import type { LlamaTool } from './llama-source';
import {
  ggufMetadata,
  ggufTensorCount,
  imatrixEntryCount,
  parseChunkTotal,
  parseExportLoraLine,
  parseFinalEstimate,
  parseFinetuneSettings,
  parseKlChunkRow,
  parseKlStats,
  parseTrainProgress,
  RunningValueScanner,
  splitLogLine,
  type KlDivergenceStats,
  type TrainProgressLine,
} from './llama-tools-parse';

export type { KlDivergenceStats } from './llama-tools-parse';

export interface ToolRun {
  bin: string;
  signal?: AbortSignal;
  log?(line: string): void;
}

export class LlamaToolError extends Error {
  override name = 'LlamaToolError';
}

/** The tool's own reason from the last stderr lines: its error-level log lines if any, else the last line that reads like an error. */
function failureReason(tail: readonly string[]): string {
  const errors = tail
    .map(splitLogLine)
    .filter((l) => l.level === 'E')
    .map((l) => l.text.trim());
  if (errors.length) return errors.join(' ');
  return tail.filter((l) => /error|failed|invalid|unknown|cannot|unable|mismatch|not supported|what\(\)/i.test(l)).at(-1) ?? tail.at(-1) ?? '';
}

/**
 * Runs one tool; stdout is returned whole (for machine-readable output). Every line of both streams goes to
 * `onLine` (lines end at `\n`, `\r\n` or a bare `\r`, so progress-bar redraws are lines too), stderr lines also to
 * `run.log`; `onText` sees raw text as it arrives, for output that comes without line ends. Aborting `run.signal`
 * kills the tool and rejects with the signal's reason (an AbortError by default).
 */
export async function runLlamaTool(
  tool: LlamaTool,
  args: string[],
  run: ToolRun,
  onLine?: (line: string, stream: Stream) => void,
  onText?: (text: string, stream: Stream) => void,
): Promise<string> {
  let stdout = '';
  const tail: string[] = [];
  const proc = startProcess({
    command: join(run.bin, process.platform === 'win32' ? `${tool}.exe` : tool),
    args,
    signal: run.signal,
    onText: (text, stream) => {
      if (stream === 'stdout') stdout += text;
      onText?.(text, stream);
    },
    onLine: (l, stream) => {
      if (stream === 'stderr') {
        run.log?.(l);
        if (l.trim()) tail.push(l);
        if (tail.length > 12) tail.shift();
      }
      onLine?.(l, stream);
    },
  });
  const { code, signal: sig, spawnError } = await proc.exited;
  if (run.signal?.aborted) throw abortReason(run.signal);
  if (spawnError) throw new LlamaToolError(`${tool} could not start: ${spawnError.message}`);
  if (code === 0) return stdout;
  // llama.cpp tools print their reason last, on stderr.
  throw new LlamaToolError(`${tool} failed (${sig ?? `exit ${code}`}): ${failureReason(tail)}\n${tail.join('\n')}`);
}

/** Some tools report a bad input and still exit 0: when a run produced no result, this turns its error lines into the failure. */
function noResult(tool: LlamaTool, what: string, stderr: readonly string[]): LlamaToolError {
  const last = stderr.filter((l) => l.trim()).slice(-12);
  return new LlamaToolError(`${tool} failed: ${failureReason(last) || `it printed no ${what}`}\n${last.join('\n')}`);
}

/** A bounded record of a run's stderr lines, for errors reported after a zero exit. */
function stderrTail(): { push(l: string): void; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    push(l) {
      if (!l.trim()) return;
      lines.push(l);
      if (lines.length > 40) lines.shift();
    },
  };
}

async function readHeader(path: string, bytes: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

const positive = (name: string, v: number | undefined): void => {
  if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new LlamaToolError(`${name} must be a positive integer, got ${v}`);
};

export const QUANT_TYPES = [
  'Q4_0',
  'Q4_1',
  'Q5_0',
  'Q5_1',
  'Q8_0',
  'Q2_K',
  'Q3_K_S',
  'Q3_K_M',
  'Q3_K_L',
  'Q4_K_S',
  'Q4_K_M',
  'Q5_K_S',
  'Q5_K_M',
  'Q6_K',
  'IQ4_NL',
  'IQ4_XS',
  'F16',
  'BF16',
  'F32',
] as const;
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
  /** With `imatrix`: how many importance-matrix entries the tool loaded from it. */
  imatrixEntries: number | null;
}

export async function llamaQuantize(o: QuantizeOptions, run: ToolRun): Promise<QuantizeResult> {
  const args = [
    ...(o.allowRequantize ? ['--allow-requantize'] : []),
    ...(o.imatrix ? ['--imatrix', o.imatrix] : []),
    o.input,
    o.output,
    o.type,
    String(o.threads ?? 1),
  ];
  const res: QuantizeResult = { modelMiB: null, quantMiB: null, bitsPerWeight: null, imatrixEntries: null };
  await runLlamaTool('llama-quantize', args, run, (line) => {
    const p = /^\[\s*(\d+)\/\s*(\d+)\]\s+(\S+)/.exec(line);
    if (p) o.onProgress?.(Number(p[1]), Number(p[2]), p[3]!);
    const im = /load_imatrix: loaded (\d+) importance matrix entries/.exec(line);
    if (im) res.imatrixEntries = Number(im[1]);
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
  batchSize?: number;
  ubatchSize?: number;
  flashAttention?: boolean;
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
  const args = [
    '-m',
    o.model,
    '-t',
    String(o.threads ?? 1),
    '-p',
    String(o.nPrompt ?? 64),
    '-n',
    String(o.nGen ?? 16),
    '-r',
    String(o.repetitions ?? 2),
    '-ngl',
    String(o.gpuLayers ?? 0),
    '-o',
    'json',
  ];
  if (o.batchSize !== undefined) args.push('-b', String(o.batchSize));
  if (o.ubatchSize !== undefined) args.push('-ub', String(o.ubatchSize));
  if (o.flashAttention !== undefined) args.push('-fa', o.flashAttention ? 'on' : 'off');
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

export interface PerplexityOptions {
  model: string;
  /**
   * Text to score. It must tokenize to at least 2 × contextSize tokens. Optional only with `klDivergence`,
   * whose base file holds the tokens it was computed on.
   */
  textFile?: string;
  /** Tokens per chunk (-c); the second half of each chunk is scored. */
  contextSize: number;
  threads?: number;
  /** Logical batch (-b); chunks evaluated together = batchSize / contextSize. Default: the tool's (2048). */
  batchSize?: number;
  /** Score only the first N chunks (--chunks). */
  chunks?: number;
  /** Also write the model's log-probabilities to this file (--kl-divergence-base), as the base for a later `klDivergence` run. */
  klDivergenceBase?: string;
  /**
   * Compare against a base file written by `klDivergenceBase` (--kl-divergence-base FILE --kl-divergence). The tokens and
   * chunks come from that file (`chunks` and `textFile` are not used); contextSize must be at least the one it was written with.
   */
  klDivergence?: string;
  /** After each chunk: chunks done, chunks in all, the running perplexity estimate. */
  onProgress?(doneChunks: number, totalChunks: number, runningPpl: number): void;
}

export interface PerplexityResult {
  /** Final perplexity estimate (in a KL run: Mean PPL(Q)). */
  perplexity: number;
  /** Its ± uncertainty, as the tool prints it. */
  stderr: number;
  /** Chunks scored. */
  chunks: number;
  /** The running estimate after each chunk, as the tool prints it (`[1]310.73,[2]332.08,...`): perChunk[i] covers chunks 1..i+1. */
  perChunk: number[];
  /** Only for `klDivergence` runs: the KL divergence and token-probability statistics, plus the running mean KLD per chunk. */
  kl?: KlDivergenceStats & { perChunk: number[] };
}

/**
 * llama-perplexity: perplexity over a text, writing or comparing against base logits for KL divergence.
 * A run whose final lines were lost at exit is repeated (see below), and its progress then starts over.
 */
export async function llamaPerplexity(o: PerplexityOptions, run: ToolRun): Promise<PerplexityResult> {
  positive('contextSize', o.contextSize);
  positive('threads', o.threads);
  positive('batchSize', o.batchSize);
  positive('chunks', o.chunks);
  if (o.klDivergence && o.klDivergenceBase) throw new LlamaToolError('klDivergence (compare) and klDivergenceBase (write) cannot be used together');
  if (!o.textFile && !o.klDivergence) throw new LlamaToolError('textFile is required unless comparing with klDivergence');
  const args = ['-m', o.model, '-c', String(o.contextSize), '-t', String(o.threads ?? 1)];
  if (o.textFile) args.push('-f', o.textFile);
  if (o.batchSize) args.push('-b', String(o.batchSize));
  if (o.chunks) args.push('--chunks', String(o.chunks));
  if (o.klDivergenceBase) args.push('--kl-divergence-base', o.klDivergenceBase);
  if (o.klDivergence) args.push('--kl-divergence-base', o.klDivergence, '--kl-divergence');

  // llama.cpp's tools log through a background thread that is never joined (common/log.cpp leaks its logger on purpose
  // and llama-perplexity does not call common_log_flush), so the lines logged just before exit (the final estimate,
  // the KL statistics) are sometimes lost: on a busy machine, for a small model, in up to half the runs. Such a run is
  // repeated (one that reported an error is not): quick runs several times, long ones once. Progress starts over.
  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    const r = await perplexityOnce(o, args, run);
    if ('result' in r) return r.result;
    const limit = Date.now() - started < 30_000 ? PERPLEXITY_QUICK_ATTEMPTS : 2;
    if (r.errors || attempt >= limit) throw noResult('llama-perplexity', o.klDivergence ? 'KL divergence statistics' : 'final estimate', r.stderr);
    run.log?.(`llama-perplexity exited without printing its ${o.klDivergence ? 'statistics' : 'final estimate'} (log lines lost at exit); running it again`);
    await delay(100 * attempt, undefined, { signal: run.signal });
  }
}

const PERPLEXITY_QUICK_ATTEMPTS = 10;

async function perplexityOnce(
  o: PerplexityOptions,
  args: string[],
  run: ToolRun,
): Promise<{ result: PerplexityResult } | { errors: boolean; stderr: string[] }> {
  let total = 0;
  let final: { perplexity: number; stderr: number } | null = null;
  let errors = false;
  const perChunk: number[] = [];
  const klPerChunk: number[] = [];
  const statLines: string[] = [];
  let inStats = false;
  const scanner = new RunningValueScanner();
  const errTail = stderrTail();
  await runLlamaTool(
    'llama-perplexity',
    args,
    run,
    (line, stream) => {
      const { level, text } = splitLogLine(line);
      if (stream === 'stderr') errTail.push(line);
      if (level === 'E') errors = true;
      total = parseChunkTotal(text) ?? total;
      final = parseFinalEstimate(line) ?? final;
      if (stream !== 'stdout' || !o.klDivergence) return;
      if (/^====== Perplexity statistics/.test(line)) inStats = true;
      if (inStats) return void statLines.push(line);
      const row = parseKlChunkRow(line);
      if (row) {
        perChunk.push(row.ppl);
        klPerChunk.push(row.kld);
        o.onProgress?.(row.chunk, total || row.chunk, row.ppl);
      }
    },
    (text, stream) => {
      if (stream !== 'stdout' || o.klDivergence) return;
      for (const { chunk, value } of scanner.push(text)) {
        perChunk.push(value);
        o.onProgress?.(chunk, total || chunk, value);
      }
    },
  );
  if (o.klDivergence) {
    const stats = parseKlStats(statLines);
    // `Same top p` is the last statistic printed: with it, the block is whole.
    if (!stats || !stats.all['Same top p']) return { errors, stderr: errTail.lines };
    return { result: { perplexity: stats.pplQ, stderr: stats.pplQStderr, chunks: klPerChunk.length, perChunk, kl: { ...stats, perChunk: klPerChunk } } };
  }
  const f = final as { perplexity: number; stderr: number } | null;
  if (!f) return { errors, stderr: errTail.lines };
  return { result: { perplexity: f.perplexity, stderr: f.stderr, chunks: perChunk.length, perChunk } };
}

export type ImatrixFormat = 'gguf' | 'dat';

export interface ImatrixOptions {
  model: string;
  /** Calibration text; it must tokenize to at least 2 × contextSize tokens. */
  textFile: string;
  /** Where to write the importance matrix. */
  output: string;
  contextSize: number;
  threads?: number;
  /** Process only the first N chunks (--chunks). */
  chunks?: number;
  /** --output-format. Default: 'dat' when `output` ends in .dat, else 'gguf' (the tool's default since llama.cpp b5900-ish). */
  format?: ImatrixFormat;
  /** Also collect data for the output tensor (--process-output). */
  processOutput?: boolean;
  /** Logical batch (-b); chunks evaluated together = batchSize / contextSize. */
  batchSize?: number;
  /** After each chunk: chunks done, chunks in all, the running perplexity estimate. */
  onProgress?(doneChunks: number, totalChunks: number, runningPpl: number): void;
}

export interface ImatrixResult {
  output: string;
  format: ImatrixFormat;
  /** Chunks the statistics were collected over. */
  chunks: number;
  /** Weight matrices with statistics in the file (read from its header), or null if unreadable. */
  entries: number | null;
  /** The tool's perplexity estimate over the same chunks, or null if it printed none. */
  perplexity: number | null;
  bytes: number;
}

/** llama-imatrix: collects activation statistics for imatrix-guided quantization (`llamaQuantize({ imatrix })`). */
export async function llamaImatrix(o: ImatrixOptions, run: ToolRun): Promise<ImatrixResult> {
  positive('contextSize', o.contextSize);
  positive('threads', o.threads);
  positive('chunks', o.chunks);
  positive('batchSize', o.batchSize);
  const format: ImatrixFormat = o.format ?? (/\.dat$/i.test(o.output) ? 'dat' : 'gguf');
  const args = ['-m', o.model, '-f', o.textFile, '-o', o.output, '--output-format', format, '-c', String(o.contextSize), '-t', String(o.threads ?? 1)];
  if (o.chunks) args.push('--chunks', String(o.chunks));
  if (o.batchSize) args.push('-b', String(o.batchSize));
  if (o.processOutput) args.push('--process-output');
  let total = 0;
  let done = 0;
  let final: { perplexity: number; stderr: number } | null = null;
  const scanner = new RunningValueScanner();
  await runLlamaTool(
    'llama-imatrix',
    args,
    run,
    (line) => {
      total = parseChunkTotal(splitLogLine(line).text) ?? total;
      final = parseFinalEstimate(line) ?? final;
    },
    (text, stream) => {
      if (stream !== 'stdout') return;
      for (const { chunk, value } of scanner.push(text)) {
        done = chunk;
        o.onProgress?.(chunk, total || chunk, value);
      }
    },
  );
  const s = await stat(o.output).catch(() => null);
  if (!s?.isFile() || s.size === 0) throw new LlamaToolError(`llama-imatrix finished but wrote no ${o.output}`);
  const header = await readHeader(o.output, 1 << 16);
  const entries = imatrixEntryCount(header, format);
  // The GGUF format records its chunk count; the printed counts can miss their last lines (see llamaPerplexity).
  const recorded = format === 'gguf' ? ggufMetadata(header)?.['imatrix.chunk_count'] : undefined;
  const f = final as { perplexity: number } | null;
  return {
    output: o.output,
    format,
    chunks: typeof recorded === 'number' ? recorded : total || done,
    entries,
    perplexity: f?.perplexity ?? null,
    bytes: s.size,
  };
}

export interface FinetuneProgress {
  /** 0-based epoch. */
  epoch: number;
  epochs: number;
  phase: 'train' | 'val';
  /** Batches done and in all, in this phase of this epoch. */
  done: number;
  total: number;
  /** Mean loss and token accuracy (fraction) so far in this phase of this epoch. */
  loss: number;
  accuracy: number;
}

export interface FinetuneEpoch {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  /** Null when there is no validation split. */
  valLoss: number | null;
  valAccuracy: number | null;
}

export interface FinetuneOptions {
  /** Model to train; llama-finetune trains all its weights (F32/F16 models; no LoRA in this llama.cpp). */
  model: string;
  /** Training text; it must tokenize to well over 1.5 × contextSize tokens (sequences of contextSize, stride contextSize/2). */
  textFile: string;
  /** Where to save the trained model (GGUF). */
  output: string;
  /** Training sequence length (-c). */
  contextSize: number;
  /** Default 2 (the tool's). */
  epochs?: number;
  /** Optimizer step size (-lr). Default: the tool's (1e-5). */
  learningRate?: number;
  threads?: number;
  /** Default: the tool's (adamw). */
  optimizer?: 'adamw' | 'sgd';
  /** Fraction of the data held out for validation (-val-split). Default: the tool's (0.05). */
  valSplit?: number;
  /** Weight decay (-wd). Default: the tool's (0). */
  weightDecay?: number;
  onProgress?(p: FinetuneProgress): void;
}

export interface FinetuneResult {
  output: string;
  epochs: FinetuneEpoch[];
  /** Mean training loss of the last epoch. */
  finalLoss: number | null;
  /** Mean validation loss of the last epoch, if there was a validation split. */
  finalValLoss: number | null;
}

/**
 * llama-finetune (examples/training/finetune.cpp): full fine-tuning of every weight with ggml-opt, next-token
 * loss over the text. This llama.cpp version has no LoRA training; use llamaExportLora to merge adapters made elsewhere.
 */
export async function llamaFinetune(o: FinetuneOptions, run: ToolRun): Promise<FinetuneResult> {
  positive('contextSize', o.contextSize);
  positive('threads', o.threads);
  positive('epochs', o.epochs);
  if (o.learningRate !== undefined && !(o.learningRate > 0)) throw new LlamaToolError(`learningRate must be > 0, got ${o.learningRate}`);
  if (o.valSplit !== undefined && !(o.valSplit >= 0 && o.valSplit < 1)) throw new LlamaToolError(`valSplit must be in [0, 1), got ${o.valSplit}`);
  const epochs = o.epochs ?? 2;
  const args = ['-m', o.model, '-f', o.textFile, '-o', o.output, '-c', String(o.contextSize), '-t', String(o.threads ?? 1), '-epochs', String(epochs)];
  if (o.learningRate !== undefined) args.push('-lr', String(o.learningRate));
  if (o.optimizer) args.push('-opt', o.optimizer);
  if (o.valSplit !== undefined) args.push('-val-split', String(o.valSplit));
  if (o.weightDecay !== undefined) args.push('-wd', String(o.weightDecay));

  const history: FinetuneEpoch[] = [];
  let epoch = -1;
  let total = epochs;
  let last: TrainProgressLine | null = null;
  // Once per batch the progress bar redraws and the learning rate is logged (`epoch 0 lr=0.001`): log only each phase's last redraw.
  const perBatch = (l: string) => (parseTrainProgress(l) ? !/data=(\d+)\/\1 /.test(l) : /^epoch \S+ lr=\S+$/.test(splitLogLine(l).text));
  const quiet: ToolRun = { ...run, log: run.log && ((l) => (perBatch(l) ? undefined : run.log!(l))) };
  try {
    await runLlamaTool('llama-finetune', args, quiet, (line, stream) => {
      if (stream !== 'stderr') return;
      total = parseFinetuneSettings(splitLogLine(line).text)?.epochs ?? total;
      const p = parseTrainProgress(line);
      if (!p) return;
      // A new epoch starts with a train line after val lines, or when the train counter starts over.
      if (p.phase === 'train' && (!last || last.phase === 'val' || p.done <= last.done)) {
        epoch++;
        history.push({ epoch, trainLoss: NaN, trainAccuracy: NaN, valLoss: null, valAccuracy: null });
      }
      const h = history.at(-1);
      if (!h) return;
      if (p.phase === 'train') {
        h.trainLoss = p.loss;
        h.trainAccuracy = p.accuracy;
      } else {
        h.valLoss = p.loss;
        h.valAccuracy = p.accuracy;
      }
      last = p;
      o.onProgress?.({ epoch, epochs: total, phase: p.phase, done: p.done, total: p.total, loss: p.loss, accuracy: p.accuracy });
    });
  } catch (err) {
    if (err instanceof LlamaToolError && /bad_alloc|failed to allocate CPU buffer of size 1844674/.test(err.message)) {
      err.message += `\n(llama-finetune crashes like this when the training text is shorter than about 1.5 × the context size of ${o.contextSize} tokens)`;
    }
    throw err;
  }
  const s = await stat(o.output).catch(() => null);
  if (!s?.isFile() || s.size === 0) throw new LlamaToolError(`llama-finetune finished but wrote no ${o.output}`);
  const end = history.at(-1);
  return { output: o.output, epochs: history, finalLoss: end && Number.isFinite(end.trainLoss) ? end.trainLoss : null, finalValLoss: end?.valLoss ?? null };
}

export interface LoraAdapterRef {
  /** LoRA adapter GGUF (general.type = adapter, adapter.type = lora) for the same architecture as the model. */
  path: string;
  /** Multiplies the adapter's alpha/rank scaling. Default 1. */
  scale?: number;
}

export interface ExportLoraOptions {
  model: string;
  /** Merged in order. With several, llama.cpp requires them to adapt exactly the same tensors. */
  adapters: LoraAdapterRef[];
  /** Merged model: adapted tensors become F16 unless the base tensor is F32; the rest is copied as is. */
  output: string;
  threads?: number;
  /** After each tensor is written: tensors done, tensors in all, its name. */
  onProgress?(done: number, total: number, tensor: string): void;
}

export interface ExportLoraResult {
  output: string;
  /** Tensors changed by the adapters. */
  mergedTensors: number;
  /** Tensors written in all. */
  totalTensors: number;
}

/** llama.cpp's CSV field quoting (its --lora list parser understands `"..."` with `""` for a quote). */
const csvField = (s: string) => `"${s.replace(/"/g, '""')}"`;

function loraArg(a: LoraAdapterRef): string[] {
  const scale = a.scale ?? 1;
  if (!Number.isFinite(scale)) throw new LlamaToolError(`adapter ${a.path}: scale must be a finite number`);
  if (scale === 1) return ['--lora', csvField(a.path)];
  // --lora-scaled splits FNAME:SCALE on every ':' and does not unquote, so the path may hold neither ':' nor ','.
  let p = a.path;
  if (/[:,"]/.test(p)) p = relative(process.cwd(), p);
  if (/[:,"]/.test(p))
    throw new LlamaToolError(`adapter ${a.path}: llama-export-lora cannot take a scale for a path containing ':', ',' or '"'; copy or link it elsewhere`);
  return ['--lora-scaled', `${p}:${scale}`];
}

/** llama-export-lora: merges LoRA adapters into the model's weights, writing a standalone model. */
export async function llamaExportLora(o: ExportLoraOptions, run: ToolRun): Promise<ExportLoraResult> {
  positive('threads', o.threads);
  if (o.adapters.length === 0) throw new LlamaToolError('llama-export-lora needs at least one adapter');
  const args = ['-m', o.model, ...o.adapters.flatMap(loraArg), '-o', o.output, '-t', String(o.threads ?? 1)];
  const total = await readHeader(o.model, 24)
    .then(ggufTensorCount)
    .catch(() => null);
  let done = 0;
  let merged: number | null = null;
  let wrote: number | null = null;
  await runLlamaTool('llama-export-lora', args, run, (line, stream) => {
    if (stream !== 'stdout') return;
    const p = parseExportLoraLine(line);
    if (!p) return;
    if ('tensor' in p) o.onProgress?.(++done, total ?? done, p.tensor);
    else if (p.kind === 'merged') merged = p.count;
    else wrote = p.count;
  });
  const m = merged as number | null;
  const w = wrote as number | null;
  if (m === null || w === null) throw new LlamaToolError(`llama-export-lora exited without reporting the merge of ${o.output}`);
  return { output: o.output, mergedTensors: m, totalTensors: w };
}
