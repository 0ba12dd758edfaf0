/** Hands out a fixed number of slots (context sequences) in FIFO order; the rest wait. */
export class SlotPool {
  private waiting: { resolve: () => void; reject: (e: Error) => void; signal?: AbortSignal; onAbort?: () => void }[] = [];
  private busy = 0;
  constructor(
    private readonly size: number,
    private readonly onChange: (active: number, queued: number) => void = () => undefined,
  ) {}

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

/** What pickSequence needs of a context sequence (node-llama-cpp's LlamaContextSequence). */
export interface ReusableSequence {
  readonly nextTokenIndex: number;
  compareContextTokens(tokens: readonly number[]): { firstDifferentIndex: number };
}

/**
 * The free sequence to run a prompt on, so its KV cache is reused: among those the prompt continues (it keeps at
 * least half of what the sequence holds: a conversation's next turn finds its previous turn), the one sharing the
 * longest prefix; else an empty one; else the least recently used one (`free` is ordered least recently used first).
 * A prompt that shares only a system prompt with another conversation does not take that conversation's sequence
 * while another is free. Removes it from `free`.
 */
export function pickSequence<S extends ReusableSequence>(free: S[], prompt: readonly number[] | null): S {
  if (free.length === 0) throw new Error('no free sequence');
  let best = -1;
  let bestShared = 0;
  if (prompt && prompt.length > 0) {
    free.forEach((s, i) => {
      const shared = Math.min(s.compareContextTokens(prompt).firstDifferentIndex, prompt.length);
      if (shared > bestShared && shared * 2 >= s.nextTokenIndex) {
        best = i;
        bestShared = shared;
      }
    });
  }
  if (best < 0)
    best = Math.max(
      0,
      free.findIndex((s) => s.nextTokenIndex === 0),
    );
  return free.splice(best, 1)[0]!;
}
