import { z } from 'zod';
import { jobKind } from './job-kind';

export const HUB_LIBRARIES = ['gguf', 'onnx', 'transformers'] as const;
export const HUB_SORTS = ['downloads', 'likes', 'lastModified', 'trendingScore'] as const;

export const HubSearchRequest = z
  .object({
    query: z.string().max(200).default(''),
    library: z.enum(HUB_LIBRARIES).optional(),
    author: z.string().max(100).optional(),
    sort: z.enum(HUB_SORTS).default('downloads'),
    /** Parameter bounds, in billions, applied where the Hub reports a parameter count. */
    minParamsB: z.number().min(0).optional(),
    maxParamsB: z.number().min(0).optional(),
    limit: z.number().int().min(1).max(100).default(30),
  })
  .strict();
export type HubSearchRequest = z.infer<typeof HubSearchRequest>;

export const HubModelSummary = z.object({
  id: z.string(),
  downloads: z.number(),
  likes: z.number(),
  updatedAt: z.string().nullable(),
  library: z.string().nullable(),
  pipelineTag: z.string().nullable(),
  tags: z.array(z.string()),
  gated: z.union([z.literal(false), z.literal('auto'), z.literal('manual')]),
  parameterCount: z.number().nullable(),
});
export type HubModelSummary = z.infer<typeof HubModelSummary>;

export const HubFile = z.object({
  path: z.string(),
  sizeBytes: z.number(),
  /** sha256 from the Hub's LFS metadata; null for small files kept in git. */
  lfsSha256: z.string().nullable(),
});
export type HubFile = z.infer<typeof HubFile>;

/** A set of files that make one model: a GGUF file (all parts of a split set), or a whole folder. */
export const HubModelVariant = z.object({
  label: z.string(),
  format: z.enum(['gguf', 'onnx', 'hf']),
  files: z.array(z.string()),
  sizeBytes: z.number(),
});
export type HubModelVariant = z.infer<typeof HubModelVariant>;

export const HubModelDetails = z.object({
  id: z.string(),
  sha: z.string(),
  gated: z.union([z.literal(false), z.literal('auto'), z.literal('manual')]),
  license: z.string().nullable(),
  downloads: z.number(),
  likes: z.number(),
  tags: z.array(z.string()),
  cardMarkdown: z.string().nullable(),
  files: z.array(HubFile),
  variants: z.array(HubModelVariant),
});
export type HubModelDetails = z.infer<typeof HubModelDetails>;

export const HubRepoRequest = z.object({ repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'expected owner/name'), revision: z.string().default('main') }).strict();

/** Input of a `model.download` job. */
export const DownloadModelInput = z
  .object({
    repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'expected owner/name'),
    revision: z.string().min(1).default('main'),
    /** Repo paths to fetch; empty means the whole repo. */
    files: z.array(z.string().min(1)).default([]),
    name: z.string().min(1).max(200).optional(),
    tags: z.array(z.string().min(1).max(50)).max(50).default([]),
    /** Parallel ranged connections per file. */
    connections: z.number().int().min(1).max(16).default(4),
  })
  .strict();
export type DownloadModelInput = z.infer<typeof DownloadModelInput>;

export const PullRequest = z
  .object({ uri: z.string().min(1), name: z.string().min(1).max(200).optional(), tags: z.array(z.string().min(1).max(50)).max(50).default([]) })
  .strict();
export type PullRequest = z.infer<typeof PullRequest>;

export const HubTokenRequest = z.object({ token: z.string().trim().min(8).max(400) }).strict();

export interface HubTokenStatus {
  /** Where the token in use comes from; the token itself never leaves the engine. */
  source: 'env' | 'keychain' | 'file' | null;
  endpoint: string;
  user: string | null;
  error: string | null;
}

export const CatalogEntry = z.object({
  id: z.string(),
  name: z.string(),
  family: z.string(),
  parametersB: z.number(),
  license: z.string(),
  contextLength: z.number(),
  summary: z.string(),
  /** The original transformers checkpoint (what Olive builds ONNX models from, and what fine-tuning starts from). */
  transformersRepo: z.string(),
  gguf: z.object({ repo: z.string(), file: z.string(), approxSizeBytes: z.number() }),
  /** A published ONNX Runtime GenAI build, where one exists; otherwise build it with Olive on the Quantize page. */
  onnx: z.object({ repo: z.string(), folder: z.string().nullable(), approxSizeBytes: z.number() }).nullable(),
});
export type CatalogEntry = z.infer<typeof CatalogEntry>;

/** A download either fetched the files or found them all in the user's Hugging Face cache (`reusedHfCache`: where). */
export const DownloadModelResult = z.union([
  z.object({
    name: z.string(),
    repo: z.string(),
    commit: z.string(),
    files: z.array(z.string()),
    bytes: z.number(),
    seconds: z.number(),
    averageBytesPerSecond: z.number().nullable(),
  }),
  z.object({ name: z.string(), repo: z.string(), commit: z.string(), bytesDownloaded: z.literal(0), reusedHfCache: z.string() }),
]);

export const modelDownloadJob = jobKind({
  kind: 'model.download',
  title: 'Download model',
  input: DownloadModelInput,
  result: DownloadModelResult,
  produces: ['model'],
  resumable: true,
});
