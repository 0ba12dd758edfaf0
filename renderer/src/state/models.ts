import type { inferRouterOutputs } from '@trpc/server';
import { create } from 'zustand';
import type { AppRouter } from '../../../shared/api/router';
import { kindsProducing } from '../../../shared/job-kinds';
import { api, errorMessage } from '../api/client';
import { useJobs } from './jobs';

type Outputs = inferRouterOutputs<AppRouter>;
export type LibraryModel = Outputs['models']['get'];
export type ModelFormat = LibraryModel['format'];
export type MemoryFit = Outputs['models']['memoryFit'];
export type HfCacheEntry = Outputs['models']['hfCache'][number];

export type LibraryTab = 'models' | 'discover' | 'downloads';

/** Job kinds whose success adds a model to the library. */
const MODEL_JOB_KINDS: readonly string[] = kindsProducing('model');

interface ModelsState {
  models: LibraryModel[];
  /** True once the first `models.list` answered. */
  loaded: boolean;
  listError: string | null;
  tab: LibraryTab;
  selectedId: string | null;
  /** Jobs whose model is to be selected once they succeed (an import started from the form). */
  selectWhenDone: string[];
  /** A job's model could not be found or opened. */
  openError: string | null;
  refresh: () => Promise<void>;
  setTab: (tab: LibraryTab) => void;
  select: (id: string | null) => void;
  /** Replaces one model after an update. */
  replace: (model: LibraryModel) => void;
  /** Removes a model from the list after it was deleted, clearing the selection if it was selected. */
  drop: (id: string) => void;
  /** Opens the model a finished job produced in My models. */
  openJobModel: (jobId: string) => Promise<void>;
  /** Selects the job's model as soon as it succeeds. */
  selectOnSuccess: (jobId: string) => void;
}

/** Only the latest list fetch may land, so an older answer cannot roll back a newer one. */
let listRequest = 0;

export const useModels = create<ModelsState>()((set, get) => ({
  models: [],
  loaded: false,
  listError: null,
  tab: 'models',
  selectedId: null,
  selectWhenDone: [],
  openError: null,

  async refresh() {
    const request = ++listRequest;
    try {
      const models = await api.models.list.query({});
      if (request === listRequest) set({ models, loaded: true, listError: null });
    } catch (error) {
      if (request === listRequest) set({ loaded: true, listError: errorMessage(error) });
    }
  },

  setTab(tab) {
    set({ tab });
  },

  select(id) {
    set({ selectedId: id, openError: null });
  },

  replace(model) {
    set((state) => ({ models: state.models.map((m) => (m.id === model.id ? model : m)) }));
  },

  drop(id) {
    set((state) => ({
      models: state.models.filter((m) => m.id !== id),
      selectedId: state.selectedId === id ? null : state.selectedId,
    }));
  },

  async openJobModel(jobId) {
    set({ openError: null });
    try {
      const [artifact] = await api.artifacts.list.query({ jobId, kind: 'model', limit: 1 });
      if (!artifact) {
        set({ openError: `Job ${jobId} left no model in the library (it may have been removed).` });
        return;
      }
      if (!get().models.some((m) => m.id === artifact.id)) await get().refresh();
      set({ tab: 'models', selectedId: artifact.id });
    } catch (error) {
      set({ openError: errorMessage(error) });
    }
  },

  selectOnSuccess(jobId) {
    set((state) => ({ selectWhenDone: [...state.selectWhenDone, jobId] }));
  },
}));

/**
 * Keeps the list fresh while the Library is open: reloads it when an import or download succeeds, and
 * selects the model of a job that asked for it. Returns the teardown.
 */
export function watchModelJobs(): () => void {
  return useJobs.subscribe((state, prev) => {
    if (state.jobs === prev.jobs) return;
    const finished: string[] = [];
    for (const job of Object.values(state.jobs)) {
      if (job.state !== 'succeeded' || !MODEL_JOB_KINDS.includes(job.kind)) continue;
      if (prev.jobs[job.id]?.state === 'succeeded') continue;
      finished.push(job.id);
    }
    if (finished.length === 0) return;
    const models = useModels.getState();
    const toSelect = finished.filter((id) => models.selectWhenDone.includes(id));
    if (toSelect.length > 0) {
      useModels.setState((s) => ({ selectWhenDone: s.selectWhenDone.filter((id) => !toSelect.includes(id)) }));
      void models.openJobModel(toSelect[toSelect.length - 1]!);
    } else {
      void models.refresh();
    }
  });
}
