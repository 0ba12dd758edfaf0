/**
 * Positioned writes to the partial file.
 *
 * Writes are synchronous, on the thread that just received the bytes, like curl's: the bytes are still
 * in that core's cache, there is no thread-pool round trip, and the segments' writes never contend for
 * the file's inode lock. A write normally only copies into the page cache (about a millisecond per MiB);
 * when one takes long (a slow disk, the kernel throttling dirty pages), the rest of the download writes
 * through the thread pool instead, so the event loop is not held up.
 */
import { writevSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

const SLOW_WRITE_MS = 50;

/** The buffers after the first `n` bytes. */
function after(bufs: Buffer[], n: number): Buffer[] {
  let skip = n;
  const rest: Buffer[] = [];
  for (const b of bufs) {
    if (skip >= b.length) skip -= b.length;
    else {
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
  }
  return rest;
}

export class FileWriter {
  private sync = true;
  private active = 0;
  private waiting: (() => void)[] = [];

  constructor(
    private fh: FileHandle,
    /** The test-only fault injector: an error to fail the next write with. */
    private fault: (len: number) => Error | null = () => null,
    /** Concurrent writes once asynchronous: more only spin on the inode lock. */
    private limit = 2,
  ) {}

  /** Writes `len` bytes of `bufs` at `position`: done when it returns null, else when the promise resolves. Throws or rejects on error. */
  write(bufs: Buffer[], position: number, len: number): Promise<void> | null {
    const fault = this.fault(len);
    if (fault) throw fault;
    if (!this.sync) return this.writeAsync(bufs, position, len);
    const t0 = performance.now();
    let pending = bufs;
    let at = position;
    let left = len;
    while (left > 0) {
      const n = writevSync(this.fh.fd, pending, at);
      if (n <= 0) throw new Error(`write returned ${n}`);
      left -= n;
      at += n;
      if (left > 0) pending = after(pending, n);
    }
    if (performance.now() - t0 > SLOW_WRITE_MS) this.sync = false;
    return null;
  }

  private async writeAsync(bufs: Buffer[], position: number, len: number): Promise<void> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      let pending = bufs;
      let at = position;
      let left = len;
      while (left > 0) {
        const { bytesWritten } = await this.fh.writev(pending, at);
        if (bytesWritten <= 0) throw new Error(`write returned ${bytesWritten}`);
        left -= bytesWritten;
        at += bytesWritten;
        if (left > 0) pending = after(pending, bytesWritten);
      }
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
