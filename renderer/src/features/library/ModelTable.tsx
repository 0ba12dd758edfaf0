import { useRef, type KeyboardEvent } from 'react';
import { formatBytes } from '../../lib/format';
import type { LibraryModel } from '../../state/models';
import { SortHeader } from './SortHeader';
import { FORMAT_LABELS, formatParams, formatTokens, SOURCE_LABELS, type Sort, type SortKey } from './modelView';

interface ModelTableProps {
  models: readonly LibraryModel[];
  sort: Sort;
  onSort: (sort: Sort) => void;
  selectedId: string | null;
  onSelect: (id: string | null) => void;
}

const COLUMNS: readonly { key: SortKey | null; title: string; numeric?: boolean; className?: string }[] = [
  { key: 'name', title: 'Name' },
  { key: 'format', title: 'Format' },
  { key: 'architecture', title: 'Architecture' },
  { key: 'params', title: 'Params', numeric: true },
  { key: 'quant', title: 'Quant' },
  { key: 'size', title: 'Size', numeric: true },
  { key: 'context', title: 'Context', numeric: true, className: 'col-context' },
  { key: 'source', title: 'Source', className: 'col-source' },
  { key: null, title: 'Tags', className: 'col-tags' },
];

/**
 * The library's models, one row each, like the Jobs table: one row in the tab order, arrow keys, Home
 * and End move the selection, Enter or Space selects, Escape clears. Headers sort (again: reverse).
 */
export function ModelTable({ models, sort, onSort, selectedId, onSelect }: ModelTableProps) {
  const rows = useRef(new Map<string, HTMLTableRowElement>());
  const focusableId = models.some((m) => m.id === selectedId) ? selectedId : (models[0]?.id ?? null);

  const onKeyDown = (event: KeyboardEvent<HTMLTableRowElement>, id: string): void => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onSelect(id);
      return;
    }
    if (event.key === 'Escape') {
      onSelect(null);
      return;
    }
    const index = models.findIndex((m) => m.id === id);
    const target = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: models.length - 1 }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const next = models[Math.min(Math.max(target, 0), models.length - 1)]?.id;
    if (!next) return;
    onSelect(next);
    rows.current.get(next)?.focus();
  };

  return (
    <table className="table models-table" role="grid" aria-label="Models" aria-readonly="true" data-testid="model-table">
      <thead>
        <tr>
          {COLUMNS.map((c) =>
            c.key ? (
              <SortHeader key={c.title} sortKey={c.key} title={c.title} sort={sort} onSort={onSort} numeric={c.numeric} className={c.className} />
            ) : (
              <th key={c.title} scope="col" className={c.className}>
                {c.title}
              </th>
            ),
          )}
        </tr>
      </thead>
      <tbody>
        {models.map((m) => (
          <tr
            key={m.id}
            ref={(el) => {
              if (el) rows.current.set(m.id, el);
              else rows.current.delete(m.id);
            }}
            className="row-selectable"
            tabIndex={m.id === focusableId ? 0 : -1}
            aria-selected={m.id === selectedId}
            data-testid={`model-row-${m.id}`}
            data-format={m.format}
            data-arch={m.inspection.architecture ?? ''}
            data-params={m.inspection.parameterCount ?? ''}
            data-quant={m.inspection.quantization ?? ''}
            data-missing={m.missing ? 'true' : undefined}
            onClick={() => onSelect(m.id)}
            onKeyDown={(e) => onKeyDown(e, m.id)}
          >
            <td className="col-name" title={`${m.name}\n${m.path}`} data-testid="model-name-cell">
              <span className="model-name-text">{m.name}</span>
              {m.missing && (
                <span className="badge badge-danger model-missing" title={`Not on disk: ${m.path}`} data-testid="model-missing">
                  File missing
                </span>
              )}
            </td>
            <td>{FORMAT_LABELS[m.format]}</td>
            <td className="mono">{m.inspection.architecture ?? '—'}</td>
            <td className="num" title={m.inspection.parameterCount?.toLocaleString('en-US')}>
              {formatParams(m.inspection.parameterCount)}
            </td>
            <td className="mono" data-testid="model-quant">
              {m.inspection.quantization ?? '—'}
            </td>
            <td className="num">{formatBytes(m.sizeBytes)}</td>
            <td className="num col-context">{formatTokens(m.inspection.contextLength)}</td>
            <td className="col-source" title={m.sourceRef ?? undefined}>
              {SOURCE_LABELS[m.source]}
            </td>
            <td className="col-tags">
              <span className="chips chips-nowrap">
                {m.tags.map((t) => (
                  <span key={t} className="chip">
                    {t}
                  </span>
                ))}
              </span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
