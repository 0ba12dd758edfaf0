import { useConnection } from '../state/connection';

const LABELS = { connecting: 'Connecting…', connected: 'Connected', reconnecting: 'Reconnecting…' } as const;

export function ConnectionIndicator() {
  const status = useConnection((s) => s.status);
  return (
    <span className={`connection connection-${status}`} role="status" data-testid="connection-status" data-status={status}>
      <span className="connection-dot" aria-hidden="true" />
      {LABELS[status]}
    </span>
  );
}
