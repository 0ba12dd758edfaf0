import { useEffect } from 'react';
import { ErrorNote } from '../../components/ErrorNote';
import { useHub } from '../../state/hub';
import { CatalogCard } from './CatalogCard';

/** Small models worth starting with, each one click from a download. */
export function CatalogSection() {
  const catalog = useHub((s) => s.catalog);
  const loadCatalog = useHub((s) => s.loadCatalog);

  useEffect(() => {
    void loadCatalog();
  }, [loadCatalog]);

  return (
    <section className="catalog" aria-labelledby="catalog-title">
      <h2 id="catalog-title">Good small models to start with</h2>
      {catalog.status === 'loading' && <p className="muted">Loading…</p>}
      {catalog.status === 'error' && <ErrorNote message={catalog.error} />}
      {catalog.status === 'ready' && (
        <ul className="catalog-grid" data-testid="catalog">
          {catalog.value.map((entry) => (
            <CatalogCard key={entry.id} entry={entry} />
          ))}
        </ul>
      )}
    </section>
  );
}
