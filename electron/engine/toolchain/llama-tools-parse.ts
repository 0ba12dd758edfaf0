/**
 * Pure parsers for what the llama.cpp tools print (llama.cpp as bundled with node-llama-cpp, tag v0.5.0).
 * No I/O here: llama-tools.ts feeds them the tools' output, the unit tests feed them captured samples.
 *
 * Log lines from llama.cpp's common logger carry a prefix by default (`common_init()` turns on
 * prefix + timestamps): `0.00.025.029 E perplexity: you need at least 256 tokens ...`, level I/W/E/D.
 * Plain `LOG(...)` output (running perplexities, statistics tables) has no prefix. A line may also hold the
 * end of an unterminated message, e.g. `perplexity: 0.04 seconds per pass - ETA 0.00.069.820 I Final estimate: ...`.
 */

export type LogLevel = 'I' | 'W' | 'E' | 'D';

const PREFIX = /^\d+\.\d+\.\d+\.\d+ ([IWED]) /;

/** Strips the common logger's `M.ss.mmm.uuu L ` prefix; `level` is null for unprefixed lines. */
export function splitLogLine(line: string): { level: LogLevel | null; text: string } {
  const m = PREFIX.exec(line);
  return m ? { level: m[1] as LogLevel, text: line.slice(m[0].length) } : { level: null, text: line };
}

const NUM = String.raw`[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?nan|[-+]?inf`;

/** parseFloat that also reads C's `nan`/`inf`/`-inf`. */
export function num(s: string): number {
  const t = s.trim().toLowerCase();
  if (t === 'nan' || t === '-nan' || t === '+nan') return NaN;
  if (t === 'inf' || t === '+inf') return Infinity;
  if (t === '-inf') return -Infinity;
  return Number(t);
}

/**
 * Scans the running estimates that llama-perplexity and llama-imatrix print to stdout as they go, one
 * `[chunk]value,` per chunk on a single line (`[1]310.7301,[2]332.0839,`), so they arrive without line ends.
 * Feed it raw stdout text in any pieces; it returns the entries each piece completes.
 */
export class RunningValueScanner {
  private buf = '';

  push(text: string): Array<{ chunk: number; value: number }> {
    this.buf += text;
    const out: Array<{ chunk: number; value: number }> = [];
    const re = new RegExp(String.raw`\[(\d+)\](${NUM}),`, 'g');
    let last = 0;
    for (let m = re.exec(this.buf); m; m = re.exec(this.buf)) {
      out.push({ chunk: Number(m[1]), value: num(m[2]!) });
      last = re.lastIndex;
    }
    this.buf = this.buf.slice(last);
    // Keep only a possible partial entry (`[12]3.4`) for the next piece.
    const open = this.buf.lastIndexOf('[');
    this.buf = open >= 0 ? this.buf.slice(open) : '';
    if (this.buf.length > 64) this.buf = ''; // not an entry
    return out;
  }
}

/** `perplexity: calculating perplexity over 4 chunks, n_ctx=128, ...`, `kl_divergence: computing over 4 chunks, ...`, `compute_imatrix: computing over ...`. */
export function parseChunkTotal(line: string): number | null {
  const m = /\b(?:calculating perplexity|computing) over (\d+) chunks\b/.exec(line);
  return m ? Number(m[1]) : null;
}

/** `Final estimate: PPL = 332.3569 +/- 11.16483` (anywhere in the line: it can follow an unterminated `ETA ` message). */
export function parseFinalEstimate(line: string): { perplexity: number; stderr: number } | null {
  const m = new RegExp(String.raw`Final estimate: PPL = (${NUM}) \+/- (${NUM})`).exec(line);
  return m ? { perplexity: num(m[1]!), stderr: num(m[2]!) } : null;
}

