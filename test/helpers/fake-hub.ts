/**
 * A local stand-in for the Hugging Face Hub: the routes @huggingface/hub and Whittle's downloader use,
 * with the Hub's response shapes, headers and error codes, plus instrumentation and fault injection.
 *
 *   const hub = await startFakeHub({ token: 'hf_test', repos: [{ id: 'acme/tiny', files: [...] }] });
 *   await listModels({ hubUrl: hub.url, ... });
 *
 * LFS files are served like the real Hub: `resolve` answers 302 to a signed "CDN" URL on the same server
 * (which needs no Authorization header), with X-Linked-Size / X-Linked-Etag / X-Repo-Commit.
 * Generated files (`{ sizeBytes, seed }`) are produced on the fly, never held in memory; a file's hashes
 * are computed on its first listing or resolve (about a second per GB).
 */
import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml } from 'yaml';

export type GeneratedData = { sizeBytes: number; seed: number };

export interface FakeFileSpec {
  path: string;
  /** File content; a string is UTF-8 text; `{ sizeBytes, seed }` is deterministic generated content. */
  data: Buffer | string | GeneratedData;
  /** Stored with Git LFS (served through the CDN redirect). Default: > 10 KB or a weights file. */
  lfs?: boolean;
}

export interface FakeRepoSpec {
  id: string;
  /** 40-hex commit; generated from the id when absent. */
  sha?: string;
  files: FakeFileSpec[];
  gated?: false | 'auto' | 'manual';
  private?: boolean;
  tags?: string[];
  library?: string;
  downloads?: number;
  likes?: number;
  trendingScore?: number;
  lastModified?: string;
  createdAt?: string;
  pipelineTag?: string;
  license?: string;
  parameterCount?: number;
}

