import { z } from 'zod';
import { jobKind } from './job-kind';

export const MODEL_FORMATS = ['gguf', 'onnx', 'hf'] as const;
export const ModelFormat = z.enum(MODEL_FORMATS);
export type ModelFormat = z.infer<typeof ModelFormat>;

/** How a model entered the library. `reference` and `hf-cache` models stay where they are; Whittle never deletes their files. */
export const MODEL_SOURCES = ['reference', 'copy', 'hf-cache', 'hub', 'job'] as const;
export const ModelSource = z.enum(MODEL_SOURCES);
export type ModelSource = z.infer<typeof ModelSource>;

/** Storage type of one family of tensors (e.g. attn_q -> Q4_K over 24 tensors). */
export const TensorFamilyType = z.object({
  family: z.string(),
  type: z.string(),
  tensors: z.number(),
  parameters: z.number(),
});
export type TensorFamilyType = z.infer<typeof TensorFamilyType>;

export const ModelFile = z.object({
  /** Relative to the model's root (the folder, or the folder holding the GGUF file). */
  path: z.string(),
  sizeBytes: z.number(),
});
export type ModelFile = z.infer<typeof ModelFile>;

/**
 * Code a model folder ships that a Python library would run: `auto_map` entries (transformers' trust_remote_code
 * classes), *.py files, and pickle checkpoints (torch.load can run code while unpickling). Jobs refuse all of it
 * unless the user allowed it for that model (LibraryModel.codeConsent).
 */
export const ModelCodeFile = z.object({
  /** Relative to the model folder. */
  path: z.string(),
  kind: z.enum(['python', 'pickle']),
  sizeBytes: z.number(),
  /** Null for pickles at inspection time (they can be large); computed when the user allows the model's code. */
  sha256: z.string().nullable(),
});
export type ModelCodeFile = z.infer<typeof ModelCodeFile>;

export const ModelCode = z.object({
  /** e.g. { source: 'tokenizer_config.json', autoClass: 'AutoTokenizer', ref: 'tokenization_x.XTokenizerFast' }. */
  autoMap: z.array(z.object({ source: z.string(), autoClass: z.string(), ref: z.string() })),
  files: z.array(ModelCodeFile),
});
export type ModelCode = z.infer<typeof ModelCode>;

/** The user's explicit permission for jobs to run a model's own code: exactly these files with these digests. */
export const CodeConsent = z.object({
  grantedAt: z.number(),
  files: z.array(z.object({ path: z.string(), kind: z.enum(['python', 'pickle']), sha256: z.string(), sizeBytes: z.number() })),
});
export type CodeConsent = z.infer<typeof CodeConsent>;

/** Everything Whittle can tell about a model without loading its weights. */
export const ModelInspection = z.object({
  format: ModelFormat,
  architecture: z.string().nullable(),
  /** general.name, or the folder's model name. */
  name: z.string().nullable(),
  parameterCount: z.number().nullable(),
  /** One-line summary: the GGUF file type (Q4_K_M), the dominant dtype (BF16), or the ONNX quantization (int4). */
  quantization: z.string().nullable(),
  tensorTypes: z.array(TensorFamilyType),
  sizeBytes: z.number(),
  files: z.array(ModelFile),
  contextLength: z.number().nullable(),
  vocabSize: z.number().nullable(),
  layerCount: z.number().nullable(),
  embeddingLength: z.number().nullable(),
  headCount: z.number().nullable(),
  headCountKv: z.number().nullable(),
  chatTemplate: z.string().nullable(),
  /** The chat template rendered over a short example conversation. */
  chatTemplateExample: z.string().nullable(),
  chatTemplateError: z.string().nullable(),
  /** Role -> token text, e.g. { bos: '<s>', eos: '</s>' }. */
  specialTokens: z.record(z.string(), z.string()),
  license: z.string().nullable(),
  /** Format-specific facts (ONNX execution providers, HF torch_dtype, ...). */
  extra: z.record(z.string(), z.json()),
  warnings: z.array(z.string()),
  /** Code the folder ships (Hugging Face folders); null when it ships none. Older records lack it. */
  modelCode: ModelCode.nullable().default(null),
});
export type ModelInspection = z.infer<typeof ModelInspection>;

export const LibraryModel = z.object({
  id: z.string(),
  name: z.string(),
  format: ModelFormat,
  /** The GGUF file (first part of a split set) or the model folder. */
  path: z.string(),
  sha256: z.string(),
  sizeBytes: z.number(),
  source: ModelSource,
  /** Where it came from: the original path, or hf:owner/repo@revision/file. */
  sourceRef: z.string().nullable(),
  /** True when the files live in Whittle's data folder (deleting the model deletes them). */
  managed: z.boolean(),
  tags: z.array(z.string()),
  notes: z.string(),
  parents: z.array(z.string()),
  children: z.array(z.string()),
  jobId: z.string().nullable(),
  inspection: ModelInspection,
  /** Set when the user allowed jobs to run the model's own code (inspection.modelCode). */
  codeConsent: CodeConsent.nullable(),
  /** The model's file (or folder) is gone from disk: it cannot be loaded or used by jobs until it is back. */
  missing: z.boolean().default(false),
  createdAt: z.number(),
});
export type LibraryModel = z.infer<typeof LibraryModel>;

