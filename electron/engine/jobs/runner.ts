import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError, NotFoundError } from '../../../shared/errors';
import {
  isFinalJobState,
  type JobKind,
  type JobLogTail,
  type JobMetric,
  type JobMetricsRequest,
  type JobRecord,
  type JobRowsPage,
  type JobRowsRequest,
  type StartJobRequest,
} from '../../../shared/jobs';
import type { ArtifactsStore, NewArtifact } from '../store/artifacts-store';
import type { Db } from '../store/database';
import type { DeviceLedger } from '../store/device-ledger';
import { formatBytes } from '../../../shared/format-bytes';
import type { JobsStore } from '../store/jobs-store';
import { JobOutputsStore, type NewJobRow } from '../store/job-outputs-store';
import { sha256File } from '../util/files';
import { newId } from '../util/ids';
import { startProcess, type SupervisedProcess } from '../process/supervisor';
import { isOurWorker, killProcessTree } from '../util/processes';
import type { JobEventBus } from './event-bus';
import { jobKindDef } from './registry';
import { callWorker, type WorkerCallOptions } from './worker-call';
import { describeWorkerDeath, isOutOfMemoryLine, workerExecArgv } from './worker-limits';
import type { StagedArtifact, StartMessage, WorkerMessage } from './worker-protocol';

export interface WorkerEntry {
  script: string;
  execArgv: string[];
}

export interface JobRunnerOptions {
  db: Db;
  jobs: JobsStore;
  artifacts: ArtifactsStore;
  bus: JobEventBus;
  dataDir: string;
  worker: WorkerEntry;
  ownerToken: string;
  testJobs: boolean;
  maxLightJobs?: number;
  killGraceMs?: number;
  /** Memory of a device in bytes (null: unknown), for jobs that declare what they need. */
  capacity?: (device: string) => number | null;
  /** Memory loaded models hold per device; swept with orphaned jobs. */
  ledger?: DeviceLedger;
  /** Extra environment for workers, computed per job (e.g. the Hub token, which never goes into a job's input or log). */
  workerEnv?: (kind: JobKind) => Record<string, string | undefined>;
}

interface RunningJob {
  job: JobRecord;
  /** Unset until the worker is forked. */
  worker?: SupervisedProcess;
  cancelling: boolean;
  /** Stopped by a pause rather than a cancel: ends `paused`, resumable in place. */
  pausing: boolean;
  done: Promise<void>;
}

const LOG_TAIL_IN_ERRORS = 20;
const PROGRESS_INTERVAL_MS = 100;
/** Metric points are stored and streamed in batches, one transaction each. */
const METRICS_INTERVAL_MS = 250;
/** Rows wait in memory until the job succeeds; past this much JSON the job fails rather than exhaust the engine. */
const MAX_BUFFERED_ROW_BYTES = 256 * 1024 * 1024;
/** Where a job's optional timeout is kept in its stored input. */
const TIMEOUT_KEY = 'timeoutSeconds';

/** A start request's (or a stored input's) timeout, and the input without it: what the kind's own schema expects. */
function splitTimeout(req: { input: unknown; timeoutSeconds?: number }): { input: unknown; timeoutSeconds: number | undefined } {
  const input = req.input;
  if (input === null || typeof input !== 'object' || Array.isArray(input) || !(TIMEOUT_KEY in input)) return { input, timeoutSeconds: req.timeoutSeconds };
  const { [TIMEOUT_KEY]: stored, ...rest } = input as Record<string, unknown>;
  return { input: rest, timeoutSeconds: req.timeoutSeconds ?? (typeof stored === 'number' && stored > 0 ? stored : undefined) };
}

/**
 * The job supervisor: persists jobs, runs each in its own worker process, streams progress and logs,
 * commits a job's artifacts to the library only when it succeeds, and cleans up after cancel/failure.
 */
export class JobRunner {
  private readonly running = new Map<string, RunningJob>();
  private closed = false;
  private readonly outputs: JobOutputsStore;

