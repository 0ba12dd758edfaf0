import { z } from 'zod';

export const ArtifactRecord = z.object({
  id: z.string(),
  kind: z.string(),
  name: z.string(),
  /** Absolute path on disk. */
  path: z.string(),
  sha256: z.string(),
  sizeBytes: z.number(),
  jobId: z.string().nullable(),
  parents: z.array(z.string()),
  meta: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()),
  notes: z.string(),
  /** Whittle owns the files (under its data folder); false for models registered by reference. */
  managed: z.boolean(),
  createdAt: z.number(),
});
export type ArtifactRecord = z.infer<typeof ArtifactRecord>;

export const ListArtifactsRequest = z
  .object({ kind: z.string().optional(), jobId: z.string().optional(), limit: z.number().int().min(1).max(1000).default(200) })
  .strict();
export type ListArtifactsRequest = z.infer<typeof ListArtifactsRequest>;
