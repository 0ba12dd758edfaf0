import { basename, join, relative, resolve, sep } from 'node:path';
import type { JobInput, JobResult } from '../../../../shared/jobs';
import { formatHfUri } from '../../hub/hf-uri';
import { hfHubCacheDir } from '../../models/hf-cache';
import { inspectModel } from '../../models/inspect';
import type { ModelMeta } from '../../models/library';
import { copyAndHash, hashFile, hfCacheRef, modelDigest, sha256FromHfBlob, sizeOf, type ModelFileDigest } from '../../models/model-files';
import { ByteMeter } from '../../models/progress-meter';
import type { JobOutput, WorkerContext } from '../../jobs/worker-protocol';
import { resolveInside } from '../../util/contained-path';
import { checkGgufLoads } from './model-checks';
import { throttle } from '../../util/throttle';

/** A folder name for a model: never `.`, `..` or a hidden name, so it cannot lead out of the staging folder. */
export function slugify(name: string): string {
  return (
    name
      .replace(/[^\w.-]+/g, '-')
      .replace(/^[-.]+|-+$/g, '')
      .slice(0, 80) || 'model'
  );
}

function isInside(dir: string, file: string): boolean {
  const rel = relative(dir, file);
  return !!rel && !rel.startsWith('..') && !rel.startsWith(sep);
}

/**
 * Imports a local model: validates it (parse + llama.cpp vocabulary load, in this worker), hashes it, and either
 * registers it where it is or copies it into the library. Models inside the Hugging Face cache are registered by
 * reference with the digests the cache already names its blobs by.
 */
export async function runModelImport(ctx: WorkerContext, input: JobInput<'model.import'>): Promise<JobOutput<JobResult<'model.import'>>> {
  const src = resolve(input.path);
  ctx.progress(null, 'Inspecting');
  const m = await inspectModel(src);
  await checkGgufLoads(ctx, m.entry, m.inspection);

  const cacheDir = hfHubCacheDir();
  const cacheRef = isInside(cacheDir, m.entry) ? hfCacheRef(cacheDir, m.entry) : null;
  const mode = cacheRef ? 'reference' : input.mode;
  const name =
    input.name ??
    m.inspection.name ??
    basename(m.entry)
      .replace(/\.gguf$/i, '')
      .replace(/-00001-of-\d{5}$/, '');

  const sizes = await Promise.all(m.files.map(sizeOf));
  const meter = new ByteMeter(sizes.reduce((a, b) => a + b, 0));
  const verb = mode === 'copy' ? 'Copying' : 'Hashing';
  const report = throttle(() => ctx.progress(meter.fraction, meter.message(verb)));
  const onBytes = (n: number): void => {
    meter.add(n);
    report();
  };

  const digests: ModelFileDigest[] = [];
  const slug = slugify(name);
  // Every file is placed under the model's own staging folder, whatever the inspection listed: a file outside the
  // model's root (`../outside/x` named by a hostile config) fails the import before anything is copied, never
  // written to <staging>/../outside.
  const stageDir = join(ctx.stagingDir, slug);
  const planned = m.files.map((file) => {
    const rel = relative(m.root, file).split(sep).join('/');
    return { file, rel, dest: resolveInside(stageDir, rel, `file ${file} of the model at ${m.root}:`) };
  });
  for (const [i, { file, rel, dest }] of planned.entries()) {
    let sha256: string | null = cacheRef ? await sha256FromHfBlob(file) : null;
    if (sha256) onBytes(sizes[i]!);
    else if (mode === 'copy') sha256 = await copyAndHash(file, dest, onBytes, ctx.signal);
    else sha256 = await hashFile(file, onBytes, ctx.signal);
    digests.push({ path: rel, sha256, sizeBytes: sizes[i]! });
  }
  const sha256 = modelDigest(digests);
  const meta: ModelMeta = {
    format: m.inspection.format,
    source: cacheRef ? 'hf-cache' : mode,
    sourceRef: cacheRef ? formatHfUri(cacheRef.repo, cacheRef.revision, cacheRef.path) : m.entry,
    entry: mode === 'copy' ? relative(m.root, m.entry).split(sep).join('/') || '.' : null,
    inspection: m.inspection,
    files: digests,
  };
  ctx.log(`${name}: ${digests.length} file(s), ${meter.total} bytes, sha256 ${sha256}`);
  return {
    result: { name, sha256, sizeBytes: meter.total, source: meta.source },
    artifacts: [
      mode === 'copy'
        ? { file: slug, kind: 'model', name, sha256, sizeBytes: meter.total, meta: { ...meta }, tags: input.tags }
        : { file: m.entry, external: true, kind: 'model', name, sha256, sizeBytes: meter.total, meta: { ...meta }, tags: input.tags },
    ],
  };
}
