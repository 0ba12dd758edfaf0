import { useState } from 'react';
import { api, errorMessage } from '../../api/client';
import { Badge } from '../../components/Badge';
import { ErrorNote } from '../../components/ErrorNote';
import type { LibraryModel } from '../../state/models';
import { DeleteModel } from './DeleteModel';
import { FORMAT_LABELS } from './modelView';

interface ModelActionsProps {
  model: LibraryModel;
}

/** Format and storage at a glance, then Reveal on disk and Delete. */
export function ModelActions({ model }: ModelActionsProps) {
  const [error, setError] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);

  const reveal = async (): Promise<void> => {
    setError(null);
    try {
      await api.models.reveal.mutate({ id: model.id });
    } catch (e) {
      setError(`Could not show it in the file manager: ${errorMessage(e)}`);
    }
  };

  return (
    <div className="detail-section">
      <div className="detail-status">
        <div className="chips">
          <Badge tone="info">{FORMAT_LABELS[model.format]}</Badge>
          <Badge title={model.managed ? 'Whittle keeps the files in its data folder' : 'The files stay where they are; Whittle never deletes them'}>
            {model.managed ? 'In the library folder' : 'Used in place'}
          </Badge>
        </div>
        <div className="job-actions">
          <button type="button" className="button" onClick={() => void reveal()} data-testid="model-reveal">
            Reveal on disk
          </button>
          <button type="button" className="button button-danger" onClick={() => setDeleting(true)} disabled={deleting} data-testid="model-delete">
            Delete…
          </button>
        </div>
      </div>
      {error && <ErrorNote message={error} testId="model-reveal-error" />}
      {deleting && <DeleteModel model={model} onCancel={() => setDeleting(false)} />}
    </div>
  );
}
