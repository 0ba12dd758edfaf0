import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JobRecord } from '../../shared/jobs';
import { setupDom, type Component, type Dom } from './dom-harness';

interface Callbacks {
  onCancel?: () => void;
  onPause?: () => void;
  onResume?: () => void;
  onRetry?: () => void;
  busy?: boolean;
  actionError?: string | null;
}
/** The record as the renderer gets it; fields the tests do not need are left out. */
type Job = Omit<JobRecord, 'needsBytes'>;
interface JobProgressProps extends Callbacks {
  job: Job;
  title?: string;
  testId?: string;
  testIdPrefix?: string;
}
type Mark = { at: number; fraction: number };

let dom: Dom;
let JobProgress: Component<JobProgressProps>;
let remainingMs: (from: Mark, to: Mark) => number | null;
let estimateRemaining: (job: Job) => number | null;

before(async () => {
  dom = await setupDom();
  ({ JobProgress } = await dom.component<{ JobProgress: typeof JobProgress }>('renderer/src/components/JobProgress.tsx'));
  ({ remainingMs, estimateRemaining } = await dom.component<{ remainingMs: typeof remainingMs; estimateRemaining: typeof estimateRemaining }>(
    'renderer/src/features/jobs/jobView.ts',
  ));
});
after(() => dom?.close());

let seq = 0;
function job(patch: Partial<Job> = {}): Job {
  const now = Date.now();
  return {
    id: `job-${++seq}`,
    kind: 'model.download',
    state: 'running',
    input: {},
    progress: { fraction: 0.25, message: 'Downloaded 1 MiB of 4 MiB' },
    result: null,
    error: null,
    heavy: false,
    device: 'cpu',
    retryOf: null,
    createdAt: now - 70_000,
    startedAt: now - 65_000,
    finishedAt: null,
    updatedAt: now,
    ...patch,
  };
}

const all: Callbacks = { onCancel: () => {}, onPause: () => {}, onResume: () => {}, onRetry: () => {} };
const html = (props: JobProgressProps): string => dom.html(dom.h(JobProgress, { testIdPrefix: 'p', ...props }));
const buttons = (out: string): string[] => [...out.matchAll(/data-testid="p-(cancel|pause|resume|retry)"[^>]*>([^<]+)</g)].map((m) => `${m[1]}:${m[2]}`);

