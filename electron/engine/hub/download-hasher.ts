/**
 * Hashes a partial file's contiguous prefix while it grows, reading it back from disk (page cache), so
 * verification at the end only covers the last few megabytes. Big files are hashed in a worker thread,
 * off the event loop that receives the data. The worker is inline code, so bundling needs no extra entry.
 */
import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';

export interface HashSpec {
  algorithm: 'sha256' | 'sha1';
  /** Bytes hashed before the content (git's `blob <size>\0` header). */
  prefix?: string;
}

export interface PrefixHasher {
  /** The file's bytes [0, to) are on disk: hash up to there. */
  advance(to: number): void;
  /** Hashes up to `size` and returns one hex digest per spec. */
  finish(size: number): Promise<string[]>;
  close(): Promise<void>;
}

const READ_CHUNK = 4 << 20;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const hashes = workerData.specs.map((s) => { const h = createHash(s.algorithm); if (s.prefix) h.update(s.prefix); return h; });
const fd = openSync(workerData.file, 'r');
const buf = Buffer.allocUnsafe(${READ_CHUNK});
let pos = 0;
function upTo(to) {
  while (pos < to) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, to - pos), pos);
    if (n <= 0) throw new Error('the partial file ends at ' + pos + ', before ' + to);
    const view = buf.subarray(0, n);
    for (const h of hashes) h.update(view);
    pos += n;
  }
}
parentPort.on('message', (m) => {
  try {
    if (m.type === 'advance') upTo(m.to);
    else if (m.type === 'finish') { upTo(m.size); parentPort.postMessage({ type: 'digest', hex: hashes.map((h) => h.digest('hex')) }); }
    else if (m.type === 'close') { closeSync(fd); parentPort.close(); }
  } catch (err) {
    parentPort.postMessage({ type: 'error', message: String(err && err.message || err) });
  }
});
`;

class WorkerHasher implements PrefixHasher {
  private worker: Worker;
  private sent = 0;
  private pending: { resolve: (hex: string[]) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;

  constructor(file: string, specs: HashSpec[]) {
    // execArgv: [] keeps loaders such as tsx out of the worker; it only runs the plain code above.
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, specs }, execArgv: [] });
    this.worker.on('message', (m: { type: 'digest'; hex: string[] } | { type: 'error'; message: string }) => {
      if (m.type === 'digest') this.pending?.resolve(m.hex);
      else this.fail(new Error(`hashing ${file}: ${m.message}`));
    });
    this.worker.on('error', (err) => this.fail(err));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.pending?.reject(err);
  }

  advance(to: number): void {
    if (to <= this.sent) return;
    this.sent = to;
    this.worker.postMessage({ type: 'advance', to });
  }

  finish(size: number): Promise<string[]> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage({ type: 'finish', size });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** For small files: a worker's start-up would cost more than the hashing. */
class InlineHasher implements PrefixHasher {
  private hashes: Hash[];
  private pos = 0;
  private fh: Promise<FileHandle>;

  constructor(file: string, specs: HashSpec[]) {
    this.hashes = specs.map((s) => {
      const h = createHash(s.algorithm);
      if (s.prefix) h.update(s.prefix);
      return h;
    });
    this.fh = open(file, 'r');
    this.fh.catch(() => undefined);
  }

  advance(): void {}

  async finish(size: number): Promise<string[]> {
    const fh = await this.fh;
    const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, Math.max(1, size)));
    while (this.pos < size) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - this.pos), this.pos);
      if (bytesRead <= 0) throw new Error(`the partial file ends at ${this.pos}, before ${size}`);
      for (const h of this.hashes) h.update(buf.subarray(0, bytesRead));
      this.pos += bytesRead;
    }
    return this.hashes.map((h) => h.digest('hex'));
  }

  async close(): Promise<void> {
    await (await this.fh.catch(() => null))?.close();
  }
}

export function createPrefixHasher(file: string, specs: HashSpec[], sizeHint: number | null): PrefixHasher {
  return sizeHint !== null && sizeHint < 16 << 20 ? new InlineHasher(file, specs) : new WorkerHasher(file, specs);
}