export interface FakeHubOptions {
  repos: FakeRepoSpec[];
  /** The one token the hub accepts (must start with `hf_` for @huggingface/hub to send it). */
  token?: string;
  /** The user `whoami-v2` reports for the token. */
  user?: string;
  port?: number;
  /**
   * Act as a hostile mirror that serves whatever names it lists: a repo `sha` or file path like `../../x` reaches the
   * server normalized by the client's URL parser (`/api/models/o/n/tree/../../x` arrives as `/api/models/x`), and
   * the hub answers those normalized paths with the tree or the file they came from, so a client that trusts the
   * names gets the whole exchange through. A repo's `sha` may then be any string.
   */
  hostile?: boolean;
  /** Serve both origins (the Hub and its CDN) over HTTPS with this key and certificate (for 127.0.0.1). */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export interface FakeHubFaults {
  /** Destroys the socket after this many body bytes of a CDN response; `times` responses (default 1). */
  dropAfterBytes?: number;
  times?: number;
  /** Flips one byte of that file whenever it is served (direct or CDN). */
  corruptByteAt?: { path: string; offset: number };
  /** Answers the next `times` CDN requests with this status (e.g. 503, 429). */
  failStatus?: { status: number; times: number; retryAfterSeconds?: number };
  /** Caps each response's body rate. */
  throttleBytesPerSec?: number;
}

export interface FakeHubRequest {
  method: string;
  /** URL path, without the query. */
  path: string;
  range: string | null;
  authorization: boolean;
  status: number;
  bytesSent: number;
  /** For file bodies: the repo, the file's path in it and its sha256 (LFS) when known. */
  repo?: string;
  file?: string;
  sha256?: string;
}

export interface FakeHub {
  url: string;
  /** The origin LFS downloads are redirected to. */
  cdnUrl: string;
  readonly requests: FakeHubRequest[];
  /** Setting it resets the fault counters. */
  faults: FakeHubFaults;
  /** Body bytes sent for a file, by LFS sha256 or by repo path (`file.gguf` or `owner/name/file.gguf`). */
  bytesServed(shaOrPath: string): number;
  /** The file's sha256, LFS sha256 and git oid as the hub reports them. */
  fileInfo(repo: string, path: string): Promise<{ sha256: string; gitOid: string; size: number; lfs: boolean }>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Deterministic generated content

const GEN_BLOCK = 1 << 20;
const GEN_STAMP = 8;
const baseBlocks = new Map<number, Buffer>();

/** A pseudo-random 1 MiB block per seed (AES-CTR keystream). */
function baseBlock(seed: number): Buffer {
  let b = baseBlocks.get(seed);
  if (!b) {
    const key = createHash('sha256').update(`fake-hub:${seed}`).digest();
    const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
    b = Buffer.concat([cipher.update(Buffer.alloc(GEN_BLOCK)), cipher.final()]);
    baseBlocks.set(seed, b);
  }
  return b;
}

function isGenerated(data: FakeFileSpec['data']): data is GeneratedData {
  return typeof data === 'object' && !Buffer.isBuffer(data);
}

export function fileSize(spec: Pick<FakeFileSpec, 'data'>): number {
  const d = spec.data;
  if (isGenerated(d)) return d.sizeBytes;
  return typeof d === 'string' ? Buffer.byteLength(d) : d.length;
}

/**
 * Bytes [start, end) of a generated file, as slices: the seed's block repeated, each 1 MiB block starting
 * with an 8-byte stamp of its index, so no two blocks are alike. The slices share the block (no copying),
 * which keeps the hub cheap enough not to skew throughput measurements.
 */
export function* generatedParts(spec: GeneratedData, start: number, end: number): Generator<Buffer> {
  const stop = Math.min(end, spec.sizeBytes);
  const base = baseBlock(spec.seed);
  let pos = start;
  while (pos < stop) {
    const block = Math.floor(pos / GEN_BLOCK);
    const inBlock = pos - block * GEN_BLOCK;
    if (inBlock < GEN_STAMP) {
      const stamp = Buffer.allocUnsafe(GEN_STAMP);
      stamp.writeUInt32LE(block >>> 0, 0);
      stamp.writeUInt32LE((Math.floor(block / 2 ** 32) ^ spec.seed) >>> 0, 4);
      const n = Math.min(GEN_STAMP - inBlock, stop - pos);
      yield stamp.subarray(inBlock, inBlock + n);
      pos += n;
      continue;
    }
    const n = Math.min(GEN_BLOCK - inBlock, stop - pos);
    yield base.subarray(inBlock, inBlock + n);
    pos += n;
  }
}

export function generatedBytes(spec: GeneratedData, start: number, end: number): Buffer {
  return Buffer.concat([...generatedParts(spec, start, end)]);
}

/** A file's bytes [start, end) in pieces of at most `chunk` bytes (views, not copies). */
export function* fileChunks(spec: Pick<FakeFileSpec, 'data'>, start = 0, end = fileSize(spec), chunk = 1 << 20): Generator<Buffer> {
  const d = spec.data;
  const parts = isGenerated(d) ? generatedParts(d, start, end) : [(typeof d === 'string' ? Buffer.from(d) : d).subarray(start, end)];
  for (const part of parts) {
    for (let at = 0; at < part.length; at += chunk) yield part.subarray(at, Math.min(part.length, at + chunk));
  }
}

function hashFile(spec: Pick<FakeFileSpec, 'data'>, algorithm: string, prefix?: string): string {
  const h = createHash(algorithm);
  if (prefix !== undefined) h.update(prefix);
  for (const c of fileChunks(spec, 0, fileSize(spec), 4 << 20)) h.update(c);
  return h.digest('hex');
}

/** The sha256 of a file's content, computed from its spec (what the Hub reports as the LFS oid). */
export function fileSha256(spec: Pick<FakeFileSpec, 'data'>): string {
  return hashFile(spec, 'sha256');
}

/** Git's blob id of a file's content (what the Hub reports as `oid` and ETag for non-LFS files). */
export function gitBlobSha1(spec: Pick<FakeFileSpec, 'data'>): string {
  return hashFile(spec, 'sha1', `blob ${fileSize(spec)}\0`);
}

export function lfsPointer(sha256: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`;
}

const WEIGHTS = /\.(gguf|safetensors|onnx\w*|bin|pt|pth|ckpt|h5|msgpack|npz)$/i;

export function isLfs(spec: FakeFileSpec): boolean {
  return spec.lfs ?? (fileSize(spec) > 10 * 1024 || WEIGHTS.test(spec.path));
}

// ---------------------------------------------------------------------------------------------------
// The hub

interface FileEntry {
  spec: FakeFileSpec;
  path: string;
  size: number;
  lfs: boolean;
  meta?: { sha256: string; gitOid: string; pointerSize: number };
}

interface RepoEntry {
  spec: FakeRepoSpec;
  id: string;
  sha: string;
  mongoId: string;
  files: Map<string, FileEntry>;
  tags: string[];
  cardData: Record<string, unknown> | null;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
  }
}

const hex = (s: string, n: number, algo = 'sha1') => createHash(algo).update(s).digest('hex').slice(0, n);

function fileMeta(f: FileEntry): NonNullable<FileEntry['meta']> {
  if (!f.meta) {
    const sha256 = fileSha256(f.spec);
    const pointer = lfsPointer(sha256, f.size);
    // The git oid of an LFS file is the blob id of its pointer.
    const gitOid = f.lfs ? gitBlobSha1({ data: pointer }) : gitBlobSha1(f.spec);
    f.meta = { sha256, gitOid, pointerSize: Buffer.byteLength(pointer) };
  }
  return f.meta;
}

function frontMatter(readme: string): Record<string, unknown> | null {
  const m = /^---\r?\n([\s\S]*?)\r?\n---/.exec(readme);
  if (!m) return null;
  try {
    const parsed: unknown = parseYaml(m[1] ?? '');
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function buildRepo(spec: FakeRepoSpec): RepoEntry {
  const files = new Map<string, FileEntry>();
  for (const f of spec.files) files.set(f.path, { spec: f, path: f.path, size: fileSize(f), lfs: isLfs(f) });
  const readme = files.get('README.md');
  const card = readme && !isGenerated(readme.spec.data) ? frontMatter(readme.spec.data.toString()) : null;
  const cardData = card || spec.license ? { ...card, ...(spec.license ? { license: spec.license } : {}) } : null;
  const tags = [...(spec.tags ?? [])];
  if (spec.library && !tags.includes(spec.library)) tags.unshift(spec.library);
  if (spec.license && !tags.includes(`license:${spec.license}`)) tags.push(`license:${spec.license}`);
  return { spec, id: spec.id, sha: spec.sha ?? hex(`commit:${spec.id}`, 40), mongoId: hex(`id:${spec.id}`, 24), files, tags, cardData };
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? Infinity : Number(m[2]);
  if (last < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(last + 1, size) };
}

export async function startFakeHub(opts: FakeHubOptions): Promise<FakeHub> {
  const repos = new Map<string, RepoEntry>();
  for (const r of opts.repos) repos.set(r.id, buildRepo(r));
  const cdnSecret = randomBytes(16);
  const requests: FakeHubRequest[] = [];
  let faults: FakeHubFaults = {};
  let dropsLeft = 0;
  let failsLeft = 0;
  let baseUrl = '';
  let cdnUrl = '';

  const sign = (sha: string, expires: number) => createHmac('sha256', cdnSecret).update(`${sha}:${expires}`).digest('hex').slice(0, 32);
  const lfsBySha = new Map<string, { repo: RepoEntry; file: FileEntry }>();

  const authorized = (req: IncomingMessage) => !!opts.token && req.headers.authorization === `Bearer ${opts.token}`;

  function getRepo(owner: string | undefined, name: string | undefined, req: IncomingMessage): RepoEntry {
    const repo = repos.get(`${owner}/${name}`);
    if (!repo || (repo.spec.private && !authorized(req))) {
      throw new HttpError(404, 'RepoNotFound', `Repository not found`);
    }
    return repo;
  }

  function checkRevision(repo: RepoEntry, rev: string): void {
    if (rev !== 'main' && rev !== 'HEAD' && rev !== repo.sha) throw new HttpError(404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
  }

  function checkGate(repo: RepoEntry, req: IncomingMessage): void {
    if (!repo.spec.gated || authorized(req)) return;
    throw new HttpError(
      401,
      'GatedRepo',
      `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
    );
  }

