import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, statfs, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { HubFile } from '../../../../shared/hub';
import type { JobInput, JobResult } from '../../../../shared/jobs';
import { downloadFile } from '../../hub/download-file';
import { DiskSpaceError } from '../../hub/errors';
import { listRepoFiles, resolveRevision, type HubAccess } from '../../hub/hub-client';
import { checkCommitSha, checkRepoFilePath, checkRepoId } from '../../hub/hub-ids';
import { hubEndpoint, resolveUrl } from '../../hub/hub-endpoint';
import { expandSelection, ggufQuantOf } from '../../hub/hub-variants';
import { formatHfUri } from '../../hub/hf-uri';
import { hfHubCacheDir } from '../../models/hf-cache';
import { inspectModel } from '../../models/inspect';
import type { ModelMeta } from '../../models/library';
import { modelDigest, sha256FromHfBlob, type ModelFileDigest } from '../../models/model-files';
import { formatBytes } from '../../../../shared/format-bytes';
import { ByteMeter } from '../../models/progress-meter';
import type { JobOutput, WorkerContext } from '../../jobs/worker-protocol';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveInside, resolveInsideReal } from '../../util/contained-path';
import { isPidRunning } from '../../util/processes';
import { checkGgufLoads } from '../../models/jobs/model-checks';
import { throttle } from '../../util/throttle';
import { slugify } from '../../models/jobs/model-import';

const DISK_MARGIN = 64 * 1024 ** 2;

/** The model's entry inside a folder of downloaded files: the GGUF (first part), else the folder holding genai_config.json, else the root. */
function entryOf(paths: readonly string[]): string {
  const gguf = paths.filter((p) => p.toLowerCase().endsWith('.gguf') && !/mmproj/i.test(p)).sort();
  if (gguf.length) return gguf[0]!;
  const genai = paths.find((p) => p.endsWith('genai_config.json'));
  if (genai) return genai.includes('/') ? genai.slice(0, genai.lastIndexOf('/')) : '.';
  return '.';
}

function defaultName(repo: string, paths: readonly string[], entry: string): string {
  const repoName = repo.split('/')[1]!;
  if (entry.toLowerCase().endsWith('.gguf')) {
    const base = entry
      .split('/')
      .pop()!
      .replace(/\.gguf$/i, '')
      .replace(/-\d{5}-of-\d{5}$/, '');
    return base.toLowerCase().includes(repoName.toLowerCase().replace(/-gguf$/i, '')) ? base : `${repoName} ${ggufQuantOf(entry) ?? base}`;
  }
  return entry === '.' || paths.length === 0 ? repoName : `${repoName} (${entry})`;
}

/** Files already in the user's Hugging Face cache at this commit, with matching digests: reuse them instead of downloading. */
async function fromHfCache(repo: string, sha: string, files: readonly HubFile[]): Promise<string | null> {
  const snapshot = resolveInside(hfHubCacheDir(), `models--${repo.replace('/', '--')}/snapshots/${sha}`, `the Hugging Face cache folder of ${repo}`);
  if (!existsSync(snapshot)) return null;
  for (const f of files) {
    // A cache file that links anywhere but a cache blob is not reused (the download goes ahead instead).
    const p = await resolveInsideReal(snapshot, f.path, `file path from the Hub for ${repo}`, { allowHfCacheBlobs: true }).catch(() => null);
    if (!p || !existsSync(p)) return null;
    if (f.lfsSha256 && (await sha256FromHfBlob(p)) !== f.lfsSha256) return null;
  }
  return snapshot;
}

/**
 * Downloads a model from the Hub (or a mirror at HF_ENDPOINT). Partial files live in <data>/downloads/<repo>/<commit>,
 * outside the job's staging folder, so a pause, cancel, crash or reboot resumes where it stopped. Every file is
 * verified against the Hub's LFS sha256 before it is moved into the library.
 */
