import type { HubLibrary, HubSearchQuery, HubSort, SearchForm } from '../../state/hub';

/** Labels per library filter and sort; Records over the contract's unions, so they fail to compile when one is added. */
export const LIBRARY_LABELS: Record<HubLibrary, string> = { gguf: 'GGUF', onnx: 'ONNX', transformers: 'Transformers' };
export const SORT_LABELS: Record<HubSort, string> = {
  downloads: 'Most downloads',
  likes: 'Most likes',
  lastModified: 'Recently updated',
  trendingScore: 'Trending',
};

/** Parameter-count bands for the size filter, in billions. */
export const PARAM_BANDS: Record<string, { label: string; min?: number; max?: number }> = {
  '': { label: 'Any size' },
  tiny: { label: 'Under 1B', max: 1 },
  small: { label: '1B – 4B', min: 1, max: 4 },
  medium: { label: '4B – 9B', min: 4, max: 9 },
  large: { label: '9B and up', min: 9 },
};

export function toQuery(form: SearchForm): HubSearchQuery {
  const band = PARAM_BANDS[form.params] ?? PARAM_BANDS['']!;
  return {
    query: form.query.trim(),
    sort: form.sort,
    ...(form.library ? { library: form.library } : {}),
    ...(band.min !== undefined ? { minParamsB: band.min } : {}),
    ...(band.max !== undefined ? { maxParamsB: band.max } : {}),
  };
}

/** `owner/name` -> `owner__name`, for test ids. */
export const repoKey = (repo: string): string => repo.replace(/\//g, '__');

/** "2024-05-01T…" -> "May 1, 2024". */
export function formatDate(iso: string | null): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : date.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** 1_234_567 -> "1.2M". */
export function formatCompact(n: number): string {
  return new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(n);
}
