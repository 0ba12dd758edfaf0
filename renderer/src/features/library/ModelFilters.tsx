import type { LibraryModel, ModelFormat } from '../../state/models';
import { FORMAT_LABELS, MODEL_FORMATS } from './modelView';

interface ModelFiltersProps {
  models: readonly LibraryModel[];
  text: string;
  onText: (text: string) => void;
  formats: ReadonlySet<ModelFormat>;
  onFormats: (formats: ReadonlySet<ModelFormat>) => void;
}

/** A text filter and one toggle chip per format (none pressed = every format). */
export function ModelFilters({ models, text, onText, formats, onFormats }: ModelFiltersProps) {
  const toggle = (format: ModelFormat): void => {
    const next = new Set(formats);
    if (next.has(format)) next.delete(format);
    else next.add(format);
    onFormats(next);
  };
  return (
    <div className="filters">
      <input
        type="search"
        className="input filter-input"
        placeholder="Filter by name, architecture, quant, tag…"
        aria-label="Filter models"
        value={text}
        onChange={(e) => onText(e.target.value)}
        data-testid="models-filter"
      />
      <div className="chips" role="group" aria-label="Filter by format">
        {MODEL_FORMATS.map((format) => (
          <button
            key={format}
            type="button"
            className="chip-toggle"
            aria-pressed={formats.has(format)}
            onClick={() => toggle(format)}
            data-testid={`models-format-${format}`}
          >
            {FORMAT_LABELS[format]} <span className="segment-count">{models.filter((m) => m.format === format).length}</span>
          </button>
        ))}
      </div>
    </div>
  );
}
