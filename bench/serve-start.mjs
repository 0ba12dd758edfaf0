// `npm run bench -- serve-start [--runs N] [--json]`
//
// How fast `whittle serve` is ready, from a cold start with an empty data dir each run:
//   api    spawn -> first successful GET /api/app.info (polled every 5 ms once the URL is printed)
//   paint  spawn -> the renderer's first contentful paint in Chromium (the browser is launched before
//          the server is spawned, so its own start is not counted; navigation starts once the API answers)
//   ready  spawn -> the app is usable (the Library page and the nav are on screen)
//   rss    the server's resident memory after it has idled ~3 s with the page open
// A bare Node HTTP server is started the same way in every run, and our start is printed as a ratio
// against it, so figures from different machines can be compared.
// Runs under tsx (scripts/bench.mjs) to share the test suite's Chromium launcher.
// A benchmark, not a test: it exits 0 even when a target is missed, but says FAIL.
/* global document */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { chromiumSkipReason, launchChromium } from '../test/helpers/browser.ts';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'bin', 'whittle.js');
const TARGETS = { apiMs: 1000, paintMs: 2000, idleRssMB: 150 };
const POLL_MS = 5;
const SETTLE_MS = 3000;
const START_TIMEOUT_MS = 30_000;
const { values: opts } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  strict: true,
});
if (opts.help) {
  console.log('Usage: npm run bench -- serve-start [--runs N] [--json]');
  process.exit(0);
}
const runs = Number.parseInt(opts.runs, 10);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`--runs must be a positive integer, not ${opts.runs}`);
  process.exit(2);
}
if (!existsSync(join(root, 'out', 'main', 'cli.js')) || !existsSync(join(root, 'out', 'renderer', 'index.html'))) {
  console.error('The app is not built: run `npm run build` first.');
  process.exit(1);
}

/** Epoch milliseconds with sub-millisecond resolution, comparable with a page's timeOrigin + now(). */
const wallNow = () => performance.timeOrigin + performance.now();
const log = (msg) => {
  if (!opts.json) process.stderr.write(`${msg}\n`);
};

/** Spawns a server that prints one JSON line with its URL; resolves once `probePath` answers 200. */
async function coldStart(args, env, probePath) {
  const spawnedAt = wallNow();
  const proc = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d.toString()));
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  try {
    const { url, token } = await Promise.race([
      new Promise((resolve, reject) =>
        createInterface({ input: proc.stdout }).once('line', (line) => {
          try {
            resolve(JSON.parse(line));
          } catch {
            reject(new Error(`not a JSON line: ${line}`));
          }
        }),
      ),
      exited.then((code) => Promise.reject(new Error(`exited with ${code}: ${stderr}`))),
      sleep(START_TIMEOUT_MS, undefined, { ref: false }).then(() => Promise.reject(new Error(`no URL in ${START_TIMEOUT_MS} ms: ${stderr}`))),
    ]);
    const listeningAt = wallNow();
    const deadline = spawnedAt + START_TIMEOUT_MS;
    for (;;) {
      try {
        // `whittle serve` prints its app API session token in the JSON line.
        const res = await fetch(url + probePath, token ? { headers: { authorization: `Bearer ${token}` } } : {});
        await res.arrayBuffer();
        if (res.ok) break;
      } catch {
        // not answering yet
      }
      if (wallNow() > deadline) throw new Error(`${url}${probePath} did not answer in ${START_TIMEOUT_MS} ms`);
      await sleep(POLL_MS);
    }
    const answeredAt = wallNow();
    return { proc, url, spawnedAt, listenMs: listeningAt - spawnedAt, answerMs: answeredAt - spawnedAt, stop: () => stop(proc, exited) };
  } catch (error) {
    await stop(proc, exited);
    throw error;
  }
}

async function stop(proc, exited) {
  if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
  const killed = await Promise.race([exited.then(() => false), sleep(5000, undefined, { ref: false }).then(() => true)]);
  if (killed) {
    proc.kill('SIGKILL');
    await exited;
  }
}

function rssMB(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  try {
    return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) / 1024;
  } catch {
    return null;
  }
}

async function launchBrowser() {
  const skip = chromiumSkipReason();
  return skip ? { skip } : { browser: await launchChromium() };
}

/** Runs in the page: resolves with the first contentful paint as epoch milliseconds. */
function firstContentfulPaint() {
  return new Promise((resolve) => {
    const done = (entry) => resolve(performance.timeOrigin + entry.startTime);
    const found = performance.getEntriesByName('first-contentful-paint')[0];
    if (found) return done(found);
    new PerformanceObserver((list, observer) => {
      const entry = list.getEntriesByName('first-contentful-paint')[0];
      if (entry) {
        observer.disconnect();
        done(entry);
      }
    }).observe({ type: 'paint', buffered: true });
  });
}

/** Runs in the page, polled every frame: epoch milliseconds once the Library page and the nav are on screen. */
function usableAt() {
  const shown = (el) => el !== null && el.getClientRects().length > 0;
  const ready = shown(document.querySelector('[data-testid="page-library"]')) && shown(document.querySelector('[data-testid="nav-library"]'));
  return ready ? performance.timeOrigin + performance.now() : false;
}

