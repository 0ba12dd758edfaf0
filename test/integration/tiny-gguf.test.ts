/**
 * The tiny GGUF fixture is deterministic, well-formed, and really runs in llama.cpp.
 *
 *   node --import tsx --test test/integration/tiny-gguf.test.ts
 *
 * node-llama-cpp is ESM with top-level await, so it is loaded with a dynamic import (this file may be
 * compiled as CommonJS). llama.cpp always runs on the CPU with one thread.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GgufFileInfo, GgufTensorInfo, Llama, LlamaModel, Token } from 'node-llama-cpp';
import { buildTinyGguf, CHATML_TEMPLATE, SPM_SPACE, writeTinyGguf, type TinyGgufOptions } from '../fixtures/tiny-gguf';

type NodeLlamaCpp = typeof import('node-llama-cpp');

const TIMEOUT = { timeout: 180_000 };
/** `<unk>`, `<s>`, `</s>`, 256 bytes, "▁". */
const N_VOCAB = 260;
const byteToken = (b: number): number => 3 + b;
const SPACE_TOKEN = 259;

let dir = '';
let nlcPromise: Promise<NodeLlamaCpp> | undefined;
let llamaPromise: Promise<Llama> | undefined;
/** warn-and-above messages from llama.cpp / node-llama-cpp, for assertions. */
const llamaWarnings: string[] = [];

const nlc = (): Promise<NodeLlamaCpp> => (nlcPromise ??= import('node-llama-cpp'));

async function getSharedLlama(): Promise<Llama> {
  llamaPromise ??= nlc().then(({ getLlama, LlamaLogLevel }) =>
    getLlama({
      gpu: false,
      build: 'never', // use the prebuilt binary; never compile
      maxThreads: 1,
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => {
        llamaWarnings.push(`[${level}] ${message}`);
      },
    }),
  );
  return llamaPromise;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tiny-gguf-'));
});

