import type { z } from 'zod';
import type { JobKindContract } from '../../../shared/job-kind';
import type { ArtifactsStore } from '../store/artifacts-store';
import type { JobOutput, WorkerContext } from './worker-protocol';

/** What a resolver may read: the library, on the supervisor's side of the process boundary. */
export interface ResolveContext {
  artifacts: ArtifactsStore;
  dataDir: string;
}

type In<C extends JobKindContract> = z.output<C['input']>;
type Out<C extends JobKindContract> = z.output<C['result']>;

export type JobRunFn<C extends JobKindContract, Resolved> = (ctx: WorkerContext, input: In<C>, resolved: Resolved) => Promise<JobOutput<Out<C>>>;

/**
 * The engine's half of a job kind: how the supervisor schedules it and what its worker runs. A capability
 * folder declares its kinds in one module (models/job-kinds.ts …); jobs/registry.ts lists those modules.
 */
export interface JobKindDef<C extends JobKindContract = JobKindContract, Resolved = unknown> {
  contract: C;
  /** Heavy jobs run one at a time per device; light jobs run beside them. */
  heavy(input: In<C>): boolean;
  device(input: In<C>): string;
  /** Gets the Hub token in its environment (downloads); no other kind's worker sees it. */
  hubToken?: boolean;
  /** V8 heap limit of the worker (--max-old-space-size) for kinds that parse model files; unset: Node's default. */
  heapLimitMb?(input: In<C>): number | null;
  /**
   * Memory (bytes) the job needs on its device, evaluated when it is started: it is claimed only when that fits beside
   * what loaded models hold there, and a model load beside it is refused. Unset: the kind does not take part.
   */
  needsBytes?(input: In<C>, ctx: ResolveContext): number | null;
  /** Short name of the worker in error messages ("the inspect worker ran out of memory … on FILE"); default: the kind. */
  workerLabel?: string;
  /** What the job works on (a path), named when its worker dies. */
  subject?(input: In<C>): string | null;
  /**
   * Supervisor side, run when the job is claimed: looks up what the job works on. Its value (plain JSON) reaches
   * the worker's run function; throwing fails the job with that message before any worker starts.
   */
  resolve?(input: In<C>, ctx: ResolveContext): Resolved | Promise<Resolved>;
  /** Worker side. Loaded lazily, so the supervisor never loads a kind's dependencies (node-llama-cpp, Hub clients…). */
  run(): Promise<JobRunFn<C, Resolved>>;
}

export function defineJobKind<C extends JobKindContract, Resolved = null>(def: JobKindDef<C, Resolved>): JobKindDef<C, Resolved> {
  return def;
}
