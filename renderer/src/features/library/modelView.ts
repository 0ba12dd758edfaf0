import type { Tone } from '../../components/Badge';
import type { LibraryModel, MemoryFit, ModelFormat } from '../../state/models';

/**
 * Label per format. A Record over ModelFormat, so it fails to compile when a format is added; the list
 * is taken from it rather than from shared/models (importing a value there bundles zod).
 */
export const FORMAT_LABELS: Record<ModelFormat, string> = { gguf: 'GGUF', onnx: 'ONNX', hf: 'Transformers' };
export const MODEL_FORMATS = Object.keys(FORMAT_LABELS) as ModelFormat[];

export const SOURCE_LABELS: Record<LibraryModel['source'], string> = {
  reference: 'Used in place',
  copy: 'Copied',
  'hf-cache': 'HF cache',
  hub: 'Hub download',
  job: 'Made here',
};

export const VERDICTS: Record<MemoryFit['verdict'], { label: string; tone: Tone }> = {
  'fits-gpu': { label: 'Fits on GPU', tone: 'success' },
  'fits-partial-gpu': { label: 'Partly on GPU', tone: 'info' },
  'fits-ram': { label: 'Fits in RAM', tone: 'success' },
  tight: { label: 'Tight', tone: 'warning' },
  'too-big': { label: 'Too big', tone: 'danger' },
};

export const CONTEXT_SIZES = [2048, 4096, 8192, 16384, 32768] as const;

/** 855_296 -> "855K", 1_540_000_000 -> "1.54B". */
export function formatParams(count: number | null | undefined): string {
  if (count == null || !Number.isFinite(count)) return '—';
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [size, unit] of units) {
    if (count >= size) {
      const value = count / size;
      const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
      return `${Number(value.toFixed(digits))}${unit}`;
    }
  }
  return String(count);
}

/** 4096 -> "4K", 131072 -> "128K", 256 -> "256". */
export function formatTokens(count: number | null | undefined): string {
  if (count == null) return '—';
  return count >= 1024 && count % 1024 === 0 ? `${count / 1024}K` : count.toLocaleString('en-US');
}

export const formatCount = (n: number | null | undefined): string => (n == null ? '—' : n.toLocaleString('en-US'));

export type SortKey = 'name' | 'format' | 'architecture' | 'params' | 'quant' | 'size' | 'context' | 'source' | 'created';
export interface Sort {
  key: SortKey;
  dir: 'asc' | 'desc';
}

const SORT_VALUES: Record<SortKey, (m: LibraryModel) => string | number | null> = {
  name: (m) => m.name.toLowerCase(),
  format: (m) => m.format,
  architecture: (m) => m.inspection.architecture?.toLowerCase() ?? null,
  params: (m) => m.inspection.parameterCount,
  quant: (m) => m.inspection.quantization?.toLowerCase() ?? null,
  size: (m) => m.sizeBytes,
  context: (m) => m.inspection.contextLength,
  source: (m) => m.source,
  created: (m) => m.createdAt,
};

/** Sorted copy; unknown values (null) always go last, ties keep newest first. */
export function sortModels(models: readonly LibraryModel[], sort: Sort): LibraryModel[] {
  const value = SORT_VALUES[sort.key];
  const sign = sort.dir === 'asc' ? 1 : -1;
  return [...models].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va === null || vb === null) {
      if (va !== vb) return va === null ? 1 : -1;
    } else if (va !== vb) {
      return (va < vb ? -1 : 1) * sign;
    }
    return b.createdAt - a.createdAt;
  });
}

/** Every word must appear in the name, architecture, quantization, format, source, path or a tag. */
export function filterModels(models: readonly LibraryModel[], text: string, formats: ReadonlySet<ModelFormat>): LibraryModel[] {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  return models.filter((m) => {
    if (formats.size > 0 && !formats.has(m.format)) return false;
    if (words.length === 0) return true;
    const hay = [m.name, m.format, m.inspection.architecture, m.inspection.quantization, m.source, m.sourceRef, m.path, ...m.tags].join(' ').toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** The first line of an error, for a one-line notice; the rest (log lines, stack) goes in a block below. */
export function splitError(error: string): { headline: string; rest: string } {
  const index = error.indexOf('\n');
  return index < 0 ? { headline: error, rest: '' } : { headline: error.slice(0, index), rest: error.slice(index + 1).trim() };
}
