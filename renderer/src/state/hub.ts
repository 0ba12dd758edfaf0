import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { create } from 'zustand';
import type { AppRouter } from '../../../shared/api/router';
import { api, errorMessage } from '../api/client';
import type { Job } from '../api/types';
import { useJobs } from './jobs';

type Outputs = inferRouterOutputs<AppRouter>;
type Inputs = inferRouterInputs<AppRouter>;
export type HubModelSummary = Outputs['hub']['search'][number];
export type HubModelDetails = Outputs['hub']['model'];
export type HubVariant = HubModelDetails['variants'][number];
export type CatalogEntry = Outputs['hub']['catalog'][number];
export type HubTokenStatus = Outputs['hub']['tokenStatus'];
export type HubSearchQuery = Exclude<Inputs['hub']['search'], void | undefined>;
export type HubLibrary = NonNullable<HubSearchQuery['library']>;
export type HubSort = NonNullable<HubSearchQuery['sort']>;
export type DownloadRequest = Inputs['hub']['download'];

/** What the search form holds; `params` is a size band (see PARAM_BANDS in features/hub/hubView). */
export interface SearchForm {
  query: string;
  library: HubLibrary | '';
  sort: HubSort;
  params: string;
}

type Loadable<T> = { status: 'idle' } | { status: 'loading' } | { status: 'ready'; value: T } | { status: 'error'; error: string };

interface HubState {
  form: SearchForm;
  /** The query the shown results answer, null before the first search. */
  searched: HubSearchQuery | null;
  results: Loadable<HubModelSummary[]>;
  /** The repo whose details are open. */
  selectedRepo: string | null;
  details: Loadable<HubModelDetails>;
  catalog: Loadable<CatalogEntry[]>;
  token: Loadable<HubTokenStatus>;
  /** The last download started from Discover, or why it could not start. */
  lastDownload: { job: Job; what: string } | { error: string; what: string } | null;
  /** The starter catalog is unfolded until the first search. */
  catalogOpen: boolean;
  setCatalogOpen: (open: boolean) => void;
  setForm: (patch: Partial<SearchForm>) => void;
  search: (query: HubSearchQuery) => Promise<void>;
  open: (repo: string | null) => Promise<void>;
  loadCatalog: () => Promise<void>;
  loadToken: () => Promise<void>;
  setToken: (token: string) => Promise<string | null>;
  clearToken: () => Promise<string | null>;
  /** Starts a `model.download` job; `what` names it in the notice. */
  download: (request: DownloadRequest, what: string) => Promise<void>;
}

let searchRequest = 0;
let detailsRequest = 0;

export const useHub = create<HubState>()((set, get) => ({
  form: { query: '', library: '', sort: 'downloads', params: '' },
  searched: null,
  results: { status: 'idle' },
  selectedRepo: null,
  details: { status: 'idle' },
  catalog: { status: 'idle' },
  token: { status: 'idle' },
  lastDownload: null,
  catalogOpen: true,

  setCatalogOpen(open) {
    set({ catalogOpen: open });
  },

  setForm(patch) {
    set((state) => ({ form: { ...state.form, ...patch } }));
  },

  async search(query) {
    const request = ++searchRequest;
    set({ results: { status: 'loading' }, searched: query, catalogOpen: false });
    try {
      const value = await api.hub.search.query(query);
      if (request === searchRequest) set({ results: { status: 'ready', value } });
    } catch (error) {
      if (request === searchRequest) set({ results: { status: 'error', error: errorMessage(error) } });
    }
  },

  async open(repo) {
    const request = ++detailsRequest;
    set({ selectedRepo: repo, details: repo ? { status: 'loading' } : { status: 'idle' } });
    if (!repo) return;
    try {
      const value = await api.hub.model.query({ repo });
      if (request === detailsRequest) set({ details: { status: 'ready', value } });
    } catch (error) {
      if (request === detailsRequest) set({ details: { status: 'error', error: errorMessage(error) } });
    }
  },

  async loadCatalog() {
    if (get().catalog.status === 'ready') return;
    set({ catalog: { status: 'loading' } });
    try {
      set({ catalog: { status: 'ready', value: await api.hub.catalog.query() } });
    } catch (error) {
      set({ catalog: { status: 'error', error: errorMessage(error) } });
    }
  },

  async loadToken() {
    if (get().token.status !== 'ready') set({ token: { status: 'loading' } });
    try {
      set({ token: { status: 'ready', value: await api.hub.tokenStatus.query() } });
    } catch (error) {
      set({ token: { status: 'error', error: errorMessage(error) } });
    }
  },

  async setToken(token) {
    try {
      set({ token: { status: 'ready', value: await api.hub.setToken.mutate({ token }) } });
      return null;
    } catch (error) {
      return errorMessage(error);
    }
  },

  async clearToken() {
    try {
      set({ token: { status: 'ready', value: await api.hub.clearToken.mutate() } });
      return null;
    } catch (error) {
      return errorMessage(error);
    }
  },

  async download(request, what) {
    try {
      const job = await api.hub.download.mutate(request);
      useJobs.getState().upsert(job);
      set({ lastDownload: { job, what } });
    } catch (error) {
      set({ lastDownload: { error: errorMessage(error), what } });
    }
  },
}));
