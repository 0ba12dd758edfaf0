import { ConflictError, InvalidInputError, NotFoundError } from '../../../shared/errors';
import { formatBytes } from '../../../shared/format-bytes';
import { startProcess, type SupervisedProcess } from '../process/supervisor';
import type { DeviceLedger } from '../store/device-ledger';
import type {
  ApplyTemplateRequest,
  ApplyTemplateResult,
  ChatRequest,
  CompletionRequest,
  GenerationEvent,
  GenerationResult,
  InferenceCapability,
  LoadedModel,
  LoadOptions,
  PerplexityProgress,
  PerplexityRequest,
  PerplexityResult,
  ScoreRequest,
  ScoreResult,
} from '../../../shared/inference';
import type { WorkerEntry } from '../jobs/runner';
import type { ModelLibrary } from '../models/library';
import type { InferenceBackend } from './backends/backend';
import { assertCapabilities, backendByRuntime, backendFor } from './backends/registry';
import type { HostMessage, HostOp, HostOps, HostRequest } from './host-protocol';
import { CoreBudget } from './core-budget';
import { physicalCores, resolveThreads } from './cpu-cores';
import { newId } from '../util/ids';

export class InferenceError extends Error {
  constructor(
    message: string,
    readonly status = 500,
  ) {
    super(message);
    this.name = 'InferenceError';
  }
}

interface Pending {
  onEvent?: (e: never) => void;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface Host {
  info: LoadedModel;
  proc: SupervisedProcess;
  ready: Promise<void>;
  /** Its entry in the device ledger, once loaded. */
  lease: string | null;
  pending: Map<string, Pending>;
  log: string[];
  /** Layers in the model, once loaded. */
  totalLayers: number | null;
}

const sameOptions = (a: LoadOptions, b: LoadOptions): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Where loaded models record the memory they hold, so heavy jobs (fine-tunes) do not start beside a full device. */
export interface ModelDeviceLedger {
  ledger: DeviceLedger;
  ownerToken: string;
  capacity: (device: string) => number | null;
  /** Memory was given back: queued jobs may fit now. */
  released: () => void;
}

/** The device a loaded model holds memory on, and how much (VRAM when offloaded, else its weights in RAM). */
export function modelFootprint(info: Pick<LoadedModel, 'backend' | 'gpuLayers' | 'vramBytes'>, weightsBytes: number): { device: string; bytes: number } {
  const onGpu = info.backend !== null && info.backend !== 'cpu' && (info.gpuLayers ?? 0) > 0;
  return onGpu ? { device: 'gpu', bytes: info.vramBytes ?? weightsBytes } : { device: 'cpu', bytes: weightsBytes };
}

/**
 * Loaded models, each in its own forked host process (model-host.ts) running the backend the registry picks for the
 * model's format. Requests load a model on demand with its backend's default options; a request for something the
 * backend cannot do is refused before anything loads (UnsupportedCapabilityError). A host that dies fails its
 * requests with the reason and is forgotten, so the next request starts a new one and other models keep serving.
 */
export class ModelManager {
  private hosts = new Map<string, Host>();
  private listeners = new Set<(models: LoadedModel[]) => void>();
  private idleTimer: NodeJS.Timeout;
  /** Physical cores, detected at the first load (WHITTLE_CPU_CORES overrides). */
  private cores = 1;
  /** Generations on CPU-bound models share the cores: a compare turn's columns take turns instead of thrashing. */
  private readonly budget = new CoreBudget(() => this.cores);

  constructor(
    private readonly library: ModelLibrary,
    private readonly entry: WorkerEntry,
    private readonly devices: ModelDeviceLedger | null = null,
  ) {
    this.idleTimer = setInterval(() => this.unloadIdle(), 5000);
    this.idleTimer.unref();
  }

  list(): LoadedModel[] {
    return [...this.hosts.values()].map((h) => ({ ...h.info }));
  }

