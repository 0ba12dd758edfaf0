import { useCallback, useEffect, useState } from 'react';
import type { ServerInfo } from '../../../../shared/inference';
import { api, errorMessage } from '../../api/client';
import { ErrorNote } from '../../components/ErrorNote';
import { CopyButton } from '../library/CopyButton';

function curlExample(url: string, modelId: string, apiKey: string | null): string {
  const auth = apiKey ? ` \\\n  -H 'Authorization: Bearer ${apiKey}'` : '';
  return `curl ${url}/chat/completions -H 'Content-Type: application/json'${auth} \\\n  -d '{"model":"${modelId}","messages":[{"role":"user","content":"Hello"}],"stream":true}'`;
}

/** The OpenAI-compatible API: on/off, its URL, an optional key, CORS origins and a curl example to copy. */
export function ApiServerPanel({ modelId }: { modelId: string | null }) {
  const [open, setOpen] = useState(false);
  const [info, setInfo] = useState<ServerInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [keyDraft, setKeyDraft] = useState('');
  const [corsDraft, setCorsDraft] = useState('');

  const load = useCallback(async () => {
    try {
      const next = await api.inference.serverInfo.query();
      setInfo(next);
      setCorsDraft(next.settings.corsOrigins.join('\n'));
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, []);

  useEffect(() => {
    if (open) void load();
  }, [open, load]);

  const act = async (fn: () => Promise<unknown>): Promise<void> => {
    setBusy(true);
    try {
      await fn();
      await load();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button type="button" className="button" aria-pressed={open} onClick={() => setOpen((o) => !o)} data-testid="api-server-toggle">
        API server{info?.running ? ' ●' : ''}
      </button>
      {open && (
        <div className="api-server-panel" role="dialog" aria-label="OpenAI-compatible API server" data-testid="api-server-panel">
          {error && <ErrorNote message={error} testId="api-server-error" />}
          {info && (
            <>
              <p>
                <strong data-testid="api-server-state">{info.running ? 'Running' : 'Stopped'}</strong>{' '}
                <button
                  type="button"
                  className="button"
                  disabled={busy}
                  onClick={() => void act(() => api.inference.setServerRunning.mutate({ running: !info.running }))}
                  data-testid="api-server-switch"
                >
                  {info.running ? 'Stop' : 'Start'}
                </button>
              </p>
              {info.url && (
                <p>
                  Base URL <code data-testid="api-server-url">{info.url}</code> <CopyButton text={info.url} label="Copy URL" />
                </p>
              )}
              {info.host === 'server' && <p className="muted">This page is served by the same `whittle serve`; Stop turns only /v1 off.</p>}
              <label className="field">
                API key {info.settings.apiKeySet ? '(set)' : '(none: any client on this machine may call it)'}
                <span className="row">
                  <input type="password" value={keyDraft} placeholder="new key" onChange={(e) => setKeyDraft(e.target.value)} data-testid="api-server-key" />
                  <button
                    type="button"
                    className="button"
                    disabled={busy || !keyDraft}
                    onClick={() =>
                      void act(async () => {
                        await api.inference.updateOpenAiSettings.mutate({ apiKey: keyDraft });
                        setKeyDraft('');
                      })
                    }
                  >
                    Set
                  </button>
                  <button
                    type="button"
                    className="button"
                    disabled={busy || !info.settings.apiKeySet}
                    onClick={() => void act(() => api.inference.updateOpenAiSettings.mutate({ apiKey: null }))}
                  >
                    Clear
                  </button>
                </span>
              </label>
              <label className="field">
                CORS origins (one per line; empty: off)
                <textarea rows={2} value={corsDraft} onChange={(e) => setCorsDraft(e.target.value)} data-testid="api-server-cors" />
                <button
                  type="button"
                  className="button"
                  disabled={busy}
                  onClick={() =>
                    void act(() =>
                      api.inference.updateOpenAiSettings.mutate({
                        corsOrigins: corsDraft
                          .split('\n')
                          .map((s) => s.trim())
                          .filter(Boolean),
                      }),
                    )
                  }
                >
                  Save origins
                </button>
              </label>
              {info.url && (
                <div>
                  <pre className="code" data-testid="api-server-curl">
                    {curlExample(info.url, modelId ?? '<model id>', info.settings.apiKeySet ? '<key>' : null)}
                  </pre>
                  <CopyButton
                    text={curlExample(info.url, modelId ?? '<model id>', info.settings.apiKeySet ? '<key>' : null)}
                    label="Copy curl"
                    testId="api-server-copy-curl"
                  />
                </div>
              )}
            </>
          )}
        </div>
      )}
    </>
  );
}
