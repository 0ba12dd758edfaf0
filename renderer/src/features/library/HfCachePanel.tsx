import { useCallback, useEffect, useState } from 'react';
import { api, errorMessage } from '../../api/client';
import { ErrorNote } from '../../components/ErrorNote';
import { formatBytes } from '../../lib/format';
import { useJobs } from '../../state/jobs';
import { useModels, type HfCacheEntry } from '../../state/models';
import { JobStateBadge } from '../jobs/JobStateBadge';
import { FORMAT_LABELS } from './modelView';

type CacheState = { status: 'loading' } | { status: 'ready'; entries: HfCacheEntry[] } | { status: 'error'; error: string };

/** Models already in the user's Hugging Face cache that are not in the library yet: add them by reference. */
export function HfCachePanel() {
  const modelCount = useModels((s) => s.models.length);
  const upsert = useJobs((s) => s.upsert);
  const jobs = useJobs((s) => s.jobs);
  const [state, setState] = useState<CacheState>({ status: 'loading' });
  const [started, setStarted] = useState<Record<string, string>>({});
  const [addError, setAddError] = useState<string | null>(null);

  const load = useCallback(() => {
    let live = true;
    api.models.hfCache.query().then(
      (entries) => {
        if (live) setState({ status: 'ready', entries });
      },
      (e: unknown) => {
        if (live) setState({ status: 'error', error: errorMessage(e) });
      },
    );
    return () => {
      live = false;
    };
  }, []);

  // Again whenever the library changes: an entry that was just imported drops out.
  useEffect(() => load(), [load, modelCount]);

  const pending = state.status === 'ready' ? state.entries.filter((e) => e.modelId === null) : [];

  const add = async (entries: readonly HfCacheEntry[]): Promise<void> => {
    setAddError(null);
    for (const entry of entries) {
      try {
        const job = await api.models.import.mutate({ path: entry.path, mode: 'reference' });
        upsert(job);
        setStarted((s) => ({ ...s, [entry.path]: job.id }));
      } catch (e) {
        setAddError(`${entry.repo}: ${errorMessage(e)}`);
      }
    }
  };

  const busy = (entry: HfCacheEntry): boolean => {
    const job = started[entry.path] ? jobs[started[entry.path]!] : undefined;
    return !!job && (job.state === 'queued' || job.state === 'running' || job.state === 'succeeded');
  };

  return (
    <section className="card hf-cache" aria-labelledby="hf-cache-title" data-testid="hf-cache">
      <div className="section-header">
        <h2 id="hf-cache-title" className="card-title">
          In your Hugging Face cache
        </h2>
        {pending.length > 1 && (
          <button type="button" className="button" onClick={() => void add(pending.filter((e) => !busy(e)))} data-testid="hf-cache-add-all">
            Add all ({pending.length})
          </button>
        )}
      </div>
      {state.status === 'loading' && <p className="muted">Looking…</p>}
      {state.status === 'error' && <ErrorNote message={state.error} />}
      {state.status === 'ready' && pending.length === 0 && (
        <p className="muted" data-testid="hf-cache-empty">
          {state.entries.length === 0 ? 'No models found in the Hugging Face cache.' : 'Every model in the Hugging Face cache is in the library.'}
        </p>
      )}
      {addError && <ErrorNote message={addError} testId="hf-cache-error" />}
      {pending.length > 0 && (
        <table className="table">
          <tbody>
            {pending.map((entry, index) => {
              const job = started[entry.path] ? jobs[started[entry.path]!] : undefined;
              return (
                <tr key={entry.path} data-testid={`hf-cache-entry-${index}`}>
                  <td className="truncate" title={entry.path}>
                    <span className="mono">{entry.repo}</span>
                    {entry.format === 'gguf' && <span className="mono"> / {entry.path.split(/[\\/]/).pop()}</span>}{' '}
                    <span className="muted">@{entry.revision.slice(0, 8)}</span>
                  </td>
                  <td>{FORMAT_LABELS[entry.format]}</td>
                  <td className="num">{formatBytes(entry.sizeBytes)}</td>
                  <td className="actions-cell">
                    {job ? (
                      <span title={job.error ?? job.progress.message}>
                        <JobStateBadge state={job.state} />
                      </span>
                    ) : null}
                    {(!job || job.state === 'failed' || job.state === 'cancelled') && (
                      <button type="button" className="button button-small" onClick={() => void add([entry])} data-testid={`hf-cache-add-${index}`}>
                        Add
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
