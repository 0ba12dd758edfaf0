interface SpecialTokensProps {
  tokens: Record<string, string>;
}

/** Role → token text, e.g. bos → <s>. */
export function SpecialTokens({ tokens }: SpecialTokensProps) {
  const entries = Object.entries(tokens);
  if (entries.length === 0) return null;
  return (
    <dl className="token-list" aria-label="Special tokens" data-testid="special-tokens">
      {entries.map(([role, text]) => (
        <div key={role} className="token">
          <dt>{role}</dt>
          <dd className="mono">{JSON.stringify(text).slice(1, -1)}</dd>
        </div>
      ))}
    </dl>
  );
}
