import { Badge } from '../../components/Badge';
import { ErrorNote } from '../../components/ErrorNote';
import { Facts } from '../../components/Facts';
import { useHub } from '../../state/hub';
import { HubFiles } from './HubFiles';
import { HubVariants } from './HubVariants';
import { formatCompact } from './hubView';
import { ModelCard } from './ModelCard';

interface HubModelDetailProps {
  /** The repo as the user chose it (owner/name): downloads name it, whatever id the details carry. */
  repo: string;
  onClose: () => void;
}

/** One Hub model: licence, gating, the variants to download, the files, and its model card. */
export function HubModelDetail({ repo, onClose }: HubModelDetailProps) {
  const details = useHub((s) => s.details);
  return (
    <aside className="detail" aria-label="Hub model details" data-testid="hub-detail" data-repo={repo}>
      <header className="detail-header">
        <div className="detail-title">
          <h2 className="mono">{repo}</h2>
          {details.status === 'ready' && (
            <span className="mono muted selectable" title="Commit">
              {details.value.sha}
            </span>
          )}
        </div>
        <button type="button" className="button button-ghost" onClick={onClose} aria-label="Close Hub model details">
          ✕
        </button>
      </header>
      {details.status === 'loading' && <p className="muted">Loading from the Hub…</p>}
      {details.status === 'error' && <ErrorNote message={details.error} testId="hub-detail-error" />}
      {details.status === 'ready' && (
        <>
          {details.value.gated && (
            <p className="notice notice-warning" data-testid="hub-gated">
              This model is gated ({details.value.gated === 'manual' ? 'the authors approve each request' : 'access is granted on request'}): accept its licence
              on the Hub, then add a Hub token below the catalog to download it.
            </p>
          )}
          <Facts
            facts={[
              ['Licence', <span data-testid="hub-license">{details.value.license ?? 'not stated'}</span>],
              ['Downloads', formatCompact(details.value.downloads)],
              ['Likes', formatCompact(details.value.likes)],
              [
                'Tags',
                <span className="chips">
                  {details.value.tags.slice(0, 24).map((t) => (
                    <Badge key={t}>{t}</Badge>
                  ))}
                </span>,
              ],
            ]}
          />
          <HubVariants repo={repo} details={details.value} />
          <HubFiles files={details.value.files} />
          <ModelCard markdown={details.value.cardMarkdown} />
        </>
      )}
    </aside>
  );
}
