// `npm run bench -- gguf-inspect [--runs N] [--json]`
//
// How long inspecting a large GGUF takes. Writes a sparse ~10 GB GGUF (a real header and tensor table of a
// 15B-class llama: 32 layers, 291 tensors, Q4_K/Q6_K, a 32,000-token vocabulary and a chat template; the tensor
// data is a hole) into a temp folder, then times, median of N runs (default 7, the two alternating) after 3 warm-up runs:
//   ours       inspectModel (header walk with bounds checks, node-llama-cpp's readGgufFileInfo, tensor checks,
//              families, the rendered chat template)
//   reference  node-llama-cpp's bare readGgufFileInfo on the same file
// Budget: 200 ms for ours. Exits 1 when it is missed. The file is removed at the end.
import { mkdtempSync, openSync, closeSync, writeSync, ftruncateSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { inspectModel } from '../electron/engine/models/inspect/index.ts';

const BUDGET_MS = 200;
const { values: opts } = parseArgs({
  options: { runs: { type: 'string', default: '7' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  strict: true,
});
if (opts.help) {
  console.log('Usage: npm run bench -- gguf-inspect [--runs N] [--json]');
  process.exit(0);
}
const runs = Number.parseInt(opts.runs, 10);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`--runs must be a positive integer, not ${opts.runs}`);
  process.exit(2);
}
const log = (msg) => {
  if (!opts.json) process.stderr.write(`${msg}\n`);
};

// --- A minimal GGUF v3 header writer -------------------------------------------------------------------------
const T = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9 };
const GGML = { F32: [0, 1, 4], Q4_K: [12, 256, 144], Q6_K: [14, 256, 210] }; // id, block elements, block bytes
const ALIGNMENT = 32;

class Writer {
  chunks = [];
  length = 0;
  push(b) {
    this.chunks.push(b);
    this.length += b.length;
  }
  u32(v) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  f32(v) {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  u64(v) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  str(s) {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  kv(key, type, value) {
    this.str(key);
    this.u32(type);
    if (type === T.UINT32) this.u32(value);
    else if (type === T.FLOAT32) this.f32(value);
    else if (type === T.BOOL) this.push(Buffer.from([value ? 1 : 0]));
    else if (type === T.STRING) this.str(value);
  }
  array(key, itemType, values) {
    this.str(key);
    this.u32(T.ARRAY);
    this.u32(itemType);
    this.u64(values.length);
    for (const v of values) {
      if (itemType === T.STRING) this.str(v);
      else if (itemType === T.FLOAT32) this.f32(v);
      else this.i32(v);
    }
  }
  toBuffer() {
    return Buffer.concat(this.chunks);
  }
}

const CHAT_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

/** Writes the header of a 15B-class llama and extends the file to its full size as a hole. */
function writeSparseGguf(file) {
  const layers = 32;
  const embd = 6144;
  const ff = 20480;
  const heads = 48;
  const headsKv = 8;
  const vocab = 32000;
  const kvDim = (embd / heads) * headsKv;
  const tensors = [
    ['token_embd.weight', [embd, vocab], 'Q4_K'],
    ['output_norm.weight', [embd], 'F32'],
    ['output.weight', [embd, vocab], 'Q6_K'],
  ];
  for (let i = 0; i < layers; i++) {
    const p = `blk.${i}.`;
    tensors.push(
      [`${p}attn_norm.weight`, [embd], 'F32'],
      [`${p}attn_q.weight`, [embd, embd], 'Q4_K'],
      [`${p}attn_k.weight`, [embd, kvDim], 'Q4_K'],
      [`${p}attn_v.weight`, [embd, kvDim], 'Q6_K'],
      [`${p}attn_output.weight`, [embd, embd], 'Q4_K'],
      [`${p}ffn_norm.weight`, [embd], 'F32'],
      [`${p}ffn_gate.weight`, [embd, ff], 'Q4_K'],
      [`${p}ffn_up.weight`, [embd, ff], 'Q4_K'],
      [`${p}ffn_down.weight`, [ff, embd], 'Q6_K'],
    );
  }
  const tokens = ['<unk>', '<s>', '</s>'];
  for (let b = 0; b < 256; b++) tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  while (tokens.length < vocab) tokens.push(`\u2581tok${tokens.length}`);

  const w = new Writer();
  w.push(Buffer.from('GGUF', 'latin1'));
  w.u32(3);
  w.u64(tensors.length);
  const kvs = [
    () => w.kv('general.architecture', T.STRING, 'llama'),
    () => w.kv('general.name', T.STRING, 'Sparse Bench 15B'),
    () => w.kv('general.file_type', T.UINT32, 15), // MOSTLY_Q4_K_M
    () => w.kv('general.alignment', T.UINT32, ALIGNMENT),
    () => w.kv('general.license', T.STRING, 'apache-2.0'),
    () => w.kv('llama.context_length', T.UINT32, 8192),
    () => w.kv('llama.embedding_length', T.UINT32, embd),
    () => w.kv('llama.block_count', T.UINT32, layers),
    () => w.kv('llama.feed_forward_length', T.UINT32, ff),
    () => w.kv('llama.rope.dimension_count', T.UINT32, embd / heads),
    () => w.kv('llama.rope.freq_base', T.FLOAT32, 500000),
    () => w.kv('llama.attention.head_count', T.UINT32, heads),
    () => w.kv('llama.attention.head_count_kv', T.UINT32, headsKv),
    () => w.kv('llama.attention.layer_norm_rms_epsilon', T.FLOAT32, 1e-5),
    () => w.kv('llama.vocab_size', T.UINT32, vocab),
    () => w.kv('tokenizer.ggml.model', T.STRING, 'llama'),
    () => w.array('tokenizer.ggml.tokens', T.STRING, tokens),
    () =>
      w.array(
        'tokenizer.ggml.scores',
        T.FLOAT32,
        tokens.map((_, i) => -i),
      ),
    () =>
      w.array(
        'tokenizer.ggml.token_type',
        T.INT32,
        tokens.map((_, i) => (i < 3 ? 3 : i < 259 ? 6 : 1)),
      ),
    () => w.kv('tokenizer.ggml.bos_token_id', T.UINT32, 1),
    () => w.kv('tokenizer.ggml.eos_token_id', T.UINT32, 2),
    () => w.kv('tokenizer.ggml.unknown_token_id', T.UINT32, 0),
    () => w.kv('tokenizer.ggml.add_bos_token', T.BOOL, true),
    () => w.kv('tokenizer.chat_template', T.STRING, CHAT_TEMPLATE),
    () => w.kv('general.quantization_version', T.UINT32, 2),
  ];
  w.u64(kvs.length);
  for (const kv of kvs) kv();
  let offset = 0;
  let parameters = 0;
  for (const [name, dims, type] of tensors) {
    const [id, block, bytes] = GGML[type];
    const elements = dims.reduce((a, b) => a * b, 1);
    parameters += elements;
    w.str(name);
    w.u32(dims.length);
    for (const d of dims) w.u64(d);
    w.u32(id);
    w.u64(offset);
    offset = Math.ceil((offset + (elements / block) * bytes) / ALIGNMENT) * ALIGNMENT;
  }
  const header = w.toBuffer();
  const dataStart = Math.ceil(header.length / ALIGNMENT) * ALIGNMENT;
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, header);
    ftruncateSync(fd, dataStart + offset);
  } finally {
    closeSync(fd);
  }
  return { sizeBytes: dataStart + offset, headerBytes: header.length, tensors: tensors.length, parameters };
}