  constructor(private readonly o: JobRunnerOptions) {
    this.outputs = new JobOutputsStore(o.db);
  }

  jobDir(id: string): string {
    return join(this.o.dataDir, 'jobs', id);
  }

  logPath(id: string): string {
    return join(this.jobDir(id), 'job.log');
  }

  stagingDir(id: string): string {
    return join(this.o.dataDir, 'staging', id);
  }

  get(id: string): JobRecord {
    const job = this.o.jobs.get(id);
    if (!job) throw new NotFoundError(`No job with id ${id}`);
    return job;
  }

  start(req: StartJobRequest, retryOf: string | null = null): JobRecord {
    if (this.closed) throw new ConflictError('The engine is shutting down');
    const spec = jobKindDef(req.kind);
    if (spec.contract.testOnly && !this.o.testJobs) throw new NotFoundError(`Job kind ${req.kind} is only available with test jobs enabled`);
    // The discriminated union guarantees input matches kind; the cast only bridges TypeScript's per-key typing.
    const { input: rawInput, timeoutSeconds } = splitTimeout(req);
    const input = rawInput as never;
    const job = this.o.jobs.insert({
      id: newId('j'),
      kind: req.kind,
      // The timeout travels in the stored input (no column for it): retry and resume keep it; the worker never sees it.
      input: timeoutSeconds === undefined ? rawInput : { ...(rawInput as object), [TIMEOUT_KEY]: timeoutSeconds },
      heavy: spec.heavy(input),
      device: spec.device(input),
      needsBytes: spec.needsBytes?.(input, { artifacts: this.o.artifacts, dataDir: this.o.dataDir }) ?? null,
      retryOf,
      ownerToken: this.o.ownerToken,
      ownerPid: process.pid,
    });
    this.o.bus.emit({ type: 'job', job });
    this.pump();
    return this.get(job.id);
  }

  /** Queued, running or paused jobs of a kind, across every engine sharing the data dir. */
  listActive(kind: string): JobRecord[] {
    return this.o.jobs.list({ kind, states: ['queued', 'running', 'paused'], limit: 1000 });
  }

  retry(id: string): JobRecord {
    const old = this.get(id);
    if (!isFinalJobState(old.state)) throw new ConflictError(`Job ${id} is still ${old.state}`);
    return this.start({ kind: old.kind, input: old.input } as StartJobRequest, old.id);
  }

  async cancel(id: string): Promise<JobRecord> {
    return this.stop(id, 'cancel');
  }

  /** Stops a resumable job, keeping its partial outputs; `resume` continues it under the same id. */
  async pause(id: string): Promise<JobRecord> {
    const job = this.get(id);
    if (!jobKindDef(job.kind)?.contract.resumable) throw new ConflictError(`${job.kind} jobs cannot be paused; cancel it instead`);
    if (job.state === 'paused') return job;
    if (job.state !== 'queued' && job.state !== 'running') throw new ConflictError(`Job ${id} is ${job.state}, not running`);
    return this.stop(id, 'pause');
  }

  /** Continues a paused, interrupted or failed resumable job in place. */
  resume(id: string): JobRecord {
    if (this.closed) throw new ConflictError('The engine is shutting down');
    const job = this.get(id);
    if (!jobKindDef(job.kind)?.contract.resumable) throw new ConflictError(`${job.kind} jobs cannot be resumed; retry it instead`);
    if (!this.o.jobs.requeue(id, this.o.ownerToken, process.pid))
      throw new ConflictError(`Job ${id} is ${job.state}; only paused, interrupted or failed jobs resume`);
    this.emitJob(id);
    this.pump();
    return this.get(id);
  }

