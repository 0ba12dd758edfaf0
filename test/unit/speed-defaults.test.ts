import assert from 'node:assert/strict';
import os from 'node:os';
import { describe, test } from 'node:test';
import { CoreBudget } from '../../electron/engine/inference/core-budget';
import { physicalCores, resolveThreads } from '../../electron/engine/inference/cpu-cores';
import { pickSequence } from '../../electron/engine/inference/sequence-pool';

describe('threads default to the physical cores', () => {
  test('auto (0 or unset) is the physical core count; an explicit count is kept', () => {
    assert.equal(resolveThreads(undefined, 6), 6);
    assert.equal(resolveThreads(0, 2), 2);
    assert.equal(resolveThreads(3, 2), 3);
    assert.equal(resolveThreads(undefined, 0), 1);
  });

  test('the detected count is at least 1 and at most the usable CPUs; WHITTLE_CPU_CORES overrides it', async () => {
    const saved = process.env.WHITTLE_CPU_CORES;
    try {
      delete process.env.WHITTLE_CPU_CORES;
      const n = await physicalCores();
      assert.ok(n >= 1 && n <= os.availableParallelism(), String(n));
      process.env.WHITTLE_CPU_CORES = '3';
      assert.equal(await physicalCores(), 3);
    } finally {
      if (saved === undefined) delete process.env.WHITTLE_CPU_CORES;
      else process.env.WHITTLE_CPU_CORES = saved;
    }
  });
});

describe('the core budget of models generating at once', () => {
  const settle = () => new Promise((r) => setImmediate(r));

  test('a second CPU model waits for the first when both need all the cores, and runs once it is done', async () => {
    const budget = new CoreBudget(() => 2);
    const a = await budget.acquire('a', 2);
    let bIn = false;
    const b = budget.acquire('b', 2).then((release) => ((bIn = true), release));
    await settle();
    assert.equal(bIn, false);
    assert.equal(budget.queued, 1);
    a();
    (await b)();
    assert.equal(bIn, true);
    assert.deepEqual(budget.snapshot(), {});
  });

  test('models whose threads fit the cores run together; GPU models hold no cores', async () => {
    const budget = new CoreBudget(() => 2);
    const a = await budget.acquire('a', 1);
    const b = await budget.acquire('b', 1);
    const gpu = await budget.acquire('g', 0);
    assert.deepEqual(budget.snapshot(), { a: 1, b: 1 });
    a();
    b();
    gpu();
  });

  test('requests for the model holding the cores join it, unless another model waits (FIFO, no starvation)', async () => {
    const budget = new CoreBudget(() => 2);
    const a1 = await budget.acquire('a', 2);
    const a2 = await budget.acquire('a', 2);
    assert.deepEqual(budget.snapshot(), { a: 2 });
    const order: string[] = [];
    const b = budget.acquire('b', 2).then((r) => (order.push('b'), r));
    const a3 = budget.acquire('a', 2).then((r) => (order.push('a3'), r));
    await settle();
    a1();
    a2();
    (await b)();
    (await a3)();
    assert.deepEqual(order, ['b', 'a3']);
  });

  test('a model with more threads than cores still runs alone; an aborted waiter leaves the queue', async () => {
    const budget = new CoreBudget(() => 2);
    const big = await budget.acquire('big', 8);
    const ac = new AbortController();
    const waiting = budget.acquire('c', 1, ac.signal);
    await settle();
    ac.abort();
    await assert.rejects(waiting, /aborted/);
    assert.equal(budget.queued, 0);
    big();
  });
});

describe('a request picks the sequence whose KV cache it can reuse', () => {
  const seq = (tokens: number[]) => ({
    tokens,
    get nextTokenIndex() {
      return tokens.length;
    },
    compareContextTokens(p: readonly number[]) {
      let i = 0;
      while (i < tokens.length && tokens[i] === p[i]) i++;
      return { firstDifferentIndex: i };
    },
  });

  test('the longest shared prefix wins; else an empty sequence; else the least recently used', () => {
    const old = seq([1, 2, 3]);
    const convo = seq([1, 2, 3, 4, 5, 6]);
    const empty = seq([]);
    const free = [old, convo, empty];
    assert.equal(pickSequence(free, [1, 2, 3, 4, 5, 6, 7, 8]), convo);
    assert.deepEqual(free, [old, empty]);
    assert.equal(pickSequence(free, [9, 9]), empty);
    assert.equal(pickSequence([seq([5]), seq([6])], [9]).tokens[0], 5);
    // Another conversation that shares only the system prompt keeps its sequence while an empty one is free.
    const other = seq([1, 2, 3, 7, 7, 7, 7, 7]);
    assert.equal(pickSequence([other, seq([])], [1, 2, 3, 4]).tokens.length, 0);
    assert.equal(pickSequence([other], [1, 2, 3, 4]), other);
  });
});
