interface ModelWarningsProps {
  warnings: readonly string[];
}

/** What the inspection found odd about the model (nothing when all is well). */
export function ModelWarnings({ warnings }: ModelWarningsProps) {
  if (warnings.length === 0) return null;
  return (
    <section className="detail-section" aria-labelledby="warnings-title">
      <h3 id="warnings-title">Warnings</h3>
      <ul className="warning-list" data-testid="model-warnings">
        {warnings.map((w, i) => (
          <li key={i}>{w}</li>
        ))}
      </ul>
    </section>
  );
}
