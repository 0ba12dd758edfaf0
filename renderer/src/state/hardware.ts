import { create } from 'zustand';
import { api, errorMessage } from '../api/client';
import type { LatestReport } from '../api/types';
import { useJobs } from './jobs';

interface HardwareState {
  /** The newest stored report, `null` when none was ever made. */
  latest: LatestReport | null;
  loaded: boolean;
  loadError: string | null;
  /** The system-report job started from this page, if any. */
  runJobId: string | null;
  starting: boolean;
  startError: string | null;
  /** The job whose success last triggered a reload, so each finished job reloads once. */
  reloadedFor: string | null;
  load: () => Promise<void>;
  runReport: () => Promise<void>;
  /** Reloads the report once `jobId` (a finished system-report job) is not the one shown. */
  reloadAfter: (jobId: string) => void;
}

let loadSeq = 0;

export const useHardware = create<HardwareState>()((set, get) => ({
  latest: null,
  loaded: false,
  loadError: null,
  runJobId: null,
  starting: false,
  startError: null,
  reloadedFor: null,

  async load() {
    // Only the newest call may write: an older one (say, batched with a slow toolchain check) must not bring back
    // "no report" after a newer call found the report that just finished.
    const seq = ++loadSeq;
    try {
      const latest = await api.hardware.latestReport.query();
      if (seq === loadSeq) set({ latest, loaded: true, loadError: null });
    } catch (error) {
      if (seq === loadSeq) set({ loaded: true, loadError: errorMessage(error) });
    }
  },

  async runReport() {
    set({ starting: true, startError: null });
    try {
      const job = await api.jobs.start.mutate({ kind: 'system-report', input: {} });
      useJobs.getState().upsert(job);
      set({ runJobId: job.id, starting: false });
    } catch (error) {
      set({ starting: false, startError: errorMessage(error) });
    }
  },

  reloadAfter(jobId) {
    const { latest, reloadedFor, load } = get();
    if (latest?.jobId === jobId || reloadedFor === jobId) return;
    set({ reloadedFor: jobId });
    void load();
  },
}));
