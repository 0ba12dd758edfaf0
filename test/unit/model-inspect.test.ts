import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, test } from 'node:test';
import { EXAMPLE_CONVERSATION } from '../../electron/engine/models/inspect/chat-template';
import { inspectModel, ModelFormatError } from '../../electron/engine/models/inspect';
import { elements, writeHfFolder, writeOnnxFolder, writeSafetensors, writeSplitGguf } from '../fixtures/model-folders';
import { buildTinyGguf, CHATML_TEMPLATE, writeTinyGguf, type TinyGgufOptions } from '../fixtures/tiny-gguf';
import { ModelInspection } from '../../shared/models';
import { tempHome } from '../helpers/paths';

const root = tempHome('inspect');
after(() => rmSync(root, { recursive: true, force: true }));
let seq = 0;
const fresh = (label: string) => join(root, `${label}-${++seq}`);

/** Parameters of buildTinyGguf's llama, from its options (the vocabulary is 3 specials + 256 bytes + "▁"). */
function tinyParams(opts: TinyGgufOptions = {}): number {
  const e = opts.nEmbd ?? 64;
  const layers = opts.nLayer ?? 2;
  const heads = opts.nHead ?? 4;
  const kv = (e / heads) * (opts.nHeadKv ?? heads);
  const ff = opts.nFf ?? 128;
  const vocab = 3 + 256 + (opts.spaceToken === false ? 0 : 1);
  return 2 * vocab * e + e + layers * (2 * e + 2 * e * e + 2 * e * kv + 3 * e * ff);
}

const expectFormatError =
  (pattern: RegExp, ...mustName: string[]) =>
  (err: unknown) => {
    assert.ok(err instanceof ModelFormatError, `expected a ModelFormatError, got ${String(err)}`);
    assert.match(err.message, pattern);
    for (const s of mustName) assert.ok(err.message.includes(s), `message names ${s}: ${err.message}`);
    return true;
  };

const userMessages = EXAMPLE_CONVERSATION.filter((m) => m.role === 'user').map((m) => m.content);

test('tiny F32 GGUF: parameters, families, facts, special tokens, rendered chat template', async () => {
  const file = await writeTinyGguf(join(fresh('gguf'), 'tiny.gguf'));
  const m = await inspectModel(file);
  const i = m.inspection;
  assert.equal(m.entry, file);
  assert.deepEqual(m.files, [file]);
  assert.equal(i.format, 'gguf');
  assert.equal(i.architecture, 'llama');
  assert.equal(i.name, 'tiny-llama-s1');
  assert.equal(i.parameterCount, tinyParams());
  assert.equal(i.quantization, 'F32');
  assert.equal(i.sizeBytes, statSync(file).size);
  assert.deepEqual(i.files, [{ path: 'tiny.gguf', sizeBytes: statSync(file).size }]);
  assert.equal(i.contextLength, 256);
  assert.equal(i.vocabSize, 260);
  assert.equal(i.layerCount, 2);
  assert.equal(i.embeddingLength, 64);
  assert.equal(i.headCount, 4);
  assert.equal(i.headCountKv, 4);
  assert.deepEqual(
    i.tensorTypes.map((t) => t.family),
    ['token_embd', 'output_norm', 'output', 'attn_norm', 'attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_norm', 'ffn_gate', 'ffn_up', 'ffn_down'],
  );
  assert.deepEqual(
    i.tensorTypes.find((t) => t.family === 'attn_q'),
    { family: 'attn_q', type: 'F32', tensors: 2, parameters: 2 * 64 * 64 },
  );
  assert.equal(
    i.tensorTypes.reduce((a, t) => a + t.parameters, 0),
    tinyParams(),
  );
  assert.deepEqual(i.specialTokens, { bos: '<s>', eos: '</s>', unk: '<unk>' });
  assert.equal(i.chatTemplate, CHATML_TEMPLATE);
  assert.equal(i.chatTemplateError, null);
  for (const msg of userMessages) assert.ok(i.chatTemplateExample?.includes(msg), `example has "${msg}"`);
  assert.ok(i.chatTemplateExample?.endsWith('<|im_start|>assistant\n'), 'generation prompt added');
  assert.deepEqual(ModelInspection.parse(i), i, 'matches the API schema');
  assert.equal(i.extra.ggufVersion, 3);
  assert.equal(i.extra.tokenizerModel, 'llama');
  assert.deepEqual(i.warnings, []);
});

