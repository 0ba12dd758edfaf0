import { z } from 'zod';
import { systemReportJob } from './hardware';
import { modelDownloadJob } from './hub';
import { JobTimeoutSeconds, type JobKindContract } from './job-kind';
import { modelConvertJob, modelImportJob, modelInspectJob } from './models';
import { testSleepJob } from './test-jobs';
import { toolchainInstallJob } from './toolchain';

/** Every job kind's contract. A capability adds its kinds here; the engine's registry must then define how each runs. */
export const JOB_KINDS = [systemReportJob, testSleepJob, modelImportJob, modelInspectJob, modelDownloadJob, toolchainInstallJob, modelConvertJob] as const;

type Contract = (typeof JOB_KINDS)[number];
export type JobKind = Contract['kind'];
export type JobContract<K extends JobKind> = Extract<Contract, { kind: K }>;
export type JobInput<K extends JobKind> = z.output<JobContract<K>['input']>;
export type JobResult<K extends JobKind> = z.output<JobContract<K>['result']>;

export type StartJobRequest = { [K in JobKind]: { kind: K; input: JobInput<K>; timeoutSeconds?: number } }[JobKind];
/** What a client sends: inputs before their defaults are applied (an input that defaults entirely may be left out). */
export type StartJobRequestInput = {
  [K in JobKind]: { kind: K; timeoutSeconds?: number } & (undefined extends z.input<JobContract<K>['input']>
    ? { input?: z.input<JobContract<K>['input']> }
    : { input: z.input<JobContract<K>['input']> });
}[JobKind];

const requestSchemas = JOB_KINDS.map((c) =>
  z.object({ kind: z.literal(c.kind), input: c.input as z.ZodType, timeoutSeconds: JobTimeoutSeconds.optional() }).strict(),
);
export const StartJobRequest = z.discriminatedUnion(
  'kind',
  requestSchemas as unknown as [(typeof requestSchemas)[number], ...(typeof requestSchemas)[number][]],
) as unknown as z.ZodType<StartJobRequest, StartJobRequestInput>;

const byKind = new Map<string, JobKindContract>(JOB_KINDS.map((c) => [c.kind, c]));

export function jobContract(kind: string): JobKindContract | undefined {
  return byKind.get(kind);
}

export const isJobKind = (kind: string): kind is JobKind => byKind.has(kind);

/** Title of a kind for lists ("Convert model"); the kind itself when it is unknown to this version. */
export const jobKindTitle = (kind: string): string => byKind.get(kind)?.title ?? kind;

/** Kinds whose success adds artifacts of this kind to the library. */
export const kindsProducing = (artifactKind: string): JobKind[] => JOB_KINDS.filter((c) => c.produces.includes(artifactKind)).map((c) => c.kind);

export const RESUMABLE_JOB_KINDS: readonly JobKind[] = JOB_KINDS.filter((c) => c.resumable).map((c) => c.kind);
