import { ErrorNote } from '../../components/ErrorNote';
import { splitError } from './modelView';

interface ImportErrorProps {
  error: string;
}

/** Why an import failed: the first line (which names the file), and the details folded away. */
export function ImportError({ error }: ImportErrorProps) {
  const { headline, rest } = splitError(error);
  return (
    <div className="detail-section" data-testid="import-error">
      <ErrorNote message={headline} />
      {rest && (
        <details className="subtle-details">
          <summary>Details</summary>
          <pre className="code-block error-block">{rest}</pre>
        </details>
      )}
    </div>
  );
}
