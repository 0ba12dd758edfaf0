import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { InvalidInputError, NotFoundError } from '../../../shared/errors';
import { LoadOptions, type ChatRequest, type CompletionRequest, type GenerationEvent, type GenerationResult, type LoadedModel } from '../../../shared/inference';
import type { WorkerEntry } from '../jobs/runner';
import type { ModelLibrary } from '../models/library';
import type { HostMessage, HostRequest } from './host-protocol';
import { CoreBudget } from './core-budget';
import { physicalCores, resolveThreads } from './cpu-cores';
import { newId } from '../util/ids';

export class InferenceError extends Error {
  constructor(message: string, readonly status = 500) {
    super(message);
    this.name = 'InferenceError';
  }
}

interface Pending {
  onEvent?: (e: GenerationEvent) => void;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface Host {
  info: LoadedModel;
  child: ChildProcess;
  ready: Promise<void>;
  pending: Map<string, Pending>;
  log: string[];
  /** Layers in the model, once loaded. */
  totalLayers: number | null;
}

const sameOptions = (a: LoadOptions, b: LoadOptions): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Loaded models, each in its own forked host process (model-host.ts). Requests load a model on demand with default
 * options; a host that dies fails its requests with the reason and is forgotten, so the next request starts a new one
 * and other models keep serving.
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

