import { downloadFile as hubDownloadFile, listFiles, listModels, modelInfo, whoAmI } from '@huggingface/hub';
import type { HubFile, HubModelDetails, HubModelSummary, HubSearchRequest } from '../../../shared/hub';
import { checkCommitSha, checkRepoFilePath, checkRepoId } from './hub-ids';
import { hubVariants } from './hub-variants';
import { describeCertError, hubNet, proxyFromEnv, redact } from '../net/http-dispatcher';

export interface HubAccess {
  endpoint: string;
  token: string | null;
}

/** Endpoint, token, and (behind a proxy or with NODE_EXTRA_CA_CERTS) a fetch through the process's dispatcher. */
const creds = async (a: HubAccess): Promise<{ hubUrl: string; accessToken?: string; fetch?: typeof fetch }> => {
  const f = (await hubNet()).fetch;
  return { hubUrl: a.endpoint, ...(a.token ? { accessToken: a.token } : {}), ...(f ? { fetch: f } : {}) };
};

const LIBRARY_TAG: Record<NonNullable<HubSearchRequest['library']>, string> = { gguf: 'gguf', onnx: 'onnx', transformers: 'transformers' };

/** Turns the Hub client's terse errors into ones that say what to do. */
export function describeHubError(err: unknown, what: string): Error {
  const e = err as { statusCode?: number; message?: string };
  const status = e?.statusCode;
  if (status === 401 || status === 403)
    return new Error(
      `${what}: the Hub refused access (${status}). The model may be gated or private: accept its licence on the Hub and set HF_TOKEN or add a token in Settings.`,
    );
  if (status === 404) return new Error(`${what}: not found on the Hub (404). Check the owner/name and revision.`);
  const cert = describeCertError(err);
  if (cert) return new Error(`${what}: ${cert}`, { cause: err });
  const cause = (err as { cause?: { message?: string } } | null)?.cause?.message;
  const msg = `${e?.message ?? String(err)}${cause && !e?.message?.includes(cause) ? `: ${cause}` : ''}`;
  if (/fetch failed|ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(msg)) {
    let proxy: string | null = null;
    try {
      const p = proxyFromEnv();
      proxy = p ? (p.https ?? p.http) : null;
    } catch {
      // a malformed proxy variable is reported where it is read
    }
    return new Error(
      `${what}: cannot reach the Hub (${msg}). Check the network or HF_ENDPOINT${proxy ? `, and the proxy ${redact(proxy)} (HTTPS_PROXY/HTTP_PROXY, NO_PROXY)` : ''}.`,
      { cause: err },
    );
  }
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
      ...(await creds(access)),
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

/** The repo's files at a revision. Every path is checked before it can become part of a local path: a hostile mirror can list `../x`. */
export async function listRepoFiles(repo: string, revision: string, access: HubAccess): Promise<HubFile[]> {
  checkRepoId(repo, 'listing files');
  const files: HubFile[] = [];
  try {
    for await (const f of listFiles({ repo: { type: 'model', name: repo }, revision, recursive: true, ...(await creds(access)) })) {
      if (f.type !== 'file') continue;
      files.push({ path: f.path, sizeBytes: f.lfs?.size ?? f.size, lfsSha256: f.lfs?.oid ?? null });
    }
  } catch (err) {
    throw describeHubError(err, `${repo}@${revision}`);
  }
  for (const f of files) checkRepoFilePath(f.path, repo, `the Hub at ${access.endpoint}`);
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/** The commit a revision (branch, tag) points at, so every file of one download comes from the same commit. */
export async function resolveRevision(repo: string, revision: string, access: HubAccess): Promise<{ sha: string; gated: HubModelDetails['gated'] }> {
  checkRepoId(repo, 'resolving a revision');
  let info;
  try {
    info = await modelInfo({ name: repo, revision, additionalFields: ['sha'], ...(await creds(access)) });
  } catch (err) {
    throw describeHubError(err, `${repo}@${revision}`);
  }
  // The commit names a local folder (<data>/downloads/<repo>/<commit>): a hostile mirror can answer `../../x`.
  return { sha: checkCommitSha(info.sha, repo, `the Hub at ${access.endpoint}`), gated: info.gated ?? false };
}

export async function hubModelDetails(repo: string, revision: string, access: HubAccess): Promise<HubModelDetails> {
  checkRepoId(repo, 'model details');
  let info;
  try {
    info = await modelInfo({ name: repo, revision, additionalFields: ['sha', 'cardData', 'tags'], ...(await creds(access)) });
  } catch (err) {
    throw describeHubError(err, `${repo}@${revision}`);
  }
  checkCommitSha(info.sha, repo, `the Hub at ${access.endpoint}`);
  const files = await listRepoFiles(repo, info.sha, access);
  let cardMarkdown: string | null = null;
  if (files.some((f) => f.path === 'README.md')) {
    try {
      const blob = await hubDownloadFile({ repo: { type: 'model', name: repo }, path: 'README.md', revision: info.sha, ...(await creds(access)) });
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
  const me = await whoAmI({ ...(await creds(access)), accessToken: access.token });
  return me.name;
}
