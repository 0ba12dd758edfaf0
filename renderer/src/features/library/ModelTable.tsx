import { useMemo } from 'react';
import { DataTable, type DataColumn, type SortingState } from '../../components/DataTable';
import { formatBytes } from '../../lib/format';
import type { LibraryModel } from '../../state/models';
import { FORMAT_LABELS, formatParams, formatTokens, SOURCE_LABELS, type Sort, type SortKey } from './modelView';

interface ModelTableProps {
  models: readonly LibraryModel[];
  sort: Sort;
  onSort: (sort: Sort) => void;
  selectedId: string | null;
  onSelect: (id: string | null) => void;
}

/** With no column sorted, the newest come first. */
export const DEFAULT_SORT: Sort = { key: 'created', dir: 'desc' };

const COLUMNS: DataColumn<LibraryModel>[] = [
  {
    id: 'name',
    header: 'Name',
    sortable: true,
    className: 'col-name',
    cellProps: (m) => ({ title: `${m.name}\n${m.path}`, 'data-testid': 'model-name-cell' }),
    cell: (m) => (
      <>
        <span className="model-name-text">{m.name}</span>
        {m.missing && (
          <span className="badge badge-danger model-missing" title={`Not on disk: ${m.path}`} data-testid="model-missing">
            File missing
          </span>
        )}
      </>
    ),
  },
  { id: 'format', header: 'Format', sortable: true, cell: (m) => FORMAT_LABELS[m.format] },
  { id: 'architecture', header: 'Architecture', sortable: true, cell: (m) => m.inspection.architecture ?? '—', cellProps: () => ({ className: 'mono' }) },
  {
    id: 'params',
    header: 'Params',
    sortable: true,
    numeric: true,
    cell: (m) => formatParams(m.inspection.parameterCount),
    cellProps: (m) => ({ title: m.inspection.parameterCount?.toLocaleString('en-US') }),
  },
  {
    id: 'quant',
    header: 'Quant',
    sortable: true,
    cell: (m) => m.inspection.quantization ?? '—',
    cellProps: () => ({ className: 'mono', 'data-testid': 'model-quant' }),
  },
  { id: 'size', header: 'Size', sortable: true, numeric: true, cell: (m) => formatBytes(m.sizeBytes) },
  { id: 'context', header: 'Context', sortable: true, numeric: true, className: 'col-context', cell: (m) => formatTokens(m.inspection.contextLength) },
  {
    id: 'source',
    header: 'Source',
    sortable: true,
    className: 'col-source',
    cell: (m) => SOURCE_LABELS[m.source],
    cellProps: (m) => ({ title: m.sourceRef ?? undefined }),
  },
  {
    id: 'tags',
    header: 'Tags',
    className: 'col-tags',
    cell: (m) => (
      <span className="chips chips-nowrap">
        {m.tags.map((t) => (
          <span key={t} className="chip">
            {t}
          </span>
        ))}
      </span>
    ),
  },
];

const modelId = (m: LibraryModel): string => m.id;
const rowAttributes = (m: LibraryModel) => ({
  'data-testid': `model-row-${m.id}`,
  'data-format': m.format,
  'data-arch': m.inspection.architecture ?? '',
  'data-params': m.inspection.parameterCount ?? '',
  'data-quant': m.inspection.quantization ?? '',
  'data-missing': m.missing ? 'true' : undefined,
});

/**
 * The library's models (sorted by the caller, `sortModels`), one row each: arrow keys, Home and End move the
 * selection, Enter or Space selects, Escape clears. Headers sort: text A to Z first, numbers largest first, then
 * the other way, then back to newest first.
 */
export function ModelTable({ models, sort, onSort, selectedId, onSelect }: ModelTableProps) {
  const sorting = useMemo<SortingState>(() => [{ id: sort.key, desc: sort.dir === 'desc' }], [sort]);
  const onSortingChange = (next: SortingState): void => {
    const first = next[0];
    onSort(first ? { key: first.id as SortKey, dir: first.desc ? 'desc' : 'asc' } : DEFAULT_SORT);
  };
  return (
    <DataTable
      rows={models}
      columns={COLUMNS}
      getRowId={modelId}
      label="Models"
      className="models-table"
      testId="model-table"
      sortTestIdPrefix="models-sort"
      sorting={sorting}
      onSortingChange={onSortingChange}
      manualSorting
      selectedId={selectedId}
      onRowActivate={(m) => onSelect(m.id)}
      onRowFocus={(m) => onSelect(m.id)}
      onEscape={() => onSelect(null)}
      rowAttributes={rowAttributes}
    />
  );
}
