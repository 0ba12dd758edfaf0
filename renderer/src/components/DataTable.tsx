import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import {
  functionalUpdate,
  rowSortingFeature,
  tableFeatures,
  useTable,
  type Column,
  type ColumnDef,
  type SortingState,
  type Updater,
} from '@tanstack/react-table';
import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';

export type { SortingState };

type SortValue = string | number | null;

export interface DataColumn<T> {
  id: string;
  header: string;
  /** The value a column sorts by, shown as text when there is no `cell`. Null always sorts last. */
  value?: (row: T) => SortValue;
  cell?: (row: T) => ReactNode;
  /** Right-aligned with tabular figures; sorts largest first. */
  numeric?: boolean;
  /** Defaults to true for a column with a `value`. */
  sortable?: boolean;
  /** On the header and every cell (e.g. a class that hides the column in narrow panes). */
  className?: string;
  /** Per-row cell attributes, added to the column's own. */
  cellProps?: (row: T) => { className?: string; title?: string; 'data-testid'?: string };
}

export type RowAttributes = { [name: `data-${string}`]: string | number | boolean | undefined };

export interface DataTableProps<T> {
  rows: readonly T[];
  columns: readonly DataColumn<T>[];
  getRowId: (row: T) => string;
  /** Accessible name of the grid. */
  label: string;
  /** Every row there is, loaded or not (a cursor API's total); defaults to `rows.length`. */
  rowCount?: number;
  /** Controlled sorting; with `manualSorting` the rows arrive sorted (by the server) and are shown as given. */
  sorting?: SortingState;
  onSortingChange?: (sorting: SortingState) => void;
  manualSorting?: boolean;
  /** The row shown as selected (rows get aria-selected when this is given, even as null). */
  selectedId?: string | null;
  /** Click, Enter or Space on a row. */
  onRowActivate?: (row: T) => void;
  /** Arrow keys, Home, End, Page Up/Down moved the focus to this row. */
  onRowFocus?: (row: T) => void;
  onEscape?: () => void;
  /** Scrolled to within `endReachedThreshold` rows of the end: time to load the next page. Called once per row count. */
  onEndReached?: () => void;
  endReachedThreshold?: number;
  /** Estimated row height in pixels; rows are measured once rendered. */
  rowHeight?: number;
  overscan?: number;
  /** Shown in place of the rows when there are none. */
  empty?: ReactNode;
  /** Grow with the page's remaining height and scroll inside (rather than as tall as its rows). */
  fill?: boolean;
  className?: string;
  testId?: string;
  rowAttributes?: (row: T) => RowAttributes;
  /** Test ids of the sort buttons: `${prefix}-${column id}`. */
  sortTestIdPrefix?: string;
}

const features = tableFeatures({ rowSortingFeature });
type Features = typeof features;
const NO_ROWS: never[] = [];

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/**
 * The order to show rows in under `sorting`: indexes into `rows`, or null for as given. Each column's values are read
 * once, then compared (TanStack's sorted row model reads them through row objects and took 30 s for a million rows).
 * Null sorts last either way; ties keep the given order.
 */
export function sortOrder<T>(rows: readonly T[], columns: readonly DataColumn<T>[], sorting: SortingState): number[] | null {
  const keys = sorting.flatMap(({ id, desc }) => {
    const value = columns.find((c) => c.id === id)?.value;
    return value ? [{ values: rows.map(value), sign: desc ? -1 : 1 }] : [];
  });
  if (keys.length === 0) return null;
  return Array.from(rows.keys()).sort((a, b) => {
    for (const { values, sign } of keys) {
      const va = values[a] ?? null;
      const vb = values[b] ?? null;
      if (va === vb) continue;
      if (va === null) return 1;
      if (vb === null) return -1;
      const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : collator.compare(String(va), String(vb));
      if (c !== 0) return c * sign;
    }
    return a - b;
  });
}

/** Height of the viewport assumed before it is measured (and when rendered outside a browser). */
const INITIAL_VIEWPORT_PX = 640;
const PAGE_KEYS = new Map([
  ['PageDown', 1],
  ['PageUp', -1],
]);

