import { create } from 'zustand';
import { api, errorMessage } from '../api/client';
import type { Job, JobEvent } from '../api/types';

/** How many jobs the list asks for; older ones are fetched one by one when opened. */
const LIST_LIMIT = 500;
/** Lines kept for the log being viewed; older lines scroll away. */
const MAX_LOG_LINES = 20_000;

interface ViewedLog {
  jobId: string;
  lines: string[];
  /** Live lines held back while the tail is being fetched (`null` when not fetching). */
  pending: string[] | null;
  error: string | null;
}

interface JobsState {
  jobs: Record<string, Job>;
  /** True once the first `jobs.list` answered. */
  loaded: boolean;
  listError: string | null;
  /** The log of the job being viewed, if any; only that job's log lines are kept. */
  log: ViewedLog | null;
  upsert: (job: Job) => void;
  refresh: () => Promise<void>;
  /** Starts showing `jobId`'s log: fetches the tail, then appends live lines. */
  viewLog: (jobId: string) => void;
  closeLog: (jobId: string) => void;
}

/** Only the latest log fetch may land; an earlier one may be for another job or out of date. */
let logRequest = 0;

function fetchLog(jobId: string): void {
  const request = ++logRequest;
  const land = (update: (log: ViewedLog) => ViewedLog): void =>
    useJobs.setState((state) =>
      request === logRequest && state.log?.jobId === jobId ? { log: update(state.log) } : state,
    );
  api.jobs.log
    .query({ id: jobId })
    .then((text) =>
      land((log) => ({ ...log, lines: capLines(mergeLogTail(splitLines(text), log.pending ?? [])), pending: null })),
    )
    .catch((error: unknown) =>
      land((log) => ({ ...log, lines: capLines([...log.lines, ...(log.pending ?? [])]), pending: null, error: errorMessage(error) })),
    );
}

/** Fetches the viewed log again (after a reconnect, lines may have been missed), keeping what shows meanwhile. */
function reloadLog(): void {
  const { log } = useJobs.getState();
  if (!log) return;
  useJobs.setState({ log: { ...log, pending: log.pending ?? [], error: null } });
  fetchLog(log.jobId);
}

/** A record only replaces an older one, so a slow `jobs.list` cannot roll back a live update. */
function newer(current: Job | undefined, incoming: Job): boolean {
  return !current || incoming.updatedAt >= current.updatedAt;
}

function splitLines(text: string): string[] {
  if (!text) return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function capLines(lines: string[]): string[] {
  return lines.length > MAX_LOG_LINES ? lines.slice(lines.length - MAX_LOG_LINES) : lines;
}

/**
 * Joins the fetched log tail with lines that arrived live while it was being fetched. Those may
 * already be at the end of the tail, so the longest overlap is dropped.
 */
function mergeLogTail(fetched: readonly string[], live: readonly string[]): string[] {
  for (let overlap = Math.min(fetched.length, live.length); overlap > 0; overlap -= 1) {
    let matches = true;
    for (let i = 0; i < overlap && matches; i += 1) {
      matches = fetched[fetched.length - overlap + i] === live[i];
    }
    if (matches) return [...fetched, ...live.slice(overlap)];
  }
  return [...fetched, ...live];
}

export const useJobs = create<JobsState>()((set, get) => ({
  jobs: {},
  loaded: false,
  listError: null,
  log: null,

  upsert(job) {
    set((state) => (newer(state.jobs[job.id], job) ? { jobs: { ...state.jobs, [job.id]: job } } : state));
  },

  async refresh() {
    try {
      const list = await api.jobs.list.query({ limit: LIST_LIMIT });
      set((state) => {
        const jobs = { ...state.jobs };
        for (const job of list) {
          if (newer(jobs[job.id], job)) jobs[job.id] = job;
        }
        return { jobs, loaded: true, listError: null };
      });
    } catch (error) {
      set({ loaded: true, listError: errorMessage(error) });
    }
  },

  viewLog(jobId) {
    if (get().log?.jobId === jobId) return;
    set({ log: { jobId, lines: [], pending: [], error: null } });
    fetchLog(jobId);
  },

  closeLog(jobId) {
    if (get().log?.jobId === jobId) set({ log: null });
  },
}));

function onEvent(event: JobEvent): void {
  if (event.type === 'job') {
    useJobs.getState().upsert(event.job);
    return;
  }
  useJobs.setState((state) => {
    const { log } = state;
    if (log?.jobId !== event.jobId) return state;
    return log.pending
      ? { log: { ...log, pending: [...log.pending, ...event.lines] } }
      : { log: { ...log, lines: capLines([...log.lines, ...event.lines]) } };
  });
}

/**
 * Lists the jobs and keeps them live through `jobs.events`. The list is fetched again each time the
 * subscription (re)starts, so nothing missed while disconnected stays stale. Returns the teardown.
 */
export function startJobsFeed(): () => void {
  const { refresh } = useJobs.getState();
  void refresh();
  const subscription = api.jobs.events.subscribe(undefined, {
    onStarted: () => {
      void refresh();
      reloadLog();
    },
    onData: onEvent,
    onError: (error) => useJobs.setState({ listError: `Live updates stopped: ${errorMessage(error)}` }),
  });
  return () => subscription.unsubscribe();
}
