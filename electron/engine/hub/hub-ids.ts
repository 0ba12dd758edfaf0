/**
 * Checks of the names a Hub (or an HF_ENDPOINT mirror, which may be hostile) hands back before any of them becomes
 * part of a local path: commit ids, repo ids, file paths. The rules are the huggingface_hub Python client's
 * (REGEX_COMMIT_HASH, validate_repo_id, and its refusal of file paths outside the download folder).
 */
import { InvalidInputError } from '../../../shared/errors';
import { quotePath, unsafeRelativePathReason } from '../util/contained-path';

/** The Hub answered with a name Whittle refuses to turn into a path. */
export class UnsafeHubResponseError extends Error {
  override name = 'UnsafeHubResponseError';

  constructor(
    message: string,
    readonly value: string,
  ) {
    super(message);
  }
}

export const COMMIT_SHA = /^[0-9a-f]{40}$/;

/** The commit id as the Hub returned it, when it is a 40-hex git commit id; else UnsafeHubResponseError naming it. */
export function checkCommitSha(sha: unknown, repo: string, source: string): string {
  if (typeof sha === 'string' && COMMIT_SHA.test(sha)) return sha;
  throw new UnsafeHubResponseError(`${source} returned commit sha ${quotePath(sha)} for ${repo}: not a 40-hex commit id; refusing to use it`, String(sha));
}

/** Each part: letters, digits, `-`, `_`, `.`, starting and ending with a letter or digit (huggingface_hub's REPO_ID_REGEX). */
const REPO_PART = /^[A-Za-z0-9_](?:[\w.-]{0,94}[A-Za-z0-9_])?$/;

/** Why `repo` is not a Hub repo id (owner/name), or null. */
export function repoIdProblem(repo: unknown): string | null {
  if (typeof repo !== 'string') return 'not a string';
  const parts = repo.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return 'expected owner/name';
  if (repo.includes('..') || repo.includes('--')) return 'it must not contain ".." or "--"';
  if (!parts.every((p) => REPO_PART.test(p)))
    return 'owner and name are letters, digits, "-", "_" and ".", starting and ending with a letter or digit, at most 96 characters';
  if (repo.endsWith('.git')) return 'it must not end with ".git"';
  return null;
}

/** The repo id when it is valid; else InvalidInputError naming it and where it came from. */
export function checkRepoId(repo: unknown, source: string): string {
  const why = repoIdProblem(repo);
  if (why) throw new InvalidInputError(`${source}: ${quotePath(repo)} is not a valid Hub repo id (${why})`);
  return repo as string;
}

/** Why a file path listed by the Hub cannot be downloaded into a folder, or null. */
export function repoFilePathProblem(path: unknown): string | null {
  const why = unsafeRelativePathReason(path);
  if (why) return why;
  const segs = (path as string).split('/');
  if (segs.some((s) => s === '' || s === '.')) return 'has an empty or "." segment';
  return null;
}

/** The path when it is a safe relative path in the repo; else UnsafeHubResponseError naming it, the repo and the source. */
export function checkRepoFilePath(path: unknown, repo: string, source: string): string {
  const why = repoFilePathProblem(path);
  if (why) throw new UnsafeHubResponseError(`${source} listed file ${quotePath(path)} in ${repo}: the path ${why}; refusing to download it`, String(path));
  return path as string;
}
