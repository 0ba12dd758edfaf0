import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertCapabilities, backendByRuntime, backendFor, backendForFormat, canRun, capabilitiesOf } from '../../electron/engine/inference/backends/registry';
import { planChunks } from '../../electron/engine/inference/llama/perplexity';
import { ChatColumn } from '../../shared/chat';
import { InvalidInputError } from '../../shared/errors';
import { INFERENCE_RUNTIMES, LoadModelRequest, LoadOptions, UnsupportedCapabilityError } from '../../shared/inference';
import { MODEL_FORMATS } from '../../shared/models';

describe('inference backend registry', () => {
  test('each format has at most one backend; GGUF runs on llama.cpp, ONNX is declared for ONNX Runtime, HF folders have none', () => {
    assert.equal(backendForFormat('gguf')?.runtime, 'llama.cpp');
    assert.equal(backendForFormat('onnx')?.runtime, 'onnx');
    assert.equal(backendForFormat('hf'), null);
    for (const format of MODEL_FORMATS) assert.ok(INFERENCE_RUNTIMES.filter((r) => backendByRuntime(r).formats.includes(format)).length <= 1, format);
    for (const r of INFERENCE_RUNTIMES) assert.equal(backendByRuntime(r).runtime, r);
  });

  test('only implemented backends run: an ONNX model is refused saying its backend is not available yet', () => {
    assert.equal(backendFor({ name: 'g', format: 'gguf' }).runtime, 'llama.cpp');
    assert.throws(
      () => backendFor({ name: 'Phi (Olive)', format: 'onnx' }),
      (e: Error) => e instanceof InvalidInputError && /Phi \(Olive\).*ONNX Runtime.*not available yet/.test(e.message),
    );
    assert.throws(
      () => backendFor({ name: 'Qwen', format: 'hf' }),
      (e: Error) => e instanceof InvalidInputError && /Qwen is a hf model.*GGUF.*convert it to GGUF first/.test(e.message),
    );
    assert.equal(canRun('gguf', 'score'), true);
    assert.equal(canRun('onnx', 'chat'), false);
    assert.equal(canRun('hf', 'chat'), false);
  });

  test('a request needs its own capability and those of the features it asks for', () => {
    const base = {
      modelId: 'm',
      messages: [{ role: 'user' as const, content: 'hi' }],
      params: { temperature: 1, topK: 40, topP: 1, minP: 0, repeatPenalty: 1, maxTokens: 4, stop: [] },
    };
    assert.deepEqual(capabilitiesOf('chat', base), ['chat']);
    assert.deepEqual(capabilitiesOf('chat', { ...base, jsonSchema: { type: 'object' }, logprobs: 0 }), ['chat', 'grammar', 'logprobs']);
    assert.deepEqual(capabilitiesOf('chat', { ...base, tools: [{ name: 'f' }] }), ['chat', 'tools']);
    assert.deepEqual(capabilitiesOf('chat', { ...base, tools: [{ name: 'f' }], toolChoice: 'none' }), ['chat']);
    assert.deepEqual(capabilitiesOf('score', { modelId: 'm', context: 'a', continuations: ['b'] }), ['score']);
  });

  test('a capability the backend lacks is a typed error naming the model, the backend and what it cannot do', () => {
    const onnx = backendByRuntime('onnx');
    assert.throws(
      () => assertCapabilities(onnx, 'Phi', 'embed', { input: ['x'] }),
      (e: Error) =>
        e instanceof UnsupportedCapabilityError &&
        e instanceof InvalidInputError &&
        e.capability === 'embed' &&
        e.runtime === 'onnx' &&
        e.message === 'Phi runs on ONNX Runtime, which cannot compute embeddings',
    );
    const chat = {
      modelId: 'm',
      messages: [{ role: 'user' as const, content: 'hi' }],
      params: { temperature: 1, topK: 40, topP: 1, minP: 0, repeatPenalty: 1, maxTokens: 4, stop: [] },
    };
    assert.throws(
      () => assertCapabilities(onnx, 'Phi', 'chat', { ...chat, tools: [{ name: 'f' }] }),
      (e: Error) => e instanceof UnsupportedCapabilityError && e.capability === 'tools',
    );
    assert.doesNotThrow(() => assertCapabilities(onnx, 'Phi', 'chat', chat));
    for (const op of ['chat', 'complete', 'embed', 'tokenize', 'score', 'perplexity', 'applyTemplate'] as const)
      assert.ok(backendByRuntime('llama.cpp').capabilities.has(op), op);
  });
});

describe('load options: a union tagged by runtime', () => {
  test('options without a runtime are llama.cpp options (what every client and stored conversation sent before)', () => {
    const o = LoadOptions.parse({ contextSize: 512 });
    assert.equal(o.runtime, 'llama.cpp');
    assert.equal(LoadModelRequest.parse({ modelId: 'm' }).options.runtime, 'llama.cpp');
    assert.equal(ChatColumn.parse({ modelId: 'm', options: { gpu: 'cpu', contextSize: 1024 } }).options?.runtime, 'llama.cpp');
  });

  test('each runtime takes only its own options, and points from llama.cpp’s device option to its own', () => {
    const onnx = LoadOptions.parse({ runtime: 'onnx', executionProvider: 'cuda', threads: 2 });
    assert.deepEqual(onnx, { runtime: 'onnx', executionProvider: 'cuda', contextSize: 4096, threads: 2, parallel: 4, idleUnloadSeconds: 900 });
    const gpu = LoadOptions.safeParse({ runtime: 'onnx', gpu: 'cuda' });
    assert.equal(gpu.success, false);
    assert.match(gpu.error?.issues[0]?.message ?? '', /executionProvider/);
    assert.equal(LoadOptions.safeParse({ runtime: 'onnx', kvCacheType: 'q8_0' }).success, false);
    assert.equal(LoadOptions.safeParse({ executionProvider: 'cpu' }).success, false);
    assert.equal(LoadOptions.safeParse({ runtime: 'vllm' }).success, false);
  });
});

describe('perplexity chunks (llama-perplexity’s default method)', () => {
  test('whole chunks of n_ctx; each scores its second half but the last token', () => {
    assert.deepEqual(planChunks(4874, 128, 4), { chunks: 4, first: 64, scoredPerChunk: 63 });
    assert.deepEqual(planChunks(4874, 128, undefined), { chunks: 38, first: 64, scoredPerChunk: 63 });
    assert.deepEqual(planChunks(4874, 128, 100), { chunks: 38, first: 64, scoredPerChunk: 63 });
    assert.equal(planChunks(100, 128, undefined).chunks, 0);
    assert.deepEqual(planChunks(1000, 99, 1), { chunks: 1, first: 49, scoredPerChunk: 49 });
  });
});
