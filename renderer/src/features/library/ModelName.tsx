import { useState } from 'react';
import { ErrorNote } from '../../components/ErrorNote';
import type { LibraryModel } from '../../state/models';
import { useModelUpdate } from './useModelUpdate';

interface ModelNameProps {
  model: LibraryModel;
}

/** The model's name; Rename edits it in place (Enter saves, Escape cancels). */
export function ModelName({ model }: ModelNameProps) {
  const { save, saving, error } = useModelUpdate(model.id);
  const [draft, setDraft] = useState<string | null>(null);

  const commit = async (): Promise<void> => {
    if (draft === null) return;
    const name = draft.trim();
    if (!name || name === model.name) {
      setDraft(null);
      return;
    }
    if (await save({ name })) setDraft(null);
  };

  return (
    <div className="detail-title">
      {draft === null ? (
        <div className="title-row">
          <h2 data-testid="model-name">{model.name}</h2>
          <button type="button" className="button button-ghost button-small" onClick={() => setDraft(model.name)} data-testid="model-rename">
            Rename
          </button>
        </div>
      ) : (
        <form
          className="title-row"
          onSubmit={(e) => {
            e.preventDefault();
            void commit();
          }}
        >
          <input
            className="input"
            aria-label="Model name"
            value={draft}
            maxLength={200}
            autoFocus
            disabled={saving}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                e.stopPropagation();
                setDraft(null);
              }
            }}
            data-testid="model-name-input"
          />
          <button type="submit" className="button button-small" disabled={saving} data-testid="model-name-save">
            Save
          </button>
          <button type="button" className="button button-ghost button-small" onClick={() => setDraft(null)}>
            Cancel
          </button>
        </form>
      )}
      <span className="mono muted selectable">{model.id}</span>
      {error && <ErrorNote message={error} testId="model-name-error" />}
    </div>
  );
}
