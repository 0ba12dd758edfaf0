import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { buildTinyGguf } from '../fixtures/tiny-gguf';
import { builtCli, tempHome } from '../helpers/paths';
import { callApi, serveApp } from '../helpers/server';

const home = tempHome('cli-chat');
function whittle(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [builtCli, ...args], { env: { ...process.env, WHITTLE_HOME: home }, encoding: 'utf8', timeout: 120_000, input });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('whittle chat and models load|unload', () => {
  const file = join(home, 'tiny.gguf');
  after(() => rmSync(home, { recursive: true, force: true }));

  test('chat --prompt --json answers with metrics, and the same seed repeats the reply', () => {
    writeFileSync(file, buildTinyGguf({ seed: 31 }));
    assert.equal(whittle(['models', 'import', file]).code, 0);
    const ask = (): { text: string; finishReason: string; metrics: { completionTokens: number; promptTokens: number } } => {
      const r = whittle(['chat', file, '--prompt', 'hi', '--seed', '5', '--max-tokens', '6', '--threads', '1', '--json']);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as never;
    };
    const a = ask();
    assert.equal(a.metrics.completionTokens, 6);
    assert.equal(a.finishReason, 'length');
    assert.ok(a.metrics.promptTokens > 2);
    assert.equal(ask().text, a.text);
  });

  test('interactive chat keeps the conversation and quits on /exit', () => {
    const r = whittle(['chat', 'tiny-llama-s31', '--threads', '1', '--max-tokens', '3', '--seed', '1'], 'one\ntwo\n/exit\n');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l.includes(' in / 3 out'));
    assert.equal(lines.length, 2, r.stdout);
    const promptTokens = lines.map((l) => Number(/\] (\d+) in/.exec(l)![1]));
    assert.ok(promptTokens[1]! > promptTokens[0]!, 'the second turn carries the first');
  });

  test('models load|unload act on the running server, and say so when there is none', async () => {
    const none = whittle(['models', 'load', file]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /No `whittle serve` is running/);
    const app = await serveApp({ home });
    try {
      const loaded = whittle(['models', 'load', file, '--ctx', '128', '--threads', '1', '--json']);
      assert.equal(loaded.code, 0, loaded.stderr);
      assert.equal((JSON.parse(loaded.stdout) as { state: string; contextSize: number }).contextSize, 128);
      const list = (await callApi(app.url, 'inference.list', undefined, 'GET')).body.result as { data: { name: string; state: string }[] };
      assert.deepEqual(
        list.data.map((m) => [m.name, m.state]),
        [['tiny-llama-s31', 'ready']],
      );
      assert.equal(whittle(['models', 'unload', 'tiny-llama-s31']).code, 0);
      const after = (await callApi(app.url, 'inference.list', undefined, 'GET')).body.result as { data: unknown[] };
      assert.equal(after.data.length, 0);
    } finally {
      await app.stop();
    }
  });
});