  onChange(fn: (models: LoadedModel[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    const models = this.list();
    for (const fn of this.listeners) fn(models);
  }

  /** The backend that runs a library model (refusing models none runs). */
  backendOf(modelId: string): InferenceBackend {
    const loaded = this.hosts.get(modelId);
    if (loaded) return backendByRuntime(loaded.info.options.runtime);
    return backendFor(this.library.get(modelId));
  }

  /** What a model's backend can do. */
  capabilities(modelId: string): InferenceCapability[] {
    return [...this.backendOf(modelId).capabilities];
  }

  /** Loads (or reloads with other options) and resolves once the model is ready; no options: the backend's defaults. */
  async load(modelId: string, requested?: LoadOptions): Promise<LoadedModel> {
    const model = this.library.get(modelId);
    const backend = backendFor(model);
    if (requested && requested.runtime !== backend.runtime)
      throw new InvalidInputError(`options.runtime: ${model.name} runs on ${backend.title}; load it with runtime "${backend.runtime}"`);
    const options = requested ?? backend.options.parse({});
    const existing = this.hosts.get(modelId);
    if (existing && sameOptions(existing.info.options, options) && existing.info.state !== 'failed') {
      await existing.ready;
      return { ...existing.info };
    }
    if (existing) await this.unload(modelId);
    if (model.missing) throw new NotFoundError(`${model.name}: its file is missing (${model.path}); put it back or delete the model`);
    this.cores = await physicalCores();
    // Auto threads: every physical core. Models never run on the CPU at the same time beyond the cores (the budget),
    // so each may use all of them while it generates.
    const threads = resolveThreads(options.threads, this.cores);
    let loaded!: () => void;
    let failed!: (e: Error) => void;
    const ready = new Promise<void>((resolve, reject) => ((loaded = resolve), (failed = reject)));
    // No own process group: the host starts no processes and exits when the engine's IPC channel closes.
    const proc = startProcess<HostMessage>({
      script: this.entry.script,
      execArgv: this.entry.execArgv,
      // Model hosts never talk to the Hub: they do not inherit its token.
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'HF_TOKEN' && k !== 'HUGGING_FACE_HUB_TOKEN')),
      onLine: (l) => {
        host.log.push(l);
        if (host.log.length > 30) host.log.shift();
      },
      onMessage: (msg) => this.onMessage(host, msg, loaded, failed),
    });
    const host: Host = {
      proc,
      pending: new Map(),
      log: [],
      ready,
      lease: null,
      totalLayers: null,
      info: {
        modelId,
        name: model.name,
        state: 'loading',
        progress: 0,
        error: null,
        options,
        backend: null,
        gpuLayers: null,
        contextSize: null,
        threads,
        pid: proc.pid ?? null,
        rssBytes: null,
        vramBytes: null,
        loadedAt: null,
        lastUsedAt: Date.now(),
        active: 0,
        queued: 0,
      },
    };
    this.hosts.set(modelId, host);
    void proc.exited.then(({ code, signal, spawnError }) => {
      this.releaseLease(host);
      const how = spawnError ? `could not start: ${spawnError.message}` : `exited (${signal ?? `code ${code}`})`;
      const why = `the model worker for ${model.name} ${how}${host.log.length ? `: ${host.log.slice(-3).join(' | ')}` : ''}`;
      const err = new InferenceError(host.info.state === 'loading' ? `${model.name} failed to load: ${host.info.error ?? why}` : why, 500);
      if (host.info.state === 'loading') failed(err);
      for (const p of host.pending.values()) p.reject(err);
      host.pending.clear();
      if (this.hosts.get(modelId) === host) {
        if (host.info.state !== 'unloading') {
          host.info = { ...host.info, state: 'failed', error: host.info.error ?? why, pid: null };
          this.changed();
        }
        this.hosts.delete(modelId);
        this.changed();
      }
    });
    host.ready.catch(() => undefined);
    this.send(host, { type: 'load', runtime: backend.runtime, path: model.path, options: { ...options, threads } });
    this.changed();
    await host.ready;
    this.takeLease(host, model.sizeBytes);
    return { ...host.info };
  }