after(async () => {
  if (llamaPromise) await (await llamaPromise).dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Number of stored bytes of an F32/F16 tensor. */
function tensorBytes(t: GgufTensorInfo, GgmlType: NodeLlamaCpp['GgmlType']): number {
  const elements = t.dimensions.reduce<number>((n, d) => n * Number(d), 1);
  if (t.ggmlType === GgmlType.F32) return elements * 4;
  if (t.ggmlType === GgmlType.F16) return elements * 2;
  throw new Error(`unexpected ggml type ${t.ggmlType} for ${t.name}`);
}

/**
 * readGgufFileInfo plus a completeness check. node-llama-cpp's reader zero-fills reads past EOF, so on its
 * own it only rejects files cut inside the 4-byte magic; the header and tensor extents it reports must
 * also fit in the file.
 */
async function readGgufFileInfoStrict(path: string): Promise<GgufFileInfo> {
  const { readGgufFileInfo, GgmlType } = await nlc();
  const info = await readGgufFileInfo(path, { logWarnings: false });
  const { size } = await stat(path);
  let needed = info.infoEndOffset ?? 0;
  for (const t of info.tensorInfo ?? []) needed = Math.max(needed, Number(t.fileOffset) + tensorBytes(t, GgmlType));
  if (size < needed) throw new Error(`truncated GGUF: ${path} has ${size} bytes, its layout needs ${needed}`);
  return info;
}

function expectedParams(o: { nEmbd: number; nLayer: number; nHead: number; nHeadKv: number; nFf: number }): number {
  const kv = (o.nEmbd / o.nHead) * o.nHeadKv;
  const perLayer = 2 * o.nEmbd + 2 * o.nEmbd * o.nEmbd + 2 * o.nEmbd * kv + 3 * o.nEmbd * o.nFf;
  return 2 * N_VOCAB * o.nEmbd + o.nEmbd + o.nLayer * perLayer;
}

function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

async function loadModel(opts: TinyGgufOptions, file: string): Promise<LlamaModel> {
  const llama = await getSharedLlama();
  const modelPath = await writeTinyGguf(join(dir, file), opts);
  return llama.loadModel({ modelPath, gpuLayers: 0 });
}

/** Greedy generation straight from the context sequence: every sampled token, EOS suppressed. */
async function greedyTokens(model: LlamaModel, prompt: string, count: number): Promise<Token[]> {
  const { TokenBias } = await nlc();
  const bos = model.tokens.bos;
  const eos = model.tokens.eos;
  assert.ok(bos !== null && eos !== null, 'model has BOS and EOS tokens');
  const context = await model.createContext({ contextSize: 128, batchSize: 128, threads: 1 });
  try {
    const out: Token[] = [];
    const tokenBias = new TokenBias(model.tokenizer).set(eos, 'never');
    const input = [bos, ...model.tokenize(prompt)];
    for await (const token of context.getSequence().evaluate(input, { temperature: 0, tokenBias })) {
      out.push(token);
      if (out.length >= count) break;
    }
    return out;
  } finally {
    await context.dispose();
  }
}

test('same seed gives identical bytes, different seed or type gives different bytes, size as expected', async () => {
  const a = buildTinyGguf({ seed: 1 });
  const b = buildTinyGguf({ seed: 1 });
  const c = buildTinyGguf({ seed: 2 });
  const h = buildTinyGguf({ seed: 1, tensorType: 'f16' });
  assert.ok(a.equals(b), 'same seed -> same bytes');
  assert.ok(!a.equals(c), 'different seed -> different bytes');
  // With the name pinned, only the weights can differ.
  const named1 = buildTinyGguf({ seed: 1, name: 'pinned' });
  const named2 = buildTinyGguf({ seed: 2, name: 'pinned' });
  const header = named1.length - expectedParams({ nEmbd: 64, nLayer: 2, nHead: 4, nHeadKv: 4, nFf: 128 }) * 4;
  assert.ok(named1.subarray(0, header).equals(named2.subarray(0, header)), 'same header');
  assert.ok(!named1.subarray(header).equals(named2.subarray(header)), 'different seed -> different weights');
  assert.equal(a.length, c.length, 'seed does not change the layout');
  assert.ok(!a.equals(h), 'f16 differs from f32');
  assert.equal(a.subarray(0, 4).toString('latin1'), 'GGUF');
  assert.equal(a.readUInt32LE(4), 3, 'GGUF version 3');

  const dataBytes = expectedParams({ nEmbd: 64, nLayer: 2, nHead: 4, nHeadKv: 4, nFf: 128 }) * 4;
  assert.ok(a.length > dataBytes + 1024 && a.length < dataBytes + 16 * 1024, `f32 size ${a.length} vs ${dataBytes} data bytes`);
  assert.ok(a.length > 400_000 && a.length < 600_000, `default size ~0.5 MB, got ${a.length}`);
  assert.ok(h.length > a.length * 0.45 && h.length < a.length * 0.55, `f16 size ${h.length} ~ half of ${a.length}`);

  const path = await writeTinyGguf(join(dir, 'nested', 'write.gguf'), { seed: 1 });
  assert.ok((await readFile(path)).equals(a), 'writeTinyGguf writes the built bytes');
  assert.deepEqual(await readdir(join(dir, 'nested')), ['write.gguf'], 'no temp files left behind');
});

test("node-llama-cpp's GGUF reader parses the metadata and tensor layout we wrote", async () => {
  const { GgmlType } = await nlc();
  const path = await writeTinyGguf(join(dir, 'meta.gguf'), { seed: 5 });
  const info = await readGgufFileInfoStrict(path);
  const { size } = await stat(path);

  assert.equal(info.version, 3);
  assert.equal(info.metadata.general.architecture, 'llama');
  assert.equal(info.metadata.general.name, 'tiny-llama-s5');
  assert.equal(info.metadata.general.file_type, 0);
  assert.equal(info.metadata.general.alignment, 32);
  const arch = info.architectureMetadata;
  assert.equal(arch.block_count, 2);
  assert.equal(arch.embedding_length, 64);
  assert.equal(arch.context_length, 256);
  assert.equal(arch.feed_forward_length, 128);
  assert.equal(arch.vocab_size, N_VOCAB);
  assert.equal(arch.rope?.dimension_count, 16);
  assert.equal(arch.attention?.head_count, 4);
  assert.equal(arch.attention?.head_count_kv, 4);
  assert.ok(Math.abs((arch.attention?.layer_norm_rms_epsilon ?? 0) - 1e-5) < 1e-9);

  const tok = info.metadata.tokenizer;
  assert.equal(tok.chat_template, CHATML_TEMPLATE);
  assert.equal(tok.ggml.model, 'llama');
  assert.equal(tok.ggml.tokens.length, N_VOCAB);
  assert.deepEqual(tok.ggml.tokens.slice(0, 5), ['<unk>', '<s>', '</s>', '<0x00>', '<0x01>']);
  assert.equal(tok.ggml.tokens[byteToken(0x0a)], '<0x0A>');
  assert.equal(tok.ggml.tokens[byteToken(0xff)], '<0xFF>');
  assert.equal(tok.ggml.tokens[SPACE_TOKEN], SPM_SPACE);
  assert.deepEqual([...tok.ggml.token_type.slice(0, 4)], [2, 3, 3, 6]);
  assert.equal(tok.ggml.token_type.filter((t) => Number(t) === 6).length, 256);
  assert.equal(tok.ggml.scores?.length, N_VOCAB);
  assert.equal(tok.ggml.bos_token_id, 1);
  assert.equal(tok.ggml.eos_token_id, 2);
  assert.equal(tok.ggml.unknown_token_id, 0);
  assert.equal(tok.ggml.add_bos_token, true);

  const tensors = new Map((info.tensorInfo ?? []).map((t) => [t.name, t]));
  assert.equal(tensors.size, 3 + 9 * 2);
  const dims = (name: string): number[] => (tensors.get(name)?.dimensions ?? []).map(Number);
  assert.deepEqual(dims('token_embd.weight'), [64, N_VOCAB]);
  assert.deepEqual(dims('output.weight'), [64, N_VOCAB]);
  assert.deepEqual(dims('output_norm.weight'), [64]);
  for (const i of [0, 1]) {
    assert.deepEqual(dims(`blk.${i}.attn_norm.weight`), [64]);
    assert.deepEqual(dims(`blk.${i}.attn_q.weight`), [64, 64]);
    assert.deepEqual(dims(`blk.${i}.attn_k.weight`), [64, 64]);
    assert.deepEqual(dims(`blk.${i}.attn_v.weight`), [64, 64]);
    assert.deepEqual(dims(`blk.${i}.attn_output.weight`), [64, 64]);
    assert.deepEqual(dims(`blk.${i}.ffn_norm.weight`), [64]);
    assert.deepEqual(dims(`blk.${i}.ffn_gate.weight`), [64, 128]);
    assert.deepEqual(dims(`blk.${i}.ffn_up.weight`), [64, 128]);
    assert.deepEqual(dims(`blk.${i}.ffn_down.weight`), [128, 64]);
  }
  assert.equal(Number(info.infoEndOffset) % 32, 0, 'tensor data section starts aligned');
  let end = 0;
  for (const t of tensors.values()) {
    assert.equal(t.ggmlType, GgmlType.F32, `${t.name} is F32`);
    assert.equal(Number(t.offset) % 32, 0, `${t.name} offset aligned`);
    end = Math.max(end, Number(t.fileOffset) + tensorBytes(t, GgmlType));
  }
  assert.equal(end, size, 'the last tensor ends exactly at EOF');

  // Options are reflected, including GQA shapes and a custom template.
  const custom = await writeTinyGguf(join(dir, 'custom.gguf'), { nLayer: 3, nHeadKv: 2, nFf: 96, name: 'custom', chatTemplate: '{{ x }}', contextLength: 512 });
  const ci = await readGgufFileInfoStrict(custom);
  assert.equal(ci.metadata.general.name, 'custom');
  assert.equal(ci.metadata.tokenizer.chat_template, '{{ x }}');
  assert.equal(ci.architectureMetadata.block_count, 3);
  assert.equal(ci.architectureMetadata.context_length, 512);
  assert.equal(ci.architectureMetadata.attention?.head_count_kv, 2);
  const ct = new Map((ci.tensorInfo ?? []).map((t) => [t.name, t.dimensions.map(Number)]));
  assert.equal(ct.size, 3 + 9 * 3);
  assert.deepEqual(ct.get('blk.2.attn_k.weight'), [64, 32]);
  assert.deepEqual(ct.get('blk.2.attn_v.weight'), [64, 32]);
  assert.deepEqual(ct.get('blk.2.ffn_down.weight'), [96, 64]);
});

test('F16 file stores correctly rounded weights, keeps norms F32, file_type 1', async () => {
  const { GgmlType } = await nlc();
  const f32Path = await writeTinyGguf(join(dir, 'cmp-f32.gguf'), { seed: 9 });
  const f16Path = await writeTinyGguf(join(dir, 'cmp-f16.gguf'), { seed: 9, tensorType: 'f16' });
  const [f32Info, f16Info] = [await readGgufFileInfoStrict(f32Path), await readGgufFileInfoStrict(f16Path)];
  const [f32Bytes, f16Bytes] = [await readFile(f32Path), await readFile(f16Path)];
  assert.equal(f16Info.metadata.general.file_type, 1);

  const f32Tensors = new Map((f32Info.tensorInfo ?? []).map((t) => [t.name, t]));
  let checked = 0;
  for (const t of f16Info.tensorInfo ?? []) {
    const ref = f32Tensors.get(t.name);
    assert.ok(ref, t.name);
    const isNorm = t.name.endsWith('_norm.weight');
    assert.equal(t.ggmlType, isNorm ? GgmlType.F32 : GgmlType.F16, `${t.name} type`);
    const n = tensorBytes(ref, GgmlType) / 4;
    for (let i = 0; i < n; i++) {
      const want = f32Bytes.readFloatLE(Number(ref.fileOffset) + i * 4);
      const got = isNorm ? f16Bytes.readFloatLE(Number(t.fileOffset) + i * 4) : f16BitsToNumber(f16Bytes.readUInt16LE(Number(t.fileOffset) + i * 2));
      if (isNorm) assert.equal(got, 1);
      // Round-to-nearest: error at most half an ulp (2^-11 relative), or 2^-25 absolute for subnormals.
      assert.ok(Math.abs(got - want) <= Math.max(Math.abs(want) * 2 ** -11, 2 ** -25), `${t.name}[${i}]: ${got} vs ${want}`);
      checked++;
    }
  }
  assert.equal(checked, expectedParams({ nEmbd: 64, nLayer: 2, nHead: 4, nHeadKv: 4, nFf: 128 }));
});

test('truncated files are rejected when reading the GGUF header', async () => {
  const bytes = buildTinyGguf({ seed: 3 });
  const full = join(dir, 'full.gguf');
  await writeFile(full, bytes);
  const info = await readGgufFileInfoStrict(full); // the complete file passes
  const infoEnd = Number(info.infoEndOffset);

  // Cut inside the magic: the plain reader itself throws.
  const { readGgufFileInfo } = await nlc();
  const tiny = join(dir, 'cut-magic.gguf');
  await writeFile(tiny, bytes.subarray(0, 3));
  await assert.rejects(readGgufFileInfo(tiny, { logWarnings: false }), /magic/i);

  // Cuts in the header counts, the metadata, the tensor infos, the alignment padding and the tensor data.
  for (const cut of [0, 3, 12, 20, 100, 2000, Math.floor(infoEnd * 0.7), infoEnd - 1, infoEnd + 1, Math.floor(bytes.length / 2), bytes.length - 1]) {
    const path = join(dir, `cut-${cut}.gguf`);
    await writeFile(path, bytes.subarray(0, cut));
    await assert.rejects(readGgufFileInfoStrict(path), /magic|truncated/i, `cut at ${cut} bytes must be rejected`);
  }
});

test('llama.cpp loads the model, tokenizes bytes exactly, and generates reproducibly', TIMEOUT, async () => {
  const { LlamaCompletion, LlamaChatSession } = await nlc();
  const model = await loadModel({ seed: 42 }, 'run-a.gguf');
  const twin = await loadModel({ seed: 42 }, 'run-b.gguf');
  try {
    assert.equal(model.fileInfo.metadata.general.architecture, 'llama');
    assert.equal(model.tokens.bos, 1);
    assert.equal(model.tokens.eos, 2);
    assert.equal(model.tokens.bosString, '<s>');

    // Tokenizer: one byte token per byte, "▁" for spaces, exact round-trip.
    const text = 'Hello, world! 123';
    const tokens = model.tokenize(text);
    assert.deepEqual(
      tokens.map(Number),
      [...Buffer.from(text, 'utf8')].map((b) => (b === 0x20 ? SPACE_TOKEN : byteToken(b))),
    );
    assert.equal(model.detokenize(tokens), text);
    for (const s of ['a  b\n\tc', ' leading space', 'héllo ✓ 🦙']) assert.equal(model.detokenize(model.tokenize(s)), s, JSON.stringify(s));
    assert.ok(!llamaWarnings.some((w) => /detokeniz/i.test(w)), `no tokenizer round-trip warning: ${llamaWarnings.join(' | ')}`);

    // Generation: greedy, every token is a real vocab id, reproducible within a model and across files.
    const first = await greedyTokens(model, 'Once upon a time', 12);
    assert.equal(first.length, 12);
    assert.ok(
      first.every((t) => Number.isInteger(t) && t >= 0 && t < N_VOCAB),
      `tokens in vocab: ${first.join(',')}`,
    );
    assert.deepEqual(await greedyTokens(model, 'Once upon a time', 12), first, 'same model, same output');
    assert.deepEqual(await greedyTokens(twin, 'Once upon a time', 12), first, 'same seed, separately written file, same output');

    // The high-level completion API runs too and agrees with the raw sequence. Its token count is not exact
    // with a byte vocabulary: byte tokens that leave a UTF-8 character incomplete are not counted against
    // maxTokens (so it can overshoot), and trailing ones are withheld from the response.
    const reference = await greedyTokens(model, 'Once upon a time', 32);
    assert.deepEqual(reference.slice(0, first.length), first);
    const context = await model.createContext({ contextSize: 128, threads: 1 });
    try {
      const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
      const streamed: Token[] = [];
      const res = await completion.generateCompletionWithMeta('Once upon a time', {
        maxTokens: 12,
        temperature: 0,
        onToken: (t) => streamed.push(...t),
      });
      assert.ok(res.metadata.stopReason === 'maxTokens' || res.metadata.stopReason === 'eogToken', res.metadata.stopReason);
      assert.ok(streamed.length > 0 && streamed.length <= reference.length, `streamed ${streamed.length} tokens`);
      assert.deepEqual(streamed, reference.slice(0, streamed.length));
      assert.equal(res.response, model.detokenize(streamed));
    } finally {
      await context.dispose();
    }

    // The ChatML template is picked up for chat; the system prompt must be short (1 token per byte).
    const chatContext = await model.createContext({ contextSize: 256, threads: 1 });
    try {
      const session = new LlamaChatSession({ contextSequence: chatContext.getSequence(), systemPrompt: 'Be brief.' });
      assert.equal(session.chatWrapper.wrapperName, 'ChatML');
      const reply = await session.promptWithMeta('Hi there', { maxTokens: 6, temperature: 0 });
      assert.ok(reply.stopReason === 'maxTokens' || reply.stopReason === 'eogToken', reply.stopReason);
      assert.equal(typeof reply.responseText, 'string');
    } finally {
      await chatContext.dispose();
    }
  } finally {
    await model.dispose();
    await twin.dispose();
  }
});

test('F16 and GQA variants load in llama.cpp and generate reproducibly', TIMEOUT, async () => {
  const variants: Array<[string, TinyGgufOptions]> = [
    ['f16', { seed: 42, tensorType: 'f16' }],
    ['gqa', { seed: 11, nHeadKv: 2, nLayer: 3 }],
  ];
  for (const [label, opts] of variants) {
    const model = await loadModel(opts, `variant-${label}.gguf`);
    try {
      assert.equal(model.fileInfo.metadata.general.file_type, opts.tensorType === 'f16' ? 1 : 0, label);
      const text = 'tiny test';
      assert.equal(model.detokenize(model.tokenize(text)), text, label);
      const first = await greedyTokens(model, 'Once upon a time', 8);
      assert.equal(first.length, 8, label);
      assert.ok(
        first.every((t) => t >= 0 && t < N_VOCAB),
        `${label}: ${first.join(',')}`,
      );
      assert.deepEqual(await greedyTokens(model, 'Once upon a time', 8), first, `${label} reproducible`);
    } finally {
      await model.dispose();
    }
  }
});

test('without the space token, llama.cpp turns spaces into the bytes of "▁" (why spaceToken defaults on)', TIMEOUT, async () => {
  const llama = await getSharedLlama();
  const modelPath = await writeTinyGguf(join(dir, 'no-space.gguf'), { seed: 1, spaceToken: false });
  const model = await llama.loadModel({ modelPath, vocabOnly: true });
  try {
    assert.equal(model.fileInfo.metadata.tokenizer.ggml.tokens.length, 259);
    assert.equal(model.detokenize(model.tokenize('Hello')), 'Hello', 'no spaces: exact');
    const tokens = model.tokenize('a b');
    assert.deepEqual(tokens.map(Number), [byteToken(0x61), ...[0xe2, 0x96, 0x81].map(byteToken), byteToken(0x62)]);
    assert.equal(model.detokenize(tokens), `a${SPM_SPACE}b`);
  } finally {
    await model.dispose();
  }
});