test('tiny F16 GGUF with GQA: F16 weights, F32 norms, parameter count from the options', async () => {
  const opts: TinyGgufOptions = { tensorType: 'f16', nEmbd: 32, nLayer: 3, nHead: 4, nHeadKv: 2, nFf: 96, contextLength: 512, name: 'gqa' };
  const file = await writeTinyGguf(join(fresh('gguf16'), 'gqa.gguf'), opts);
  const i = (await inspectModel(file)).inspection;
  assert.equal(i.parameterCount, tinyParams(opts));
  assert.equal(i.quantization, 'F16');
  assert.equal(i.headCountKv, 2);
  assert.equal(i.contextLength, 512);
  assert.deepEqual(
    i.tensorTypes.find((t) => t.family === 'attn_k'),
    { family: 'attn_k', type: 'F16', tensors: 3, parameters: 3 * 32 * 16 },
  );
  assert.deepEqual(
    i.tensorTypes.find((t) => t.family === 'ffn_norm'),
    { family: 'ffn_norm', type: 'F32', tensors: 3, parameters: 3 * 32 },
  );
});

test('a file with GGUF magic but another extension, and a folder holding one GGUF, are GGUF models', async () => {
  const dir = fresh('gguf-folder');
  const file = await writeTinyGguf(join(dir, 'model.bin'));
  assert.equal((await inspectModel(file)).inspection.format, 'gguf');
  renameSync(file, join(dir, 'model.gguf'));
  writeFileSync(join(dir, 'mmproj-model-f16.gguf'), 'projector');
  const m = await inspectModel(dir);
  assert.equal(m.entry, join(dir, 'model.gguf'));
  assert.equal(m.root, dir);
  assert.deepEqual(m.inspection.extra.mmproj, ['mmproj-model-f16.gguf']);
  await writeTinyGguf(join(dir, 'other.gguf'));
  await assert.rejects(inspectModel(dir), expectFormatError(/2 GGUF models/, dir, 'model.gguf', 'other.gguf'));
});

test('split GGUF: any part gives the whole set; a missing part is named', async () => {
  const dir = fresh('split');
  const parts = await writeSplitGguf(join(dir, 'tiny'), buildTinyGguf(), 3);
  const m = await inspectModel(parts[1] as string);
  assert.equal(m.entry, parts[0]);
  assert.deepEqual(m.files, parts);
  assert.equal(m.inspection.parameterCount, tinyParams());
  assert.equal(
    m.inspection.tensorTypes.reduce((a, t) => a + t.tensors, 0),
    3 + 2 * 9,
  );
  assert.equal(
    m.inspection.sizeBytes,
    parts.reduce((a, p) => a + statSync(p).size, 0),
  );
  assert.deepEqual(
    m.inspection.files.map((f) => f.path),
    parts.map((p) => basename(p)),
  );
  assert.equal(m.inspection.extra.splitCount, 3);
  assert.equal(m.inspection.architecture, 'llama');
  assert.deepEqual(ModelInspection.parse(m.inspection), m.inspection, 'matches the API schema');

  unlinkSync(parts[2] as string);
  await assert.rejects(inspectModel(parts[0] as string), expectFormatError(/part 3 of the 3-part split set is missing/, parts[2] as string));
});

test('a truncated GGUF is refused, whether the cut is in the tensor data or in the header', async () => {
  const dir = fresh('truncated');
  const file = await writeTinyGguf(join(dir, 'cut.gguf'));
  const size = statSync(file).size;
  truncateSync(file, Math.floor(size * 0.8));
  await assert.rejects(inspectModel(file), expectFormatError(/ends at byte \d+ but the file is \d+ bytes: the file is truncated/, file, 'blk.1.'));
  truncateSync(file, 3000); // inside the token list
  await assert.rejects(inspectModel(file), expectFormatError(/truncated/, file));
  truncateSync(file, 10);
  await assert.rejects(inspectModel(file), expectFormatError(/too short for a GGUF header: the file is truncated/, file));
});