export const ImportModelInput = z
  .object({
    path: z.string().min(1),
    mode: z.enum(['reference', 'copy']).default('reference'),
    name: z.string().min(1).max(200).optional(),
    tags: z.array(z.string().min(1).max(50)).max(50).default([]),
  })
  .strict();
export type ImportModelInput = z.infer<typeof ImportModelInput>;

/** Hugging Face checkpoint in the library -> GGUF with llama.cpp's converter (in the Python toolchain). */
export const GGUF_OUTTYPES = ['f32', 'f16', 'bf16', 'q8_0'] as const;
export const ConvertModelInput = z
  .object({
    modelId: z.string().min(1),
    to: z.literal('gguf').default('gguf'),
    outtype: z.enum(GGUF_OUTTYPES).default('f16'),
    name: z.string().min(1).max(200).optional(),
  })
  .strict();
export type ConvertModelInput = z.infer<typeof ConvertModelInput>;

export const InspectPathInput = z
  .object({
    path: z.string().min(1),
    /** Also compute the sha256 (reads every byte). */
    hash: z.boolean().default(false),
  })
  .strict();

/** Allow (or revoke) running a model's own code in jobs; allowing records the digest of every code file as it is now. */
export const TrustModelCodeRequest = z
  .object({
    id: z.string().min(1),
    trust: z.boolean(),
  })
  .strict();
export type TrustModelCodeRequest = z.infer<typeof TrustModelCodeRequest>;

export const ListModelsRequest = z
  .object({
    format: ModelFormat.optional(),
    /** Matches name, architecture, quantization, tags and source. */
    search: z.string().optional(),
    limit: z.number().int().min(1).max(5000).default(1000),
  })
  .strict();
export type ListModelsRequest = z.infer<typeof ListModelsRequest>;

export const ModelIdRequest = z.object({ id: z.string().min(1) }).strict();

export const UpdateModelRequest = z
  .object({
    id: z.string().min(1),
    name: z.string().trim().min(1).max(200).optional(),
    tags: z.array(z.string().trim().min(1).max(50)).max(50).optional(),
    notes: z.string().max(20_000).optional(),
  })
  .strict();
export type UpdateModelRequest = z.infer<typeof UpdateModelRequest>;

export const RemoveModelRequest = z
  .object({
    id: z.string().min(1),
    /** Remove even though other artifacts were derived from it (they keep a note of the deleted parent). */
    force: z.boolean().default(false),
  })
  .strict();
export type RemoveModelRequest = z.infer<typeof RemoveModelRequest>;

export interface RemoveModelResult {
  id: string;
  /** Whether files were deleted (only managed models' files ever are). */
  deletedFiles: boolean;
  /** Artifacts that were derived from it. */
  orphanedChildren: string[];
}

export const MemoryFitRequest = z
  .object({
    id: z.string().min(1),
    contextSize: z
      .number()
      .int()
      .min(128)
      .max(1 << 21)
      .default(4096),
  })
  .strict();
export type MemoryFitRequest = z.infer<typeof MemoryFitRequest>;

export const MemoryFit = z.object({
  contextSize: z.number(),
  /** Bytes for the weights and the context (KV cache + compute buffers), all on CPU. */
  cpuOnly: z.object({ ramBytes: z.number() }),
  /** With every layer offloaded to the best GPU, if there is one. */
  fullGpu: z.object({ ramBytes: z.number(), vramBytes: z.number() }).nullable(),
  totalRamBytes: z.number(),
  freeRamBytes: z.number(),
  totalVramBytes: z.number().nullable(),
  freeVramBytes: z.number().nullable(),
  verdict: z.enum(['fits-gpu', 'fits-partial-gpu', 'fits-ram', 'tight', 'too-big']),
  summary: z.string(),
  /** Which estimator: node-llama-cpp's GGUF insights, or Whittle's formula from the config. */
  method: z.enum(['node-llama-cpp', 'formula']),
});
export type MemoryFit = z.infer<typeof MemoryFit>;

/** A model found in the user's Hugging Face cache (HF_HOME/hub). */
export const HfCacheEntry = z.object({
  repo: z.string(),
  revision: z.string(),
  /** The GGUF file or the snapshot folder to import. */
  path: z.string(),
  format: ModelFormat,
  sizeBytes: z.number(),
  /** Library id when it is already imported. */
  modelId: z.string().nullable(),
});
export type HfCacheEntry = z.infer<typeof HfCacheEntry>;

export const modelImportJob = jobKind({
  kind: 'model.import',
  title: 'Import model',
  input: ImportModelInput,
  result: z.object({ name: z.string(), sha256: z.string(), sizeBytes: z.number(), source: ModelSource }),
  produces: ['model'],
});

export const modelInspectJob = jobKind({
  kind: 'model.inspect',
  title: 'Inspect model',
  input: InspectPathInput,
  result: z.object({ entry: z.string(), files: z.array(z.string()), sha256: z.string().nullable(), inspection: ModelInspection }),
});

export const modelConvertJob = jobKind({
  kind: 'model.convert',
  title: 'Convert model',
  input: ConvertModelInput,
  result: z.object({ name: z.string(), outtype: z.enum(GGUF_OUTTYPES), sizeBytes: z.number(), tensors: z.number().nullable() }),
  produces: ['model'],
});
