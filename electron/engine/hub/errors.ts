/** Errors of Hub downloads. Messages name the file or URL path and say what to do. */

export { formatBytes as formatSize } from '../../../shared/format-bytes';

/** An HTTP or network failure. `status` is absent for network errors; `code` is the Hub's X-Error-Code. */
export class DownloadError extends Error {
  override name = 'DownloadError';

  constructor(
    message: string,
    readonly url: string,
    readonly status?: number,
    readonly code?: string,
    /** Worth another attempt (5xx, 429, network errors). */
    readonly retryable = false,
    /** Seconds the server asked to wait (Retry-After). */
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The downloaded bytes do not match the Hub's checksum; the partial download has been deleted. */
export class ChecksumError extends Error {
  override name = 'ChecksumError';

  constructor(
    readonly file: string,
    readonly algorithm: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${file} is damaged: expected ${algorithm} ${expected}, got ${actual}; the partial download was deleted, retry to download it again`);
  }
}

export class DiskSpaceError extends Error {
  override name = 'DiskSpaceError';

  constructor(
    message: string,
    readonly folder: string,
    readonly neededBytes: number,
    readonly freeBytes: number | null,
  ) {
    super(message);
  }
}

/** A path of a URL for messages: never its query (signed CDN URLs carry credentials there). */
export function urlPath(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return url.split('?')[0] ?? url;
  }
}

/** The DownloadError for an HTTP error status of the Hub or its CDN. */
export function httpError(
  url: string,
  status: number,
  opts: { code?: string; hubMessage?: string; sentToken: boolean; retryAfterSeconds?: number },
): DownloadError {
  const where = urlPath(url);
  const repo = /^[^/]+\/(?:api\/models\/)?([^/]+\/[^/]+)\//.exec(where)?.[1];
  const page = repo ? `https://huggingface.co/${repo}` : 'the model page';
  let why: string;
  const code = opts.code;
  if (code === 'RepoNotFound') {
    why = opts.sentToken
      ? 'repository not found, or your token cannot see it: check the name'
      : 'repository not found (or private, which requires a Hugging Face token: set HF_TOKEN or add a token in Settings)';
  } else if (code === 'EntryNotFound') {
    why = 'file not found in the repository';
  } else if (code === 'RevisionNotFound') {
    why = 'revision (branch, tag or commit) not found in the repository';
  } else if (status === 401 && !opts.sentToken) {
    why = 'requires a Hugging Face token (gated model): set HF_TOKEN or add a token in Settings';
  } else if (status === 401) {
    why = `the Hugging Face token was refused (invalid or expired, or without access to this gated model: request access on ${page}); update it in Settings or HF_TOKEN`;
  } else if (status === 403 && code === 'GatedRepo') {
    why = `your Hugging Face token has no access to this gated model: request access on ${page}`;
  } else if (status === 403) {
    why = 'access denied';
  } else if (status === 404) {
    why = 'not found';
  } else if (status === 416) {
    why = 'requested range not satisfiable: the remote file is smaller than expected';
  } else if (status === 429) {
    why = 'too many requests (rate limited by the Hub)';
  } else if (status >= 500) {
    why = 'server error';
  } else {
    why = 'unexpected response';
  }
  const detail = opts.hubMessage && !why.includes(opts.hubMessage) ? ` (Hub: ${opts.hubMessage})` : '';
  const retryable = status >= 500 || status === 429 || status === 408;
  return new DownloadError(`${where}: HTTP ${status} — ${why}${detail}`, url, status, code, retryable, opts.retryAfterSeconds);
}