test('bad magic and an unsupported version are refused with the file named', async () => {
  const dir = fresh('magic');
  const bytes = buildTinyGguf();
  const bad = Buffer.from(bytes);
  bad.write('GGML', 0, 'latin1');
  writeFileSync(join(dir + '.gguf'), bad);
  await assert.rejects(inspectModel(dir + '.gguf'), expectFormatError(/not a GGUF file: expected the magic "GGUF" but it starts with "GGML"/, dir + '.gguf'));
  const v9 = Buffer.from(bytes);
  v9.writeUInt32LE(9, 4);
  writeFileSync(dir + '-v9.gguf', v9);
  await assert.rejects(inspectModel(dir + '-v9.gguf'), expectFormatError(/GGUF version 9 is not supported/, dir + '-v9.gguf'));
});

test('a tensor offset past the end of the file is refused, naming the tensor', async () => {
  const bytes = buildTinyGguf();
  const name = Buffer.from('blk.1.attn_q.weight', 'utf8');
  const at = bytes.indexOf(name);
  assert.ok(at > 0);
  const dimsAt = at + name.length;
  const nDims = bytes.readUInt32LE(dimsAt);
  const offsetAt = dimsAt + 4 + nDims * 8 + 4;
  bytes.writeBigUInt64LE(BigInt(1 << 30), offsetAt);
  const file = join(fresh('offset'), 'bad-offset.gguf');
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, bytes);
  await assert.rejects(
    inspectModel(file),
    expectFormatError(
      /tensor blk\.1\.attn_q\.weight \(F32, 64x64\) ends at byte \d+ but the file is \d+ bytes: the file is truncated or its tensor offsets are wrong/,
      file,
    ),
  );
});

test('no chat template is a warning; a broken one is reported in chatTemplateError, not thrown', async () => {
  const dir = fresh('template');
  const none = await writeTinyGguf(join(dir, 'none.gguf'), { chatTemplate: '' });
  const a = (await inspectModel(none)).inspection;
  assert.equal(a.chatTemplate, null);
  assert.equal(a.chatTemplateExample, null);
  assert.ok(a.warnings.some((w) => /no chat template/.test(w)));
  const broken = await writeTinyGguf(join(dir, 'broken.gguf'), { chatTemplate: '{% for m in messages %}{{ m.content }' });
  const b = (await inspectModel(broken)).inspection;
  assert.equal(b.chatTemplateExample, null);
  assert.match(b.chatTemplateError ?? '', /chat template/);
  const noSystem =
    "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}";
  const c = (await inspectModel(await writeTinyGguf(join(dir, 'nosys.gguf'), { chatTemplate: noSystem }))).inspection;
  assert.equal(c.chatTemplateError, null);
  assert.ok(c.chatTemplateExample?.includes(`[user] ${userMessages[0]}`));
  assert.ok(c.warnings.some((w) => /rejects a system message: System role not supported/.test(w)));
});

