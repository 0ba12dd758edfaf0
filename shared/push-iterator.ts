/**
 * Turns callback-style producers into an async iterator: `push` values, then `end` (or `fail`). The consumer's
 * `signal` aborting ends iteration; values are buffered until read.
 */
export function pushIterator<T>(signal?: AbortSignal): { push(v: T): void; end(): void; fail(e: Error): void; iterator: AsyncGenerator<T> } {
  const queue: T[] = [];
  let done = false;
  let error: Error | null = null;
  let wake: (() => void) | null = null;
  const poke = (): void => {
    wake?.();
    wake = null;
  };
  signal?.addEventListener('abort', poke, { once: true });
  async function* iterate(): AsyncGenerator<T> {
    for (;;) {
      if (queue.length) {
        yield queue.shift()!;
        continue;
      }
      if (error) throw error;
      if (done || signal?.aborted) return;
      await new Promise<void>((r) => (wake = r));
    }
  }
  return {
    push: (v) => {
      queue.push(v);
      poke();
    },
    end: () => {
      done = true;
      poke();
    },
    fail: (e) => {
      error = e;
      poke();
    },
    iterator: iterate(),
  };
}
