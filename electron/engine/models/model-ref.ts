import { isAbsolute, resolve } from 'node:path';
import { InvalidInputError, NotFoundError } from '../../../shared/errors';
import type { LibraryModel } from '../../../shared/models';

/** A readable handle for a model's name: lowercase, every run of other characters than a-z and 0-9 one '-'. */
export function modelSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export interface ResolveOptions {
  /** Among several models that match equally, the one this picks out (when it picks exactly one) wins. */
  prefer?: (m: LibraryModel) => boolean;
  /** What the "not found" message points to (default: `whittle models list`). */
  listHint?: string;
}

const describe = (m: LibraryModel): string => `"${m.name}" (${m.id})`;

/** A name, slug or path that more than one model has; `candidates` are their ids. */
export class AmbiguousModelError extends InvalidInputError {
  constructor(
    message: string,
    readonly candidates: string[],
  ) {
    super(message);
  }
}

/**
 * The model a user's reference names, as `whittle chat <model>` and /v1's `model` take it: its library id, the
 * path of its file, its exact name, or the slug of its name (`modelSlug`, so "Gemma 3 270M" is `gemma-3-270m`),
 * tried in that order. A name or slug that several models share is refused (AmbiguousModelError, listing them) unless
 * `prefer` singles one out; none: NotFoundError.
 */
export function resolveModelRef(models: readonly LibraryModel[], ref: string, opts: ResolveOptions = {}): LibraryModel {
  const pick = (found: LibraryModel[], how: string): LibraryModel | null => {
    if (found.length <= 1) return found[0] ?? null;
    const preferred = opts.prefer ? found.filter(opts.prefer) : [];
    if (preferred.length === 1) return preferred[0]!;
    throw new AmbiguousModelError(
      `${found.length} models have the ${how} "${ref}": ${found.map(describe).join(', ')}; use an id`,
      found.map((m) => m.id),
    );
  };
  const byId = models.find((m) => m.id === ref);
  if (byId) return byId;
  const path = isAbsolute(ref) || ref.includes('/') || ref.includes('\\') ? resolve(ref) : null;
  const byPath = path
    ? pick(
        models.filter((m) => m.path === ref || m.path === path),
        'path',
      )
    : null;
  if (byPath) return byPath;
  const byName = pick(
    models.filter((m) => m.name === ref),
    'name',
  );
  if (byName) return byName;
  const slug = modelSlug(ref);
  const bySlug = slug
    ? pick(
        models.filter((m) => modelSlug(m.name) === slug),
        'slug',
      )
    : null;
  if (bySlug) return bySlug;
  throw new NotFoundError(`No model with id, path, name or slug "${ref}" (see ${opts.listHint ?? '`whittle models list`'})`);
}