  function parameterInfo(repo: RepoEntry): Record<string, unknown> {
    const n = repo.spec.parameterCount;
    if (n === undefined) return {};
    const paths = [...repo.files.keys()];
    const out: Record<string, unknown> = {};
    if (paths.some((p) => p.endsWith('.safetensors'))) out.safetensors = { parameters: { BF16: n }, total: n };
    if (paths.some((p) => p.endsWith('.gguf'))) out.gguf = { total: n, architecture: 'llama', context_length: 4096 };
    return out;
  }

  /** Every field the Hub knows for a model; `pick` selects what one response shows. */
  function modelFields(repo: RepoEntry, blobs: boolean): Record<string, unknown> {
    const s = repo.spec;
    const lastModified = s.lastModified ?? '2024-01-01T00:00:00.000Z';
    return {
      _id: repo.mongoId,
      id: repo.id,
      modelId: repo.id,
      author: repo.id.split('/')[0],
      sha: repo.sha,
      lastModified,
      createdAt: s.createdAt ?? lastModified,
      private: s.private ?? false,
      disabled: false,
      gated: s.gated ?? false,
      downloads: s.downloads ?? 0,
      downloadsAllTime: s.downloads ?? 0,
      likes: s.likes ?? 0,
      trendingScore: s.trendingScore ?? 0,
      library_name: s.library,
      pipeline_tag: s.pipelineTag,
      tags: repo.tags,
      cardData: repo.cardData ?? undefined,
      config: {},
      spaces: [],
      siblings: [...repo.files.values()].map((f) => {
        if (!blobs) return { rfilename: f.path };
        const meta = fileMeta(f);
        return {
          rfilename: f.path,
          blobId: meta.gitOid,
          size: f.size,
          ...(f.lfs ? { lfs: { sha256: meta.sha256, size: f.size, pointerSize: meta.pointerSize } } : {}),
        };
      }),
      usedStorage: [...repo.files.values()].reduce((n, f) => n + f.size, 0),
      ...parameterInfo(repo),
    };
  }

