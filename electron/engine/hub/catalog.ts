import type { CatalogEntry } from '../../../shared/hub';

const MB = 1e6;
const GB = 1e9;

/**
 * Small instruction-tuned models that run on a laptop. Sizes are approximate (the Hub's file list gives the exact
 * ones before a download starts); licences are the model authors'.
 */
export const STARTER_CATALOG: readonly CatalogEntry[] = [
  {
    id: 'smollm2-135m-instruct', name: 'SmolLM2 135M Instruct', family: 'SmolLM2', parametersB: 0.135, license: 'apache-2.0', contextLength: 8192,
    summary: 'Tiny and fast; good for trying the whole loop and for fine-tuning experiments.',
    transformersRepo: 'HuggingFaceTB/SmolLM2-135M-Instruct',
    gguf: { repo: 'bartowski/SmolLM2-135M-Instruct-GGUF', file: 'SmolLM2-135M-Instruct-Q4_K_M.gguf', approxSizeBytes: 105 * MB },
    onnx: null,
  },
  {
    id: 'smollm2-360m-instruct', name: 'SmolLM2 360M Instruct', family: 'SmolLM2', parametersB: 0.36, license: 'apache-2.0', contextLength: 8192,
    summary: 'Still tiny; noticeably better at following instructions than 135M.',
    transformersRepo: 'HuggingFaceTB/SmolLM2-360M-Instruct',
    gguf: { repo: 'bartowski/SmolLM2-360M-Instruct-GGUF', file: 'SmolLM2-360M-Instruct-Q4_K_M.gguf', approxSizeBytes: 271 * MB },
    onnx: null,
  },
  {
    id: 'smollm2-1.7b-instruct', name: 'SmolLM2 1.7B Instruct', family: 'SmolLM2', parametersB: 1.7, license: 'apache-2.0', contextLength: 8192,
    summary: 'A capable small generalist for CPU laptops.',
    transformersRepo: 'HuggingFaceTB/SmolLM2-1.7B-Instruct',
    gguf: { repo: 'bartowski/SmolLM2-1.7B-Instruct-GGUF', file: 'SmolLM2-1.7B-Instruct-Q4_K_M.gguf', approxSizeBytes: 1.06 * GB },
    onnx: null,
  },
  {
    id: 'qwen2.5-0.5b-instruct', name: 'Qwen2.5 0.5B Instruct', family: 'Qwen2.5', parametersB: 0.49, license: 'apache-2.0', contextLength: 32768,
    summary: 'Multilingual, long context for its size; strong tokenizer for code and maths.',
    transformersRepo: 'Qwen/Qwen2.5-0.5B-Instruct',
    gguf: { repo: 'Qwen/Qwen2.5-0.5B-Instruct-GGUF', file: 'qwen2.5-0.5b-instruct-q4_k_m.gguf', approxSizeBytes: 491 * MB },
    onnx: null,
  },
  {
    id: 'qwen2.5-1.5b-instruct', name: 'Qwen2.5 1.5B Instruct', family: 'Qwen2.5', parametersB: 1.54, license: 'apache-2.0', contextLength: 32768,
    summary: 'A good balance of quality and speed on 8 GB machines.',
    transformersRepo: 'Qwen/Qwen2.5-1.5B-Instruct',
    gguf: { repo: 'Qwen/Qwen2.5-1.5B-Instruct-GGUF', file: 'qwen2.5-1.5b-instruct-q4_k_m.gguf', approxSizeBytes: 1.12 * GB },
    onnx: null,
  },
  {
    id: 'gemma-3-270m-it', name: 'Gemma 3 270M IT', family: 'Gemma 3', parametersB: 0.27, license: 'gemma', contextLength: 32768,
    summary: 'Google’s smallest Gemma; made for task-specific fine-tuning.',
    transformersRepo: 'google/gemma-3-270m-it',
    gguf: { repo: 'unsloth/gemma-3-270m-it-GGUF', file: 'gemma-3-270m-it-Q4_K_M.gguf', approxSizeBytes: 253 * MB },
    onnx: null,
  },
  {
    id: 'gemma-3-1b-it', name: 'Gemma 3 1B IT', family: 'Gemma 3', parametersB: 1.0, license: 'gemma', contextLength: 32768,
    summary: 'Gemma quality in under a gigabyte.',
    transformersRepo: 'google/gemma-3-1b-it',
    gguf: { repo: 'ggml-org/gemma-3-1b-it-GGUF', file: 'gemma-3-1b-it-Q4_K_M.gguf', approxSizeBytes: 806 * MB },
    onnx: null,
  },
  {
    id: 'llama-3.2-1b-instruct', name: 'Llama 3.2 1B Instruct', family: 'Llama 3.2', parametersB: 1.24, license: 'llama3.2', contextLength: 131072,
    summary: 'Meta’s small Llama; the original checkpoint is gated (accept the licence on the Hub).',
    transformersRepo: 'meta-llama/Llama-3.2-1B-Instruct',
    gguf: { repo: 'bartowski/Llama-3.2-1B-Instruct-GGUF', file: 'Llama-3.2-1B-Instruct-Q4_K_M.gguf', approxSizeBytes: 808 * MB },
    onnx: null,
  },
  {
    id: 'llama-3.2-3b-instruct', name: 'Llama 3.2 3B Instruct', family: 'Llama 3.2', parametersB: 3.21, license: 'llama3.2', contextLength: 131072,
    summary: 'The strongest model here that still fits 8 GB at Q4.',
    transformersRepo: 'meta-llama/Llama-3.2-3B-Instruct',
    gguf: { repo: 'bartowski/Llama-3.2-3B-Instruct-GGUF', file: 'Llama-3.2-3B-Instruct-Q4_K_M.gguf', approxSizeBytes: 2.02 * GB },
    onnx: null,
  },
  {
    id: 'phi-4-mini-instruct', name: 'Phi-4 mini instruct', family: 'Phi-4', parametersB: 3.84, license: 'mit', contextLength: 131072,
    summary: 'Microsoft’s small reasoning model, with an official ONNX Runtime GenAI build.',
    transformersRepo: 'microsoft/Phi-4-mini-instruct',
    gguf: { repo: 'bartowski/microsoft_Phi-4-mini-instruct-GGUF', file: 'microsoft_Phi-4-mini-instruct-Q4_K_M.gguf', approxSizeBytes: 2.49 * GB },
    onnx: { repo: 'microsoft/Phi-4-mini-instruct-onnx', folder: 'cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4', approxSizeBytes: 2.9 * GB },
  },
];
