import type { PAGES } from '../../../shared/navigation';

interface PlaceholderPageProps {
  page: (typeof PAGES)[number];
}

/** A capability that has no screen yet: what it will do, and nothing pretending to work. */
export function PlaceholderPage({ page }: PlaceholderPageProps) {
  return (
    <section className="page" data-testid={`page-${page.id}`} aria-labelledby={`title-${page.id}`}>
      <header className="page-header">
        <h1 id={`title-${page.id}`}>{page.title}</h1>
      </header>
      <p className="page-summary">{page.summary}</p>
      <p className="muted" data-testid="not-built">
        Not built yet.
      </p>
    </section>
  );
}
