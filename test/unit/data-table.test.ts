import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setupDom, type Component, type Dom, type DomElement } from './dom-harness';

interface Item {
  id: string;
  name: string;
  size: number | null;
}
interface Column {
  id: string;
  header: string;
  value?: (row: Item) => string | number | null;
  numeric?: boolean;
}
type SortingState = { id: string; desc: boolean }[];
interface TableProps {
  rows: readonly Item[];
  columns: readonly Column[];
  getRowId: (row: Item) => string;
  label: string;
  rowCount?: number;
  sorting?: SortingState;
  onSortingChange?: (s: SortingState) => void;
  manualSorting?: boolean;
  selectedId?: string | null;
  onRowActivate?: (row: Item) => void;
  onRowFocus?: (row: Item) => void;
  onEscape?: () => void;
  onEndReached?: () => void;
  endReachedThreshold?: number;
  empty?: unknown;
  sortTestIdPrefix?: string;
}

let dom: Dom;
let DataTable: Component<TableProps>;
let sortOrder: (rows: readonly Item[], columns: readonly Column[], sorting: SortingState) => number[] | null;

before(async () => {
  dom = await setupDom();
  ({ DataTable, sortOrder } = await dom.component<{ DataTable: typeof DataTable; sortOrder: typeof sortOrder }>('renderer/src/components/DataTable.tsx'));
  // Happy DOM does no layout: the scroll box gets a 310 px viewport and rows 31 px, as in a browser.
  const proto = (globalThis as unknown as { HTMLElement: { prototype: object } }).HTMLElement.prototype;
  for (const name of ['clientHeight', 'offsetHeight']) {
    Object.defineProperty(proto, name, {
      configurable: true,
      get(this: DomElement) {
        return this.classList.contains('data-table-scroll') ? 310 : this.tagName === 'TR' ? 31 : 0;
      },
    });
  }
});
after(() => dom?.close());

const COLUMNS: Column[] = [
  { id: 'name', header: 'Name', value: (r) => r.name },
  { id: 'size', header: 'Size', numeric: true, value: (r) => r.size },
  { id: 'note', header: 'Note' },
];
const ITEMS: Item[] = [
  { id: 'a', name: 'model 10', size: 30 },
  { id: 'b', name: 'Model 9', size: null },
  { id: 'c', name: 'alpha', size: 5 },
  { id: 'd', name: 'beta', size: 30 },
];
const base = { columns: COLUMNS, getRowId: (r: Item) => r.id, label: 'Things', sortTestIdPrefix: 'sort' };
const many = (n: number): Item[] => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, name: `row ${i}`, size: (i * 7919) % n }));

describe('sortOrder', () => {
  const names = (order: number[] | null): string[] => (order ?? ITEMS.map((_, i) => i)).map((i) => ITEMS[i]!.name);

  test('text sorts naturally without regard to case; numbers by value; no sorting keeps the given order', () => {
    assert.equal(sortOrder(ITEMS, COLUMNS, []), null);
    assert.deepEqual(names(sortOrder(ITEMS, COLUMNS, [{ id: 'name', desc: false }])), ['alpha', 'beta', 'Model 9', 'model 10']);
    assert.deepEqual(names(sortOrder(ITEMS, COLUMNS, [{ id: 'name', desc: true }])), ['model 10', 'Model 9', 'beta', 'alpha']);
  });

  test('null goes last in both directions; ties keep the given order unless a second column decides', () => {
    assert.deepEqual(names(sortOrder(ITEMS, COLUMNS, [{ id: 'size', desc: false }])), ['alpha', 'model 10', 'beta', 'Model 9']);
    assert.deepEqual(names(sortOrder(ITEMS, COLUMNS, [{ id: 'size', desc: true }])), ['model 10', 'beta', 'alpha', 'Model 9']);
    assert.deepEqual(
      names(
        sortOrder(ITEMS, COLUMNS, [
          { id: 'size', desc: true },
          { id: 'name', desc: true },
        ]),
      ),
      ['model 10', 'beta', 'alpha', 'Model 9'],
    );
    assert.deepEqual(
      names(
        sortOrder(ITEMS, COLUMNS, [
          { id: 'size', desc: true },
          { id: 'name', desc: false },
        ]),
      ),
      ['beta', 'model 10', 'alpha', 'Model 9'],
    );
  });

  test('a column without a value does not sort', () => {
    assert.equal(sortOrder(ITEMS, COLUMNS, [{ id: 'note', desc: false }]), null);
  });
});