  private async stop(id: string, mode: 'cancel' | 'pause'): Promise<JobRecord> {
    const own = this.o.jobs.ownership(id);
    if (!own) throw new NotFoundError(`No job with id ${id}`);
    const stopped = (s: JobRecord['state']): boolean => isFinalJobState(s) || (mode === 'pause' && s === 'paused');
    if (stopped(own.state)) return this.get(id);
    const local = this.running.get(id);
    if (local) {
      local.cancelling = true;
      local.pausing = mode === 'pause';
      this.kill(local);
      await local.done;
      return this.get(id);
    }
    if (own.ownerToken === this.o.ownerToken || own.state === 'queued' || own.state === 'paused') {
      const changed =
        mode === 'pause'
          ? this.o.jobs.pause(id, 'Paused before it started')
          : this.o.jobs.finish(id, 'cancelled', { message: own.state === 'paused' ? 'Cancelled while paused' : 'Cancelled before it started' });
      if (changed) this.emitJob(id);
      if (own.state === 'queued' || own.state === 'paused') return this.get(id);
    }
    // Another live engine (the server, the app, another CLI) runs it: ask it, then wait for the outcome.
    this.o.jobs.requestCancel(id, mode);
    for (let waited = 0; waited < 15_000; waited += 100) {
      const job = this.get(id);
      if (stopped(job.state)) return job;
      await sleep(100);
    }
    throw new ConflictError(`Job ${id} did not stop within 15 s; the engine running it may be busy`);
  }

  /** Starts whatever queued jobs of this engine may run now. */
  pump(): void {
    if (this.closed) return;
    const maxLight = this.o.maxLightJobs ?? 4;
    for (const job of this.o.jobs.queuedFor(this.o.ownerToken)) {
      if (job.heavy) {
        if (this.o.jobs.runningHeavyOn(job.device) > 0) continue;
      } else if ([...this.running.values()].filter((r) => !r.job.heavy).length >= maxLight) {
        continue;
      }
      if (!this.o.jobs.claim(job.id, null, this.o.capacity?.(job.device) ?? null)) {
        if (job.heavy && job.needsBytes !== null) this.sayWhyWaiting(job);
        continue;
      }
      const claimed = this.get(job.id);
      this.o.bus.emit({ type: 'job', job: claimed });
      this.launch(claimed);
    }
  }

  /** A heavy job that may not start: tell its watchers what it waits for. */
  private sayWhyWaiting(job: JobRecord): void {
    let message: string;
    if (this.o.jobs.runningHeavyOn(job.device) > 0) message = `Waiting for the heavy job running on ${job.device}`;
    else {
      const held = this.o.ledger?.held(job.device) ?? [];
      const total = held.reduce((n, l) => n + l.bytes, 0);
      message = `Waiting for memory on ${job.device}: needs ${formatBytes(job.needsBytes ?? 0)}; ${held.map((l) => l.label).join(', ') || 'loaded models'} hold ${formatBytes(total)} of ${formatBytes(this.o.capacity?.(job.device) ?? 0)}`;
    }
    if (this.o.jobs.setQueuedMessage(job.id, message)) this.emitJob(job.id);
  }

  /** Cancel requests made by other engines for jobs this engine runs. */
  serveCancelRequests(): void {
    for (const r of this.o.jobs.cancelRequestsFor(this.o.ownerToken)) void this.stop(r.id, r.mode).catch(() => undefined);
  }

  /** Marks jobs of engines that are gone as interrupted and stops any worker they left behind. */
  async recoverOrphans(liveOwnerTokens: readonly string[]): Promise<void> {
    this.o.ledger?.sweep(liveOwnerTokens);
    for (const orphan of this.o.jobs.orphans(liveOwnerTokens)) {
      if (orphan.workerPid && isOurWorker(orphan.workerPid, orphan.id)) killProcessTree(orphan.workerPid, 'SIGKILL');
      await rm(this.stagingDir(orphan.id), { recursive: true, force: true });
      const message = orphan.state === 'running' ? 'Whittle stopped while this job was running' : 'Whittle stopped before this job started';
      if (this.o.jobs.finish(orphan.id, 'interrupted', { error: message, message: 'Interrupted' })) this.emitJob(orphan.id);
    }
  }