  /** Records the loaded model's memory in the device ledger; refused beside a running heavy job it would squeeze out. */
  private takeLease(host: Host, weightsBytes: number): void {
    const d = this.devices;
    if (!d) return;
    const { device, bytes } = modelFootprint(host.info, weightsBytes);
    const holder = `model:${d.ownerToken}:${host.info.modelId}`;
    const taken = d.ledger.acquire({ holder, device, bytes, label: `${host.info.name} (loaded)`, ownerToken: d.ownerToken }, d.capacity(device));
    if (taken.ok) {
      host.lease = holder;
      return;
    }
    const { jobId, kind, needsBytes } = taken.blockedBy;
    void this.unload(host.info.modelId).catch(() => undefined);
    throw new ConflictError(
      `${host.info.name} needs ${formatBytes(bytes)} on ${device}, but job ${jobId} (${kind}) is running there and needs ${formatBytes(needsBytes)} of ${formatBytes(d.capacity(device))}; wait for it or cancel it`,
    );
  }

  private releaseLease(host: Host): void {
    if (!host.lease || !this.devices) return;
    this.devices.ledger.release(host.lease);
    host.lease = null;
    this.devices.released();
  }

  private onMessage(host: Host, msg: HostMessage, resolve: () => void, reject: (e: Error) => void): void {
    switch (msg.type) {
      case 'load-progress':
        host.info = { ...host.info, progress: msg.progress };
        this.changed();
        break;
      case 'loaded':
        host.info = {
          ...host.info,
          state: 'ready',
          progress: 1,
          backend: msg.info.backend,
          gpuLayers: msg.info.gpuLayers,
          contextSize: msg.info.contextSize,
          threads: msg.info.threads,
          vramBytes: msg.info.vramBytes,
          loadedAt: Date.now(),
        };
        host.totalLayers = msg.info.totalLayers;
        this.changed();
        resolve();
        break;
      case 'load-failed':
        host.info = { ...host.info, state: 'failed', error: msg.error };
        reject(new InferenceError(`${host.info.name} failed to load: ${msg.error}`, 500));
        break;
      case 'rss':
        host.info = { ...host.info, rssBytes: msg.rssBytes };
        break;
      case 'queue':
        host.info = { ...host.info, active: msg.active, queued: msg.queued };
        this.changed();
        break;
      case 'event':
        host.pending.get(msg.id)?.onEvent?.(msg.event as never);
        break;
      case 'result': {
        const p = host.pending.get(msg.id);
        host.pending.delete(msg.id);
        host.info.lastUsedAt = Date.now();
        p?.resolve(msg.result);
        break;
      }
      case 'request-failed': {
        const p = host.pending.get(msg.id);
        host.pending.delete(msg.id);
        p?.reject(msg.status === 400 ? new InvalidInputError(msg.error) : new InferenceError(msg.error, msg.status));
        break;
      }
    }
  }

  private send(host: Host, msg: HostRequest): void {
    if (host.proc.running) host.proc.send(msg);
  }

  async unload(modelId: string): Promise<void> {
    const host = this.hosts.get(modelId);
    if (!host) throw new NotFoundError(`${modelId} is not loaded`);
    host.info = { ...host.info, state: 'unloading' };
    this.changed();
    if (host.proc.running) {
      host.proc.stop();
      await host.proc.exited;
    }
    this.releaseLease(host);
    this.hosts.delete(modelId);
    this.changed();
  }

  private async hostFor(modelId: string): Promise<Host> {
    const host = this.hosts.get(modelId);
    if (host && host.info.state === 'ready') return host;
    await this.load(modelId, host?.info.options);
    return this.hosts.get(modelId)!;
  }

