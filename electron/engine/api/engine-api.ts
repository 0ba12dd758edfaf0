import type { AppInfo } from '../../../shared/app-info';
import type { EngineApi } from '../../../shared/api/engine-api';
import { SystemReport } from '../../../shared/hardware';
import { NotFoundError } from '../../../shared/errors';
import type { ArtifactsStore } from '../store/artifacts-store';
import type { JobsStore } from '../store/jobs-store';
import type { JobEventBus } from '../jobs/event-bus';
import type { JobRunner } from '../jobs/runner';
import type { SecretStore } from '../hub/token-store';
import type { ModelLibrary } from '../models/library';
import { createHubApi } from './hub-api';
import { createModelsApi } from './models-api';
import { createConversationsApi } from './conversations-api';
import type { ConversationsStore } from '../chat/conversations-store';
import type { ModelManager } from '../inference/model-manager';
import { pushIterator } from '../../../shared/push-iterator';
import type { LoadedModel } from '../../../shared/inference';
import { openAiSettingsView, patchOpenAiSettings, readOpenAiSettings, verifyApiKey } from '../store/openai-settings';
import type { SettingsStore } from '../store/settings-store';
import { defaultCacheDir } from '../config';
import { toolchainStatus } from '../toolchain/toolchain-status';

export interface EngineApiDeps {
  info: AppInfo;
  jobs: JobsStore;
  artifacts: ArtifactsStore;
  runner: JobRunner;
  bus: JobEventBus;
  library: ModelLibrary;
  secrets: SecretStore;
  reveal: (path: string) => Promise<void>;
  inference: ModelManager;
  conversations: ConversationsStore;
  dataDir: string;
  settings: SettingsStore;
  /** How this host runs /v1; set by the host once its HTTP server (if any) exists. */
  server: { current: ServerControl | null };
}

export interface ServerControl {
  url: () => string | null;
  start: () => Promise<void>;
  stop: () => Promise<void>;
}

export function createEngineApi(d: EngineApiDeps): EngineApi {
  return {
    app: { info: () => d.info },
    jobs: {
      list: (req) => d.jobs.list(req),
      get: (id) => d.runner.get(id),
      start: (req) => d.runner.start(req),
      cancel: (id) => d.runner.cancel(id),
      retry: (id) => d.runner.retry(id),
      pause: (id) => d.runner.pause(id),
      resume: (id) => d.runner.resume(id),
      log: (id, tailLines) => d.runner.readLog(id, tailLines),
      metrics: (req) => d.runner.metrics(req),
      rows: (req) => d.runner.rows(req),
      events: (signal) => d.bus.iterate(signal),
    },
    hardware: {
      latestReport() {
        const [job] = d.jobs.list({ kind: 'system-report', states: ['succeeded'], limit: 1 });
        if (!job) return null;
        const parsed = SystemReport.safeParse(job.result);
        return parsed.success ? { report: parsed.data, jobId: job.id } : null;
      },
    },
    artifacts: {
      list: (req) => d.artifacts.list(req),
      page: (req) => d.artifacts.page(req),
      lineage(id) {
        const steps = d.artifacts.lineage(id);
        if (!steps.length) throw new NotFoundError(`artifact ${id} not found`);
        return steps;
      },
    },
    models: createModelsApi(d.library, d.runner, d.reveal),
    hub: createHubApi(d.secrets, d.runner),
    inference: {
      list: () => d.inference.list(),
      load: (req) => d.inference.load(req.modelId, req.options),
      unload: (id) => d.inference.unload(id),
      chat: (req, onEvent, signal) => d.inference.chat(req, onEvent, signal),
      complete: (req, onEvent, signal) => d.inference.complete(req, onEvent, signal),
      embed: (req, signal) => d.inference.embed(req.modelId, req.input, signal),
      countTokens: (id, text) => d.inference.countTokens(id, text),
      capabilities: (id) => d.inference.capabilities(id),
      score: (req, signal) => d.inference.score(req, signal),
      perplexity: (req, onProgress, signal) => d.inference.perplexity(req, onProgress, signal),
      applyTemplate: (req) => d.inference.applyTemplate(req),
      openAiSettings: () => openAiSettingsView(readOpenAiSettings(d.settings)),
      async checkApiKey(authorization) {
        const { apiKeyHash } = readOpenAiSettings(d.settings);
        if (apiKeyHash === null) return true;
        const m = /^Bearer (.+)$/.exec(authorization ?? '');
        return !!m && (await verifyApiKey(apiKeyHash, m[1]!));
      },
      serverInfo() {
        const settings = openAiSettingsView(readOpenAiSettings(d.settings));
        const base = d.server.current?.url() ?? null;
        return { running: !!base && settings.enabled, url: base ? `${base}/v1` : null, settings, host: d.info.host };
      },
      async setServerRunning(running) {
        patchOpenAiSettings(d.settings, { enabled: running });
        if (running) await d.server.current?.start();
        else await d.server.current?.stop();
        return this.serverInfo();
      },
      updateOpenAiSettings: (patch) => openAiSettingsView(patchOpenAiSettings(d.settings, patch)),
      events(signal) {
        const it = pushIterator<LoadedModel[]>(signal);
        it.push(d.inference.list());
        const off = d.inference.onChange((m) => it.push(m));
        signal?.addEventListener('abort', off, { once: true });
        return it.iterator;
      },
    },
    conversations: createConversationsApi(d.conversations, d.artifacts, d.dataDir, (req, onEvent, signal) => d.inference.chat(req, onEvent, signal)),
    toolchain: {
      status: (deep) => toolchainStatus(defaultCacheDir(), deep),
      install: (input) => d.runner.start({ kind: 'toolchain.install', input }),
    },
  };
}
