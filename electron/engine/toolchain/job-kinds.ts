import { toolchainInstallJob } from '../../../shared/toolchain';
import { defineJobKind } from '../jobs/job-kind-def';

export const toolchainJobKinds = {
  'toolchain.install': defineJobKind({
    contract: toolchainInstallJob,
    heavy: () => true,
    device: () => 'cpu',
    run: async () => (await import('./jobs/toolchain-install')).runToolchainInstall,
  }),
};
