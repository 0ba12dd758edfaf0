import { downloadFile as hubDownloadFile, listFiles, listModels, modelInfo, whoAmI } from '@huggingface/hub';
import type { HubFile, HubModelDetails, HubModelSummary, HubSearchRequest } from '../../../shared/hub';
import { hubVariants } from './hub-variants';

export interface HubAccess {
  endpoint: string;
  token: string | null;
}

const creds = (a: HubAccess): { hubUrl: string; accessToken?: string } => (a.token ? { hubUrl: a.endpoint, accessToken: a.token } : { hubUrl: a.endpoint });

const LIBRARY_TAG: Record<NonNullable<HubSearchRequest['library']>, string> = { gguf: 'gguf', onnx: 'onnx', transformers: 'transformers' };

/** Turns the Hub client's terse errors into ones that say what to do. */
export function describeHubError(err: unknown, what: string): Error {
  const e = err as { statusCode?: number; message?: string };
  const status = e?.statusCode;
  if (status === 401 || status === 403) return new Error(`${what}: the Hub refused access (${status}). The model may be gated or private: accept its licence on the Hub and set HF_TOKEN or add a token in Settings.`);
  if (status === 404) return new Error(`${what}: not found on the Hub (404). Check the owner/name and revision.`);
  const msg = e?.message ?? String(err);
  if (/fetch failed|ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(msg)) return new Error(`${what}: cannot reach the Hub (${msg}). Check the network or HF_ENDPOINT.`);
  return new Error(`${what}: ${msg}`);
}

export async function searchHub(req: HubSearchRequest, access: HubAccess): Promise<HubModelSummary[]> {
  const wantsParams = req.minParamsB !== undefined || req.maxParamsB !== undefined;
  const out: HubModelSummary[] = [];
  try {
    for await (const m of listModels({
      search: { query: req.query || undefined, owner: req.author || undefined, tags: req.library ? [LIBRARY_TAG[req.library]] : undefined },
      // `gguf` (parameter count of GGUF repos) is a real expand key the client's types do not list yet.
      additionalFields: ['library_name', 'tags', 'safetensors', 'gguf' as 'safetensors'],
      sort: req.sort,
      limit: wantsParams ? req.limit * 4 : req.limit,
      ...creds(access),
    })) {
      const params = m.safetensors?.total ?? (m as { gguf?: { total?: number } }).gguf?.total ?? null;
      if (wantsParams) {
        if (params === null) continue;
        if (req.minParamsB !== undefined && params < req.minParamsB * 1e9) continue;
        if (req.maxParamsB !== undefined && params > req.maxParamsB * 1e9) continue;
      }
      out.push({
        // The client's `id` is the Hub's internal object id; `name` is owner/name.
        id: m.name,
        downloads: m.downloads ?? 0,
        likes: m.likes ?? 0,
        updatedAt: m.updatedAt instanceof Date && !Number.isNaN(m.updatedAt.getTime()) ? m.updatedAt.toISOString() : null,
        library: m.library_name ?? null,
        pipelineTag: m.task ?? null,
        tags: m.tags ?? [],
        gated: m.gated ?? false,
        parameterCount: params,
      });
      if (out.length >= req.limit) break;
    }
  } catch (err) {
    throw describeHubError(err, `Hub search "${req.query}"`);
  }
  return out;
}

export async function listRepoFiles(repo: string, revision: string, access: HubAccess): Promise<HubFile[]> {
  const files: HubFile[] = [];
  try {
    for await (const f of listFiles({ repo: { type: 'model', name: repo }, revision, recursive: true, ...creds(access) })) {
      if (f.type !== 'file') continue;
      files.push({ path: f.path, sizeBytes: f.lfs?.size ?? f.size, lfsSha256: f.lfs?.oid ?? null });
    }
  } catch (err) {
    throw describeHubError(err, `${repo}@${revision}`);
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/** The commit a revision (branch, tag) points at, so every file of one download comes from the same commit. */
export async function resolveRevision(repo: string, revision: string, access: HubAccess): Promise<{ sha: string; gated: HubModelDetails['gated'] }> {
  try {
    const info = await modelInfo({ name: repo, revision, additionalFields: ['sha'], ...creds(access) });
    return { sha: info.sha, gated: info.gated ?? false };
  } catch (err) {
    throw describeHubError(err, `${repo}@${revision}`);
  }
}

export async function hubModelDetails(repo: string, revision: string, access: HubAccess): Promise<HubModelDetails> {
  let info;
  try {
    info = await modelInfo({ name: repo, revision, additionalFields: ['sha', 'cardData', 'tags'], ...creds(access) });
  } catch (err) {
    throw describeHubError(err, `${repo}@${revision}`);
  }
  const files = await listRepoFiles(repo, info.sha, access);
  let cardMarkdown: string | null = null;
  if (files.some((f) => f.path === 'README.md')) {
    try {
      const blob = await hubDownloadFile({ repo: { type: 'model', name: repo }, path: 'README.md', revision: info.sha, ...creds(access) });
      cardMarkdown = blob ? (await blob.text()).slice(0, 200_000) : null;
    } catch {
      cardMarkdown = null;
    }
  }
  const license = (info.cardData as { license?: unknown } | undefined)?.license;
  return {
    id: info.id,
    sha: info.sha,
    gated: info.gated ?? false,
    license: typeof license === 'string' ? license : null,
    downloads: info.downloads ?? 0,
    likes: info.likes ?? 0,
    tags: info.tags ?? [],
    cardMarkdown,
    files,
    variants: hubVariants(files),
  };
}

export async function hubWhoAmI(access: HubAccess): Promise<string> {
  if (!access.token) throw new Error('no token');
  const me = await whoAmI({ hubUrl: access.endpoint, accessToken: access.token });
  return me.name;
}
