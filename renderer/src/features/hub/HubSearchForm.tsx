import { useHub, type HubLibrary, type HubSort, type SearchForm } from '../../state/hub';
import { LIBRARY_LABELS, PARAM_BANDS, SORT_LABELS, toQuery } from './hubView';

/** Query, library, sort and size; changing a filter after a search searches again. */
export function HubSearchForm() {
  const form = useHub((s) => s.form);
  const setForm = useHub((s) => s.setForm);
  const search = useHub((s) => s.search);
  const searched = useHub((s) => s.searched);
  const loading = useHub((s) => s.results.status === 'loading');

  const change = (patch: Partial<SearchForm>): void => {
    setForm(patch);
    if (searched) void search(toQuery({ ...form, ...patch }));
  };

  return (
    <form
      className="hub-search"
      role="search"
      aria-label="Search the Hub"
      onSubmit={(e) => {
        e.preventDefault();
        void search(toQuery(form));
      }}
    >
      <input
        type="search"
        className="input hub-search-input"
        placeholder="Search models on the Hub (e.g. qwen2.5 0.5b gguf)"
        aria-label="Search models on the Hub"
        value={form.query}
        maxLength={200}
        onChange={(e) => setForm({ query: e.target.value })}
        data-testid="hub-search-input"
      />
      <select
        className="input select"
        aria-label="Library"
        value={form.library}
        onChange={(e) => change({ library: e.target.value as HubLibrary | '' })}
        data-testid="hub-library"
      >
        <option value="">Any library</option>
        {(Object.keys(LIBRARY_LABELS) as HubLibrary[]).map((l) => (
          <option key={l} value={l}>
            {LIBRARY_LABELS[l]}
          </option>
        ))}
      </select>
      <select className="input select" aria-label="Sort" value={form.sort} onChange={(e) => change({ sort: e.target.value as HubSort })} data-testid="hub-sort">
        {(Object.keys(SORT_LABELS) as HubSort[]).map((s) => (
          <option key={s} value={s}>
            {SORT_LABELS[s]}
          </option>
        ))}
      </select>
      <select
        className="input select"
        aria-label="Parameter count"
        value={form.params}
        onChange={(e) => change({ params: e.target.value })}
        data-testid="hub-params"
      >
        {Object.entries(PARAM_BANDS).map(([key, band]) => (
          <option key={key} value={key}>
            {band.label}
          </option>
        ))}
      </select>
      <button type="submit" className="button button-primary" disabled={loading} data-testid="hub-search-submit">
        {loading ? 'Searching…' : 'Search'}
      </button>
    </form>
  );
}
