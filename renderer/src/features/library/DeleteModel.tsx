import { useState } from 'react';
import { api, errorMessage, isApiError } from '../../api/client';
import { ErrorNote } from '../../components/ErrorNote';
import { useModels, type LibraryModel } from '../../state/models';

interface DeleteModelProps {
  model: LibraryModel;
  onCancel: () => void;
}

/**
 * The delete confirmation: says whether files go (managed) or stay (reference). When other artifacts
 * were derived from the model the engine refuses (CONFLICT); its message shows and "Remove anyway" forces it.
 */
export function DeleteModel({ model, onCancel }: DeleteModelProps) {
  const drop = useModels((s) => s.drop);
  const [busy, setBusy] = useState(false);
  const [conflict, setConflict] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const remove = async (force: boolean): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await api.models.remove.mutate({ id: model.id, force });
      drop(model.id);
    } catch (e) {
      if (isApiError(e) && e.data?.code === 'CONFLICT') setConflict(e.message);
      else setError(errorMessage(e));
      setBusy(false);
    }
  };

  return (
    <div className="confirm" role="alertdialog" aria-labelledby="delete-title" aria-describedby="delete-what" data-testid="delete-confirm">
      <p id="delete-title" className="confirm-title">
        Delete “{model.name}”?
      </p>
      <p id="delete-what" data-testid="delete-what">
        {model.managed ? (
          <>
            Its files are in Whittle’s data folder and <strong>will be deleted</strong> from disk ({model.inspection.files.length} file
            {model.inspection.files.length === 1 ? '' : 's'}).
          </>
        ) : (
          <>
            It is used in place: it leaves the library, but its files <strong>are kept</strong> at <span className="mono">{model.path}</span>.
          </>
        )}
      </p>
      {conflict && <ErrorNote message={conflict} testId="delete-conflict" />}
      {error && <ErrorNote message={error} testId="delete-error" />}
      <div className="job-actions">
        {conflict ? (
          <button type="button" className="button button-danger" disabled={busy} onClick={() => void remove(true)} data-testid="delete-force">
            Remove anyway
          </button>
        ) : (
          <button type="button" className="button button-danger" disabled={busy} onClick={() => void remove(false)} data-testid="delete-submit">
            {model.managed ? 'Delete model and files' : 'Remove from library'}
          </button>
        )}
        <button type="button" className="button" onClick={onCancel} disabled={busy} autoFocus data-testid="delete-cancel">
          Cancel
        </button>
      </div>
    </div>
  );
}
