import { formatBytes } from '../../../shared/format-bytes';

export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** Byte progress with a speed averaged over the last few seconds. */
export class ByteMeter {
  private samples: { t: number; bytes: number }[] = [];
  constructor(
    readonly total: number,
    private done = 0,
    private readonly windowMs = 5000,
  ) {}

  set(done: number): void {
    this.done = done;
    const t = Date.now();
    this.samples.push({ t, bytes: done });
    while (this.samples.length > 2 && t - this.samples[0]!.t > this.windowMs) this.samples.shift();
  }

  add(n: number): void {
    this.set(this.done + n);
  }

  get bytesDone(): number {
    return this.done;
  }

  get bytesPerSecond(): number {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.t === first.t) return 0;
    return ((last.bytes - first.bytes) * 1000) / (last.t - first.t);
  }

  get fraction(): number | null {
    return this.total > 0 ? Math.min(1, this.done / this.total) : null;
  }

  message(verb: string): string {
    const speed = this.bytesPerSecond;
    const eta = speed > 0 ? (this.total - this.done) / speed : null;
    return [
      `${verb} ${formatBytes(this.done)} of ${formatBytes(this.total)}`,
      speed > 0 ? `${formatBytes(speed)}/s` : '',
      eta !== null ? `ETA ${formatEta(eta)}` : '',
    ]
      .filter(Boolean)
      .join(' · ');
  }
}
