import { useEffect, useState } from 'react';
import { ErrorNote } from '../../components/ErrorNote';
import { useHub } from '../../state/hub';

const SOURCES = { env: 'HF_TOKEN in the environment', keychain: 'the system keychain', file: 'Whittle’s token file' } as const;

/**
 * Which Hub token the engine uses and who it belongs to. The token itself never comes back from the
 * engine: it can only be set (password field) or removed.
 */
export function HubTokenBox() {
  const token = useHub((s) => s.token);
  const loadToken = useHub((s) => s.loadToken);
  const setToken = useHub((s) => s.setToken);
  const clearToken = useHub((s) => s.clearToken);
  const [draft, setDraft] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    void loadToken();
  }, [loadToken]);

  const run = async (action: () => Promise<string | null>): Promise<void> => {
    setBusy(true);
    setError(null);
    const failed = await action();
    setBusy(false);
    setError(failed);
    if (!failed) setDraft('');
  };

  const status = token.status === 'ready' ? token.value : null;
  const summary = !status
    ? token.status === 'error'
      ? 'Hub token: unknown'
      : 'Hub token: checking…'
    : status.source === null
      ? 'Hub token: none (public models only)'
      : status.user
        ? `Hub token: signed in as ${status.user}`
        : 'Hub token: not accepted';

  return (
    <details className="card token-box" data-testid="hub-token">
      <summary data-testid="hub-token-summary">{summary}</summary>
      {token.status === 'error' && <ErrorNote message={token.error} />}
      {status && (
        <dl className="facts">
          <div>
            <dt>Endpoint</dt>
            <dd className="mono" data-testid="hub-token-endpoint">
              {status.endpoint}
            </dd>
          </div>
          <div>
            <dt>Token from</dt>
            <dd data-testid="hub-token-source">{status.source ? SOURCES[status.source] : 'nowhere (none set)'}</dd>
          </div>
          <div>
            <dt>User</dt>
            <dd>{status.user ?? '—'}</dd>
          </div>
        </dl>
      )}
      {status?.error && <ErrorNote message={status.error} testId="hub-token-error" />}
      {status?.source === 'env' && <p className="muted">HF_TOKEN in the environment wins over a token saved here.</p>}
      <form
        className="token-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => setToken(draft.trim()));
        }}
      >
        <input
          type="password"
          className="input mono"
          autoComplete="off"
          placeholder="hf_…"
          aria-label="Hugging Face access token"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          data-testid="hub-token-input"
        />
        <button type="submit" className="button" disabled={busy || draft.trim().length < 8} data-testid="hub-token-save">
          Save token
        </button>
        {(status?.source === 'keychain' || status?.source === 'file') && (
          <button type="button" className="button button-danger" disabled={busy} onClick={() => void run(clearToken)} data-testid="hub-token-remove">
            Remove
          </button>
        )}
      </form>
      {error && <ErrorNote message={error} testId="hub-token-save-error" />}
    </details>
  );
}
