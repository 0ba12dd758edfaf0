import { useState } from 'react';
import { ErrorNote } from '../../components/ErrorNote';
import type { LibraryModel } from '../../state/models';
import { useModelUpdate } from './useModelUpdate';

interface ModelNotesProps {
  model: LibraryModel;
}

/** Free-text notes, saved when the field loses focus. */
export function ModelNotes({ model }: ModelNotesProps) {
  const { save, saving, error } = useModelUpdate(model.id);
  const [draft, setDraft] = useState(model.notes);
  const [saved, setSaved] = useState(false);

  const onBlur = async (): Promise<void> => {
    if (draft === model.notes) return;
    setSaved(await save({ notes: draft }));
  };

  return (
    <section className="detail-section" aria-labelledby="model-notes-title">
      <div className="section-header">
        <h3 id="model-notes-title">Notes</h3>
        <span className="muted" aria-live="polite" data-testid="model-notes-status">
          {saving ? 'Saving…' : saved && draft === model.notes ? 'Saved' : ''}
        </span>
      </div>
      <textarea
        className="input textarea"
        aria-labelledby="model-notes-title"
        placeholder="What is this model for? How did it do?"
        rows={3}
        maxLength={20_000}
        value={draft}
        onChange={(e) => {
          setDraft(e.target.value);
          setSaved(false);
        }}
        onBlur={() => void onBlur()}
        data-testid="model-notes"
      />
      {error && <ErrorNote message={error} testId="model-notes-error" />}
    </section>
  );
}