test('HF folder: parameters from the shapes, dtype per family, named templates, special tokens, licence from the README', async () => {
  const dir = fresh('hf');
  const templates = [
    { name: 'default', template: CHATML_TEMPLATE },
    { name: 'tool_use', template: '{{ tools }}' },
  ];
  const hf = await writeHfFolder(dir, {
    shards: 2,
    dtype: 'BF16',
    layers: 3,
    chatTemplate: templates,
    bosToken: { content: '<s>' },
    padToken: '</s>',
    license: { license: 'other', licenseName: 'tiny-model-license' },
  });
  const m = await inspectModel(dir);
  const i = m.inspection;
  assert.equal(m.entry, dir);
  assert.equal(i.format, 'hf');
  assert.equal(i.architecture, 'LlamaForCausalLM');
  assert.equal(
    i.parameterCount,
    hf.tensors.reduce((a, t) => a + elements(t.shape), 0),
  );
  assert.equal(i.quantization, 'BF16');
  assert.deepEqual(
    i.tensorTypes.find((t) => t.family === 'self_attn.q_proj'),
    { family: 'self_attn.q_proj', type: 'BF16', tensors: 3, parameters: 3 * 64 * 64 },
  );
  assert.ok(i.tensorTypes.some((t) => t.family === 'embed_tokens'));
  assert.ok(i.tensorTypes.some((t) => t.family === 'lm_head'));
  assert.equal(i.contextLength, 2048);
  assert.equal(i.vocabSize, 259);
  assert.equal(i.layerCount, 3);
  assert.equal(i.headCountKv, 2);
  assert.equal(i.extra.torchDtype, 'bfloat16');
  assert.deepEqual(i.extra.otherChatTemplates, ['tool_use']);
  assert.equal(i.chatTemplate, CHATML_TEMPLATE);
  for (const msg of userMessages) assert.ok(i.chatTemplateExample?.includes(msg));
  assert.deepEqual(i.specialTokens, { bos: '<s>', eos: '</s>', pad: '</s>', unk: '<unk>' });
  assert.equal(i.license, 'tiny-model-license');
  assert.deepEqual(ModelInspection.parse(i), i, 'matches the API schema');
  for (const shard of hf.shardFiles) assert.ok(m.files.includes(shard), `files has ${shard}`);
  assert.ok(m.files.includes(join(dir, 'tokenizer.json')));
  assert.equal(
    i.sizeBytes,
    m.files.reduce((a, f) => a + statSync(f).size, 0),
  );
});

test('HF folder: chat_template.jinja wins over tokenizer_config.json; a plain licence; one unsharded file', async () => {
  const dir = fresh('hf-jinja');
  await writeHfFolder(dir, {
    chatTemplateJinja: '{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}',
    license: 'apache-2.0',
    tokenizer: 'model',
  });
  const i = (await inspectModel(join(dir, 'model.safetensors'))).inspection;
  assert.equal(i.extra.chatTemplateSource, 'chat_template.jinja');
  assert.ok(i.chatTemplateExample?.startsWith('<system>'));
  assert.equal(i.license, 'apache-2.0');
  assert.equal(i.extra.shards, 1);
});

test('HF folder without a tokenizer is refused, naming the folder', async () => {
  const dir = fresh('hf-notok');
  await writeHfFolder(dir, { tokenizer: 'none' });
  await assert.rejects(
    inspectModel(dir),
    expectFormatError(/no tokenizer \(tokenizer\.json or tokenizer\.model\) — the model cannot be used without one/, dir),
  );
});

test('HF folder with a shard missing is refused, naming the shard', async () => {
  const dir = fresh('hf-shard');
  const hf = await writeHfFolder(dir, { shards: 3 });
  const missing = hf.shardFiles[1] as string;
  unlinkSync(missing);
  await assert.rejects(inspectModel(dir), expectFormatError(/names shard model-00002-of-00003\.safetensors but .* is missing/, missing));
});

test('safetensors: a truncated file and a header length past the end are refused, naming the file', async () => {
  const dir = fresh('st');
  const hf = await writeHfFolder(dir);
  const shard = hf.shardFiles[0] as string;
  truncateSync(shard, statSync(shard).size - 100);
  await assert.rejects(inspectModel(dir), expectFormatError(/tensor lm_head\.weight \(BF16, 259x64\) ends at byte \d+ of the data section/, shard));
  await writeSafetensors(shard, [{ name: 'x', dtype: 'F32', shape: [4] }]);
  const bytes = readFileSync(shard);
  bytes.writeBigUInt64LE(BigInt(bytes.length), 0);
  writeFileSync(shard, bytes);
  await assert.rejects(inspectModel(dir), expectFormatError(/the safetensors header is \d+ bytes but the file is only \d+ bytes/, shard));
});