  const LIST_DEFAULT = ['_id', 'id', 'likes', 'trendingScore', 'private', 'downloads', 'tags', 'pipeline_tag', 'library_name', 'createdAt', 'modelId'];
  const LIST_FULL = [...LIST_DEFAULT, 'author', 'sha', 'lastModified', 'gated', 'disabled', 'siblings'];

  function pick(all: Record<string, unknown>, keys: string[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of keys) if (all[k] !== undefined) out[k] = all[k];
    return out;
  }

  function paginate<T>(res: ServerResponse, url: URL, items: T[], pageSize: number): T[] {
    const offset = Number(Buffer.from(url.searchParams.get('cursor') ?? '', 'base64url').toString() || '0');
    const page = items.slice(offset, offset + pageSize);
    if (offset + pageSize < items.length) {
      const next = new URL(url.pathname + url.search, baseUrl);
      next.searchParams.set('cursor', Buffer.from(String(offset + pageSize)).toString('base64url'));
      res.setHeader('Link', `<${next.href}>; rel="next"`);
    }
    return page;
  }

  function listModels(url: URL, req: IncomingMessage, res: ServerResponse): unknown[] {
    const q = url.searchParams;
    const search = q.get('search')?.toLowerCase();
    const author = q.get('author');
    const filters = [...q.getAll('filter'), ...q.getAll('library'), ...q.getAll('pipeline_tag')].flatMap((f) => f.split(','));
    let list = [...repos.values()].filter(
      (r) =>
        (!r.spec.private || authorized(req)) &&
        (!search || r.id.toLowerCase().includes(search)) &&
        (!author || r.id.split('/')[0] === author) &&
        filters.every((f) => r.tags.includes(f) || r.spec.library === f || r.spec.pipelineTag === f),
    );
    const sort = q.get('sort');
    if (sort) {
      const key = (r: RepoEntry): number | string => {
        const all = modelFields(r, false);
        const v = all[sort === 'id' ? 'id' : sort];
        return typeof v === 'number' || typeof v === 'string' ? v : 0;
      };
      const dir = q.get('direction') === '1' ? 1 : -1;
      list = list.sort((a, b) => {
        const ka = key(a);
        const kb = key(b);
        return (ka < kb ? -1 : ka > kb ? 1 : 0) * dir;
      });
    }
    const expand = q.getAll('expand');
    const full = q.get('full') === 'true' || q.get('full') === '1';
    const keys = expand.length > 0 ? ['_id', 'id', ...expand] : full ? LIST_FULL : LIST_DEFAULT;
    if (q.get('config') === 'true' && expand.length === 0) keys.push('config');
    const limit = Math.min(Number(q.get('limit') ?? 1000) || 1000, 1000);
    return paginate(res, url, list, limit).map((r) => pick(modelFields(r, false), keys));
  }

