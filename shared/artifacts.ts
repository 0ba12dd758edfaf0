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

/**
 * Opaque keyset cursor for `artifacts.page`: the last item's (createdAt, id) as hex-encoded JSON. Items are ordered newest
 * first (created_at DESC, id DESC), so a page never repeats or skips rows when new artifacts arrive in between.
 */
export function encodeArtifactCursor(createdAt: number, id: string): string {
  return Array.from(new TextEncoder().encode(JSON.stringify([createdAt, id])), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function decodeArtifactCursor(cursor: string): { createdAt: number; id: string } | null {
  try {
    if (!/^(?:[0-9a-f]{2})+$/.test(cursor)) return null;
    const bytes = Uint8Array.from(cursor.match(/../g)!, (h) => parseInt(h, 16));
    const v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string') return { createdAt: v[0] as number, id: v[1] };
  } catch {
    // not JSON: fall through
  }
  return null;
}

export const ArtifactsPageRequest = z
  .object({
    kind: z.string().optional(),
    jobId: z.string().optional(),
    limit: z.number().int().min(1).max(500).default(50),
    /** nextCursor from the previous page; absent for the first page. */
    cursor: z
      .string()
      .max(2000)
      .refine((c) => decodeArtifactCursor(c) !== null, 'not a cursor returned by artifacts.page')
      .optional(),
  })
  .strict();
export type ArtifactsPageRequest = z.infer<typeof ArtifactsPageRequest>;

export const ArtifactsPage = z.object({ items: z.array(ArtifactRecord), nextCursor: z.string().nullable() });
export type ArtifactsPage = z.infer<typeof ArtifactsPage>;

export const ArtifactIdRequest = z.object({ id: z.string().min(1) }).strict();
export type ArtifactIdRequest = z.infer<typeof ArtifactIdRequest>;

/** One step of an artifact's ancestry: the artifact (depth 0 is the artifact asked about), and the job that made it. */
export const LineageStep = z.object({
  depth: z.number().int().min(0),
  artifact: ArtifactRecord,
  /** null when the artifact was not made by a job (registered, exported from chat) or the job record is gone. */
  job: z.object({ id: z.string(), kind: z.string(), input: z.unknown(), createdAt: z.number() }).nullable(),
});
export type LineageStep = z.infer<typeof LineageStep>;

export const ArtifactLineage = z.array(LineageStep);
export type ArtifactLineage = z.infer<typeof ArtifactLineage>;
