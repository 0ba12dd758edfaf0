/** The capabilities the app frame links to, in menu order. Shared so the Electron menu and the renderer agree. */
export const PAGES = [
  { id: 'library', title: 'Library', issue: 3, summary: 'Import, inspect and download models; lineage and memory fit.' },
  { id: 'chat', title: 'Chat', issue: 5, summary: 'Chat with one model or compare up to four side by side, with metrics.' },
  { id: 'quantize', title: 'Quantize', issue: null, summary: 'llama.cpp GGUF and Olive ONNX quantization with measured quality.' },
  { id: 'datasets', title: 'Datasets', issue: null, summary: 'Build, clean and version fine-tuning datasets.' },
  { id: 'finetune', title: 'Fine-tune', issue: null, summary: 'LoRA fine-tuning on this machine, with checkpoints and curves.' },
  { id: 'evaluate', title: 'Evaluate', issue: null, summary: 'Base vs quantized vs fine-tuned, offline, per-sample.' },
  { id: 'package', title: 'Package', issue: null, summary: 'Bundle a model with its card and lineage to hand to another team.' },
  { id: 'jobs', title: 'Jobs', issue: 2, summary: 'Every long-running task: progress, logs, cancel, retry.' },
  { id: 'hardware', title: 'Hardware', issue: 2, summary: 'What this machine can run: CPU, memory, disks, GPUs, runtimes.' },
] as const;

export type PageId = (typeof PAGES)[number]['id'];
