import type { ReactNode } from 'react';

interface SectionProps {
  title: string;
  testId: string;
  /** Spans the full width of the report grid (tables). */
  wide?: boolean;
  children: ReactNode;
}

export function Section({ title, testId, wide, children }: SectionProps) {
  return (
    <section className={`card${wide ? ' card-wide' : ''}`} data-testid={testId} aria-label={title}>
      <h2 className="card-title">{title}</h2>
      {children}
    </section>
  );
}