// --- Timing -----------------------------------------------------------------------------------------------------
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

const WARMUP = 3; // module loads, JIT of both parsers, page cache

/** Times `a` and `b` alternately, so that load from other processes falls on both alike. */
async function timePair(a, b) {
  for (let i = 0; i < WARMUP; i++) {
    await a();
    await b();
  }
  const samples = [[], []];
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? [0, 1] : [1, 0];
    for (const which of order) {
      const t0 = performance.now();
      await (which === 0 ? a() : b());
      samples[which].push(performance.now() - t0);
    }
  }
  return samples;
}

const dir = mkdtempSync(join(tmpdir(), 'whittle-bench-gguf-'));
let exitCode = 0;
try {
  const file = join(dir, 'sparse-15b.Q4_K_M.gguf');
  const made = writeSparseGguf(file);
  const onDisk = statSync(file);
  log(
    `Sparse GGUF: ${(made.sizeBytes / 1e9).toFixed(2)} GB (${((onDisk.blocks * 512) / 1e6).toFixed(1)} MB allocated), ` +
      `${made.tensors} tensors, ${(made.parameters / 1e9).toFixed(2)}B parameters, ${(made.headerBytes / 1e6).toFixed(2)} MB header`,
  );

  const { readGgufFileInfo } = await import('node-llama-cpp');
  let last;
  const [ours, reference] = await timePair(
    async () => {
      last = await inspectModel(file);
    },
    () => readGgufFileInfo(file, { logWarnings: false }),
  );
  const i = last.inspection;
  if (i.parameterCount !== made.parameters || i.sizeBytes !== made.sizeBytes || i.quantization !== 'Q4_K_M') {
    throw new Error(`inspectModel read the file wrong: ${i.parameterCount} parameters, ${i.sizeBytes} bytes, ${i.quantization}`);
  }
  const oursMs = median(ours);
  const refMs = median(reference);
  const pass = oursMs < BUDGET_MS;
  const result = {
    fileBytes: made.sizeBytes,
    tensors: made.tensors,
    runs,
    oursMedianMs: Number(oursMs.toFixed(2)),
    referenceMedianMs: Number(refMs.toFixed(2)),
    ratio: Number((oursMs / refMs).toFixed(2)),
    budgetMs: BUDGET_MS,
    pass,
    oursSamplesMs: ours.map((x) => Number(x.toFixed(2))),
    referenceSamplesMs: reference.map((x) => Number(x.toFixed(2))),
  };
  if (opts.json) console.log(JSON.stringify(result));
  else {
    console.log(`inspectModel           median ${oursMs.toFixed(1)} ms  (${runs} runs: ${result.oursSamplesMs.join(', ')})`);
    console.log(`readGgufFileInfo (ref) median ${refMs.toFixed(1)} ms  (${runs} runs: ${result.referenceSamplesMs.join(', ')})`);
    console.log(`ours / reference       ${result.ratio}x`);
    console.log(`${pass ? 'PASS' : 'FAIL'}: ${oursMs.toFixed(1)} ms ${pass ? '<' : '>='} ${BUDGET_MS} ms budget`);
  }
  if (!pass) exitCode = 1;
} catch (err) {
  console.error(err instanceof Error ? err.stack : err);
  exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(exitCode);