  /** Loads (or reloads with other options) and resolves once the model is ready. */
  async load(modelId: string, options: LoadOptions = LoadOptions.parse({})): Promise<LoadedModel> {
    const existing = this.hosts.get(modelId);
    if (existing && sameOptions(existing.info.options, options) && existing.info.state !== 'failed') {
      await existing.ready;
      return { ...existing.info };
    }
    if (existing) await this.unload(modelId);
    const model = this.library.get(modelId);
    if (model.missing) throw new NotFoundError(`${model.name}: its file is missing (${model.path}); put it back or delete the model`);
    if (model.format !== 'gguf') throw new InvalidInputError(`modelId: ${model.name} is a ${model.format} model; chat runs GGUF models (convert it to GGUF first)`);
    this.cores = await physicalCores();
    // Auto threads: every physical core. Models never run on the CPU at the same time beyond the cores (the budget),
    // so each may use all of them while it generates.
    const threads = resolveThreads(options.threads, this.cores);
    const child = fork(this.entry.script, [], { execArgv: this.entry.execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const host: Host = {
      child,
      pending: new Map(),
      log: [],
      ready: Promise.resolve(),
      totalLayers: null,
      info: { modelId, name: model.name, state: 'loading', progress: 0, error: null, options, backend: null, gpuLayers: null, contextSize: null, threads, pid: child.pid ?? null, rssBytes: null, vramBytes: null, loadedAt: null, lastUsedAt: Date.now(), active: 0, queued: 0 },
    };
    for (const s of [child.stdout!, child.stderr!]) {
      createInterface({ input: s }).on('line', (l) => {
        host.log.push(l);
        if (host.log.length > 30) host.log.shift();
      });
    }
    this.hosts.set(modelId, host);
    host.ready = new Promise<void>((resolve, reject) => {
      child.on('message', (msg: HostMessage) => this.onMessage(host, msg, resolve, reject));
      child.once('exit', (code, signal) => {
        const why = `the model worker for ${model.name} exited (${signal ?? `code ${code}`})${host.log.length ? `: ${host.log.slice(-3).join(' | ')}` : ''}`;
        const err = new InferenceError(host.info.state === 'loading' ? `${model.name} failed to load: ${host.info.error ?? why}` : why, 500);
        if (host.info.state === 'loading') reject(err);
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
    });
    host.ready.catch(() => undefined);
    this.send(host, { type: 'load', path: model.path, options: { ...options, threads } });
    this.changed();
    await host.ready;
    return { ...host.info };
  }

  private onMessage(host: Host, msg: HostMessage, resolve: () => void, reject: (e: Error) => void): void {
    switch (msg.type) {
      case 'load-progress':
        host.info = { ...host.info, progress: msg.progress };
        this.changed();
        break;
      case 'loaded':
        host.info = { ...host.info, state: 'ready', progress: 1, backend: msg.info.backend, gpuLayers: msg.info.gpuLayers, contextSize: msg.info.contextSize, threads: msg.info.threads, vramBytes: msg.info.vramBytes, loadedAt: Date.now() };
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
      case 'event': {
        const p = host.pending.get(msg.id);
        if (!p) break;
        if (msg.event.type === 'done') {
          host.pending.delete(msg.id);
          host.info.lastUsedAt = Date.now();
          p.resolve(msg.event.result);
        } else p.onEvent?.(msg.event);
        break;
      }
      case 'embeddings':
      case 'tokens': {
        const p = host.pending.get(msg.id);
        host.pending.delete(msg.id);
        p?.resolve(msg);
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
    if (host.child.connected) host.child.send(msg);
  }

  async unload(modelId: string): Promise<void> {
    const host = this.hosts.get(modelId);
    if (!host) throw new NotFoundError(`${modelId} is not loaded`);
    host.info = { ...host.info, state: 'unloading' };
    this.changed();
    if (host.child.exitCode === null && host.child.signalCode === null) {
      const exited = new Promise((r) => host.child.once('exit', r));
      host.child.kill('SIGTERM');
      const t = setTimeout(() => host.child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    this.hosts.delete(modelId);
    this.changed();
  }

  private async hostFor(modelId: string): Promise<Host> {
    const host = this.hosts.get(modelId);
    if (host && host.info.state === 'ready') return host;
    await this.load(modelId, host?.info.options ?? LoadOptions.parse({}));
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
   * Sends one request to the model's host. An abort (the client went away) stops it there, whether it is generating,
   * waiting for a free sequence or embedding; a request aborted while its model was still loading is never sent.
   */
  private async request<T>(modelId: string, make: (id: string) => HostRequest, onEvent?: (e: GenerationEvent) => void, signal?: AbortSignal, gated = true): Promise<T> {
    const host = await this.hostFor(modelId);
    if (signal?.aborted) throw new InferenceError('The request was cancelled: the client went away', 499);
    // CPU-bound generations wait here for their cores (see CoreBudget); tokenizing is not gated.
    const release = gated
      ? await this.budget.acquire(modelId, this.coresOf(host), signal).catch(() => {
          throw new InferenceError('The request was cancelled: the client went away', 499);
        })
      : () => undefined;
    const id = newId('r');
    host.info.lastUsedAt = Date.now();
    const onAbort = (): void => this.send(host, { type: 'abort', id });
    try {
      return await new Promise<T>((resolve, reject) => {
        host.pending.set(id, { onEvent, resolve: resolve as (v: unknown) => void, reject });
        signal?.addEventListener('abort', onAbort, { once: true });
        this.send(host, make(id));
      });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      release();
    }
  }

  chat(req: ChatRequest, onEvent?: (e: GenerationEvent) => void, signal?: AbortSignal): Promise<GenerationResult> {
    return this.request(req.modelId, (id) => ({ type: 'chat', id, req }), onEvent, signal);
  }

  complete(req: CompletionRequest, onEvent?: (e: GenerationEvent) => void, signal?: AbortSignal): Promise<GenerationResult> {
    return this.request(req.modelId, (id) => ({ type: 'complete', id, req }), onEvent, signal);
  }

  async embed(modelId: string, input: string[], signal?: AbortSignal): Promise<{ vectors: number[][]; tokens: number }> {
    const r = await this.request<{ vectors: number[][]; tokens: number }>(modelId, (id) => ({ type: 'embed', id, input }), undefined, signal);
    return { vectors: r.vectors, tokens: r.tokens };
  }

  async countTokens(modelId: string, text: string): Promise<number> {
    return (await this.request<{ count: number }>(modelId, (id) => ({ type: 'tokenize', id, text }), undefined, undefined, false)).count;
  }

  private unloadIdle(): void {
    const now = Date.now();
    for (const h of this.hosts.values()) {
      const idle = h.info.options.idleUnloadSeconds;
      if (idle > 0 && h.info.state === 'ready' && h.pending.size === 0 && now - (h.info.lastUsedAt ?? now) > idle * 1000) void this.unload(h.info.modelId).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.idleTimer);
    await Promise.all([...this.hosts.keys()].map((id) => this.unload(id).catch(() => undefined)));
  }
}
