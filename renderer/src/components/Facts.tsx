import type { ReactNode } from 'react';

export type Fact = readonly [term: string, value: ReactNode];

interface FactsProps {
  facts: readonly Fact[];
  testId?: string;
}

/** Term/value pairs in a compact two-column grid. */
export function Facts({ facts, testId }: FactsProps) {
  return (
    <dl className="facts" data-testid={testId}>
      {facts.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