async function oneRun(index, browser) {
  const home = mkdtempSync(join(tmpdir(), 'whittle-bench-'));
  const env = { ...process.env, WHITTLE_HOME: home };
  delete env.WHITTLE_TEST_JOBS;
  const run = {};
  try {
    // The reference first, and gone before ours starts, so the two never compete for the CPU.
    const reference = await coldStart(
      [
        '-e',
        "require('http').createServer((q,s)=>s.end('ok')).listen(0,'127.0.0.1',function(){console.log(JSON.stringify({url:'http://127.0.0.1:'+this.address().port}))})",
      ],
      env,
      '/',
    );
    run.referenceMs = reference.answerMs;
    await sleep(SETTLE_MS / 3);
    run.referenceRssMB = rssMB(reference.proc.pid);
    await reference.stop();

    const context = browser ? await browser.newContext({ viewport: { width: 1280, height: 800 } }) : null;
    const page = context ? await context.newPage() : null;
    const server = await coldStart([cli, 'serve', '--port', '0', '--json'], env, '/api/app.info');
    try {
      run.listenMs = server.listenMs;
      run.apiMs = server.answerMs;
      if (page) {
        await page.goto(server.url, { waitUntil: 'commit' });
        const [paintAt, readyAt] = await Promise.all([
          page.evaluate(firstContentfulPaint),
          page.waitForFunction(usableAt, undefined, { polling: 'raf', timeout: START_TIMEOUT_MS }).then((h) => h.jsonValue()),
        ]);
        run.paintMs = paintAt - server.spawnedAt;
        // Usable means on screen: not before the first paint, even if the DOM was ready a little earlier.
        run.readyMs = Math.max(readyAt, paintAt) - server.spawnedAt;
      }
      await sleep(SETTLE_MS);
      run.idleRssMB = rssMB(server.proc.pid);
    } finally {
      await context?.close();
      await server.stop();
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  const fmt = (v, unit) => (v === undefined || v === null ? '—' : `${v.toFixed(unit === 'MB' ? 1 : 0)} ${unit}`);
  log(
    `run ${index + 1}/${runs}: api ${fmt(run.apiMs, 'ms')} (bare node ${fmt(run.referenceMs, 'ms')}), paint ${fmt(run.paintMs, 'ms')}, ready ${fmt(run.readyMs, 'ms')}, idle RSS ${fmt(run.idleRssMB, 'MB')}`,
  );
  return run;
}

function stats(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { median: round(median), min: round(v[0]), max: round(v[v.length - 1]), n: v.length };
}
const round = (x) => Math.round(x * 10) / 10;

const { browser, skip: browserSkip } = await launchBrowser();
log(`serve-start: ${runs} run(s)${browserSkip ? `; paint not measured: ${browserSkip}` : ''}`);
const results = [];
try {
  for (let i = 0; i < runs; i++) results.push(await oneRun(i, browser));
} finally {
  await browser?.close();
}

const pick = (key) => stats(results.map((r) => r[key]));
const figures = {
  apiMs: pick('apiMs'),
  listenMs: pick('listenMs'),
  referenceMs: pick('referenceMs'),
  paintMs: pick('paintMs'),
  readyMs: pick('readyMs'),
  idleRssMB: pick('idleRssMB'),
  referenceRssMB: pick('referenceRssMB'),
};
const ratio = figures.apiMs && figures.referenceMs ? round(figures.apiMs.median / figures.referenceMs.median) : null;
const verdict = (key) => (figures[key] ? (figures[key].median < TARGETS[key] ? 'PASS' : 'FAIL') : 'SKIP');
const verdicts = { apiMs: verdict('apiMs'), paintMs: verdict('paintMs'), idleRssMB: verdict('idleRssMB') };

if (opts.json) {
  console.log(
    JSON.stringify(
      {
        benchmark: 'serve-start',
        runs,
        figures,
        reference: 'bare node:http server, same spawn and poll',
        apiVsReference: ratio,
        targets: TARGETS,
        verdicts,
        skipped: browserSkip ?? null,
        platform: `${process.platform} ${process.arch}, node ${process.version}`,
      },
      null,
      2,
    ),
  );
} else {
  const row = (label, key, unit, target) => {
    const s = figures[key];
    const cells = s ? [s.median, s.min, s.max].map((x) => `${x.toFixed(unit === 'MB' ? 1 : 0)}`.padStart(8)) : ['—', '—', '—'].map((x) => x.padStart(8));
    const goal = target ? `< ${target} ${unit}`.padEnd(12) + (verdicts[key] === 'FAIL' ? 'FAIL  <<<' : verdicts[key]) : '';
    return `${label.padEnd(34)}${cells.join('')}  ${unit.padEnd(4)}${goal}`;
  };
  console.log('');
  console.log(`${'serve-start'.padEnd(34)}${'median'.padStart(8)}${'min'.padStart(8)}${'max'.padStart(8)}        target      result`);
  console.log(row('spawn -> URL printed', 'listenMs', 'ms'));
  console.log(row('spawn -> first /api/app.info', 'apiMs', 'ms', TARGETS.apiMs));
  console.log(row('  reference: bare node http', 'referenceMs', 'ms'));
  console.log(row('spawn -> first contentful paint', 'paintMs', 'ms', TARGETS.paintMs));
  console.log(row('spawn -> app usable', 'readyMs', 'ms'));
  console.log(row('idle RSS after 3 s', 'idleRssMB', 'MB', TARGETS.idleRssMB));
  console.log(row('  reference: bare node http', 'referenceRssMB', 'MB'));
  console.log('');
  console.log(`API start is ${ratio ?? '—'}x the bare Node HTTP server started in the same run (median over ${runs}).`);
  if (browserSkip) console.log(`Paint not measured: ${browserSkip}`);
  const failed = Object.entries(verdicts)
    .filter(([, v]) => v === 'FAIL')
    .map(([k]) => k);
  console.log(failed.length ? `FAIL: missed target(s): ${failed.join(', ')}` : 'All measured targets PASS.');
}
