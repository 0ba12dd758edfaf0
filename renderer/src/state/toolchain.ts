import { create } from 'zustand';
// Types only: shared/toolchain holds zod schemas, and a value import would bundle zod into the renderer.
import type { ToolchainComponent, ToolchainInstallInput, ToolchainStatus } from '../../../shared/toolchain';
import { api, errorMessage } from '../api/client';
import type { Job } from '../api/types';
import { useJobs } from './jobs';

/**
 * Job states after which a job does no more work (shared/jobs' FINAL_JOB_STATES, declared here
 * rather than imported for the same reason as the types above).
 */
const FINAL_STATES: readonly Job['state'][] = ['succeeded', 'failed', 'cancelled', 'interrupted'];

export const isFinalJob = (job: Job): boolean => FINAL_STATES.includes(job.state);

type PerComponent<T> = Partial<Record<ToolchainComponent, T>>;

interface ToolchainState {
  /** The last status loaded, `null` before the first answer. */
  status: ToolchainStatus | null;
  /** Whether `status` came from a deep check (every Python package imported). */
  statusDeep: boolean;
  /** The check under way, if any. */
  checking: 'normal' | 'deep' | null;
  loadError: string | null;
  /** The install/repair job started from this page, per component. */
  jobIds: PerComponent<string>;
  starting: PerComponent<boolean>;
  startErrors: PerComponent<string>;
  /** Loads the status; `deep` also imports every Python package (slow, ~30 s). */
  load: (deep?: boolean) => Promise<void>;
  /** Starts a `toolchain.install` job (a fix's `action`); the status reloads once the job is over. */
  install: (action: ToolchainInstallInput) => Promise<void>;
  /** Reloads the status once the install job `jobId` is over (once per job, however often it is called). */
  track: (jobId: string) => void;
}

/** Only the latest status request may land: a quick check must not be overwritten by an older deep one. */
let statusRequest = 0;
/** Install jobs whose end already reloads the status. */
const tracked = new Set<string>();

/** Calls `onFinal` once the job `jobId` is in a final state in the jobs store (at once if it already is). */
function whenJobEnds(jobId: string, onFinal: () => void): void {
  const ended = (jobs: Record<string, Job>): boolean => {
    const job = jobs[jobId];
    return job !== undefined && isFinalJob(job);
  };
  if (ended(useJobs.getState().jobs)) {
    onFinal();
    return;
  }
  const unsubscribe = useJobs.subscribe((state) => {
    if (!ended(state.jobs)) return;
    unsubscribe();
    onFinal();
  });
}

export const useToolchain = create<ToolchainState>()((set, get) => ({
  status: null,
  statusDeep: false,
  checking: null,
  loadError: null,
  jobIds: {},
  starting: {},
  startErrors: {},

  async load(deep = false) {
    // A deep check under way answers with at least as much; a quick one would only cut it short.
    if (!deep && get().checking === 'deep') return;
    const request = ++statusRequest;
    set({ checking: deep ? 'deep' : 'normal' });
    try {
      const status = await api.toolchain.status.query({ deep });
      if (request === statusRequest) set({ status, statusDeep: deep, checking: null, loadError: null });
    } catch (error) {
      if (request === statusRequest) set({ checking: null, loadError: errorMessage(error) });
    }
  },

  async install(action) {
    const { component } = action;
    set((state) => ({ starting: { ...state.starting, [component]: true }, startErrors: { ...state.startErrors, [component]: undefined } }));
    try {
      const job = await api.toolchain.install.mutate(action);
      useJobs.getState().upsert(job);
      set((state) => ({ starting: { ...state.starting, [component]: false }, jobIds: { ...state.jobIds, [component]: job.id } }));
      get().track(job.id);
    } catch (error) {
      set((state) => ({ starting: { ...state.starting, [component]: false }, startErrors: { ...state.startErrors, [component]: errorMessage(error) } }));
    }
  },

  track(jobId) {
    if (tracked.has(jobId)) return;
    tracked.add(jobId);
    whenJobEnds(jobId, () => void get().load());
  },
}));
