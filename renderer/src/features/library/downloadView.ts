import { modelDownloadJob } from '../../../../shared/hub';
import type { Job } from '../../api/types';

export const DOWNLOAD_KIND = modelDownloadJob.kind;

export const isDownload = (job: Job): boolean => job.kind === DOWNLOAD_KIND;
/** Under way or waiting to start: what the Downloads tab's badge counts. */
export const isActiveDownload = (job: Job): boolean => job.state === 'queued' || job.state === 'running';

interface DownloadInput {
  repo?: unknown;
  revision?: unknown;
  files?: unknown;
  name?: unknown;
}

/** "owner/repo · file.gguf" from the job's input, which the engine validated as a download request. */
export function describeDownload(job: Job): { repo: string; files: string[]; revision: string | null; name: string | null } {
  const input = (job.input ?? {}) as DownloadInput;
  const files = Array.isArray(input.files) ? input.files.filter((f): f is string => typeof f === 'string') : [];
  return {
    repo: typeof input.repo === 'string' ? input.repo : '(unknown repo)',
    files,
    revision: typeof input.revision === 'string' ? input.revision : null,
    name: typeof input.name === 'string' ? input.name : null,
  };
}
