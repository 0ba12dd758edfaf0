import type { Job } from '../../api/types';
import { JobActionButtons } from '../../components/JobProgress';
import { useJobActions } from './useJobActions';

interface JobActionsProps {
  job: Job;
  /** Prefix of the buttons' test ids: `job-cancel`, `download-pause`, … */
  testIdPrefix?: string;
  /** What to do with the new job a Retry starts; by default the Jobs page opens it. */
  onRetried?: (job: Job) => void;
}

/** The actions a job's state allows, carried out through the engine. */
export function JobActions({ job, testIdPrefix = 'job', onRetried }: JobActionsProps) {
  return <JobActionButtons job={job} testIdPrefix={testIdPrefix} {...useJobActions(job, onRetried)} />;
}
