import type { JobState } from '../../../../shared/jobs';
import { Badge } from '../../components/Badge';
import { STATE_TONES } from './jobView';

interface JobStateBadgeProps {
  state: JobState;
  testId?: string;
}

export function JobStateBadge({ state, testId }: JobStateBadgeProps) {
  return (
    <Badge tone={STATE_TONES[state]} testId={testId}>
      {state}
    </Badge>
  );
}
