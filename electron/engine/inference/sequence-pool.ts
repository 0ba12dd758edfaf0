/** Hands out a fixed number of slots (context sequences) in FIFO order; the rest wait. */
export class SlotPool {
  private waiting: { resolve: () => void; reject: (e: Error) => void; signal?: AbortSignal; onAbort?: () => void }[] = [];
  private busy = 0;
  constructor(private readonly size: number, private readonly onChange: (active: number, queued: number) => void = () => undefined) {}

  get active(): number {
    return this.busy;
  }
  get queued(): number {
    return this.waiting.length;
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) throw new Error('aborted');
    if (this.busy < this.size) {
      this.busy++;
      this.onChange(this.busy, this.waiting.length);
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const w: (typeof this.waiting)[number] = { resolve, reject, signal };
      w.onAbort = () => {
        this.waiting = this.waiting.filter((x) => x !== w);
        this.onChange(this.busy, this.waiting.length);
        reject(new Error('aborted'));
      };
      signal?.addEventListener('abort', w.onAbort, { once: true });
      this.waiting.push(w);
      this.onChange(this.busy, this.waiting.length);
    });
    return this.releaser();
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      if (next) {
        if (next.onAbort) next.signal?.removeEventListener('abort', next.onAbort);
        next.resolve();
      } else this.busy--;
      this.onChange(this.busy, this.waiting.length);
    };
  }
}
