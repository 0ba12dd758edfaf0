import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AppInfo } from '../../shared/app-info';
import { RESUMABLE_JOB_KINDS } from '../../shared/jobs';
import type { EngineApi } from '../../shared/api/engine-api';
import { createEngineApi } from './api/engine-api';
import { JobEventBus } from './jobs/event-bus';
import { fileSecretStore, resolveHubToken, type SecretStore } from './hub/token-store';
import { deviceCapacity } from './jobs/device-capacity';
import { jobKindDef } from './jobs/registry';
import { SystemReport } from '../../shared/hardware';
import { DeviceLedger } from './store/device-ledger';
import { JobRunner, type WorkerEntry } from './jobs/runner';
import { ModelLibrary } from './models/library';
import { ModelManager } from './inference/model-manager';
import { ConversationsStore } from './chat/conversations-store';
import type { ServerControl } from './api/engine-api';
import { ArtifactsStore } from './store/artifacts-store';
import { openDatabase, type Db } from './store/database';
import { EnginesStore } from './store/engines-store';
import { JobsStore } from './store/jobs-store';
import { SettingsStore } from './store/settings-store';
import { migrateClearApiKey } from './store/openai-settings';
import { newId } from './util/ids';
import { isPidAlive } from './util/processes';

export interface EngineConfig {
  dataDir: string;
  host: AppInfo['host'];
  version: string;
  worker: WorkerEntry;
  testJobs?: boolean;
  /** How often this engine beats, serves cancel requests from other engines and picks up their changes. */
  pollMs?: number;
  /** Where the Hub token is kept; the Electron shell passes a keychain-backed store. Default: a 0600 file in the data dir. */
  secretStore?: SecretStore;
  /** Long-lived hosts (the app, the server) pick interrupted downloads back up when they start. */
  resumeInterrupted?: boolean;
  /** The model host entry (one process per loaded model); default: model-host.js beside the job worker. */
  modelHost?: WorkerEntry;
  /** Shows a file in the OS file manager (Electron's shell; the server opens its folder). */
  reveal?: (path: string) => Promise<void>;
}

export interface Engine {
  api: EngineApi;
  config: EngineConfig;
  db: Db;
  jobs: JobsStore;
  artifacts: ArtifactsStore;
  settings: SettingsStore;
  library: ModelLibrary;
  runner: JobRunner;
  bus: JobEventBus;
  inference: ModelManager;
  /** Memory loaded models hold per device, shared with every engine on this data dir. */
  ledger: DeviceLedger;
  /** This engine's id in the engines table: owns its jobs and leases. */
  ownerToken: string;
  /** The host plugs in how /v1 is served (whittle serve: a switch; Electron: its own HTTP server). */
  server: { current: ServerControl | null };
  close(): Promise<void>;
}

/** An engine that has not beaten for this long is taken as dead even if its pid is alive (pid reuse after a reboot). */
const ENGINE_STALE_MS = 30_000;
/** Interrupted downloads older than this are left for the user to resume by hand. */
const RESUME_WINDOW_MS = 7 * 24 * 3600_000;

/** Starts the engine: opens the store, recovers jobs orphaned by a crash, and starts the job runner. */
export async function startEngine(config: EngineConfig): Promise<Engine> {
  // Only the user may list or read the data dir (where Whittle creates it: an existing folder keeps its mode).
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const db = openDatabase(join(config.dataDir, 'whittle.db'));
  const jobs = new JobsStore(db);
  const artifacts = new ArtifactsStore(db);
  const settings = new SettingsStore(db);
  migrateClearApiKey(db, settings);
  const engines = new EnginesStore(db);
  const bus = new JobEventBus();
  const ownerToken = newId('e');
  engines.register(ownerToken, process.pid, config.host);

  const secrets = config.secretStore ?? fileSecretStore(config.dataDir);
  const ledger = new DeviceLedger(db);
  const gpuVram = (): (number | null)[] => {
    const [report] = jobs.list({ kind: 'system-report', states: ['succeeded'], limit: 1 });
    const parsed = SystemReport.safeParse(report?.result);
    return parsed.success ? parsed.data.llama.gpus.map((g) => g.vramBytes) : [];
  };
  const runner = new JobRunner({
    db,
    jobs,
    artifacts,
    bus,
    dataDir: config.dataDir,
    worker: config.worker,
    ownerToken,
    testJobs: config.testJobs ?? false,
    ledger,
    capacity: (device) => deviceCapacity(device, gpuVram),
    // The token reaches download workers through their environment only: never a job's input, log or the database.
    workerEnv: (kind) => (jobKindDef(kind).hubToken ? { HF_TOKEN: resolveHubToken(process.env, secrets).token ?? undefined } : {}),
  });
  await runner.recoverOrphans(engines.sweep(isPidAlive, ENGINE_STALE_MS));
  if (config.resumeInterrupted) {
    for (const job of jobs.interruptedSince(RESUMABLE_JOB_KINDS, Date.now() - RESUME_WINDOW_MS)) runner.resume(job.id);
  }
  const library = new ModelLibrary(artifacts, config.dataDir);

  const info: AppInfo = {
    name: 'Whittle',
    version: config.version,
    dataDir: config.dataDir,
    host: config.host,
    platform: process.platform,
    arch: process.arch,
    testJobs: config.testJobs ?? false,
  };
  const reveal = config.reveal ?? (async (path: string) => void (await import('open')).default(dirname(path)));
  const inference = new ModelManager(
    library,
    config.modelHost ?? { script: join(dirname(config.worker.script), 'model-host.js'), execArgv: config.worker.execArgv },
    {
      ledger,
      ownerToken,
      capacity: (device) => deviceCapacity(device, gpuVram),
      released: () => runner.pump(),
    },
  );
  const conversations = new ConversationsStore(db);
  const server: { current: ServerControl | null } = { current: null };
  const api = createEngineApi({
    info,
    jobs,
    artifacts,
    runner,
    bus,
    library,
    secrets,
    reveal,
    inference,
    conversations,
    dataDir: config.dataDir,
    settings,
    server,
  });

  let seen = jobs.now();
  let ticks = 0;
  const poll = setInterval(() => {
    engines.heartbeat(ownerToken);
    runner.serveCancelRequests();
    for (const job of jobs.changedSince(seen, ownerToken)) {
      seen = Math.max(seen, job.updatedAt);
      bus.emit({ type: 'job', job });
    }
    if (++ticks % 10 === 0) void runner.recoverOrphans(engines.sweep(isPidAlive, ENGINE_STALE_MS)).then(() => runner.pump());
  }, config.pollMs ?? 1000);
  poll.unref();

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      clearInterval(poll);
      await inference.close();
      await runner.shutdown();
      ledger.releaseOwner(ownerToken);
      engines.unregister(ownerToken);
      db.close();
    })());

  return { api, config, db, jobs, artifacts, settings, library, runner, bus, inference, ledger, ownerToken, server, close };
}