  /** Stops every worker of this engine; their jobs become interrupted (resumable kinds pick up from there later). */
  async shutdown(): Promise<void> {
    this.closed = true;
    const all = [...this.running.values()];
    // Stopped by the engine, not by the job: they end `interrupted` (resumable kinds pick up from there), not `failed`.
    for (const r of all) {
      r.cancelling = true;
      this.kill(r);
    }
    await Promise.all(all.map((r) => r.done));
    for (const job of this.o.jobs.queuedFor(this.o.ownerToken)) {
      this.o.jobs.finish(job.id, 'interrupted', { error: 'Whittle stopped before this job started', message: 'Interrupted' });
    }
  }

  /** Runs one function of worker-calls.ts in a short-lived, bounded worker process (no job record): for requests that parse model files. */
  call<T>(fn: string, input: unknown, options: WorkerCallOptions): Promise<T> {
    if (this.closed) return Promise.reject(new ConflictError('The engine is shutting down'));
    return callWorker<T>(this.o.worker, fn, input, options);
  }

  /** A job's metric points, in the order its worker reported them. */
  metrics(req: JobMetricsRequest): JobMetric[] {
    this.get(req.id);
    return this.outputs.metrics(req);
  }

  /** A page of a job's rows of one kind; empty unless the job succeeded (rows are committed with its success). */
  rows(req: JobRowsRequest): JobRowsPage {
    this.get(req.id);
    return this.outputs.rows(req.id, req.kind, req.cursor ?? null, req.limit);
  }

  async readLog(id: string, tailLines: number): Promise<JobLogTail> {
    this.get(id);
    let text: string;
    try {
      text = await readFile(this.logPath(id), 'utf8');
    } catch {
      return { from: 0, lines: [] };
    }
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    const from = Math.max(0, lines.length - tailLines);
    return { from, lines: lines.slice(from) };
  }

  private emitJob(id: string): void {
    const job = this.o.jobs.get(id);
    if (job) this.o.bus.emit({ type: 'job', job });
  }

  private kill(r: RunningJob): void {
    r.worker?.stop();
  }

  private launch(job: JobRecord): void {
    const staging = this.stagingDir(job.id);
    const entry: Partial<RunningJob> & { job: JobRecord; cancelling: boolean } = { job, cancelling: false, pausing: false };
    let finishDone!: () => void;
    entry.done = new Promise<void>((r) => (finishDone = r));
    this.running.set(job.id, entry as RunningJob);
    void this.supervise(job, staging, entry as RunningJob).finally(() => {
      this.running.delete(job.id);
      finishDone();
      this.pump();
    });
  }

