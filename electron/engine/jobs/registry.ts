import { jobContract, type JobContract, type JobKind } from '../../../shared/jobs';
import { hardwareJobKinds } from '../hardware/job-kinds';
import { hubJobKinds } from '../hub/job-kinds';
import { modelJobKinds } from '../models/job-kinds';
import { toolchainJobKinds } from '../toolchain/job-kinds';
import type { JobKindDef } from './job-kind-def';
import { testJobKinds } from './test-jobs/job-kinds';

// Each kind's resolver and run function agree on their own `resolved` type; across kinds it only meets the IPC channel.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Registry = { [K in JobKind]: JobKindDef<JobContract<K>, any> };

/** Every kind's scheduling, resolver and run function; TypeScript checks that each kind in shared/job-kinds.ts has one. */
const REGISTRY: Registry = { ...hardwareJobKinds, ...hubJobKinds, ...modelJobKinds, ...toolchainJobKinds, ...testJobKinds };

export function jobKindDef<K extends JobKind>(kind: K): JobKindDef<JobContract<K>, unknown>;
export function jobKindDef(kind: string): JobKindDef | undefined;
export function jobKindDef(kind: string): JobKindDef | undefined {
  return jobContract(kind) ? REGISTRY[kind as JobKind] : undefined;
}

export const registeredJobKinds = (): JobKind[] => Object.keys(REGISTRY) as JobKind[];
