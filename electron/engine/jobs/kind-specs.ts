import type { JobInput, JobKind } from '../../../shared/jobs';
import { inspectHeapLimitMb } from './worker-limits';

/** How the supervisor schedules a kind. The code that runs it lives in ./kinds and only loads in the worker. */
export interface JobKindSpec<K extends JobKind = JobKind> {
  kind: K;
  title: string;
  /** Heavy jobs run one at a time per device; light jobs run beside them. */
  heavy(input: JobInput<K>): boolean;
  device(input: JobInput<K>): string;
  /** Only registered when the engine is started with test jobs enabled. */
  testOnly: boolean;
  /** Can be paused and resumed in place (keeps partial outputs outside the staging folder). */
  resumable: boolean;
  /** Gets the Hub token in its environment (downloads); no other kind's worker sees it. */
  hubToken?: boolean;
  /** V8 heap limit of the worker (--max-old-space-size) for kinds that parse model files; unset: Node's default. */
  heapLimitMb?(input: JobInput<K>): number | null;
  /** Short name of the worker in error messages ("the inspect worker ran out of memory … on FILE"); default: the kind. */
  workerLabel?: string;
  /** What the job works on (a path), named when its worker dies. */
  subject?(input: JobInput<K>): string | null;
}

type SpecTable = { [K in JobKind]: JobKindSpec<K> };

export const JOB_KIND_SPECS: SpecTable = {
  'system-report': { kind: 'system-report', title: 'System report', heavy: () => false, device: () => 'cpu', testOnly: false, resumable: false },
  'test.sleep': { kind: 'test.sleep', title: 'Test: sleep', heavy: (i) => i.heavy, device: () => 'cpu', testOnly: true, resumable: false },
  'model.import': { kind: 'model.import', title: 'Import model', heavy: () => false, device: () => 'disk', testOnly: false, resumable: false, heapLimitMb: () => inspectHeapLimitMb(), workerLabel: 'import', subject: (i) => i.path },
  'model.inspect': { kind: 'model.inspect', title: 'Inspect model', heavy: () => false, device: () => 'disk', testOnly: false, resumable: false, heapLimitMb: () => inspectHeapLimitMb(), workerLabel: 'inspect', subject: (i) => i.path },
  'model.download': { kind: 'model.download', title: 'Download model', heavy: () => false, device: () => 'network', testOnly: false, resumable: true, hubToken: true, heapLimitMb: () => inspectHeapLimitMb(), workerLabel: 'download', subject: (i) => i.repo },
  'model.convert': { kind: 'model.convert', title: 'Convert model', heavy: () => true, device: () => 'cpu', testOnly: false, resumable: false, heapLimitMb: () => inspectHeapLimitMb(), workerLabel: 'convert' },
  'toolchain.install': { kind: 'toolchain.install', title: 'Install toolchain', heavy: () => true, device: () => 'cpu', testOnly: false, resumable: false },
};

export const RESUMABLE_KINDS = Object.values(JOB_KIND_SPECS).filter((s) => s.resumable).map((s) => s.kind);

export function specFor<K extends JobKind>(kind: K): JobKindSpec<K> {
  return JOB_KIND_SPECS[kind];
}
