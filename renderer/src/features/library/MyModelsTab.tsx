import { useMemo, useState } from 'react';
import { ErrorNote } from '../../components/ErrorNote';
import { useModels, type ModelFormat } from '../../state/models';
import { HfCachePanel } from './HfCachePanel';
import { ImportForm } from './ImportForm';
import { ModelDetail } from './ModelDetail';
import { ModelFilters } from './ModelFilters';
import { DEFAULT_SORT, ModelTable } from './ModelTable';
import { filterModels, sortModels, type Sort } from './modelView';

/** The models in the library: a filterable, sortable table and the selected model's detail. */
export function MyModelsTab() {
  const models = useModels((s) => s.models);
  const loaded = useModels((s) => s.loaded);
  const listError = useModels((s) => s.listError);
  const openError = useModels((s) => s.openError);
  const selectedId = useModels((s) => s.selectedId);
  const select = useModels((s) => s.select);
  const [text, setText] = useState('');
  const [formats, setFormats] = useState<ReadonlySet<ModelFormat>>(new Set());
  const [sort, setSort] = useState<Sort>(DEFAULT_SORT);
  const [importing, setImporting] = useState(false);

  const shown = useMemo(() => sortModels(filterModels(models, text, formats), sort), [models, text, formats, sort]);
  const selected = models.find((m) => m.id === selectedId);

  return (
    <div className="library-split">
      <div className="split-main">
        <div className="toolbar">
          <ModelFilters models={models} text={text} onText={setText} formats={formats} onFormats={setFormats} />
          <button type="button" className="button button-primary" onClick={() => setImporting((v) => !v)} aria-expanded={importing} data-testid="import-open">
            Import…
          </button>
        </div>
        {importing && <ImportForm onClose={() => setImporting(false)} />}
        {listError && <ErrorNote message={listError} testId="models-error" />}
        {openError && <ErrorNote message={openError} testId="models-open-error" />}
        {!loaded && <p className="muted">Loading models…</p>}
        {loaded && models.length === 0 && (
          <p className="muted empty" data-testid="models-empty">
            No models yet. Import a GGUF file or a model folder, or download one from Discover.
          </p>
        )}
        {models.length > 0 && shown.length === 0 && (
          <p className="muted empty" data-testid="models-none-match">
            No model matches the filter.
          </p>
        )}
        {shown.length > 0 && <ModelTable models={shown} sort={sort} onSort={setSort} selectedId={selectedId} onSelect={select} />}
        <HfCachePanel />
      </div>
      {selectedId && <ModelDetail key={selectedId} model={selected} id={selectedId} onClose={() => select(null)} />}
    </div>
  );
}
