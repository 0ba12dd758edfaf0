export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/** HF_ENDPOINT as the huggingface_hub Python client reads it (mirrors, a local stand-in), without a trailing slash. */
export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const raw = env.HF_ENDPOINT?.trim() || DEFAULT_HUB_ENDPOINT;
  return raw.replace(/\/+$/, '');
}

export function encodeRepoPath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export function resolveUrl(endpoint: string, repo: string, revision: string, path: string): string {
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${encodeRepoPath(path)}`;
}
