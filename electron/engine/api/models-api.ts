import { resolve } from 'node:path';
import { ConflictError, InvalidInputError } from '../../../shared/errors';
import type { EngineApi } from '../../../shared/api/engine-api';
import type { JobRunner } from '../jobs/runner';
import { scanHfCache, hfHubCacheDir } from '../models/hf-cache';
import type { ModelLibrary } from '../models/library';
import { estimateMemoryFit } from '../models/memory-fit';
import { consentForFolder } from '../models/inspect/model-code';

export function createModelsApi(library: ModelLibrary, runner: JobRunner, reveal: (path: string) => Promise<void>): EngineApi['models'] {
  return {
    list: (req) => library.list(req),
    get: (id) => library.get(id),
    import(input) {
      const path = resolve(input.path);
      const existing = library.find(path);
      if (existing) throw new ConflictError(`${path} is already in the library as "${existing.name}" (${existing.id})`);
      return runner.start({ kind: 'model.import', input: { ...input, path } });
    },
    inspectPath: (path, hash) => runner.start({ kind: 'model.inspect', input: { path: resolve(path), hash } }),
    update: (req) => library.update(req),
    reveal: async (id) => reveal(library.get(id).path),
    remove: (req) => library.remove(req.id, req.force),
    memoryFit: async (req) => estimateMemoryFit(library.get(req.id), req.contextSize, runner),
    convert(input) {
      const m = library.get(input.modelId);
      if (m.format !== 'hf') throw new InvalidInputError(`modelId: ${m.name} is a ${m.format} model; only Hugging Face checkpoints convert to GGUF`);
      return runner.start({ kind: 'model.convert', input });
    },
    async trustCode(req) {
      const m = library.get(req.id);
      if (!req.trust) return library.setCodeConsent(m.id, null);
      if (m.format !== 'hf') throw new InvalidInputError(`id: ${m.name} is a ${m.format} model; only Hugging Face folders ship code`);
      const consent = await consentForFolder(m.path);
      if (consent.files.length === 0 && !m.inspection.modelCode?.autoMap.length)
        throw new InvalidInputError(`id: ${m.name} ships no code (no auto_map, *.py or pickle files in ${m.path})`);
      return library.setCodeConsent(m.id, consent);
    },
    async hfCache() {
      const found = await scanHfCache(hfHubCacheDir());
      return found.map((e) => ({
        repo: e.repo,
        revision: e.revision,
        path: e.path,
        format: e.format,
        sizeBytes: e.sizeBytes,
        modelId: library.find(e.path)?.id ?? null,
      }));
    },
  };
}