export async function runModelDownload(ctx: WorkerContext, input: JobInput<'model.download'>): Promise<JobOutput<JobResult<'model.download'>>> {
  const token = process.env.HF_TOKEN?.trim() || null;
  const access: HubAccess = { endpoint: hubEndpoint(), token };
  checkRepoId(input.repo, 'model.download');
  ctx.progress(null, `Resolving ${input.repo}@${input.revision}`);
  // Both checked again here, whatever hub-client did: the commit and every path become parts of local paths.
  const source = `the Hub at ${access.endpoint}`;
  const sha = checkCommitSha((await resolveRevision(input.repo, input.revision, access)).sha, input.repo, source);
  const all = await listRepoFiles(input.repo, sha, access);
  for (const f of all) checkRepoFilePath(f.path, input.repo, source);
  const paths = expandSelection(all, input.files);
  const files = all.filter((f) => paths.includes(f.path));
  if (!files.length) throw new Error(`${input.repo}@${input.revision}: nothing to download`);
  const entry = entryOf(paths);
  const name = input.name ?? defaultName(input.repo, paths, entry);
  const total = files.reduce((n, f) => n + f.sizeBytes, 0);
  ctx.log(`${input.repo}@${sha}: ${files.length} file(s), ${total} bytes, entry ${entry}`);

  const cached = await fromHfCache(input.repo, sha, files);
  if (cached) {
    ctx.log(`reusing the Hugging Face cache at ${cached}`);
    const entryPath = entry === '.' ? cached : resolveInside(cached, entry, `file path from the Hub for ${input.repo}`);
    const m = await inspectModel(entryPath);
    const digests: ModelFileDigest[] = files.map((f) => ({ path: f.path, sha256: f.lfsSha256, sizeBytes: f.sizeBytes }));
    const meta: ModelMeta = {
      format: m.inspection.format,
      source: 'hf-cache',
      sourceRef: formatHfUri(input.repo, sha, entry === '.' ? null : entry),
      entry: null,
      inspection: m.inspection,
      files: digests,
    };
    const digest = modelDigest(digests);
    return {
      result: { name, repo: input.repo, commit: sha, bytesDownloaded: 0, reusedHfCache: cached },
      artifacts: [{ file: m.entry, external: true, kind: 'model', name, sha256: digest, sizeBytes: total, meta: { ...meta }, tags: input.tags }],
    };
  }

  const base = await resolveInsideReal(join(ctx.dataDir, 'downloads'), `${input.repo.replace('/', '--')}/${sha}`, `the download folder of ${input.repo}`);
  const doneDir = join(base, 'done');
  await mkdir(base, { recursive: true });
  const unlock = await lockFolder(base, `${input.repo}@${sha}`);
  try {
    return await downloadInto(ctx, input, { access, token, sha, files, paths, entry, name, total, base, doneDir });
  } finally {
    await unlock();
  }
}