  /**
   * Cores a generation on this host occupies: its threads when any layer runs on the CPU, none when the whole model
   * is offloaded to a GPU (its CPU threads only feed the GPU).
   */
  private coresOf(host: Host): number {
    const { backend, gpuLayers, threads } = host.info;
    const onGpu = backend !== null && backend !== 'cpu' && gpuLayers !== null && gpuLayers > 0 && (host.totalLayers === null || gpuLayers >= host.totalLayers);
    return onGpu ? 0 : (threads ?? this.cores);
  }

  /**
   * Sends one request to the model's host, once its backend is known to serve it. An abort (the client went away)
   * stops it there, whether it is running, waiting for a free sequence or embedding; a request aborted while its
   * model was still loading is never sent. `gated`: CPU-bound work waits for its cores (see CoreBudget).
   */
  private async request<Op extends HostOp>(
    modelId: string,
    op: Op,
    input: HostOps[Op]['input'],
    onEvent?: (e: HostOps[Op]['event']) => void,
    signal?: AbortSignal,
    gated = true,
  ): Promise<HostOps[Op]['result']> {
    const backend = this.backendOf(modelId);
    assertCapabilities(backend, this.hosts.get(modelId)?.info.name ?? this.library.get(modelId).name, op, input);
    const host = await this.hostFor(modelId);
    if (signal?.aborted) throw new InferenceError('The request was cancelled: the client went away', 499);
    const release = gated
      ? await this.budget.acquire(modelId, this.coresOf(host), signal).catch(() => {
          throw new InferenceError('The request was cancelled: the client went away', 499);
        })
      : () => undefined;
    const id = newId('r');
    host.info.lastUsedAt = Date.now();
    const onAbort = (): void => this.send(host, { type: 'abort', id });
    try {
      return await new Promise<HostOps[Op]['result']>((resolve, reject) => {
        host.pending.set(id, { onEvent, resolve, reject });
        signal?.addEventListener('abort', onAbort, { once: true });
        this.send(host, { type: 'request', id, op, input } as HostRequest);
      });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      release();
    }
  }

  chat(req: ChatRequest, onEvent?: (e: GenerationEvent) => void, signal?: AbortSignal): Promise<GenerationResult> {
    return this.request(req.modelId, 'chat', req, onEvent, signal);
  }

  complete(req: CompletionRequest, onEvent?: (e: GenerationEvent) => void, signal?: AbortSignal): Promise<GenerationResult> {
    return this.request(req.modelId, 'complete', req, onEvent, signal);
  }

  embed(modelId: string, input: string[], signal?: AbortSignal): Promise<{ vectors: number[][]; tokens: number }> {
    return this.request(modelId, 'embed', { input }, undefined, signal);
  }

  async countTokens(modelId: string, text: string): Promise<number> {
    return (await this.request(modelId, 'tokenize', { text }, undefined, undefined, false)).count;
  }

  /** Log-likelihood of continuations after a context (lm-eval's loglikelihood), sharing the context's KV cache. */
  score(req: ScoreRequest, signal?: AbortSignal): Promise<ScoreResult> {
    return this.request(req.modelId, 'score', req, undefined, signal);
  }

  /** Perplexity over a text as llama-perplexity computes it; `onProgress` after each chunk. */
  perplexity(req: PerplexityRequest, onProgress?: (p: PerplexityProgress) => void, signal?: AbortSignal): Promise<PerplexityResult> {
    return this.request(req.modelId, 'perplexity', req, onProgress, signal);
  }

  /** The prompt a chat request with these messages sends the model. */
  applyTemplate(req: ApplyTemplateRequest): Promise<ApplyTemplateResult> {
    return this.request(req.modelId, 'applyTemplate', req, undefined, undefined, false);
  }

  private unloadIdle(): void {
    const now = Date.now();
    for (const h of this.hosts.values()) {
      const idle = h.info.options.idleUnloadSeconds;
      if (idle > 0 && h.info.state === 'ready' && h.pending.size === 0 && now - (h.info.lastUsedAt ?? now) > idle * 1000)
        void this.unload(h.info.modelId).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.idleTimer);
    await Promise.all([...this.hosts.keys()].map((id) => this.unload(id).catch(() => undefined)));
  }
}
