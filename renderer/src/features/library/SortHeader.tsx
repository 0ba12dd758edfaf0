import type { Sort, SortKey } from './modelView';

interface SortHeaderProps {
  sortKey: SortKey;
  title: string;
  sort: Sort;
  onSort: (sort: Sort) => void;
  numeric?: boolean;
  className?: string;
}

/** A column header that sorts by its column; numbers start largest first, text A to Z. */
export function SortHeader({ sortKey, title, sort, onSort, numeric, className }: SortHeaderProps) {
  const active = sort.key === sortKey;
  const next = (): Sort => {
    if (active) return { key: sortKey, dir: sort.dir === 'asc' ? 'desc' : 'asc' };
    return { key: sortKey, dir: numeric ? 'desc' : 'asc' };
  };
  const classes = [numeric ? 'num' : '', className ?? ''].filter(Boolean).join(' ') || undefined;
  return (
    <th scope="col" className={classes} aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="sort-button" onClick={() => onSort(next())} data-testid={`models-sort-${sortKey}`}>
        {title}
        <span className="sort-arrow" aria-hidden="true">
          {active ? (sort.dir === 'asc' ? '▲' : '▼') : ''}
        </span>
      </button>
    </th>
  );
}
