import { LlamaCppLoadOptions } from '../../../../shared/inference';
import { defineBackend } from './backend';

/** llama.cpp through node-llama-cpp, for GGUF models (inference/llama/). */
export const llamaCppBackend = defineBackend({
  runtime: 'llama.cpp',
  title: 'llama.cpp',
  formats: ['gguf'],
  capabilities: ['chat', 'complete', 'embed', 'tokenize', 'score', 'perplexity', 'applyTemplate', 'tools', 'grammar', 'logprobs'],
  options: LlamaCppLoadOptions,
  host: async () => (await import('../llama/llama-host')).llamaHost,
});