describe('JobProgress', () => {
  test('shows the title of its kind, the state, the fraction, the message and the time so far', () => {
    const out = html({ job: job(), testId: 'row' });
    assert.match(out, /<span class="job-progress-title">Download model<\/span>/);
    assert.match(out, /class="badge badge-info"[^>]*>running</);
    assert.match(out, /role="progressbar" aria-label="Download model: progress"[^>]*aria-valuenow="25"/);
    assert.match(out, /data-testid="p-message">Downloaded 1 MiB of 4 MiB</);
    assert.match(out, /data-testid="p-time">1m 0[56]s</);
    assert.match(out, /data-testid="row" data-state="running" data-job-id="job-\d+" data-fraction="0.25"/);
    assert.match(html({ job: job({ kind: 'some.future-kind' }) }), /job-progress-title">some\.future-kind</, 'an unknown kind shows as itself');
    assert.match(html({ job: job(), title: 'owner/repo' }), /job-progress-title">owner\/repo</);
  });

  test('work of unknown size shows an indeterminate bar; a finished job a full or still bar and its run time', () => {
    const running = html({ job: job({ progress: { fraction: null, message: 'Scanning' } }) });
    assert.match(running, /progress-track progress-info progress-indeterminate/);
    assert.doesNotMatch(running, /aria-valuenow/);
    const done = html({ job: job({ state: 'succeeded', finishedAt: Date.now() - 5_000, progress: { fraction: null, message: 'Done' } }) });
    assert.match(done, /aria-valuenow="100"/);
    assert.match(done, /data-testid="p-time">1m 00s</);
    assert.doesNotMatch(html({ job: job({ state: 'queued', startedAt: null }) }), /p-time/, 'no time before it starts');
  });

  test('buttons follow the state and the callbacks given', () => {
    assert.deepEqual(buttons(html({ job: job(), ...all })), ['pause:Pause', 'cancel:Cancel']);
    assert.deepEqual(buttons(html({ job: job({ state: 'paused' }), ...all })), ['resume:Resume', 'cancel:Cancel']);
    // A failed download retries in place (resume, keeping its partial data); other kinds run again as a new job.
    assert.deepEqual(buttons(html({ job: job({ state: 'failed' }), ...all })), ['retry:Retry']);
    assert.match(html({ job: job({ state: 'failed' }), ...all }), /title="Try again from where it stopped/);
    assert.deepEqual(buttons(html({ job: job({ kind: 'test.sleep', state: 'failed' }), ...all })), ['retry:Retry']);
    assert.doesNotMatch(html({ job: job({ kind: 'test.sleep', state: 'failed' }), ...all }), /Try again from where/);
    assert.deepEqual(buttons(html({ job: job({ kind: 'test.sleep' }), ...all })), ['cancel:Cancel'], 'only resumable kinds pause');
    assert.deepEqual(buttons(html({ job: job({ state: 'succeeded' }), ...all })), []);
    assert.deepEqual(buttons(html({ job: job() })), [], 'no callbacks, no buttons');
    assert.deepEqual(buttons(html({ job: job(), onCancel: () => {} })), ['cancel:Cancel']);
    assert.match(html({ job: job(), ...all, busy: true }), /disabled=""[^>]*data-testid="p-pause"/);
    assert.match(html({ job: job(), ...all, actionError: 'no such job' }), /role="alert" data-testid="p-action-error">no such job</);
  });

  test('a click calls its callback', async () => {
    const calls: string[] = [];
    const view = await dom.render(
      dom.h(JobProgress, { job: job(), testIdPrefix: 'p', onCancel: () => calls.push('cancel'), onPause: () => calls.push('pause') }),
    );
    await dom.click(view.container.querySelector('[data-testid="p-pause"]')!);
    await dom.click(view.container.querySelector('[data-testid="p-cancel"]')!);
    assert.deepEqual(calls, ['pause', 'cancel']);
    await view.unmount();
  });
});

describe('time left', () => {
  test('extrapolates the average rate between two marks, once the work has moved enough', () => {
    assert.equal(remainingMs({ at: 0, fraction: 0.1 }, { at: 10_000, fraction: 0.3 }), 35_000);
    assert.equal(remainingMs({ at: 0, fraction: 0.1 }, { at: 10_000, fraction: 0.105 }), null, 'too little progress');
    assert.equal(remainingMs({ at: 0, fraction: 0.1 }, { at: 1_000, fraction: 0.5 }), null, 'too short a time');
  });

  test('a running job is measured from when it was first seen running; a pause starts over', () => {
    const estimate = (j: Job): number | null => {
      const ms = estimateRemaining(j);
      return ms === null ? null : Math.round(ms);
    };
    const j = job({ progress: { fraction: 0.2, message: '' }, updatedAt: 1_000_000 });
    assert.equal(estimate(j), null, 'first sight: nothing to go on');
    assert.equal(estimate({ ...j, progress: { fraction: 0.4, message: '' }, updatedAt: 1_020_000 }), 60_000);
    assert.equal(estimate({ ...j, state: 'paused', progress: { fraction: 0.4, message: '' }, updatedAt: 1_030_000 }), null);
    // Resumed at 0.4: the time paused does not count.
    assert.equal(estimate({ ...j, progress: { fraction: 0.4, message: '' }, updatedAt: 1_100_000 }), null);
    assert.equal(estimate({ ...j, progress: { fraction: 0.7, message: '' }, updatedAt: 1_110_000 }), 10_000);
    assert.equal(estimate({ ...j, progress: { fraction: null, message: '' }, updatedAt: 1_120_000 }), null);
  });

  test('JobProgress shows the estimate beside the time so far', () => {
    const j = job({ progress: { fraction: 0.5, message: '' }, updatedAt: 2_000_000 });
    html({ job: j });
    assert.match(
      html({ job: { ...j, progress: { fraction: 0.75, message: '' }, updatedAt: 2_030_000 } }),
      /data-testid="p-time">1m 0[56]s · about 30\.0 s left</,
    );
  });
});
