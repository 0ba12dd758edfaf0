import { create } from 'zustand';
import { api, errorMessage } from '../api/client';
import type { Job, JobEvent } from '../api/types';

/** How many jobs the list asks for; older ones are fetched one by one when opened. */
const LIST_LIMIT = 500;
/** Lines kept for the log being viewed; older lines scroll away. */
const MAX_LOG_LINES = 20_000;

type LogEvent = Extract<JobEvent, { type: 'log' }>;

interface ViewedLog {
  jobId: string;
  lines: string[];
  /** Line number (in the job's log) just after the last line held: live lines before it are already shown. */
  next: number;
  /** Live events held back while the tail is being fetched (`null` when not fetching). */
  pending: LogEvent[] | null;
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
    useJobs.setState((state) => (request === logRequest && state.log?.jobId === jobId ? { log: update(state.log) } : state));
  api.jobs.log
    .query({ id: jobId })
    .then((tail) =>
      land((log) => (log.pending ?? []).reduce(appendLive, { ...log, lines: capLines(tail.lines), next: tail.from + tail.lines.length, pending: null })),
    )
    .catch((error: unknown) => land((log) => ({ ...(log.pending ?? []).reduce(appendLive, { ...log, pending: null }), error: errorMessage(error) })));
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

function capLines(lines: string[]): string[] {
  return lines.length > MAX_LOG_LINES ? lines.slice(lines.length - MAX_LOG_LINES) : lines;
}

/** Appends the lines of a live event that are not shown yet; line numbers make the join exact. */
function appendLive(log: ViewedLog, event: LogEvent): ViewedLog {
  const fresh = event.lines.slice(Math.max(0, log.next - event.from));
  if (!fresh.length) return log;
  return { ...log, lines: capLines([...log.lines, ...fresh]), next: event.from + event.lines.length };
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
    set({ log: { jobId, lines: [], next: 0, pending: [], error: null } });
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
  if (event.type !== 'log') return;
  useJobs.setState((state) => {
    const { log } = state;
    if (log?.jobId !== event.jobId) return state;
    return log.pending ? { log: { ...log, pending: [...log.pending, event] } } : { log: appendLive(log, event) };
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
