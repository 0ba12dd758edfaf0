import { testSleepJob } from '../../../../shared/test-jobs';
import { defineJobKind } from '../job-kind-def';

export const testJobKinds = {
  'test.sleep': defineJobKind({
    contract: testSleepJob,
    heavy: (i) => i.heavy,
    device: () => 'cpu',
    needsBytes: (i) => i.needsBytes ?? null,
    run: async () => (await import('./test-sleep')).runTestSleep,
  }),
};
