import { formatJson } from '../lib/format';

interface JsonBlockProps {
  value: unknown;
  testId?: string;
}

/** Pretty-printed JSON in a scrollable monospace block. */
export function JsonBlock({ value, testId }: JsonBlockProps) {
  return (
    <pre className="code-block" data-testid={testId} tabIndex={0}>
      {formatJson(value)}
    </pre>
  );
}
