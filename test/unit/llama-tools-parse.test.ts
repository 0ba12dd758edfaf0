import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTinyGguf } from '../fixtures/tiny-gguf';
import {
  ggufMetadata,
  ggufTensorCount,
  imatrixEntryCount,
  num,
  parseChunkTotal,
  parseExportLoraLine,
  parseFinalEstimate,
  parseFinetuneSettings,
  parseKlChunkRow,
  parseKlStatLine,
  parseKlStats,
  parseTrainProgress,
  RunningValueScanner,
  splitLogLine,
} from '../../electron/engine/toolchain/llama-tools-parse';
import { LineSplitter } from '../../electron/engine/process/line-splitter';

// Captured from the llama.cpp tools built from node-llama-cpp 3.22.1's bundled source (tag v0.5.0).

test('log prefixes are split off; unprefixed output is left alone', () => {
  assert.deepEqual(splitLogLine('0.00.025.029 E perplexity: you need at least 256 tokens'), { level: 'E', text: 'perplexity: you need at least 256 tokens' });
  assert.deepEqual(splitLogLine('12.03.001.002 W main: model was trained on only 256 context tokens'), {
    level: 'W',
    text: 'main: model was trained on only 256 context tokens',
  });
  assert.deepEqual(splitLogLine('[1]310.7301,[2]332.0839,'), { level: null, text: '[1]310.7301,[2]332.0839,' });
  assert.deepEqual(splitLogLine('I am not a prefix'), { level: null, text: 'I am not a prefix' });
});

test('the line splitter ends lines at \\n, \\r\\n and a bare \\r, across any chunk boundary', () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push('train: [  ] data=1/4 \r0.00.1 I epoch 0 lr=0.001\ntrain: [▏'), ['train: [  ] data=1/4 ', '0.00.1 I epoch 0 lr=0.001']);
  assert.deepEqual(s.push(' ] data=2/4\r'), ['train: [▏ ] data=2/4']);
  // The \n of a \r\n split across pieces does not make an empty line.
  assert.deepEqual(s.push('\nnext'), []);
  assert.deepEqual(s.push(' line\r\n\nlast'), ['next line', '']);
  assert.deepEqual(s.end(), ['last']);
  assert.deepEqual(s.end(), []);
});

test('running values are scanned from output without line ends, split anywhere', () => {
  const sc = new RunningValueScanner();
  assert.deepEqual(sc.push('0.00 minutes\n[1]310.73'), []);
  assert.deepEqual(sc.push('01,[2]332.0839,[3'), [
    { chunk: 1, value: 310.7301 },
    { chunk: 2, value: 332.0839 },
  ]);
  assert.deepEqual(sc.push(']nan,[4]1e+03,\n'), [
    { chunk: 3, value: NaN },
    { chunk: 4, value: 1000 },
  ]);
  assert.deepEqual(sc.push('\n'), []);
});

test('chunk totals and the final estimate', () => {
  assert.equal(parseChunkTotal('perplexity: calculating perplexity over 4 chunks, n_ctx=128, batch_size=2048, n_seq=16'), 4);
  assert.equal(parseChunkTotal('kl_divergence: computing over 12 chunks, n_ctx=128, batch_size=128, n_seq=1'), 12);
  assert.equal(parseChunkTotal('compute_imatrix: computing over 31 chunks, n_ctx=128, batch_size=2048, n_seq=16'), 31);
  assert.equal(parseChunkTotal('perplexity: tokenizing the input ..'), null);
  // The `ETA ` message has no line end, so the estimate arrives on the same line.
  assert.deepEqual(parseFinalEstimate('0.00.069.014 I perplexity: 0.04 seconds per pass - ETA 0.00.069.820 I Final estimate: PPL = 332.3569 +/- 11.16483'), {
    perplexity: 332.3569,
    stderr: 11.16483,
  });
  assert.deepEqual(parseFinalEstimate('Final estimate: PPL = 12.5000 +/- 0.10000'), { perplexity: 12.5, stderr: 0.1 });
  assert.equal(parseFinalEstimate('Final Winogrande score(10 tasks): 50.0000 +/- 15.8114'), null);
});

