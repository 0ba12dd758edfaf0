import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobEventBus } from '../../electron/engine/jobs/event-bus';
import type { JobEvent } from '../../shared/jobs';

const log = (n: number): JobEvent => ({ type: 'log', jobId: 'j', from: n, lines: [`line ${n}`] });

test('a subscriber gets events in order and stops when its signal aborts', async () => {
  const bus = new JobEventBus();
  const abort = new AbortController();
  const got: JobEvent[] = [];
  const done = (async () => {
    for await (const e of bus.iterate(abort.signal)) {
      got.push(e);
      if (got.length === 3) abort.abort();
    }
  })();
  await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 5; i++) bus.emit(log(i));
  await done;
  assert.deepEqual(got, [log(0), log(1), log(2)]);
  bus.emit(log(9));
  assert.equal((bus as unknown as { listeners: Set<unknown> }).listeners.size, 0, 'unsubscribed after abort');
});

test('a slow subscriber drops old log lines before job updates', async () => {
  const bus = new JobEventBus();
  const abort = new AbortController();
  const it = bus.iterate(abort.signal, 3);
  const first = it.next();
  bus.emit(log(0));
  assert.deepEqual((await first).value, log(0));
  const jobEvent = { type: 'job', job: { id: 'j' } } as unknown as JobEvent;
  bus.emit(jobEvent);
  bus.emit(log(1));
  bus.emit(log(2));
  bus.emit(log(3));
  const rest: JobEvent[] = [];
  for (let i = 0; i < 3; i++) rest.push((await it.next()).value as JobEvent);
  assert.deepEqual(rest, [jobEvent, log(2), log(3)]);
  abort.abort();
  await it.return(undefined);
});