/** One row of the `--kl-divergence` per-chunk table (all values are running over the chunks so far). */
export interface KlChunkRow {
  chunk: number;
  ppl: number;
  pplStderr: number;
  lnPplRatio: number;
  kld: number;
  kldStderr: number;
  /** Fractions (0–1), printed as percent. */
  rmsDeltaP: number;
  sameTopP: number;
}

/** `   1     311.4701 ±   22.0619       0.00238 ±    0.00087       0.00003 ±    0.00000     0.003 ±  0.000 %    98.413 ±  1.587 %` */
export function parseKlChunkRow(line: string): KlChunkRow | null {
  const v = `(${NUM})`;
  const pm = String.raw`\s*±\s*`;
  const re = new RegExp(String.raw`^\s*(\d+)\s+${v}${pm}${v}\s+${v}${pm}${v}\s+${v}${pm}${v}\s+${v}${pm}${v}\s*%\s+${v}${pm}${v}\s*%\s*$`);
  const m = re.exec(line);
  if (!m) return null;
  const n = (i: number) => num(m[i]!);
  return { chunk: Number(m[1]), ppl: n(2), pplStderr: n(3), lnPplRatio: n(4), kld: n(6), kldStderr: n(7), rmsDeltaP: n(8) / 100, sameTopP: n(10) / 100 };
}

/** One `label : value [± stderr] [%]` line of the KL divergence summary; percentages are given as fractions. */
export interface KlStat {
  value: number;
  stderr?: number;
  percent: boolean;
}

/** The statistics llama-perplexity prints after a `--kl-divergence` run. Percent figures are fractions (0–1). */
export interface KlDivergenceStats {
  meanKld: number;
  meanKldStderr: number;
  medianKld: number;
  maxKld: number;
  minKld: number;
  /** `99.9%   KLD` etc., keyed by the percentile as printed: '99.9', '99.0', '95.0', '90.0', '10.0', '5.0', '1.0', '0.1'. */
  kldPercentiles: Record<string, number>;
  /** Perplexity of the model under test and of the base logits, over the same tokens. */
  pplQ: number;
  pplQStderr: number;
  pplBase: number;
  pplBaseStderr: number;
  /** Mean PPL(Q)/PPL(base). */
  pplRatio: number;
  pplRatioStderr: number;
  /** Mean ln(PPL(Q)/PPL(base)). */
  lnPplRatio: number;
  /** Cor(ln(PPL(Q)), ln(PPL(base))), as a fraction. */
  pplCorrelation: number;
  /** Mean and RMS change of the probability of the right token, fractions. */
  meanDeltaP: number;
  rmsDeltaP: number;
  /** How often both models rank the same token first, a fraction. */
  sameTopP: number;
  sameTopPStderr: number;
  /** Every summary line, keyed by its label with runs of spaces collapsed (`Mean KLD`, `99.9% KLD`, `Same top p`, ...). */
  all: Record<string, KlStat>;
}

/** Parses one summary line; null for headers, blanks and table rows. */
export function parseKlStatLine(line: string): { label: string; stat: KlStat } | null {
  const m = new RegExp(String.raw`^\s*(\S.*?)\s*:\s*(${NUM})(?:\s*±\s*(${NUM}))?\s*(%)?\s*$`).exec(line);
  if (!m) return null;
  const percent = m[4] === '%';
  const k = percent ? 0.01 : 1;
  const stat: KlStat = { value: num(m[2]!) * k, percent };
  if (m[3] !== undefined) stat.stderr = num(m[3]) * k;
  return { label: m[1]!.replace(/\s+/g, ' '), stat };
}