const KL_OUTPUT = `0.00 minutes

chunk             PPL               ln(PPL(Q)/PPL(base))          KL Divergence              Δp RMS            Same top p
   1     311.4701 ±   22.0619       0.00238 ±    0.00087       0.00003 ±    0.00000     0.003 ±  0.000 %    98.413 ±  1.587 %
   2     332.5245 ±   15.4457       0.00133 ±    0.00056       0.00002 ±    0.00000     0.002 ±  0.000 %    95.238 ±  1.905 %

====== Perplexity statistics ======
Mean PPL(Q)                   : 332.781702 ±  11.178172
Mean PPL(base)                : 332.356561 ±  11.164813
Cor(ln(PPL(Q)), ln(PPL(base))):  99.99%
Mean ln(PPL(Q)/PPL(base))     :   0.001278 ±   0.000394
Mean PPL(Q)/PPL(base)         :   1.001279 ±   0.000395
Mean PPL(Q)-PPL(base)         :   0.425141 ±   0.131710

====== KL divergence statistics ======
Mean    KLD:   0.000023 ±   0.000000
Maximum KLD:   0.000034
99.9%   KLD:   0.000033
99.0%   KLD:   0.000031
95.0%   KLD:   0.000028
90.0%   KLD:   0.000027
Median  KLD:   0.000023
10.0%   KLD:   0.000019
 5.0%   KLD:   0.000018
 1.0%   KLD:   0.000017
 0.1%   KLD:   0.000015
Minimum KLD:   0.000015

====== Token probability statistics ======
Mean    Δp: -0.000 ± 0.000 %
Maximum Δp:  0.009%
99.9%   Δp:  0.009%
Median  Δp: -0.000%
Minimum Δp: -0.010%
RMS Δp    :  0.002 ± 0.000 %
Same top p: 96.429 ± 1.171 %
`;

test('KL divergence per-chunk rows', () => {
  const rows = KL_OUTPUT.split('\n')
    .map(parseKlChunkRow)
    .filter((r) => r !== null);
  assert.equal(rows.length, 2);
  assert.deepEqual(rows[0], {
    chunk: 1,
    ppl: 311.4701,
    pplStderr: 22.0619,
    lnPplRatio: 0.00238,
    kld: 0.00003,
    kldStderr: 0,
    rmsDeltaP: 0.00003,
    sameTopP: 0.98413,
  });
  assert.equal(rows[1]!.chunk, 2);
  assert.equal(parseKlChunkRow('chunk             PPL               ln(PPL(Q)/PPL(base))'), null);
});

test('the KL divergence statistics block', () => {
  const lines = KL_OUTPUT.split('\n');
  const s = parseKlStats(lines.slice(lines.findIndex((l) => l.startsWith('====== Perplexity statistics'))));
  assert.ok(s);
  assert.equal(s.meanKld, 0.000023);
  assert.equal(s.meanKldStderr, 0);
  assert.equal(s.maxKld, 0.000034);
  assert.equal(s.medianKld, 0.000023);
  assert.equal(s.minKld, 0.000015);
  assert.deepEqual(s.kldPercentiles, {
    '99.9': 0.000033,
    '99.0': 0.000031,
    '95.0': 0.000028,
    '90.0': 0.000027,
    '10.0': 0.000019,
    '5.0': 0.000018,
    '1.0': 0.000017,
    '0.1': 0.000015,
  });
  assert.equal(s.pplQ, 332.781702);
  assert.equal(s.pplQStderr, 11.178172);
  assert.equal(s.pplBase, 332.356561);
  assert.equal(s.pplRatio, 1.001279);
  assert.equal(s.lnPplRatio, 0.001278);
  assert.ok(Math.abs(s.pplCorrelation - 0.9999) < 1e-12);
  assert.ok(Math.abs(s.sameTopP - 0.96429) < 1e-12 && Math.abs(s.sameTopPStderr - 0.01171) < 1e-12);
  assert.ok(Math.abs(s.rmsDeltaP - 0.00002) < 1e-12);
  assert.equal(s.meanDeltaP, -0);
  assert.equal(s.all['Mean PPL(Q)-PPL(base)']?.value, 0.425141);
  assert.equal(s.all['Maximum Δp']?.percent, true);
  // Without the KLD line it is not a KL block.
  assert.equal(parseKlStats(lines.filter((l) => !l.startsWith('Mean    KLD'))), null);
  assert.equal(parseKlStatLine('====== KL divergence statistics ======'), null);
  assert.equal(parseKlStatLine('   1     311.4701 ±   22.0619'), null);
});