/** One process at a time per commit's partial files: a second Whittle process fails clearly instead of interleaving writes. */
async function lockFolder(dir: string, what: string, waitMs = 15_000): Promise<() => Promise<void>> {
  const lock = join(dir, '.lock');
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fh = await open(lock, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => rm(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(await readFile(lock, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isPidRunning(holder)) {
        // The holder may be a worker of a crashed engine that is still dying: give it a moment.
        if (Date.now() < deadline) {
          await sleep(250);
          continue;
        }
        throw new Error(`${what}: these files are already being downloaded by another Whittle job (process ${holder}); wait for it or cancel it`);
      }
      await rm(lock, { force: true });
    }
  }
}

interface Plan {
  access: HubAccess;
  token: string | null;
  sha: string;
  files: HubFile[];
  paths: string[];
  entry: string;
  name: string;
  total: number;
  base: string;
  doneDir: string;
}

async function downloadInto(ctx: WorkerContext, input: JobInput<'model.download'>, plan: Plan): Promise<JobOutput<JobResult<'model.download'>>> {
  const { access, token, sha, files, paths, entry, name, total, base, doneDir } = plan;
  // Every local path of a Hub file is resolved inside its folder: a listing with `../x` or `/x` never reaches the disk.
  const what = `file path from the Hub for ${input.repo}`;
  const inside = (root: string, p: string): Promise<string> => resolveInsideReal(root, p, what);
  const verified = async (f: HubFile): Promise<string | null> => {
    const dest = await inside(doneDir, f.path);
    if (!existsSync(dest)) return null;
    const sha256 = (await readFile(`${dest}.sha256`, 'utf8').catch(() => '')).trim();
    return sha256 && (!f.lfsSha256 || sha256 === f.lfsSha256) ? sha256 : null;
  };

  const already = new Map<string, string>();
  for (const f of files) {
    const v = await verified(f);
    if (v) already.set(f.path, v);
  }
  const remaining = files.filter((f) => !already.has(f.path)).reduce((n, f) => n + f.sizeBytes, 0);
  const fsInfo = await statfs(base);
  const free = fsInfo.bavail * fsInfo.bsize;
  if (free < remaining + DISK_MARGIN) {
    throw new DiskSpaceError(
      `Not enough disk space in ${base}: the download needs ${formatBytes(remaining + DISK_MARGIN)} (with a 64 MB margin) but ${formatBytes(free)} is free`,
      base,
      remaining + DISK_MARGIN,
      free,
    );
  }

  const meter = new ByteMeter(total);
  let doneBefore = [...already.keys()].reduce((n, p) => n + (files.find((f) => f.path === p)?.sizeBytes ?? 0), 0);
  meter.set(doneBefore);
  const report = throttle(() => ctx.progress(meter.fraction, meter.message('Downloaded')));
  const started = Date.now();
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  const digests: ModelFileDigest[] = [];
  for (const f of files) {
    const have = already.get(f.path);
    if (have) {
      digests.push({ path: f.path, sha256: have, sizeBytes: f.sizeBytes });
      continue;
    }
    const dest = await inside(doneDir, f.path);
    ctx.log(`downloading ${f.path} (${f.sizeBytes} bytes${f.lfsSha256 ? `, sha256 ${f.lfsSha256}` : ''})`);
    const res = await downloadFile({
      url: resolveUrl(access.endpoint, input.repo, sha, f.path),
      dest,
      partialDir: await inside(base, posix.join('partial', posix.dirname(f.path))),
      expectedSize: f.sizeBytes,
      expectedSha256: f.lfsSha256 ?? undefined,
      headers,
      connections: input.connections,
      signal: ctx.signal,
      log: ctx.log,
      onProgress: (p) => {
        meter.set(doneBefore + p.bytesDone);
        report();
      },
    });
    await writeFile(`${dest}.sha256`, `${res.sha256}\n`);
    doneBefore += f.sizeBytes;
    meter.set(doneBefore);
    digests.push({ path: f.path, sha256: res.sha256, sizeBytes: f.sizeBytes });
  }
  ctx.progress(1, 'Verifying the model');

  const slug = slugify(name);
  const stage = join(ctx.stagingDir, slug);
  for (const f of files) {
    const to = await inside(stage, f.path);
    const from = await inside(doneDir, f.path);
    await mkdir(dirname(to), { recursive: true });
    await rename(from, to);
    await rm(`${from}.sha256`, { force: true });
  }
  const entryPath = entry === '.' ? stage : await inside(stage, entry);
  const m = await inspectModel(entryPath);
  await checkGgufLoads(ctx, m.entry, m.inspection);
  await rm(base, { recursive: true, force: true });

  const seconds = (Date.now() - started) / 1000;
  const meta: ModelMeta = {
    format: m.inspection.format,
    source: 'hub',
    sourceRef: formatHfUri(input.repo, sha, entry === '.' ? null : entry),
    entry,
    inspection: m.inspection,
    files: digests,
  };
  return {
    result: { name, repo: input.repo, commit: sha, files: paths, bytes: total, seconds, averageBytesPerSecond: seconds > 0 ? total / seconds : null },
    artifacts: [{ file: slug, kind: 'model', name, sha256: modelDigest(digests), sizeBytes: total, meta: { ...meta }, tags: input.tags }],
  };
}