/**
 * A sortable grid that renders only the rows in view (plus `overscan`), so it takes a million rows. TanStack Table
 * keeps the columns and the sorting state (header toggles: first direction, other direction, unsorted; shift-click
 * adds a column); TanStack Virtual picks the rows to render. It stays a real <table>, with spacer rows standing for
 * the rows not rendered, so column widths and per-column CSS work as for any table.
 * One row is in the tab order; arrow keys, Home, End, Page Up/Down move the focus, Enter or Space activate.
 */
export function DataTable<T>(props: DataTableProps<T>) {
  const { rows: data, columns, getRowId, label, selectedId = null, rowHeight = 31, overscan = 10, endReachedThreshold = 20 } = props;
  const { onRowActivate, onRowFocus, onEscape, onEndReached, onSortingChange, rowAttributes } = props;

  const columnDefs = useMemo(
    () =>
      columns.map((c): ColumnDef<Features, never> => ({
        id: c.id,
        accessorFn: () => undefined,
        enableSorting: c.sortable ?? c.value !== undefined,
        sortDescFirst: c.numeric ?? false,
      })),
    [columns],
  );
  const controlled = props.sorting !== undefined;
  const setSorting = useCallback(
    (updater: Updater<SortingState>) => onSortingChange?.(functionalUpdate(updater, props.sorting ?? [])),
    [onSortingChange, props.sorting],
  );
  // The table sees no rows: it only holds the sorting state, and rows are sorted and rendered below.
  const table = useTable({
    features,
    columns: columnDefs,
    data: NO_ROWS,
    manualSorting: true,
    ...(controlled ? { state: { sorting: props.sorting }, onSortingChange: setSorting } : {}),
  });
  const sorting = props.sorting ?? table.state.sorting;
  const order = useMemo(() => (props.manualSorting ? null : sortOrder(data, columns, sorting)), [props.manualSorting, data, columns, sorting]);
  const count = data.length;
  const rowAt = (index: number): T => data[order ? order[index]! : index]!;

  const scrollRef = useRef<HTMLDivElement>(null);
  const [activeIndex, setActiveIndex] = useState(0);
  const selectedIndex = useMemo(() => {
    if (selectedId === null) return -1;
    const at = data.findIndex((row) => getRowId(row) === selectedId);
    return at < 0 || !order ? at : order.indexOf(at);
  }, [data, order, selectedId, getRowId]);
  // The row in the tab order: the selected one, else the last one focused.
  const tabIndex = selectedIndex >= 0 ? selectedIndex : Math.min(activeIndex, count - 1);
  // It stays rendered while scrolled out of view, so Tab still finds it and focus is not lost.
  const rangeExtractor = useCallback(
    (range: Range) => {
      const indexes = defaultRangeExtractor(range);
      return tabIndex < 0 || indexes.includes(tabIndex) ? indexes : [...indexes, tabIndex].sort((a, b) => a - b);
    },
    [tabIndex],
  );
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan,
    getItemKey: (index) => getRowId(rowAt(index)),
    initialRect: { width: 0, height: INITIAL_VIEWPORT_PX },
    rangeExtractor,
  });
  const items = virtualizer.getVirtualItems();

  // The keyboard moves the focus to a row that may only be rendered once scrolled to.
  const pendingFocus = useRef<number | null>(null);
  useLayoutEffect(() => {
    if (pendingFocus.current === null) return;
    const row = scrollRef.current?.querySelector<HTMLElement>(`tr[data-index="${pendingFocus.current}"]`);
    if (row) {
      row.focus({ preventScroll: true });
      pendingFocus.current = null;
    }
  });

  const lastIndex = items.length > 0 ? items[items.length - 1]!.index : -1;
  const endCalledAt = useRef(-1);
  useEffect(() => {
    if (!onEndReached || count === 0 || lastIndex < count - 1 - endReachedThreshold || endCalledAt.current === count) return;
    endCalledAt.current = count;
    onEndReached();
  }, [onEndReached, lastIndex, count, endReachedThreshold]);

  const moveTo = (index: number): void => {
    const target = Math.min(Math.max(index, 0), count - 1);
    setActiveIndex(target);
    pendingFocus.current = target;
    virtualizer.scrollToIndex(target, { align: 'auto' });
    onRowFocus?.(rowAt(target));
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTableRowElement>, index: number): void => {
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight || INITIAL_VIEWPORT_PX) / rowHeight) - 1);
    const target =
      event.key === 'ArrowDown'
        ? index + 1
        : event.key === 'ArrowUp'
          ? index - 1
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? count - 1
              : PAGE_KEYS.has(event.key)
                ? index + PAGE_KEYS.get(event.key)! * page
                : null;
    if (target !== null) {
      event.preventDefault();
      if (Math.min(Math.max(target, 0), count - 1) !== index) moveTo(target);
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onRowActivate?.(rowAt(index));
    } else if (event.key === 'Escape' && onEscape) {
      onEscape();
    }
  };

  const spacer = (key: string, height: number): ReactNode =>
    height > 0 && (
      <tr key={key} className="data-table-spacer" aria-hidden="true">
        <td colSpan={columns.length} style={{ height }} />
      </tr>
    );
  const body: ReactNode[] = [];
  let drawnTo = 0;
  for (const item of items) {
    const row = rowAt(item.index);
    const id = getRowId(row);
    body.push(spacer(`gap-${item.index}`, item.start - drawnTo));
    drawnTo = item.end;
    body.push(
      <tr
        key={id}
        ref={virtualizer.measureElement}
        data-index={item.index}
        aria-rowindex={item.index + 2}
        aria-selected={props.selectedId !== undefined ? id === selectedId : undefined}
        className={onRowActivate ? 'row-selectable' : undefined}
        tabIndex={item.index === tabIndex ? 0 : -1}
        onClick={() => {
          setActiveIndex(item.index);
          onRowActivate?.(row);
        }}
        onKeyDown={(e) => onKeyDown(e, item.index)}
        {...rowAttributes?.(row)}
      >
        {columns.map((c) => {
          const extra = c.cellProps?.(row);
          return (
            <td key={c.id} className={classes(c.numeric && 'num', c.className, extra?.className)} title={extra?.title} data-testid={extra?.['data-testid']}>
              {c.cell ? c.cell(row) : (c.value?.(row) ?? '—')}
            </td>
          );
        })}
      </tr>,
    );
  }
  body.push(spacer('gap-end', virtualizer.getTotalSize() - drawnTo));

  return (
    <div ref={scrollRef} className={classes('data-table-scroll', props.fill && 'data-table-fill')}>
      <table
        className={classes('table data-table', props.className)}
        role="grid"
        aria-label={label}
        aria-readonly="true"
        aria-rowcount={(props.rowCount ?? count) + 1}
        data-testid={props.testId}
      >
        <thead>
          <tr aria-rowindex={1}>
            {columns.map((c) => (
              <HeaderCell key={c.id} column={c} sort={table.getColumn(c.id)} testIdPrefix={props.sortTestIdPrefix} />
            ))}
          </tr>
        </thead>
        <tbody>
          {count === 0 && props.empty !== undefined ? (
            <tr className="data-table-empty">
              <td colSpan={columns.length}>{props.empty}</td>
            </tr>
          ) : (
            body
          )}
        </tbody>
      </table>
    </div>
  );
}

const classes = (...names: (string | false | undefined)[]): string | undefined => names.filter(Boolean).join(' ') || undefined;

function HeaderCell<T>({ column, sort, testIdPrefix }: { column: DataColumn<T>; sort: Column<Features, never> | undefined; testIdPrefix?: string }) {
  const className = classes(column.numeric && 'num', column.className);
  if (!sort?.getCanSort()) {
    return (
      <th scope="col" className={className}>
        {column.header}
      </th>
    );
  }
  const direction = sort.getIsSorted();
  return (
    <th scope="col" className={className} aria-sort={direction === 'asc' ? 'ascending' : direction === 'desc' ? 'descending' : 'none'}>
      <button
        type="button"
        className="sort-button"
        onClick={sort.getToggleSortingHandler()}
        data-testid={testIdPrefix ? `${testIdPrefix}-${column.id}` : undefined}
      >
        {column.header}
        <span className="sort-arrow" aria-hidden="true">
          {direction === 'asc' ? '▲' : direction === 'desc' ? '▼' : ''}
        </span>
      </button>
    </th>
  );
}
