import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NotFoundError } from '../../shared/errors';
import type { LibraryModel } from '../../shared/models';
import { jsonValueComplete } from '../../electron/engine/inference/json-complete';
import { AmbiguousModelError, modelSlug, resolveModelRef } from '../../electron/engine/models/model-ref';

const model = (id: string, name: string, more: Partial<LibraryModel> = {}): LibraryModel =>
  ({ id, name, format: 'gguf', path: `/models/${id}.gguf`, missing: false, createdAt: 0, ...more }) as LibraryModel;

describe('model references (whittle chat <model>, /v1 `model`)', () => {
  const models = [
    model('a-1', 'Gemma 3 270M (Q4_K_M)'),
    model('a-2', 'tiny'),
    model('a-3', 'Twin'),
    model('a-4', 'twin'),
    model('a-5', 'Qwen 0.5B', { format: 'hf', path: '/models/qwen' }),
    model('a-6', 'qwen 0.5b'),
  ];

  test('slugs: lowercase, each run of other characters one dash, none at the ends', () => {
    assert.equal(modelSlug('Gemma 3 270M (Q4_K_M)'), 'gemma-3-270m-q4-k-m');
    assert.equal(modelSlug('  --Tiny__model!! '), 'tiny-model');
    assert.equal(modelSlug('+++'), '');
  });

  test('by id, path, exact name, then slug', () => {
    assert.equal(resolveModelRef(models, 'a-2').id, 'a-2');
    assert.equal(resolveModelRef(models, '/models/a-1.gguf').id, 'a-1');
    assert.equal(resolveModelRef(models, 'tiny').id, 'a-2');
    assert.equal(resolveModelRef(models, 'gemma-3-270m-q4-k-m').id, 'a-1');
    assert.equal(resolveModelRef(models, 'GEMMA 3 270m q4 k m').id, 'a-1', 'the slug of the reference is compared');
    // An exact name wins over a slug several models share.
    assert.equal(resolveModelRef(models, 'Twin').id, 'a-3');
  });

  test('a slug several models share is refused with the candidates, unless `prefer` singles one out', () => {
    assert.throws(
      () => resolveModelRef(models, 'TWIN'),
      (err: unknown) => {
        assert.ok(err instanceof AmbiguousModelError);
        assert.deepEqual(err.candidates, ['a-3', 'a-4']);
        assert.match(err.message, /2 models have the slug "TWIN": "Twin" \(a-3\), "twin" \(a-4\)/);
        return true;
      },
    );
    assert.equal(resolveModelRef(models, 'qwen-0-5b', { prefer: (m) => m.format === 'gguf' }).id, 'a-6');
  });

  test('unknown: NotFoundError naming where to look', () => {
    assert.throws(
      () => resolveModelRef(models, 'nope', { listHint: 'GET /v1/models' }),
      (err: unknown) => err instanceof NotFoundError && /"nope" \(see GET \/v1\/models\)/.test(err.message),
    );
    assert.throws(() => resolveModelRef(models, '!!!'), NotFoundError);
  });
});

describe('a JSON value is complete', () => {
  test('objects, arrays and strings once closed; literals; numbers only once whitespace follows', () => {
    for (const t of ['{"n": 1}', '{\n  "a": [1, {"b": "}"}]\n}', '[1, 2]', '"x"', 'true', 'null', '12\n', '{"a": 1}\n\n'])
      assert.ok(jsonValueComplete(t), JSON.stringify(t));
    for (const t of ['', '{', '{"a": "}', '{"a": {"b": 1}', '[1, 2', '"x\\"', 'tru', '12', '-1.5e', '{"a": 1'])
      assert.ok(!jsonValueComplete(t), JSON.stringify(t));
  });
});
