import { useEffect } from 'react';
import { ErrorNote } from '../../components/ErrorNote';
import { useHub } from '../../state/hub';
import { CatalogCard } from './CatalogCard';

/** Small models worth starting with, each one click from a download; folds away once a search runs. */
export function CatalogSection() {
  const catalog = useHub((s) => s.catalog);
  const loadCatalog = useHub((s) => s.loadCatalog);
  const open = useHub((s) => s.catalogOpen);
  const setOpen = useHub((s) => s.setCatalogOpen);

  useEffect(() => {
    void loadCatalog();
  }, [loadCatalog]);

  return (
    <details className="catalog" open={open} onToggle={(e) => setOpen(e.currentTarget.open)} data-testid="catalog-section">
      <summary>
        <h2>Good small models to start with{catalog.status === 'ready' ? ` (${catalog.value.length})` : ''}</h2>
      </summary>
      {catalog.status === 'loading' && <p className="muted">Loading…</p>}
      {catalog.status === 'error' && <ErrorNote message={catalog.error} />}
      {catalog.status === 'ready' && (
        <ul className="catalog-grid" data-testid="catalog">
          {catalog.value.map((entry) => (
            <CatalogCard key={entry.id} entry={entry} />
          ))}
        </ul>
      )}
    </details>
  );
}
