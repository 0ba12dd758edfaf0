import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startProcess, type OutputStream } from '../../electron/engine/process/supervisor';
import { isPidRunning } from '../../electron/engine/util/processes';
import { tempHome } from '../helpers/paths';

const posix = process.platform !== 'win32';

async function gone(pid: number, timeoutMs = 5000): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(25)) if (!isPidRunning(pid)) return true;
  return false;
}

/** Resolves with the first line a process prints, e.g. a pid from `echo $!`. */
function firstLine(): { onLine: (line: string) => void; line: Promise<string> } {
  let got!: (l: string) => void;
  const line = new Promise<string>((r) => (got = r));
  return { onLine: (l) => got(l), line };
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

describe('process supervisor', { skip: !posix && 'needs a POSIX shell' }, () => {
  test('stopping a child that leads its own group kills its grandchild too', async () => {
    const first = firstLine();
    const p = startProcess({ command: 'sh', args: ['-c', 'sleep 1000 & echo $!; wait'], ownGroup: true, onLine: first.onLine });
    const grandchild = Number(await first.line);
    assert.ok(grandchild > 0 && isPidRunning(grandchild));
    p.stop();
    const exit = await p.exited;
    assert.equal(exit.signal, 'SIGTERM');
    assert.ok(await gone(grandchild), `grandchild ${grandchild} still runs`);
  });

  test(
    'a child without its own group stays in ours, so a worker taking down its group takes its tools too',
    { skip: process.platform !== 'linux' && 'reads /proc' },
    async () => {
      const first = firstLine();
      const p = startProcess({ command: 'sh', args: ['-c', 'echo ready; sleep 1000'], onLine: first.onLine });
      await first.line;
      const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
      const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      const ours = readFileSync('/proc/self/stat', 'utf8');
      assert.equal(pgid, Number(ours.slice(ours.lastIndexOf(')') + 2).split(' ')[2]));
      p.stop();
      assert.equal((await p.exited).signal, 'SIGTERM');
    },
  );

  test('a child that ignores SIGTERM is killed after the grace period; one that handles it exits on its own', async () => {
    const stubborn = firstLine();
    const p = startProcess({ command: 'sh', args: ['-c', 'trap "" TERM; sleep 1000 & echo $!; wait'], ownGroup: true, graceMs: 400, onLine: stubborn.onLine });
    const grandchild = Number(await stubborn.line);
    const t0 = Date.now();
    p.stop();
    const exit = await p.exited;
    assert.equal(exit.signal, 'SIGKILL');
    assert.ok(Date.now() - t0 >= 350, `killed after ${Date.now() - t0} ms, before the grace period`);
    assert.ok(await gone(grandchild), 'the grandchild, ignoring SIGTERM as well, got the SIGKILL');

    const polite = firstLine();
    const q = startProcess({
      command: 'sh',
      args: ['-c', 'trap "exit 3" TERM; echo ready; sleep 1000 & wait'],
      ownGroup: true,
      graceMs: 5000,
      onLine: polite.onLine,
    });
    await polite.line;
    q.stop();
    assert.deepEqual(await q.exited, { code: 3, signal: null, spawnError: null, aborted: false, timedOut: false });
  });

  test('output becomes lines across chunk boundaries, \\r and \\r\\n end lines, and a split UTF-8 character survives', async () => {
    const script = [
      'const w = (s) => new Promise((r) => process.stdout.write(s, () => setTimeout(r, 30)));',
      '(async () => {',
      "  await w('one'); await w(' two\\r'); await w('\\nthree\\rfour\\n');",
      '  await w(Buffer.from([0x63, 0x61, 0x66, 0xc3])); await w(Buffer.from([0xa9, 0x0a]));',
      "  process.stderr.write('warn\\r\\n');",
      "  await w('tail');",
      '})();',
    ].join('\n');
    const lines: [OutputStream, string][] = [];
    let text = '';
    const p = startProcess({
      command: process.execPath,
      args: ['-e', script],
      onLine: (line, stream) => lines.push([stream, line]),
      onText: (t, stream) => {
        if (stream === 'stdout') text += t;
      },
    });
    const exit = await p.exited;
    assert.equal(exit.code, 0);
    assert.deepEqual(
      lines.filter(([s]) => s === 'stdout').map(([, l]) => l),
      ['one two', 'three', 'four', 'café', 'tail'],
    );
    assert.deepEqual(
      lines.filter(([s]) => s === 'stderr').map(([, l]) => l),
      ['warn'],
    );
    assert.equal(text, 'one two\r\nthree\rfour\ncafé\ntail');
  });

  test('a program that does not exist resolves with the spawn error rather than throwing', async () => {
    const p = startProcess({ command: '/nonexistent-whittle-dir/no-such-program' });
    const exit = await p.exited;
    assert.match(exit.spawnError?.message ?? '', /ENOENT/);
    assert.equal(exit.code, null);
    assert.equal(p.running, false);
    p.stop();
  });

  test('aborted before the start, nothing runs; aborted while running, it is stopped', async () => {
    const dir = tempHome('supervisor-abort');
    try {
      const marker = join(dir, 'ran');
      const p = startProcess({ command: 'sh', args: ['-c', `touch '${marker}'`], signal: AbortSignal.abort() });
      assert.equal(p.pid, undefined);
      assert.deepEqual(await p.exited, { code: null, signal: null, spawnError: null, aborted: true, timedOut: false });
      await sleep(100);
      assert.equal(existsSync(marker), false);

      const ac = new AbortController();
      const first = firstLine();
      const q = startProcess({ command: 'sh', args: ['-c', 'echo ready; exec sleep 1000'], signal: ac.signal, onLine: first.onLine });
      await first.line;
      ac.abort();
      const exit = await q.exited;
      assert.equal(exit.aborted, true);
      assert.equal(exit.signal, 'SIGTERM');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a wall-clock timeout stops the child and says so', async () => {
    let told = false;
    const p = startProcess({ command: 'sleep', args: ['1000'], timeoutMs: 200, onTimeout: () => (told = true) });
    const exit = await p.exited;
    assert.equal(exit.timedOut, true);
    assert.equal(exit.signal, 'SIGTERM');
    assert.equal(told, true);
  });

  test('a grandchild holding the pipe delays the exit only by the drain cap', async () => {
    const lines: string[] = [];
    const t0 = Date.now();
    // Not its own group: the grandchild outlives the child, keeping stdout open.
    const p = startProcess({ command: 'sh', args: ['-c', 'sleep 1000 & echo $!; echo bye'], drainMs: 300, onLine: (l) => lines.push(l) });
    const exit = await p.exited;
    const grandchild = Number(lines[0]);
    try {
      assert.equal(exit.code, 0);
      assert.deepEqual(lines.slice(1), ['bye']);
      assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
      assert.ok(isPidRunning(grandchild), 'the grandchild was not ours to kill');
    } finally {
      killQuietly(grandchild);
    }
  });

  test('a forked script talks over IPC, gets its execArgv, and its exit waits for its last message', async () => {
    const dir = tempHome('supervisor-fork');
    try {
      const script = join(dir, 'echo.cjs');
      writeFileSync(
        script,
        "process.on('message', (m) => { console.log('heap ' + process.execArgv.join(' ')); process.send({ echo: m }, () => process.exit(0)); });\n",
      );
      const messages: unknown[] = [];
      const lines: string[] = [];
      const p = startProcess<{ echo: unknown }>({
        script,
        execArgv: ['--max-old-space-size=64'],
        ownGroup: true,
        onMessage: (m) => messages.push(m),
        onLine: (l) => lines.push(l),
      });
      assert.equal(p.send({ hello: 1 }), true);
      const exit = await p.exited;
      assert.equal(exit.code, 0);
      assert.deepEqual(messages, [{ echo: { hello: 1 } }]);
      assert.deepEqual(lines, ['heap --max-old-space-size=64']);
      let sendError: Error | null = null;
      assert.equal(
        p.send({ late: true }, (err) => (sendError = err)),
        false,
      );
      assert.ok(sendError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
