import { useState } from 'react';
import { api, errorMessage } from '../../api/client';
import { formatBytes } from '../../lib/format';
import { ErrorNote } from '../../components/ErrorNote';
import { useModels, type LibraryModel } from '../../state/models';

interface ModelCodeSectionProps {
  model: LibraryModel;
}

/**
 * A model folder that ships code (auto_map classes, *.py, pickle checkpoints): what it is, whether jobs may run it,
 * and the explicit consent that lets them (bound to each file's sha256, so a changed file is refused again).
 */
export function ModelCodeSection({ model }: ModelCodeSectionProps) {
  const replace = useModels((s) => s.replace);
  const [reviewed, setReviewed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const code = model.inspection.modelCode;
  if (!code) return null;
  const consent = model.codeConsent;

  const setTrust = async (trust: boolean): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      replace(await api.models.trustCode.mutate({ id: model.id, trust }));
      setReviewed(false);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="detail-section model-code" aria-labelledby="model-code-title" data-testid="model-code">
      <h3 id="model-code-title">This model runs its own code</h3>
      <p className="muted">
        Python libraries would run code from this folder when they load it. Jobs refuse to, unless you allow it for this model after reviewing the files below.
        A file that changes after you allow it is refused again.
      </p>
      {code.autoMap.length > 0 && (
        <ul className="model-code-automap" data-testid="model-code-automap">
          {code.autoMap.map((a, i) => (
            <li key={i}>
              <code>{a.source}</code>: {a.autoClass} → <code>{a.ref}</code>
            </li>
          ))}
        </ul>
      )}
      {code.files.length > 0 && (
        <div className="table-scroll">
          <table className="table" data-testid="model-code-files">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Kind</th>
                <th scope="col">Size</th>
                <th scope="col">sha256</th>
              </tr>
            </thead>
            <tbody>
              {code.files.map((f) => {
                const allowed = consent?.files.find((c) => c.path === f.path);
                return (
                  <tr key={f.path}>
                    <td>
                      <code>{f.path}</code>
                    </td>
                    <td>{f.kind === 'pickle' ? 'pickle checkpoint' : 'Python'}</td>
                    <td>{formatBytes(f.sizeBytes)}</td>
                    <td className="mono" title={allowed?.sha256 ?? f.sha256 ?? ''}>
                      {(allowed?.sha256 ?? f.sha256 ?? 'hashed when allowed').slice(0, 16)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {consent ? (
        <div className="model-code-actions" data-testid="model-code-consent">
          <span className="badge badge-warning">Allowed {new Date(consent.grantedAt).toLocaleString()}</span>
          <button type="button" className="button" disabled={busy} onClick={() => void setTrust(false)} data-testid="model-code-revoke">
            Revoke
          </button>
        </div>
      ) : (
        <div className="model-code-actions">
          <label className="model-code-check">
            <input type="checkbox" checked={reviewed} onChange={(e) => setReviewed(e.target.checked)} data-testid="model-code-reviewed" />I reviewed these files
            and trust them to run on this machine
          </label>
          <button type="button" className="button" disabled={!reviewed || busy} onClick={() => void setTrust(true)} data-testid="model-code-allow">
            Allow this model&apos;s code
          </button>
        </div>
      )}
      {error && <ErrorNote message={error} testId="model-code-error" />}
    </section>
  );
}