/** Builds the typed summary from the lines after `====== Perplexity statistics ======`; null when `Mean KLD` is missing. */
export function parseKlStats(lines: readonly string[]): KlDivergenceStats | null {
  const all: Record<string, KlStat> = {};
  for (const line of lines) {
    const p = parseKlStatLine(line);
    if (p) all[p.label] = p.stat;
  }
  const mean = all['Mean KLD'];
  if (!mean) return null;
  const v = (label: string) => all[label]?.value ?? NaN;
  const e = (label: string) => all[label]?.stderr ?? NaN;
  const kldPercentiles: Record<string, number> = {};
  for (const [label, stat] of Object.entries(all)) {
    const m = /^([\d.]+)% KLD$/.exec(label);
    if (m) kldPercentiles[Number(m[1]).toFixed(1)] = stat.value;
  }
  return {
    meanKld: mean.value,
    meanKldStderr: mean.stderr ?? NaN,
    medianKld: v('Median KLD'),
    maxKld: v('Maximum KLD'),
    minKld: v('Minimum KLD'),
    kldPercentiles,
    pplQ: v('Mean PPL(Q)'),
    pplQStderr: e('Mean PPL(Q)'),
    pplBase: v('Mean PPL(base)'),
    pplBaseStderr: e('Mean PPL(base)'),
    pplRatio: v('Mean PPL(Q)/PPL(base)'),
    pplRatioStderr: e('Mean PPL(Q)/PPL(base)'),
    lnPplRatio: v('Mean ln(PPL(Q)/PPL(base))'),
    pplCorrelation: v('Cor(ln(PPL(Q)), ln(PPL(base)))'),
    meanDeltaP: v('Mean Δp'),
    rmsDeltaP: v('RMS Δp'),
    sameTopP: v('Same top p'),
    sameTopPStderr: e('Same top p'),
    all,
  };
}

/** A redraw of ggml-opt's training progress bar (llama-finetune). */
export interface TrainProgressLine {
  phase: 'train' | 'val';
  done: number;
  total: number;
  /** Mean loss over the batches so far in this phase of this epoch. */
  loss: number;
  lossStderr: number;
  /** Token accuracy so far, a fraction. */
  accuracy: number;
  accuracyStderr: number;
}

/** `train: [███▌    ] data=0000037/0000064 loss=3.73225±0.08739 acc=14.19±1.01% t=00:00:01 ETA=00:00:00 ` */
export function parseTrainProgress(line: string): TrainProgressLine | null {
  const re = new RegExp(String.raw`^(train|val):\s*\[[^\]]*\] data=(\d+)/(\d+) loss=(${NUM})±(${NUM}) acc=(${NUM})±(${NUM})%`);
  const m = re.exec(line);
  if (!m) return null;
  return {
    phase: m[1] as 'train' | 'val',
    done: Number(m[2]),
    total: Number(m[3]),
    loss: num(m[4]!),
    lossStderr: num(m[5]!),
    accuracy: num(m[6]!) / 100,
    accuracyStderr: num(m[7]!) / 100,
  };
}

/** `-optimizer adamw -lr0 0.001 -wd 0 -lr-min -1 -min-epochs -1 -epochs 1 -period 4 -val 0.05` (llama-finetune's settings line). */
export function parseFinetuneSettings(line: string): { optimizer: string; learningRate: number; epochs: number; valSplit: number } | null {
  const m = new RegExp(String.raw`-optimizer (\S+) -lr0 (${NUM}) .*-epochs (\d+) .*-val (${NUM})`).exec(line);
  return m ? { optimizer: m[1]!, learningRate: num(m[2]!), epochs: Number(m[3]), valSplit: num(m[4]!) } : null;
}

/**
 * llama-export-lora's stdout: `merge_tensor : blk.0.attn_q.weight [256, 256, 1, 1]`, `copy_tensor :  token_embd.weight [...]`,
 * then `run_merge : merged 2 tensors with lora adapters` and `run_merge : wrote 21 tensors to output file`.
 */
export type ExportLoraLine = { kind: 'merge' | 'copy'; tensor: string } | { kind: 'merged'; count: number } | { kind: 'wrote'; count: number };

