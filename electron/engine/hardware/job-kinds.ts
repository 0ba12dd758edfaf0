import { systemReportJob } from '../../../shared/hardware';
import { defineJobKind } from '../jobs/job-kind-def';

export const hardwareJobKinds = {
  'system-report': defineJobKind({
    contract: systemReportJob,
    heavy: () => false,
    device: () => 'cpu',
    run: async () => (await import('./jobs/system-report')).runSystemReport,
  }),
};
