import { randomBytes } from 'node:crypto';

/** Sortable, URL-safe ids: millisecond time prefix + random suffix, e.g. `j-m3k2a1b0-4f9c2e`. */
export function newId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
