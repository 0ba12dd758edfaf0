// `npm run bench -- download [--size-mb 1024] [--rounds 3] [--warmup 1] [--connections 4] [--json]`
//
// Download throughput of the Hub downloader (electron/engine/hub/download-file.ts) against curl, the
// reference, on loopback: the fake Hub (test/helpers/fake-hub-main.ts, its own process) serves a generated
// LFS file through its resolve -> CDN redirect; `curl -sS -L -o` and downloadFile (in this process) fetch it
// in turn, into the same temp folder, each output deleted and dirty pages flushed (`sync`) before a run.
// Our time includes resolving, writing, and the sha256 verification; curl's includes starting curl.
// `--warmup` rounds of both run first and are not counted: on some VMs the first gigabyte a process
// writes to the page cache is several times slower than the next (plain fs.writeSync shows it too).
// Target: the median of ours >= 0.9x the median of curl's MB/s. Exits 1 when missed (or curl is missing).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { downloadFile } from '../electron/engine/hub/download-file.ts';

const root = join(import.meta.dirname, '..');
const TARGET_RATIO = 0.9;
const { values: opts } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '1024' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '4' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});
if (opts.help) {
  console.log('Usage: npm run bench -- download [--size-mb 1024] [--rounds 3] [--warmup 1] [--connections 4] [--json]');
  process.exit(0);
}
const sizeBytes = Number.parseInt(opts['size-mb'], 10) * 1024 * 1024;
const rounds = Number.parseInt(opts.rounds, 10);
const warmup = Number.parseInt(opts.warmup, 10);
const connections = Number.parseInt(opts.connections, 10);
if (!(sizeBytes > 0) || !(rounds > 0) || !(warmup >= 0) || !(connections > 0)) {
  console.error('--size-mb, --rounds and --connections must be positive integers, --warmup at least 0');
  process.exit(2);
}
if (spawnSync('curl', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error('FAIL: curl, the reference, is not installed');
  process.exit(1);
}
const log = (msg) => {
  if (!opts.json) process.stderr.write(`${msg}\n`);
};

async function startHub(specFile) {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(root, 'test', 'helpers', 'fake-hub-main.ts'), specFile], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d.toString()));
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const url = await Promise.race([
    new Promise((resolve) => createInterface({ input: proc.stdout }).once('line', (line) => resolve(JSON.parse(line).url))),
    exited.then((code) => Promise.reject(new Error(`the fake hub exited with ${code}: ${stderr}`))),
    sleep(30_000, undefined, { ref: false }).then(() => Promise.reject(new Error(`the fake hub did not start: ${stderr}`))),
  ]);
  return {
    url,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

function runCurl(url, out) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn('curl', ['-sS', '-L', '-o', out, url], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d.toString()));
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve((performance.now() - t0) / 1000) : reject(new Error(`curl exited with ${code}: ${err}`))));
  });
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const mbps = (seconds) => sizeBytes / 1e6 / seconds;

const dir = mkdtempSync(join(tmpdir(), 'whittle-bench-download-'));
const specFile = join(dir, 'spec.json');
writeFileSync(specFile, JSON.stringify({ repos: [{ id: 'bench/big', files: [{ path: 'model.gguf', data: { sizeBytes, seed: 7 } }] }] }));
let hub;
const results = { curl: [], ours: [] };
let expectedSha256 = null;
try {
  hub = await startHub(specFile);
  const url = `${hub.url}/bench/big/resolve/main/model.gguf`;
  log(
    `download: ${(sizeBytes / 1024 ** 2).toFixed(0)} MiB from the fake Hub at ${hub.url}, ${warmup} warm-up + ${rounds} round(s), downloadFile with ${connections} connection(s)`,
  );
  // The hub hashes the file on its first resolve; keep that out of the timings.
  const head = await fetch(url, { method: 'HEAD', redirect: 'manual' });
  expectedSha256 = head.headers.get('x-linked-etag')?.replaceAll('"', '') ?? null;
  const curlOut = join(dir, 'curl.bin');
  const oursOut = join(dir, 'ours.bin');
  for (let round = 1 - warmup; round <= rounds; round++) {
    const counted = round >= 1;
    rmSync(curlOut, { force: true });
    rmSync(oursOut, { force: true });
    spawnSync('sync');
    const c = await runCurl(url, curlOut);
    if (statSync(curlOut).size !== sizeBytes) throw new Error(`curl wrote ${statSync(curlOut).size} bytes, expected ${sizeBytes}`);
    if (counted) results.curl.push(c);
    rmSync(curlOut, { force: true });
    spawnSync('sync');
    const t0 = performance.now();
    const r = await downloadFile({ url, dest: oursOut, partialDir: join(dir, 'partial'), connections });
    const o = (performance.now() - t0) / 1000;
    if (r.sha256 !== expectedSha256 || r.sizeBytes !== sizeBytes)
      throw new Error(`downloadFile returned sha256 ${r.sha256} / ${r.sizeBytes} bytes, expected ${expectedSha256} / ${sizeBytes}`);
    if (counted) results.ours.push(o);
    log(
      `${counted ? `round ${round}/${rounds}` : 'warm-up'}: curl ${mbps(c).toFixed(0)} MB/s (${c.toFixed(2)} s), downloadFile ${mbps(o).toFixed(0)} MB/s (${o.toFixed(2)} s, sha256 verified)`,
    );
  }
} finally {
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
}

const curlMBps = mbps(median(results.curl));
const oursMBps = mbps(median(results.ours));
const ratio = oursMBps / curlMBps;
const verdict = ratio >= TARGET_RATIO ? 'PASS' : 'FAIL';
if (opts.json) {
  console.log(
    JSON.stringify(
      {
        benchmark: 'download',
        sizeBytes,
        rounds,
        warmup,
        connections,
        seconds: results,
        medianMBps: { curl: Math.round(curlMBps), ours: Math.round(oursMBps) },
        ratio: Math.round(ratio * 100) / 100,
        target: TARGET_RATIO,
        verdict,
        platform: `${process.platform} ${process.arch}, node ${process.version}`,
      },
      null,
      2,
    ),
  );
} else {
  console.log('');
  console.log(`curl -L -o          ${results.curl.map((s) => `${mbps(s).toFixed(0).padStart(6)}`).join('')}   median ${curlMBps.toFixed(0)} MB/s`);
  console.log(
    `downloadFile (x${connections})   ${results.ours.map((s) => `${mbps(s).toFixed(0).padStart(6)}`).join('')}   median ${oursMBps.toFixed(0)} MB/s (incl. sha256 verification)`,
  );
  console.log(`ratio ours/curl: ${ratio.toFixed(2)} (target >= ${TARGET_RATIO}): ${verdict}`);
}
process.exit(verdict === 'PASS' ? 0 : 1);
