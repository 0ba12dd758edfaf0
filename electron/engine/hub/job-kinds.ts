import { modelDownloadJob } from '../../../shared/hub';
import { defineJobKind } from '../jobs/job-kind-def';
import { inspectHeapLimitMb } from '../jobs/worker-limits';

export const hubJobKinds = {
  'model.download': defineJobKind({
    contract: modelDownloadJob,
    heavy: () => false,
    device: () => 'network',
    hubToken: true,
    heapLimitMb: () => inspectHeapLimitMb(),
    workerLabel: 'download',
    subject: (i) => i.repo,
    run: async () => (await import('./jobs/model-download')).runModelDownload,
  }),
};