  private async supervise(job: JobRecord, staging: string, entry: RunningJob): Promise<void> {
    await mkdir(staging, { recursive: true });
    await mkdir(this.jobDir(job.id), { recursive: true });
    const log = createWriteStream(this.logPath(job.id), { flags: 'a' });
    const tail: string[] = [];
    let pendingLines: string[] = [];
    let lineNo = 0;
    const flushLines = (): void => {
      if (pendingLines.length) this.o.bus.emit({ type: 'log', jobId: job.id, from: lineNo - pendingLines.length, lines: pendingLines });
      pendingLines = [];
    };
    const logLine = (raw: string): void => {
      // Carriage returns (a tool redrawing its progress bar) would make line numbers disagree between file and events.
      const line = raw.replace(/\r/g, '');
      log.write(`${line}\n`);
      lineNo++;
      tail.push(line);
      if (tail.length > LOG_TAIL_IN_ERRORS) tail.shift();
      pendingLines.push(line);
    };
    logLine(`[${new Date().toISOString()}] ${job.kind} ${job.id} started`);
    if (entry.cancelling) {
      await rm(staging, { recursive: true, force: true });
      if (entry.pausing && !this.closed) this.o.jobs.pause(job.id);
      else this.o.jobs.finish(job.id, this.closed ? 'interrupted' : 'cancelled', { message: this.closed ? 'Interrupted' : 'Cancelled' });
      logLine(`[${new Date().toISOString()}] cancelled before the worker started`);
      flushLines();
      await new Promise<void>((r) => log.end(r));
      this.emitJob(job.id);
      return;
    }

    const spec = jobKindDef(job.kind);
    const { input: workerInput, timeoutSeconds } = splitTimeout({ input: job.input });
    let resolved: unknown = null;
    try {
      if (!spec) throw new Error(`This version of Whittle has no job kind ${job.kind}`);
      if (spec.resolve) resolved = await spec.resolve(spec.contract.input.parse(workerInput), { artifacts: this.o.artifacts, dataDir: this.o.dataDir });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      await rm(staging, { recursive: true, force: true });
      this.o.jobs.finish(job.id, 'failed', { error: why, message: 'Failed' });
      logLine(`[${new Date().toISOString()}] failed before the worker started: ${why}`);
      flushLines();
      await new Promise<void>((r) => log.end(r));
      this.emitJob(job.id);
      return;
    }

    // The Hub token reaches only the kinds that download (workerEnv); no other worker, nor the tools it runs, inherits it.
    const { HF_TOKEN: _t, HUGGING_FACE_HUB_TOKEN: _l, ...inherited } = process.env;
    const env: NodeJS.ProcessEnv = { ...inherited, ...this.o.workerEnv?.(job.kind as JobKind), WHITTLE_JOB_ID: job.id };
    const heapLimitMb = spec?.heapLimitMb?.(workerInput) ?? null;
    let outcome: WorkerMessage | null = null;
    let lastProgress: { fraction: number | null; message: string } | null = null;
    let pendingMetrics: JobMetric[] = [];
    const flushMetrics = (): void => {
      if (!pendingMetrics.length) return;
      const batch = pendingMetrics;
      pendingMetrics = [];
      try {
        this.outputs.insertMetrics(job.id, batch);
        this.o.bus.emit({ type: 'metrics', jobId: job.id, metrics: batch });
      } catch (err) {
        logLine(`[${new Date().toISOString()}] could not store ${batch.length} metric points: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    const metricTick = setInterval(flushMetrics, METRICS_INTERVAL_MS);
    const rows: NewJobRow[] = [];
    let rowBytes = 0;
    let rowsOverflow = false;
    const tick = setInterval(() => {
      flushLines();
      if (lastProgress && !entry.cancelling) {
        this.o.jobs.setProgress(job.id, lastProgress.fraction, lastProgress.message);
        lastProgress = null;
        this.emitJob(job.id);
      }
    }, PROGRESS_INTERVAL_MS);

    let outOfMemory = false;
    const onWorkerMessage = (m: WorkerMessage): void => {
      if (m.type === 'progress') lastProgress = { fraction: m.fraction === null ? null : Math.min(1, Math.max(0, m.fraction)), message: m.message };
      else if (m.type === 'metric') {
        // IPC is JSON: a NaN or infinite value arrives as null.
        if (typeof m.name !== 'string' || !m.name || typeof m.value !== 'number' || !Number.isFinite(m.value)) {
          logLine(`metric ${String(m.name)} dropped: its value (${String(m.value)}) is not a finite number`);
          return;
        }
        const step = typeof m.step === 'number' && Number.isInteger(m.step) ? m.step : null;
        pendingMetrics.push({
          name: m.name,
          step,
          value: m.value,
          unit: typeof m.unit === 'string' ? m.unit : null,
          at: typeof m.at === 'number' ? m.at : Date.now(),
        });
      } else if (m.type === 'rows') {
        if (rowsOverflow || entry.cancelling || !Array.isArray(m.records)) return;
        for (const record of m.records) {
          const data = JSON.stringify(record ?? null);
          rowBytes += data.length;
          rows.push({ seq: rows.length, kind: String(m.kind), data });
        }
        if (rowBytes > MAX_BUFFERED_ROW_BYTES) {
          rowsOverflow = true;
          rows.length = 0;
          logLine(`[${new Date().toISOString()}] the job sent more than ${MAX_BUFFERED_ROW_BYTES / 1024 / 1024} MiB of rows: stopping the worker`);
          this.kill(entry);
        }
      } else outcome = m;
    };

    // Its own process group: a stop (cancel, pause, timeout) takes down every tool the worker started.
    const worker = startProcess<WorkerMessage>({
      script: this.o.worker.script,
      execArgv: workerExecArgv(this.o.worker.execArgv, heapLimitMb),
      env,
      ownGroup: true,
      graceMs: this.o.killGraceMs ?? 3000,
      timeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
      onTimeout: () => logLine(`[${new Date().toISOString()}] timed out after ${timeoutSeconds} s: stopping the worker`),
      onLine: (line) => {
        if (isOutOfMemoryLine(line)) outOfMemory = true;
        logLine(line);
      },
      onMessage: onWorkerMessage,
    });
    entry.worker = worker;
    if (worker.pid !== undefined) this.o.jobs.setWorkerPid(job.id, worker.pid);
    const start: StartMessage = { type: 'start', jobId: job.id, kind: job.kind, input: workerInput, resolved, stagingDir: staging, dataDir: this.o.dataDir };
    // A cancel that came while its inputs were being resolved found no worker to stop.
    if (entry.cancelling) worker.stop();
    else worker.send(start);
    // `exited` waits (briefly) for stdout and stderr to end: V8's out-of-memory report is the worker's last output.
    const exit = await worker.exited;
    clearInterval(tick);
    clearInterval(metricTick);
    if (lastProgress && !entry.cancelling) {
      const p: { fraction: number | null; message: string } = lastProgress;
      this.o.jobs.setProgress(job.id, p.fraction, p.message);
    }
    // Metrics are telemetry: a failed or cancelled run keeps the points it reported (its loss curve up to the end).
    flushMetrics();

    const result = outcome as WorkerMessage | null;
    let final: { state: 'succeeded' | 'failed' | 'cancelled' | 'interrupted' | 'paused'; error?: string; message: string; result?: unknown; progress?: number };
    if (entry.pausing && !this.closed) {
      final = { state: 'paused', message: 'Paused' };
    } else if (rowsOverflow) {
      final = {
        state: 'failed',
        message: 'Failed',
        error: `the job sent more than ${MAX_BUFFERED_ROW_BYTES / 1024 / 1024} MiB of rows; its worker was stopped\n--- last log lines ---\n${tail.join('\n')}`,
      };
    } else if (exit.timedOut && !(result?.type === 'done' && exit.code === 0)) {
      final = {
        state: 'failed',
        message: 'Timed out',
        error: `timed out after ${timeoutSeconds} s (the job's timeoutSeconds); its worker was stopped\n--- last log lines ---\n${tail.join('\n')}`,
      };
    } else if (entry.cancelling) {
      final = {
        state: this.closed ? 'interrupted' : 'cancelled',
        message: this.closed ? 'Interrupted' : 'Cancelled',
        error: this.closed ? 'Whittle stopped while this job was running' : undefined,
      };
    } else if (result?.type === 'done' && exit.code === 0) {
      const checked = spec?.contract.result.safeParse(result.result);
      final =
        checked && !checked.success
          ? {
              state: 'failed',
              message: 'Failed',
              error: `The ${job.kind} worker returned a result its kind does not allow: ${checked.error.issues.map((i: { path: PropertyKey[]; message: string }) => `${i.path.join('.') || 'result'}: ${i.message}`).join('; ')}`,
            }
          : { state: 'succeeded', message: 'Done', result: checked ? checked.data : result.result, progress: 1 };
    } else {
      const why =
        result?.type === 'error'
          ? result.message
          : exit.spawnError
            ? `Could not start the worker: ${exit.spawnError.message}`
            : outOfMemory
              ? describeWorkerDeath({
                  label: spec?.workerLabel ?? job.kind,
                  subject: spec?.subject?.(workerInput),
                  heapLimitMb,
                  outOfMemory,
                  code: exit.code,
                  signal: exit.signal,
                })
              : `The worker process died (${exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`})`;
      final = { state: 'failed', message: 'Failed', error: `${why}\n--- last log lines ---\n${tail.join('\n')}` };
    }

    if (final.state === 'succeeded' && result?.type === 'done') {
      try {
        await this.commit(job.id, staging, result.artifacts, final.result, rows);
        logLine(`[${new Date().toISOString()}] succeeded`);
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        await rm(staging, { recursive: true, force: true });
        this.o.jobs.finish(job.id, 'failed', { error: `Could not save the job's outputs: ${msg}`, message: 'Failed' });
        logLine(`[${new Date().toISOString()}] failed while saving outputs: ${msg}`);
      }
    } else {
      // Partial outputs go before the state changes, so nobody sees a finished job with leftovers.
      await rm(staging, { recursive: true, force: true });
      if (final.state === 'paused') this.o.jobs.pause(job.id);
      else this.o.jobs.finish(job.id, final.state, { error: final.error ?? null, message: final.message, result: final.result });
      logLine(`[${new Date().toISOString()}] ${final.state}${final.error ? `: ${final.error.split('\n')[0]}` : ''}`);
    }
    flushLines();
    await new Promise<void>((r) => log.end(r));
    this.emitJob(job.id);
  }

  /** Moves staged outputs into the library and records them, and the job's rows, in the same transaction as the job's success. */
  private async commit(jobId: string, staging: string, staged: StagedArtifact[], result: unknown, rows: readonly NewJobRow[]): Promise<void> {
    const moved: string[] = [];
    try {
      const records: NewArtifact[] = [];
      for (const a of staged) {
        const base = { id: newId('a'), kind: a.kind, name: a.name, jobId, parents: a.parents ?? [], meta: a.meta ?? {}, tags: a.tags ?? [], notes: '' };
        if (a.external) {
          if (!isAbsolute(a.file) || !a.sha256 || a.sizeBytes === undefined)
            throw new Error(`external artifact ${a.file} needs an absolute path, sha256 and size`);
          await stat(a.file);
          records.push({ ...base, path: a.file, sha256: a.sha256, sizeBytes: a.sizeBytes, managed: false });
          continue;
        }
        const src = resolve(staging, a.file);
        const rel = relative(staging, src);
        if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`artifact path ${a.file} is outside the job's folder`);
        const isDir = (await stat(src)).isDirectory();
        if (isDir && (!a.sha256 || a.sizeBytes === undefined)) throw new Error(`folder artifact ${a.file} needs its sha256 and size from the worker`);
        const { sha256, sizeBytes } = a.sha256 && a.sizeBytes !== undefined ? { sha256: a.sha256, sizeBytes: a.sizeBytes } : await sha256File(src);
        const dest = join(this.o.dataDir, 'artifacts', a.kind, `${jobId}-${basename(a.file)}`);
        await mkdir(dirname(dest), { recursive: true });
        await rename(src, dest);
        moved.push(dest);
        records.push({ ...base, path: dest, sha256, sizeBytes, managed: true });
      }
      await rm(staging, { recursive: true, force: true });
      this.o.db
        .transaction(() => {
          for (const r of records) this.o.artifacts.insert(r);
          this.outputs.insertRows(jobId, rows);
          if (!this.o.jobs.finish(jobId, 'succeeded', { result, message: 'Done', progress: 1 })) throw new Error('the job was cancelled meanwhile');
        })
        .immediate();
    } catch (err) {
      await Promise.all(moved.map((m) => rm(m, { recursive: true, force: true })));
      throw err;
    }
  }
}
