import { OnnxLoadOptions } from '../../../../shared/inference';
import { defineBackend } from './backend';

/** ONNX Runtime (onnxruntime-node) for ONNX models, e.g. built by Olive. Declared; its host side is not written yet. */
export const onnxBackend = defineBackend({
  runtime: 'onnx',
  title: 'ONNX Runtime',
  formats: ['onnx'],
  capabilities: ['chat', 'complete', 'tokenize', 'score', 'perplexity', 'applyTemplate'],
  options: OnnxLoadOptions,
  host: null,
});