export function parseExportLoraLine(line: string): ExportLoraLine | null {
  const t = /^(merge|copy)_tensor :\s+(\S+) \[/.exec(line);
  if (t) return { kind: t[1] as 'merge' | 'copy', tensor: t[2]! };
  const c = /^run_merge : (merged|wrote) (\d+) tensors\b/.exec(line);
  if (c) return { kind: c[1] as 'merged' | 'wrote', count: Number(c[2]) };
  return null;
}

/** Tensor count from the first 24 bytes of a GGUF file (`GGUF` | u32 version | u64 tensor_count | u64 kv_count); null if not GGUF. */
export function ggufTensorCount(header: Uint8Array): number | null {
  if (header.length < 24) return null;
  const dv = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (dv.getUint32(0, true) !== 0x46554747) return null;
  return Number(dv.getBigUint64(8, true));
}

/**
 * Number of entries (weight matrices with activation statistics) in an imatrix file from its first bytes:
 * GGUF format stores two tensors per entry (`<name>.in_sum2`, `<name>.counts`); the legacy `dat` format
 * starts with an i32 entry count.
 */
export function imatrixEntryCount(header: Uint8Array, format: 'gguf' | 'dat'): number | null {
  if (format === 'gguf') {
    const n = ggufTensorCount(header);
    return n === null ? null : n / 2;
  }
  if (header.length < 4) return null;
  return new DataView(header.buffer, header.byteOffset, header.byteLength).getInt32(0, true);
}

export type GgufValue = number | bigint | boolean | string | GgufValue[];

/**
 * The key/value metadata at the start of a GGUF file (the first bytes of it are enough); null if `header` is not GGUF
 * or ends inside the metadata. 64-bit integers that fit a double are numbers.
 */
export function ggufMetadata(header: Uint8Array): Record<string, GgufValue> | null {
  const dv = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (header.length < 24 || dv.getUint32(0, true) !== 0x46554747) return null;
  let at = 24;
  const need = (n: number) => {
    if (at + n > header.length) throw new RangeError('short');
  };
  const u64 = (): number | bigint => {
    need(8);
    const v = dv.getBigUint64(at, true);
    at += 8;
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const str = (): string => {
    const n = Number(u64());
    need(n);
    const s = new TextDecoder().decode(header.subarray(at, at + n));
    at += n;
    return s;
  };
  const scalar: Record<number, [number, (o: number) => number | bigint | boolean]> = {
    0: [1, (o) => dv.getUint8(o)],
    1: [1, (o) => dv.getInt8(o)],
    2: [2, (o) => dv.getUint16(o, true)],
    3: [2, (o) => dv.getInt16(o, true)],
    4: [4, (o) => dv.getUint32(o, true)],
    5: [4, (o) => dv.getInt32(o, true)],
    6: [4, (o) => dv.getFloat32(o, true)],
    7: [1, (o) => dv.getUint8(o) !== 0],
    10: [8, (o) => dv.getBigUint64(o, true)],
    11: [8, (o) => dv.getBigInt64(o, true)],
    12: [8, (o) => dv.getFloat64(o, true)],
  };
  const value = (type: number): GgufValue => {
    if (type === 8) return str();
    if (type === 9) {
      need(4);
      const inner = dv.getUint32(at, true);
      at += 4;
      const n = Number(u64());
      const out: GgufValue[] = [];
      for (let i = 0; i < n; i++) out.push(value(inner));
      return out;
    }
    const s = scalar[type];
    if (!s) throw new RangeError(`GGUF value type ${type}`);
    need(s[0]);
    const v = s[1](at);
    at += s[0];
    return typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  try {
    const count = Number(dv.getBigUint64(16, true));
    const out: Record<string, GgufValue> = {};
    for (let i = 0; i < count; i++) {
      const key = str();
      need(4);
      const type = dv.getUint32(at, true);
      at += 4;
      out[key] = value(type);
    }
    return out;
  } catch (err) {
    if (err instanceof RangeError) return null;
    throw err;
  }
}
