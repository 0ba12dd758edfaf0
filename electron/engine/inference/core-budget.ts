/**
 * The CPU cores shared by models generating at the same time, each in its own host process. A generation on a
 * CPU-bound model holds its host's thread count of cores while it runs; requests for other models wait (FIFO) until
 * their threads fit in what is free, so two models never oversubscribe the cores (llama.cpp's spinning threads slow
 * down ~100x then). Requests for a model that already holds its cores join it (its host batches them into the same
 * decode), unless others wait. A model alone always runs, however many threads it has. GPU-offloaded models hold
 * no cores (acquire with 0).
 */
export class CoreBudget {
  private readonly held = new Map<string, { cores: number; users: number }>();
  private waiting: { key: string; cores: number; grant: () => void; signal?: AbortSignal; onAbort?: () => void }[] = [];

  constructor(private readonly total: () => number) {}

  /** Cores held now, by model. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.held].map(([k, v]) => [k, v.cores]));
  }

  get queued(): number {
    return this.waiting.length;
  }

  async acquire(key: string, cores: number, signal?: AbortSignal): Promise<() => void> {
    if (cores <= 0) return () => undefined;
    if (signal?.aborted) throw new Error('aborted');
    const want = Math.min(cores, Math.max(1, this.total()));
    if (this.waiting.length === 0 && this.fits(key, want)) {
      this.take(key, want);
      return this.releaser(key);
    }
    await new Promise<void>((resolve, reject) => {
      const w: (typeof this.waiting)[number] = { key, cores: want, grant: resolve, signal };
      w.onAbort = () => {
        this.waiting = this.waiting.filter((x) => x !== w);
        reject(new Error('aborted'));
        this.pump();
      };
      signal?.addEventListener('abort', w.onAbort, { once: true });
      this.waiting.push(w);
    });
    return this.releaser(key);
  }

  private used(): number {
    let n = 0;
    for (const h of this.held.values()) n += h.cores;
    return n;
  }

  private fits(key: string, cores: number): boolean {
    return this.held.has(key) || this.held.size === 0 || this.used() + cores <= this.total();
  }

  private take(key: string, cores: number): void {
    const h = this.held.get(key);
    if (h) h.users++;
    else this.held.set(key, { cores, users: 1 });
  }

  /** Grants waiters in order while the head fits: strict FIFO, so a stream of small requests cannot starve a big one. */
  private pump(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.key, this.waiting[0]!.cores)) {
      const w = this.waiting.shift()!;
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      this.take(w.key, w.cores);
      w.grant();
    }
  }

  private releaser(key: string): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const h = this.held.get(key);
      if (h && --h.users === 0) this.held.delete(key);
      this.pump();
    };
  }
}