  function modelInfo(url: URL, repo: RepoEntry): unknown {
    const expand = url.searchParams.getAll('expand');
    const blobs = url.searchParams.get('blobs') === 'true';
    const all = modelFields(repo, blobs);
    if (expand.length > 0) return pick(all, ['_id', 'id', ...expand]);
    return all;
  }

  function tree(url: URL, repo: RepoEntry, res: ServerResponse, folder: string): unknown[] {
    const recursive = url.searchParams.get('recursive') === 'true' || url.searchParams.get('recursive') === '1';
    const expand = url.searchParams.get('expand') === 'true' || url.searchParams.get('expand') === '1';
    const prefix = folder ? `${folder}/` : '';
    const dirs = new Set<string>();
    const files: FileEntry[] = [];
    for (const f of repo.files.values()) {
      if (!f.path.startsWith(prefix)) continue;
      const rest = f.path.slice(prefix.length).split('/');
      for (let i = 1; i < rest.length && (recursive || i === 1); i++) dirs.add(prefix + rest.slice(0, i).join('/'));
      if (recursive || rest.length === 1) files.push(f);
    }
    if (folder && files.length === 0 && dirs.size === 0) {
      if (repo.files.has(folder)) throw new HttpError(400, null, `${folder} is a file, not a folder`);
      throw new HttpError(404, 'EntryNotFound', `${folder} does not exist on "main"`);
    }
    const lastCommit = { id: repo.sha, title: 'Upload folder using huggingface_hub', date: repo.spec.lastModified ?? '2024-01-01T00:00:00.000Z' };
    const entries = [
      ...[...dirs].map((d) => ({ type: 'directory' as const, oid: hex(`tree:${repo.id}:${d}`, 40), size: 0, path: d, ...(expand ? { lastCommit } : {}) })),
      ...files.map((f) => {
        const meta = fileMeta(f);
        return {
          type: 'file' as const,
          oid: meta.gitOid,
          size: f.size,
          ...(f.lfs ? { lfs: { oid: meta.sha256, size: f.size, pointerSize: meta.pointerSize } } : {}),
          path: f.path,
          ...(expand ? { lastCommit, security: { blobId: meta.gitOid, name: f.path, safe: true, avScan: { virusFound: false, virusNames: null } } } : {}),
        };
      }),
    ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return paginate(res, url, entries, expand ? 50 : 1000);
  }

  function whoami(req: IncomingMessage): unknown {
    if (!req.headers.authorization) throw new HttpError(401, null, 'Invalid username or password.');
    if (!authorized(req)) throw new HttpError(401, null, 'Invalid credentials in Authorization header');
    const name = opts.user ?? 'whittle-tester';
    return {
      type: 'user',
      id: hex(`user:${name}`, 24),
      name,
      fullname: 'Whittle Tester',
      email: `${name}@example.com`,
      emailVerified: true,
      isPro: false,
      canPay: false,
      billingMode: 'postpaid',
      periodEnd: null,
      avatarUrl: '/avatars/default.svg',
      orgs: [],
      auth: { type: 'access_token', accessToken: { displayName: 'whittle-test', role: 'read', createdAt: '2024-01-01T00:00:00.000Z' } },
    };
  }

  /** Writes a file's bytes [start, end) with backpressure, faults and byte accounting. */
  async function sendBody(
    req: IncomingMessage,
    res: ServerResponse,
    rec: FakeHubRequest,
    file: FileEntry,
    start: number,
    end: number,
    cdn: boolean,
  ): Promise<void> {
    let dropAt = Infinity;
    if (cdn && faults.dropAfterBytes !== undefined && dropsLeft > 0 && end - start > faults.dropAfterBytes) {
      dropsLeft--;
      dropAt = faults.dropAfterBytes;
    }
    const corrupt = faults.corruptByteAt?.path === file.path ? faults.corruptByteAt.offset : -1;
    const rate = faults.throttleBytesPerSec;
    const chunkSize = rate ? Math.max(1024, Math.min(64 * 1024, Math.floor(rate / 20))) : 1 << 20;
    const started = Date.now();
    let closed = false;
    const gone = new AbortController();
    res.once('close', () => {
      closed = true;
      gone.abort();
    });
    for (let chunk of fileChunks(file.spec, start, end, chunkSize)) {
      if (closed) return;
      const at = start + rec.bytesSent;
      if (corrupt >= at && corrupt < at + chunk.length) {
        chunk = Buffer.from(chunk);
        chunk[corrupt - at] = (chunk[corrupt - at] ?? 0) ^ 0xff;
      }
      if (rec.bytesSent + chunk.length > dropAt) {
        const part = chunk.subarray(0, dropAt - rec.bytesSent);
        rec.bytesSent += part.length;
        res.write(part, () => req.socket.destroy());
        return;
      }
      rec.bytesSent += chunk.length;
      if (!res.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
      if (rate) {
        const due = started + (rec.bytesSent / rate) * 1000;
        if (due > Date.now()) await sleep(due - Date.now(), undefined, { signal: gone.signal }).catch(() => undefined);
      }
    }
    res.end();
  }

  /** Headers and body of a file response (direct or CDN), honouring Range. */
  async function serveBytes(req: IncomingMessage, res: ServerResponse, rec: FakeHubRequest, file: FileEntry, etag: string, cdn: boolean): Promise<void> {
    const range = parseRange(req.headers.range, file.size);
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('ETag', etag);
    res.setHeader('Content-Type', 'application/octet-stream');
    if (range === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${file.size}`);
      rec.status = 416;
      res.writeHead(416).end();
      return;
    }
    const { start, end } = range ?? { start: 0, end: file.size };
    res.setHeader('Content-Length', end - start);
    if (range) res.setHeader('Content-Range', `bytes ${start}-${end - 1}/${file.size}`);
    rec.status = range ? 206 : 200;
    res.writeHead(rec.status);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await sendBody(req, res, rec, file, start, end, cdn);
  }

  function resolveFile(req: IncomingMessage, res: ServerResponse, rec: FakeHubRequest, parts: string[]): Promise<void> | void {
    const [owner, name, , rev = '', ...rest] = parts;
    const repo = getRepo(owner, name, req);
    checkRevision(repo, rev);
    const path = rest.join('/');
    const file = repo.files.get(path);
    if (!file) throw new HttpError(404, 'EntryNotFound', `Entry not found`);
    return serveFile(req, res, rec, repo, file);
  }

  /** Hostile mode: the tree or file a normalized URL path came from (see FakeHubOptions.hostile). */
  function hostileRoute(url: URL): { repo: RepoEntry; file: FileEntry | null } | null {
    const norm = (p: string): string => new URL(p, baseUrl).pathname;
    for (const repo of repos.values()) {
      // @huggingface/hub puts the revision into the tree URL as it is; Whittle's downloader encodes each part.
      if (norm(`/api/models/${repo.id}/tree/${repo.sha}`) === url.pathname) return { repo, file: null };
      for (const file of repo.files.values()) {
        const resolvePath = `/${repo.id}/resolve/${encodeURIComponent(repo.sha)}/${file.path.split('/').map(encodeURIComponent).join('/')}`;
        if (norm(resolvePath) === url.pathname) return { repo, file };
      }
    }
    return null;
  }

  function serveFile(req: IncomingMessage, res: ServerResponse, rec: FakeHubRequest, repo: RepoEntry, file: FileEntry): Promise<void> | void {
    const path = file.path;
    checkGate(repo, req);
    const meta = fileMeta(file);
    rec.repo = repo.id;
    rec.file = file.path;
    res.setHeader('X-Repo-Commit', repo.sha);
    if (file.lfs) {
      lfsBySha.set(meta.sha256, { repo, file });
      const expires = Math.floor(Date.now() / 1000) + 3600;
      const location = `${cdnUrl}/cdn/${meta.sha256}?response-content-disposition=${encodeURIComponent(`attachment; filename="${path.split('/').pop()}"`)}&Expires=${expires}&Signature=${sign(meta.sha256, expires)}`;
      rec.status = 302;
      res.writeHead(302, {
        Location: location,
        'X-Linked-Size': String(file.size),
        'X-Linked-Etag': `"${meta.sha256}"`,
        ETag: `"${meta.gitOid}"`,
        'Content-Type': 'text/plain; charset=utf-8',
      });
      res.end(req.method === 'HEAD' ? undefined : `Found. Redirecting to ${location}`);
      return;
    }
    return serveBytes(req, res, rec, file, `"${meta.gitOid}"`, false);
  }

  function serveCdn(req: IncomingMessage, res: ServerResponse, rec: FakeHubRequest, url: URL, sha: string): Promise<void> | void {
    const expires = Number(url.searchParams.get('Expires'));
    if (url.searchParams.get('Signature') !== sign(sha, expires) || expires * 1000 < Date.now()) {
      rec.status = 403;
      res
        .writeHead(403, { 'Content-Type': 'application/xml' })
        .end('<Error><Code>AccessDenied</Code><Message>Request has expired or its signature does not match</Message></Error>');
      return;
    }
    const hit = lfsBySha.get(sha);
    if (!hit) throw new HttpError(404, null, 'NoSuchKey');
    rec.repo = hit.repo.id;
    rec.file = hit.file.path;
    rec.sha256 = sha;
    if (faults.failStatus && failsLeft > 0) {
      failsLeft--;
      rec.status = faults.failStatus.status;
      if (faults.failStatus.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(faults.failStatus.retryAfterSeconds));
      res.writeHead(rec.status, { 'Content-Type': 'text/plain' }).end('Service Unavailable');
      return;
    }
    const disposition = url.searchParams.get('response-content-disposition');
    if (disposition) res.setHeader('Content-Disposition', disposition);
    return serveBytes(req, res, rec, hit.file, `"${sha}"`, true);
  }

  function sendJson(res: ServerResponse, rec: FakeHubRequest, body: unknown): void {
    const text = JSON.stringify(body);
    rec.status = 200;
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, rec: FakeHubRequest): Promise<void> {
    const url = new URL(req.url ?? '/', baseUrl);
    const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, null, 'Method not allowed');
    const hostile = opts.hostile ? hostileRoute(url) : null;
    if (hostile?.file) return serveFile(req, res, rec, hostile.repo, hostile.file);
    if (hostile) return sendJson(res, rec, tree(url, hostile.repo, res, ''));
    if (parts[0] === 'cdn' && parts.length === 2) return serveCdn(req, res, rec, url, parts[1] ?? '');
    if (parts[0] === 'api') {
      if (parts[1] === 'whoami-v2' && parts.length === 2) return sendJson(res, rec, whoami(req));
      if (parts[1] === 'models') {
        if (parts.length === 2) return sendJson(res, rec, listModels(url, req, res));
        const repo = getRepo(parts[2], parts[3], req);
        if (parts.length === 4) return sendJson(res, rec, modelInfo(url, repo));
        if (parts[4] === 'revision' && parts.length === 6) {
          checkRevision(repo, parts[5] ?? '');
          return sendJson(res, rec, modelInfo(url, repo));
        }
        if (parts[4] === 'tree' && parts.length >= 6) {
          checkRevision(repo, parts[5] ?? '');
          return sendJson(res, rec, tree(url, repo, res, parts.slice(6).join('/')));
        }
      }
    }
    if (parts.length >= 5 && parts[2] === 'resolve') return resolveFile(req, res, rec, parts);
    throw new HttpError(404, null, 'Sorry, we can’t find the page you are looking for.');
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const rec: FakeHubRequest = {
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?')[0] ?? '/',
      range: req.headers.range ?? null,
      authorization: !!req.headers.authorization,
      status: 0,
      bytesSent: 0,
    };
    requests.push(rec);
    Promise.resolve()
      .then(() => handle(req, res, rec))
      .catch((err: unknown) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        const e = err instanceof HttpError ? err : new HttpError(500, null, String(err));
        rec.status = e.status;
        const body = JSON.stringify({ error: e.message });
        res.writeHead(e.status, {
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': Buffer.byteLength(body),
          'X-Error-Message': e.message,
          ...(e.code ? { 'X-Error-Code': e.code } : {}),
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      });
  };
  const listen = async (port: number): Promise<Server> => {
    const server: Server = opts.tls ? createTlsServer({ key: opts.tls.key, cert: opts.tls.cert }, onRequest) : createServer(onRequest);
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return server;
  };
  // The CDN is another origin (another port), as on the real Hub: clients must not send it the token.
  const servers = [await listen(opts.port ?? 0), await listen(0)];
  [baseUrl, cdnUrl] = servers.map((s) => `${opts.tls ? 'https' : 'http'}://127.0.0.1:${(s.address() as AddressInfo).port}`) as [string, string];

  return {
    url: baseUrl,
    cdnUrl,
    requests,
    get faults() {
      return faults;
    },
    set faults(f: FakeHubFaults) {
      faults = { ...f };
      dropsLeft = f.dropAfterBytes !== undefined ? (f.times ?? 1) : 0;
      failsLeft = f.failStatus?.times ?? 0;
    },
    bytesServed(shaOrPath: string): number {
      return requests
        .filter((r) => r.sha256 === shaOrPath || r.file === shaOrPath || (r.repo && r.file && `${r.repo}/${r.file}` === shaOrPath))
        .reduce((n, r) => n + r.bytesSent, 0);
    },
    fileInfo(repoId: string, path: string) {
      const file = repos.get(repoId)?.files.get(path);
      if (!file) return Promise.reject(new Error(`no file ${repoId}/${path}`));
      const meta = fileMeta(file);
      return Promise.resolve({ sha256: meta.sha256, gitOid: meta.gitOid, size: file.size, lfs: file.lfs });
    },
    async close() {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}
