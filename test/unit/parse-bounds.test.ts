import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Interpreter, Template } from '@huggingface/jinja';
import { renderChatTemplateExample, renderWithBudget, TEMPLATE_BUDGET, TemplateBudgetError } from '../../electron/engine/models/inspect/chat-template';
import { MAX_SAFETENSORS_HEADER_BYTES, readSafetensorsHeader } from '../../electron/engine/models/inspect/safetensors';
import { scanHfCache } from '../../electron/engine/models/hf-cache';
import { writeHfCache } from '../fixtures/model-folders';
import { CHATML_TEMPLATE } from '../fixtures/tiny-gguf';

const root = mkdtempSync(join(tmpdir(), 'whittle-parse-bounds-'));
after(() => rmSync(root, { recursive: true, force: true }));

const timed = <T>(fn: () => T): { value: T; ms: number } => {
  const t = Date.now();
  const value = fn();
  return { value, ms: Date.now() - t };
};

test('range(1e9) in a chat template is refused at once, as a chatTemplateError', () => {
  const { value, ms } = timed(() => renderChatTemplateExample('{% for i in range(1000000000) %}x{% endfor %}'));
  assert.equal(value.chatTemplateExample, null);
  assert.equal(
    value.chatTemplateError,
    'the chat template goes over the render budget: range(1000000000) would make 1000000000 items; a chat template may make at most 100000',
  );
  assert.ok(ms < 1000, `took ${ms} ms`);
  // range(start, stop, step) counts the same way.
  assert.match(
    renderChatTemplateExample('{% for i in range(5, 100000000000, 2) %}{% endfor %}').chatTemplateError ?? '',
    /range\(5, 100000000000, 2\) would make 49999999998 items/,
  );
});

test('loops that run long, strings and lists that double are stopped by the budget', () => {
  const nested = '{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}';
  const slow = timed(() => renderChatTemplateExample(nested));
  assert.match(slow.value.chatTemplateError ?? '', /render budget: rendering took longer than 2 s|render budget: rendering took more than \d+ steps/);
  assert.ok(slow.ms < TEMPLATE_BUDGET.maxMs + 3000, `took ${slow.ms} ms`);

  const doubling = "{% set s = 'x' %}{% for i in range(40) %}{% set s = s + s %}{% endfor %}{{ s }}";
  assert.match(renderChatTemplateExample(doubling).chatTemplateError ?? '', /render budget: a string reached \d+ characters; the limit is 1000000/);

  const lists = '{% set l = [1] %}{% for i in range(40) %}{% set l = l + l %}{% endfor %}{{ l | length }}';
  assert.match(renderChatTemplateExample(lists).chatTemplateError ?? '', /render budget: a list reached \d+ items; the limit is 100000/);

  const steps = new Template('{% for i in range(5000) %}{{ i }}{% endfor %}');
  assert.throws(
    () => renderWithBudget(steps, {}, { ...TEMPLATE_BUDGET, maxSteps: 1000 }),
    (err: unknown) => err instanceof TemplateBudgetError && /more than 1000 steps/.test(err.message),
  );
  assert.throws(
    () =>
      renderWithBudget(
        new Template('{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}'),
        {},
        { ...TEMPLATE_BUDGET, maxMs: 100 },
      ),
    /longer than 0.1 s/,
  );
});

test('real templates render as before, range() keeps its meaning, and the interpreter is left unpatched', () => {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to compare by identity and restore, never called detached
  const evaluate = Interpreter.prototype.evaluate;
  const chatml = renderChatTemplateExample(CHATML_TEMPLATE);
  assert.equal(chatml.chatTemplateError, null);
  assert.ok(chatml.chatTemplateExample?.startsWith('<|im_start|>system\nYou are a helpful assistant.<|im_end|>'));
  const r = renderWithBudget(
    new Template(
      '{% for i in range(3) %}{{ i }}{% endfor %}|{% for i in range(3, 10, 2) %}{{ i }}{% endfor %}|{% for i in range(5, 0, -2) %}{{ i }}{% endfor %}|{{ range(0) | length }}',
    ),
    {},
  );
  assert.equal(r, '012|3579|531|0');
  assert.throws(() => renderWithBudget(new Template('{{ range(1, 2, 0) }}'), {}), /step must not be zero/);
  renderChatTemplateExample('{% for i in range(1000000000) %}x{% endfor %}');
  // eslint-disable-next-line @typescript-eslint/unbound-method -- compared by identity
  assert.equal(Interpreter.prototype.evaluate, evaluate, 'evaluate is restored after a render and after a refused one');
  // Without the budget, jinja's own range still works for anyone else in the process.
  assert.equal(new Template('{{ range(3) | length }}').render({}), '3');
});

test('a safetensors header over the 100 MB cap is refused from its length alone, without reading it', async () => {
  const file = join(root, 'huge-header.safetensors');
  const claimed = MAX_SAFETENSORS_HEADER_BYTES + 8;
  const fd = openSync(file, 'w');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(claimed));
  writeSync(fd, len, 0, 8, 0);
  ftruncateSync(fd, claimed + 64); // sparse: the file is long enough that only the cap can refuse it
  closeSync(fd);
  const before = process.memoryUsage();
  await assert.rejects(readSafetensorsHeader(file), new RegExp(`${file}: the safetensors header length is ${claimed} bytes, more than the 100 MB limit`));
  const after = process.memoryUsage();
  assert.ok(after.arrayBuffers - before.arrayBuffers < 10 * 1024 * 1024, 'no buffer for the header was allocated');
});

test('the engine-side Hugging Face cache scan leaves an oversized index.json unparsed', async () => {
  const cache = join(root, 'hf-cache');
  const index = (pad: number) =>
    JSON.stringify({ metadata: { pad: 'x'.repeat(pad) }, weight_map: { 'model.embed_tokens.weight': 'model-00001-of-00001.safetensors' } });
  const files = (pad: number) => ({
    'config.json': '{"model_type":"llama"}',
    'model.safetensors.index.json': index(pad),
    'model-00001-of-00001.safetensors': Buffer.alloc(16),
  });
  await writeHfCache(cache, [
    { repo: 'org/small-index', files: files(10) },
    { repo: 'org/huge-index', files: files(20 * 1024 * 1024) },
  ]);
  const found = await scanHfCache(cache);
  assert.deepEqual(
    found.map((m) => `${m.repo}:${m.format}`),
    ['org/small-index:hf'],
    'a 20 MB index is not read in the engine process',
  );
});