test('the training progress bar and settings of llama-finetune', () => {
  assert.deepEqual(parseTrainProgress('train: [███▌    ] data=0000037/0000064 loss=3.73225±0.08739 acc=14.19±1.01% t=00:00:01 ETA=00:00:00 '), {
    phase: 'train',
    done: 37,
    total: 64,
    loss: 3.73225,
    lossStderr: 0.08739,
    accuracy: 0.1419,
    accuracyStderr: 0.0101,
  });
  const first = parseTrainProgress('val:   [▉       ] data=0000001/0000008 loss=7.34468±nan acc=31.25±8.32% t=00:00:00 ETA=00:00:00 ');
  assert.ok(first && first.phase === 'val' && first.done === 1 && first.total === 8 && Number.isNaN(first.lossStderr));
  assert.equal(parseTrainProgress('0.01.091.877 I epoch 0 lr=0.001'), null);
  assert.deepEqual(parseFinetuneSettings('-optimizer adamw -lr0 0.001 -wd 0 -lr-min -1 -min-epochs -1 -epochs 3 -period 4 -val 0.05'), {
    optimizer: 'adamw',
    learningRate: 0.001,
    epochs: 3,
    valSplit: 0.05,
  });
  assert.equal(parseFinetuneSettings('-optimizer sgd -lr0 1e-05 -wd 0 -lr-min -1 -min-epochs -1 -epochs 2 -period 1 -val 0')?.learningRate, 1e-5);
});

test('llama-export-lora lines', () => {
  assert.deepEqual(parseExportLoraLine('merge_tensor : blk.0.attn_q.weight [256, 256, 1, 1]'), { kind: 'merge', tensor: 'blk.0.attn_q.weight' });
  assert.deepEqual(parseExportLoraLine('copy_tensor :  token_embd.weight [256, 260, 1, 1]'), { kind: 'copy', tensor: 'token_embd.weight' });
  assert.deepEqual(parseExportLoraLine('run_merge : merged 2 tensors with lora adapters'), { kind: 'merged', count: 2 });
  assert.deepEqual(parseExportLoraLine('run_merge : wrote 21 tensors to output file'), { kind: 'wrote', count: 21 });
  assert.equal(parseExportLoraLine('merge_tensor :   + merging from adapter[0] type=f32'), null);
  assert.equal(parseExportLoraLine('file_input: blk.0.attn_q.weight'), null);
});

test('GGUF and imatrix headers', () => {
  const h = Buffer.alloc(24);
  h.write('GGUF', 0, 'latin1');
  h.writeUInt32LE(3, 4);
  h.writeBigUInt64LE(28n, 8);
  h.writeBigUInt64LE(5n, 16);
  assert.equal(ggufTensorCount(h), 28);
  assert.equal(imatrixEntryCount(h, 'gguf'), 14);
  assert.equal(ggufTensorCount(h.subarray(0, 20)), null);
  assert.equal(ggufTensorCount(Buffer.from('NOTGGUF.................')), null);
  const dat = Buffer.alloc(8);
  dat.writeInt32LE(15, 0);
  assert.equal(imatrixEntryCount(dat, 'dat'), 15);
  assert.equal(imatrixEntryCount(dat.subarray(0, 2), 'dat'), null);
});

test('C number spellings', () => {
  assert.ok(Number.isNaN(num('nan')) && Number.isNaN(num('-nan')));
  assert.equal(num('inf'), Infinity);
  assert.equal(num('-inf'), -Infinity);
  assert.equal(num(' 1.5e-3 '), 0.0015);
});

test('GGUF metadata is read from the start of a file', () => {
  const file = buildTinyGguf({ seed: 3, nEmbd: 64 });
  const md = ggufMetadata(file.subarray(0, 1 << 16));
  assert.ok(md);
  assert.equal(md['general.architecture'], 'llama');
  assert.equal(md['llama.embedding_length'], 64);
  assert.equal(md['tokenizer.ggml.add_bos_token'], true);
  assert.ok(Math.abs((md['llama.attention.layer_norm_rms_epsilon'] as number) - 1e-5) < 1e-9);
  const tokens = md['tokenizer.ggml.tokens'] as string[];
  assert.equal(tokens.length, 260);
  assert.equal(tokens[3 + 0x41], '<0x41>');
  assert.equal(ggufTensorCount(file), 21);
  // Cut inside the metadata: not enough to read it.
  assert.equal(ggufMetadata(file.subarray(0, 200)), null);
  assert.equal(ggufMetadata(Buffer.from('not a gguf file at all, no')), null);
});
