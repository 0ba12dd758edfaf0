import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { OpenAiSettings, UpdateOpenAiSettings } from '../../../shared/inference';
import type { Db } from './database';
import type { SettingsStore } from './settings-store';

const KEY = 'openai';

/** What the settings table holds under `openai`. The key is stored as a salted scrypt hash, never in clear. */
const StoredOpenAiSettings = z.object({
  enabled: z.boolean().default(true),
  /** `scrypt$N$r$p$<salt b64>$<hash b64>`. */
  apiKeyHash: z.string().nullable().default(null),
  corsOrigins: z.array(z.string()).default([]),
  /** Before hashing, the key itself was stored here; it is hashed and removed when the database is opened. */
  apiKey: z.string().nullable().optional(),
});
export type StoredOpenAiSettings = z.infer<typeof StoredOpenAiSettings>;

// scrypt's recommended interactive parameters (16 MiB, tens of ms): checked once per key, then cached by digest.
const N = 16384;
const R = 8;
const P = 1;
const LEN = 32;

export function hashApiKey(key: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(key, salt, LEN, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

function parseHash(stored: string): { n: number; r: number; p: number; salt: Buffer; hash: Buffer } | null {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return null;
  return { n: Number(n), r: Number(r), p: Number(p), salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** The last key that matched, as a SHA-256 digest, so every /v1 request after the first costs one hash, not one scrypt. */
let verified: { stored: string; digest: Buffer } | null = null;

/** Whether `presented` is the key behind `stored`; both comparisons are constant-time over equal-length digests. */
export async function verifyApiKey(stored: string, presented: string): Promise<boolean> {
  const digest = sha256(presented);
  if (verified && verified.stored === stored) return timingSafeEqual(verified.digest, digest);
  const h = parseHash(stored);
  if (!h || h.hash.length !== LEN) return false;
  const got = await new Promise<Buffer | null>((resolve) =>
    scrypt(presented, h.salt, LEN, { N: h.n, r: h.r, p: h.p, maxmem: 64 << 20 }, (err, key) => resolve(err ? null : key)),
  );
  const ok = got !== null && timingSafeEqual(got, h.hash);
  if (ok) verified = { stored, digest };
  return ok;
}

/** The stored settings, defaults filled; a key still stored in clear (older Whittle) is hashed first. */
export function readOpenAiSettings(settings: SettingsStore): StoredOpenAiSettings {
  const stored = StoredOpenAiSettings.parse(settings.get(KEY) ?? {});
  if (stored.apiKey === undefined) return stored;
  const { apiKey, ...rest } = stored;
  const next = { ...rest, apiKeyHash: apiKey ? hashApiKey(apiKey) : rest.apiKeyHash };
  settings.set(KEY, next);
  return next;
}

/** What clients see: whether a key is set, never the key or its hash. */
export function openAiSettingsView(s: StoredOpenAiSettings): OpenAiSettings {
  return { enabled: s.enabled, apiKeySet: s.apiKeyHash !== null, corsOrigins: s.corsOrigins };
}

/** Applies a patch: only the fields present in it change. */
export function patchOpenAiSettings(settings: SettingsStore, patch: UpdateOpenAiSettings): StoredOpenAiSettings {
  const next = { ...readOpenAiSettings(settings) };
  if (patch.enabled !== undefined) next.enabled = patch.enabled;
  if (patch.corsOrigins !== undefined) next.corsOrigins = patch.corsOrigins;
  if (patch.apiKey !== undefined) next.apiKeyHash = patch.apiKey === null ? null : hashApiKey(patch.apiKey);
  settings.set(KEY, next);
  return next;
}

/**
 * Run when the database opens: hashes a /v1 key an older Whittle stored in clear, then truncates the WAL so the
 * old page images holding it are gone from disk too (the database itself zeroes freed space: secure_delete).
 */
export function migrateClearApiKey(db: Db, settings: SettingsStore): void {
  const raw = settings.get<Record<string, unknown>>(KEY);
  if (!raw || !('apiKey' in raw)) return;
  readOpenAiSettings(settings);
  db.pragma('wal_checkpoint(TRUNCATE)');
}