test('ONNX genai folder: config facts, int4 from MatMulNBits, parameters from the graph, providers', async () => {
  const dir = fresh('onnx');
  const onnx = await writeOnnxFolder(dir, { providers: ['cuda'], layers: 3, contextLength: 4096, license: 'mit' });
  const m = await inspectModel(dir);
  const i = m.inspection;
  assert.equal(i.format, 'onnx');
  assert.equal(i.architecture, 'llama');
  assert.equal(i.contextLength, 4096);
  assert.equal(i.vocabSize, 259);
  assert.equal(i.layerCount, 3);
  assert.equal(i.embeddingLength, 64);
  assert.equal(i.headCount, 4);
  assert.equal(i.headCountKv, 2);
  assert.equal(i.quantization, 'int4');
  assert.equal(
    i.parameterCount,
    onnx.weights.reduce((a, w) => a + w.parameters, 0),
  );
  assert.deepEqual(
    i.tensorTypes.find((t) => t.family === 'attn.q_proj'),
    { family: 'attn.q_proj', type: 'int4', tensors: 3, parameters: 3 * 64 * 64 },
  );
  assert.deepEqual(
    i.tensorTypes.find((t) => t.family === 'embed_tokens'),
    { family: 'embed_tokens', type: 'F16', tensors: 1, parameters: 259 * 64 },
  );
  assert.deepEqual(i.extra.providers, ['cuda']);
  assert.equal(i.extra.blockSize, 32);
  assert.equal(i.license, 'mit');
  assert.deepEqual(ModelInspection.parse(i), i, 'matches the API schema');
  assert.ok(m.files.includes(onnx.modelFile) && m.files.includes(onnx.dataFile as string));
  for (const msg of userMessages) assert.ok(i.chatTemplateExample?.includes(msg));
});

test('ONNX with weights inline in model.onnx reads the same; 8-bit MatMulNBits is int8', async () => {
  const dir = fresh('onnx-inline');
  const onnx = await writeOnnxFolder(dir, { inline: true, bits: 8 });
  const i = (await inspectModel(dir)).inspection;
  assert.equal(onnx.dataFile, null);
  assert.equal(i.quantization, 'int8');
  assert.equal(
    i.parameterCount,
    onnx.weights.reduce((a, w) => a + w.parameters, 0),
  );
});

test('ONNX folder with the model file or its external data missing is refused, naming the file', async () => {
  const dir = fresh('onnx-missing');
  const onnx = await writeOnnxFolder(dir);
  unlinkSync(onnx.dataFile as string);
  await assert.rejects(inspectModel(dir), expectFormatError(/is stored in model\.onnx\.data but .* is missing/, onnx.dataFile as string));
  unlinkSync(onnx.modelFile);
  await assert.rejects(inspectModel(dir), expectFormatError(/model\.decoder\.filename names model\.onnx but .* is missing/, onnx.modelFile));
});

test('a transformers.js-style folder (onnx/*.onnx) needs a tokenizer', async () => {
  const dir = fresh('tjs');
  const onnx = await writeOnnxFolder(join(dir, 'src'), { inline: true });
  mkdirSync(join(dir, 'onnx'));
  renameSync(onnx.modelFile, join(dir, 'onnx', 'model_q4.onnx'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', max_position_embeddings: 1024 }));
  await assert.rejects(inspectModel(dir), expectFormatError(/no tokenizer/, dir));
  renameSync(join(dir, 'src', 'tokenizer.json'), join(dir, 'tokenizer.json'));
  const i = (await inspectModel(dir)).inspection;
  assert.equal(i.format, 'onnx');
  assert.equal(i.quantization, 'int4');
  assert.equal(i.contextLength, 1024);
  assert.equal(i.extra.onnxFile, 'onnx/model_q4.onnx');
});

test('anything else is a ModelFormatError that names the path and says what was expected', async () => {
  const dir = fresh('unknown');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'notes.txt'), 'hello');
  await assert.rejects(inspectModel(dir), expectFormatError(/not a model folder: expected a GGUF file, a Hugging Face folder/, dir));
  await assert.rejects(inspectModel(join(dir, 'notes.txt')), expectFormatError(/not a model file/, join(dir, 'notes.txt')));
  await assert.rejects(inspectModel(join(dir, 'nope')), expectFormatError(/no such file or folder/, join(dir, 'nope')));
  writeFileSync(join(dir, 'config.json'), '{}');
  await assert.rejects(inspectModel(dir), expectFormatError(/no \*\.safetensors weights next to config\.json/, dir));
});
