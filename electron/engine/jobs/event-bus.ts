import type { JobEvent } from '../../../shared/jobs';

type Listener = (e: JobEvent) => void;

/** Fan-out of job events to every client (UI, CLI, HTTP subscribers). */
export class JobEventBus {
  private readonly listeners = new Set<Listener>();

  emit(e: JobEvent): void {
    for (const l of this.listeners) l(e);
  }

  on(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Events as an async iterable that ends when `signal` aborts. A slow consumer drops the oldest log events first. */
  async *iterate(signal: AbortSignal | undefined, maxBuffered = 10_000): AsyncGenerator<JobEvent> {
    const queue: JobEvent[] = [];
    let wake: (() => void) | null = null;
    const off = this.on((e) => {
      if (queue.length >= maxBuffered) {
        const i = queue.findIndex((q) => q.type === 'log');
        queue.splice(i >= 0 ? i : 0, 1);
      }
      queue.push(e);
      wake?.();
    });
    const onAbort = (): void => wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      while (!signal?.aborted) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    } finally {
      off();
      signal?.removeEventListener('abort', onAbort);
    }
  }
}
