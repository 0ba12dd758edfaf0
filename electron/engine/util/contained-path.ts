/**
 * Containment of paths that come from outside input (a Hub's file list, a config file inside a model folder, an
 * ONNX graph's external-data entry) before they are joined to a folder Whittle reads or writes. The rules follow the
 * huggingface_hub Python client's: a relative path, no `..` segment, no absolute path or drive letter, no backslash
 * (a separator on Windows), no NUL; and, for paths that exist, no symbolic link leading out of the folder.
 *
 * Nothing here URL-decodes: `%2e%2e` is a literal file name, and stays inside the folder.
 */
import { lstat, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep, win32 } from 'node:path';

export class UnsafePathError extends Error {
  override name = 'UnsafePathError';

  constructor(
    message: string,
    /** The offending path as it was given. */
    readonly value: string,
  ) {
    super(message);
  }
}

/** Why `rel` cannot be used as a path relative to a folder, or null when it can. */
export function unsafeRelativePathReason(rel: unknown): string | null {
  if (typeof rel !== 'string') return 'not a string';
  if (rel.length === 0) return 'empty';
  if (rel.includes('\0')) return 'contains a NUL character';
  if (rel.includes('\\')) return 'contains a backslash';
  if (rel.startsWith('/') || isAbsolute(rel) || win32.isAbsolute(rel)) return 'is an absolute path';
  if (/^[a-zA-Z]:/.test(rel)) return 'starts with a drive letter';
  if (rel.split('/').some((seg) => seg === '..')) return 'has a ".." segment';
  return null;
}

/** Quotes a path for a message, escaping control characters so a hostile value cannot forge log lines. */
export function quotePath(value: unknown): string {
  return `'${JSON.stringify(String(value)).slice(1, -1)}'`;
}

/** True when `abs` is `root` or inside it (both absolute). */
export function isInsideFolder(root: string, abs: string): boolean {
  const rel = relative(root, abs);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * `root` joined with the untrusted relative path `rel`, or an UnsafePathError naming the value and `what` it is
 * (e.g. "file path from the Hub for owner/name"). Purely lexical: see resolveInsideReal for symbolic links.
 */
export function resolveInside(root: string, rel: string, what: string): string {
  const why = unsafeRelativePathReason(rel);
  if (why) throw new UnsafePathError(`${what} ${quotePath(rel)} ${why}: it must be a relative path inside its folder`, String(rel));
  const base = resolve(root);
  const abs = resolve(base, rel);
  if (!isInsideFolder(base, abs)) throw new UnsafePathError(`${what} ${quotePath(rel)} leads outside ${base}`, rel);
  return abs;
}

/** The deepest existing ancestor of `abs` (itself included), through lstat: a dangling link counts as existing. */
async function existingAncestor(abs: string): Promise<string> {
  let p = abs;
  for (;;) {
    if (
      await lstat(p).then(
        () => true,
        () => false,
      )
    )
      return p;
    const up = dirname(p);
    if (up === p) return p;
    p = up;
  }
}

/** Link targets that stay allowed: a blob of a Hugging Face hub cache (…/models--owner--name/blobs/<hash>), where the cache's snapshots link to. */
export function isHfCacheBlob(real: string): boolean {
  const parts = real.split(/[\\/]/);
  const n = parts.length;
  return n >= 3 && parts[n - 2] === 'blobs' && (parts[n - 3] ?? '').startsWith('models--') && /^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(parts[n - 1] ?? '');
}

/**
 * resolveInside, then: where the path (or its deepest existing ancestor) exists, its real path must still be inside
 * the real path of `root`, so a symbolic link in the folder cannot lead a read or a write elsewhere. With
 * `allowHfCacheBlobs`, a link to a Hugging Face cache blob is accepted (snapshots are made of such links).
 */
export async function resolveInsideReal(root: string, rel: string, what: string, opts: { allowHfCacheBlobs?: boolean } = {}): Promise<string> {
  const abs = resolveInside(root, rel, what);
  const realRoot = await realpath(resolve(root)).catch(() => resolve(root));
  const existing = await existingAncestor(abs);
  if (!isInsideFolder(resolve(root), existing)) return abs; // nothing inside the folder exists yet
  const real = await realpath(existing).catch(() => null);
  if (real === null) throw new UnsafePathError(`${what} ${quotePath(rel)} is a symbolic link to nothing (${existing})`, rel);
  if (isInsideFolder(realRoot, real)) return abs;
  if (opts.allowHfCacheBlobs && existing === abs && isHfCacheBlob(real)) return abs;
  throw new UnsafePathError(`${what} ${quotePath(rel)} leads outside ${resolve(root)} through a symbolic link (to ${real})`, rel);
}