describe('rendering', () => {
  test('100k rows: only a window of rows is in the DOM, and the grid still tells its full size', () => {
    const rows = many(100_000);
    const html = dom.html(dom.h(DataTable, { ...base, rows }));
    const rendered = [...html.matchAll(/<tr data-index="(\d+)" aria-rowindex="(\d+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    assert.ok(rendered.length > 10 && rendered.length < 60, `rendered ${rendered.length} rows`);
    assert.deepEqual(rendered[0], [0, 2], 'the first row is row 2 (the header is row 1)');
    assert.ok(rendered.every(([index, rowIndex]) => rowIndex === index! + 2));
    assert.match(html, /role="grid"[^>]*aria-rowcount="100001"/);
    // The rows not rendered are one spacer as tall as they would be.
    const spacer = /<tr class="data-table-spacer" aria-hidden="true"><td colSpan="3" style="height:(\d+)px"><\/td><\/tr><\/tbody>/.exec(html);
    assert.ok(spacer, 'a spacer stands for the rest');
    assert.equal(Number(spacer[1]), (100_000 - rendered.length) * 31);
  });

  test('controlled sorting shows the order and aria-sort; numeric cells and headers are right-aligned', () => {
    const html = dom.html(dom.h(DataTable, { ...base, rows: ITEMS, sorting: [{ id: 'size', desc: true }], onSortingChange: () => {} }));
    assert.match(html, /<th scope="col" aria-sort="none"><button[^>]*>Name/);
    assert.match(html, /<th scope="col" class="num" aria-sort="descending"><button[^>]*>Size/);
    assert.match(html, /<th scope="col">Note<\/th>/, 'a column without a value has no sort button');
    const names = [...html.matchAll(/<tr data-index[^>]*><td>([^<]*)<\/td><td class="num">/g)].map((m) => m[1]);
    assert.deepEqual(names, ['model 10', 'beta', 'alpha', 'Model 9']);
  });

  test('the empty slot shows when there are no rows; rowCount sets aria-rowcount for a cursor not fully loaded', () => {
    const empty = dom.html(dom.h(DataTable, { ...base, rows: [], empty: 'Nothing here yet.' }));
    assert.match(empty, /<tr class="data-table-empty"><td colSpan="3">Nothing here yet\.<\/td><\/tr>/);
    const partial = dom.html(dom.h(DataTable, { ...base, rows: ITEMS, rowCount: 1_000_000 }));
    assert.match(partial, /aria-rowcount="1000001"/);
  });
});

describe('in a DOM', () => {
  const rowNames = (container: DomElement): string[] =>
    [...container.querySelectorAll('tbody tr[data-index]')].map((tr) => tr.querySelector('td')!.textContent);
  const header = (container: DomElement, id: string) => container.querySelector(`[data-testid="sort-${id}"]`)!.closest('th')!;

  test('clicking a header sorts: text A→Z, Z→A, then unsorted; numbers largest first', async () => {
    const view = await dom.render(dom.h(DataTable, { ...base, rows: ITEMS }));
    const { container } = view;
    const nameButton = container.querySelector('[data-testid="sort-name"]')!;
    assert.equal(header(container, 'name').getAttribute('aria-sort'), 'none');

    await dom.click(nameButton);
    assert.equal(header(container, 'name').getAttribute('aria-sort'), 'ascending');
    assert.deepEqual(rowNames(container), ['alpha', 'beta', 'Model 9', 'model 10']);
    await dom.click(nameButton);
    assert.equal(header(container, 'name').getAttribute('aria-sort'), 'descending');
    assert.deepEqual(rowNames(container), ['model 10', 'Model 9', 'beta', 'alpha']);
    await dom.click(nameButton);
    assert.equal(header(container, 'name').getAttribute('aria-sort'), 'none');
    assert.deepEqual(rowNames(container), ['model 10', 'Model 9', 'alpha', 'beta'], 'back to the given order');

    await dom.click(container.querySelector('[data-testid="sort-size"]')!);
    assert.equal(header(container, 'size').getAttribute('aria-sort'), 'descending');
    assert.equal(header(container, 'name').getAttribute('aria-sort'), 'none', 'one column at a time');
    assert.deepEqual(rowNames(container), ['model 10', 'beta', 'alpha', 'Model 9']);
    await view.unmount();
  });

  test('controlled and manual (server) sorting: a click asks for the next sorting and the rows stay as given', async () => {
    const asked: SortingState[] = [];
    const props = { ...base, rows: ITEMS, sorting: [{ id: 'name', desc: false }], onSortingChange: (s: SortingState) => asked.push(s), manualSorting: true };
    const view = await dom.render(dom.h(DataTable, props));
    assert.equal(header(view.container, 'name').getAttribute('aria-sort'), 'ascending');
    assert.deepEqual(
      rowNames(view.container),
      ITEMS.map((i) => i.name),
      'manual: shown as given',
    );
    await dom.click(view.container.querySelector('[data-testid="sort-name"]')!);
    assert.deepEqual(asked, [[{ id: 'name', desc: true }]]);
    assert.equal(header(view.container, 'name').getAttribute('aria-sort'), 'ascending', 'the owner decides');
    await view.rerender(dom.h(DataTable, { ...props, sorting: asked[0] }));
    assert.equal(header(view.container, 'name').getAttribute('aria-sort'), 'descending');
    await view.unmount();
  });

  test('keyboard: one row in the tab order; arrows move focus (and report it), Enter activates, Escape escapes', async () => {
    const focused: string[] = [];
    const activated: string[] = [];
    let escaped = 0;
    const props = {
      ...base,
      rows: ITEMS,
      selectedId: null,
      onRowFocus: (r: Item) => focused.push(r.id),
      onRowActivate: (r: Item) => activated.push(r.id),
      onEscape: () => escaped++,
    };
    const view = await dom.render(dom.h(DataTable, props));
    const row = (i: number): DomElement => view.container.querySelector(`tr[data-index="${i}"]`)!;
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => row(i).getAttribute('tabindex')),
      ['0', '-1', '-1', '-1'],
    );
    assert.equal(row(0).getAttribute('aria-selected'), 'false');

    await dom.focus(row(0));
    await dom.key(row(0), 'ArrowDown');
    assert.equal(dom.document.activeElement, row(1));
    await dom.key(row(1), 'ArrowDown');
    assert.equal(dom.document.activeElement, row(2));
    await dom.key(row(2), 'ArrowUp');
    assert.equal(dom.document.activeElement, row(1));
    await dom.key(row(1), 'End');
    assert.equal(dom.document.activeElement, row(3));
    await dom.key(row(3), 'ArrowDown');
    assert.equal(dom.document.activeElement, row(3), 'the last row stays');
    assert.deepEqual(focused, ['b', 'c', 'b', 'd']);
    assert.equal(row(3).getAttribute('tabindex'), '0', 'the focused row is the one Tab comes back to');

    await dom.key(row(3), 'Enter');
    await dom.key(row(3), ' ');
    await dom.click(row(0));
    assert.deepEqual(activated, ['d', 'd', 'a']);
    await dom.key(row(0), 'Escape');
    assert.equal(escaped, 1);

    await view.rerender(dom.h(DataTable, { ...props, selectedId: 'c' }));
    assert.equal(row(2).getAttribute('aria-selected'), 'true');
    assert.equal(row(2).getAttribute('tabindex'), '0', 'the selected row is the one in the tab order');
    await view.unmount();
  });
});

