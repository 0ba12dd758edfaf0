import { ErrorNote } from '../../components/ErrorNote';
import type { LibraryModel } from '../../state/models';
import { ChatTemplateSection } from './ChatTemplateSection';
import { LineageSection } from './LineageSection';
import { ModelCodeSection } from './ModelCodeSection';
import { MemoryFitPanel } from './MemoryFitPanel';
import { ModelActions } from './ModelActions';
import { ModelFacts } from './ModelFacts';
import { ModelFiles } from './ModelFiles';
import { ModelName } from './ModelName';
import { ModelNotes } from './ModelNotes';
import { ModelTags } from './ModelTags';
import { ModelWarnings } from './ModelWarnings';
import { TensorTypesTable } from './TensorTypesTable';

interface ModelDetailProps {
  /** Undefined while the list loads, or once the model is gone. */
  model: LibraryModel | undefined;
  id: string;
  onClose: () => void;
}

/** Everything about one model, and what can be done with it. */
export function ModelDetail({ model, id, onClose }: ModelDetailProps) {
  return (
    <aside className="detail" aria-label="Model details" data-testid="model-detail" data-model-id={id}>
      <header className="detail-header">
        {model ? <ModelName model={model} /> : <h2>Model</h2>}
        <button type="button" className="button button-ghost" onClick={onClose} aria-label="Close model details">
          ✕
        </button>
      </header>
      {!model && <ErrorNote message={`There is no model ${id} in the library.`} />}
      {model && (
        <>
          {model.missing && (
            <p className="notice" role="alert" data-testid="model-detail-missing">
              <span className="badge badge-danger">File missing</span> <span className="mono selectable">{model.path}</span> is not on disk: put it back, or
              delete the model.
            </p>
          )}
          <ModelActions model={model} />
          <ModelCodeSection model={model} />
          <ModelFacts model={model} />
          {!model.missing && <MemoryFitPanel model={model} />}
          <ModelTags model={model} />
          <ModelNotes model={model} />
          <LineageSection model={model} />
          <ModelWarnings warnings={model.inspection.warnings} />
          <TensorTypesTable tensorTypes={model.inspection.tensorTypes} />
          <ChatTemplateSection inspection={model.inspection} />
          <ModelFiles files={model.inspection.files} />
        </>
      )}
    </aside>
  );
}
