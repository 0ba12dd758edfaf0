import type { LoadOptions } from '../../../../shared/inference';
import type { HostOp, HostOps, LoadedInfo } from '../host-protocol';

/** What the model host process offers the backend it loads. */
export interface HostHooks {
  /** Load progress, 0..1. */
  progress: (p: number) => void;
  /** Requests running and waiting, whenever they change. */
  queue: (active: number, queued: number) => void;
  /** Peak resident memory of the host process so far. */
  peakRss: () => number;
}

export interface RequestContext<Op extends HostOp> {
  emit: (event: HostOps[Op]['event']) => void;
  /** Aborts when the engine cancels the request (the client went away). */
  signal: AbortSignal;
}

export type OpHandler<Op extends HostOp> = (input: HostOps[Op]['input'], ctx: RequestContext<Op>) => Promise<HostOps[Op]['result']>;

/** A model loaded by a backend: its details and a handler per request it serves. */
export interface LoadedBackend {
  info: LoadedInfo;
  handlers: { [Op in HostOp]?: OpHandler<Op> };
}

/** The host side of a backend: runs in the model host process, and only there loads its runtime (node-llama-cpp…). */
export interface HostBackend {
  load(path: string, options: LoadOptions, hooks: HostHooks): Promise<LoadedBackend>;
}
