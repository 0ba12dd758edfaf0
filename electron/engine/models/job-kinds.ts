import { modelConvertJob, modelImportJob, modelInspectJob, type LibraryModel } from '../../../shared/models';
import { defineJobKind, type ResolveContext } from '../jobs/job-kind-def';
import { inspectHeapLimitMb } from '../jobs/worker-limits';
import { MODEL_KIND, toLibraryModel } from './library';

/** A library model a job works on, as the library has it when the job is claimed. */
export function resolveLibraryModel(id: string, ctx: ResolveContext): LibraryModel {
  const a = ctx.artifacts.get(id);
  const m = a && a.kind === MODEL_KIND ? toLibraryModel(a, []) : null;
  if (!m) throw new Error(`No model with id ${id} in the library (it may have been removed)`);
  if (m.missing) throw new Error(`${m.name}: its files are gone from ${m.path}`);
  return m;
}

export const modelJobKinds = {
  'model.import': defineJobKind({
    contract: modelImportJob,
    heavy: () => false,
    device: () => 'disk',
    heapLimitMb: () => inspectHeapLimitMb(),
    workerLabel: 'import',
    subject: (i) => i.path,
    run: async () => (await import('./jobs/model-import')).runModelImport,
  }),
  'model.inspect': defineJobKind({
    contract: modelInspectJob,
    heavy: () => false,
    device: () => 'disk',
    heapLimitMb: () => inspectHeapLimitMb(),
    workerLabel: 'inspect',
    subject: (i) => i.path,
    run: async () => (await import('./jobs/model-inspect')).runModelInspect,
  }),
  'model.convert': defineJobKind({
    contract: modelConvertJob,
    heavy: () => true,
    device: () => 'cpu',
    heapLimitMb: () => inspectHeapLimitMb(),
    workerLabel: 'convert',
    resolve: (input, ctx) => ({ source: resolveLibraryModel(input.modelId, ctx) }),
    run: async () => (await import('./jobs/model-convert')).runModelConvert,
  }),
};
