/**
 * Entry point of a model host: one forked process per loaded model, so a model that crashes its runtime takes down
 * only its own process. Loads the model with its backend's host side (backends/registry.ts), then passes each
 * request to the backend's handler over IPC. Exits when the engine disconnects.
 */
import type { HostBackend, LoadedBackend, OpHandler } from './backends/host-backend';
import { backendByRuntime } from './backends/registry';
import type { HostMessage, HostOp, HostOpRequest, HostRequest } from './host-protocol';
import { RequestError } from './request-error';

function send(msg: HostMessage): void {
  if (process.send && process.connected) process.send(msg);
}

process.on('disconnect', () => process.exit(0));

let loaded: LoadedBackend | null = null;
const aborts = new Map<string, AbortController>();
let peakRss = process.memoryUsage.rss();
const sampleRss = (): number => {
  const rss = process.memoryUsage.rss();
  if (rss > peakRss) peakRss = rss;
  return rss;
};
setInterval(() => send({ type: 'rss', rssBytes: sampleRss() }), 2000).unref();

async function load(msg: Extract<HostRequest, { type: 'load' }>): Promise<void> {
  const backend = backendByRuntime(msg.runtime);
  if (!backend.host) throw new Error(`the ${backend.title} backend is not available in this version of Whittle`);
  const host: HostBackend = await backend.host();
  loaded = await host.load(msg.path, msg.options, {
    progress: (progress) => send({ type: 'load-progress', progress }),
    queue: (active, queued) => send({ type: 'queue', active, queued }),
    peakRss: () => Math.max(peakRss, sampleRss()),
  });
  send({ type: 'loaded', info: loaded.info });
}

async function run(msg: HostOpRequest): Promise<void> {
  if (!loaded) throw new RequestError('model is not loaded', 503);
  const handler = loaded.handlers[msg.op] as OpHandler<HostOp> | undefined;
  if (!handler) throw new RequestError(`this model's backend does not serve ${msg.op} requests`);
  const ac = new AbortController();
  aborts.set(msg.id, ac);
  try {
    const result = await handler(msg.input, { emit: (event) => send({ type: 'event', id: msg.id, event }), signal: ac.signal });
    send({ type: 'result', id: msg.id, result });
  } finally {
    aborts.delete(msg.id);
  }
}

process.on('message', (msg: HostRequest) => {
  switch (msg.type) {
    case 'load':
      load(msg).catch((err: unknown) => {
        send({ type: 'load-failed', error: err instanceof Error ? err.message : String(err) });
        setTimeout(() => process.exit(1), 50);
      });
      break;
    case 'request':
      run(msg).catch((err: unknown) => {
        const status = err instanceof RequestError ? err.status : 500;
        send({ type: 'request-failed', id: msg.id, error: err instanceof Error ? err.message : String(err), status });
      });
      break;
    case 'abort':
      aborts.get(msg.id)?.abort();
      break;
  }
});
