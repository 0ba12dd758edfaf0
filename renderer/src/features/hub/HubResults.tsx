import { Badge } from '../../components/Badge';
import { ErrorNote } from '../../components/ErrorNote';
import { useHub } from '../../state/hub';
import { formatParams } from '../library/modelView';
import { formatCompact, formatDate, repoKey } from './hubView';

/** Search results; a row opens the model's details. */
export function HubResults() {
  const results = useHub((s) => s.results);
  const searched = useHub((s) => s.searched);
  const selectedRepo = useHub((s) => s.selectedRepo);
  const open = useHub((s) => s.open);

  if (results.status === 'idle') return null;
  if (results.status === 'error') return <ErrorNote message={results.error} testId="hub-search-error" />;
  if (results.status === 'loading') return <p className="muted">Searching the Hub…</p>;
  if (results.value.length === 0) {
    return (
      <p className="muted empty" data-testid="hub-no-results">
        No models match “{searched?.query ?? ''}”.
      </p>
    );
  }
  return (
    <div className="table-scroll">
      <table className="table hub-results" aria-label="Search results" data-testid="hub-results">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col" className="num">
              Downloads
            </th>
            <th scope="col" className="num">
              Likes
            </th>
            <th scope="col" className="num">
              Params
            </th>
            <th scope="col" className="col-updated">
              Updated
            </th>
          </tr>
        </thead>
        <tbody>
          {results.value.map((m) => (
            <tr
              key={m.id}
              className="row-selectable"
              aria-selected={m.id === selectedRepo}
              onClick={() => void open(m.id)}
              data-testid={`hub-result-${repoKey(m.id)}`}
            >
              <td className="truncate">
                <button
                  type="button"
                  className="link-button mono"
                  onClick={(e) => {
                    e.stopPropagation();
                    void open(m.id);
                  }}
                >
                  {m.id}
                </button>{' '}
                {m.gated && (
                  <Badge tone="warning" title="Accept the licence on the Hub and add a token to download">
                    gated
                  </Badge>
                )}{' '}
                {m.library && <span className="muted">{m.library}</span>}
              </td>
              <td className="num">{formatCompact(m.downloads)}</td>
              <td className="num">{formatCompact(m.likes)}</td>
              <td className="num">{formatParams(m.parameterCount)}</td>
              <td className="col-updated">{formatDate(m.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