describe('scrolling', () => {
  test('End on a long list renders and focuses the last row; Home goes back', async () => {
    const rows = many(5000);
    const view = await dom.render(dom.h(DataTable, { ...base, rows, selectedId: null, onRowActivate: () => {} }));
    const rendered = (): number[] => [...view.container.querySelectorAll('tr[data-index]')].map((tr) => Number(tr.getAttribute('data-index')));
    assert.ok(!rendered().includes(4999));
    assert.ok(rendered().length < 40, `rendered ${rendered().length}`);
    await dom.focus(view.container.querySelector('tr[data-index="0"]')!);
    await dom.key(view.container.querySelector('tr[data-index="0"]')!, 'End');
    assert.ok(rendered().includes(4999), 'the last row is rendered');
    assert.equal(dom.document.activeElement?.getAttribute('data-index'), '4999');
    const last = dom.document.activeElement;
    assert.ok(last);
    await dom.key(last, 'Home');
    assert.equal(dom.document.activeElement?.getAttribute('data-index'), '0');
    await view.unmount();
  });

  test('onEndReached: once when scrolled near the end, again only after more rows arrive', async () => {
    let calls = 0;
    const props = { ...base, rows: many(200), onEndReached: () => calls++, endReachedThreshold: 10 };
    const view = await dom.render(dom.h(DataTable, props));
    assert.equal(calls, 0, 'not at the start of a long list');
    const scroller = view.container.querySelector<DomElement>('.data-table-scroll')!;
    const scrollTo = async (top: number): Promise<void> =>
      dom.act(() => {
        scroller.scrollTop = top;
        scroller.dispatchEvent(new (globalThis as unknown as { Event: new (t: string) => never }).Event('scroll'));
      });
    await scrollTo(100 * 31);
    assert.equal(calls, 0, 'half way');
    await scrollTo(185 * 31);
    assert.equal(calls, 1, 'near the end');
    await scrollTo(190 * 31);
    assert.equal(calls, 1, 'once per row count');
    await view.rerender(dom.h(DataTable, { ...props, rows: many(400) }));
    assert.equal(calls, 1, 'the new rows are below');
    await scrollTo(390 * 31);
    assert.equal(calls, 2);
    await view.unmount();
  });
});
