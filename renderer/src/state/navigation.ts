import { create } from 'zustand';
import { PAGES, type PageId } from '../../../shared/navigation';

/** Where the app is: a page, and for the Jobs page optionally one job (`#/jobs/<id>`). */
interface Route {
  page: PageId;
  jobId: string | null;
}

const DEFAULT_PAGE: PageId = PAGES[0].id;

function isPageId(value: string): value is PageId {
  return PAGES.some((p) => p.id === value);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function parseHash(hash: string): Route {
  const [page = '', id] = hash.replace(/^#\/?/, '').split('/');
  if (!isPageId(page)) return { page: DEFAULT_PAGE, jobId: null };
  return { page, jobId: page === 'jobs' && id ? safeDecode(id) : null };
}

export function routeHash(route: Route): string {
  return route.jobId ? `#/${route.page}/${encodeURIComponent(route.jobId)}` : `#/${route.page}`;
}

interface NavigateOptions {
  /** Replace the current history entry instead of adding one (e.g. moving through a list with arrow keys). */
  replace?: boolean;
}

interface NavigationState extends Route {
  /** Moves to a page (and job); the hash records it, so back/forward and reloads land in the same place. */
  navigate: (page: PageId, jobId?: string | null, options?: NavigateOptions) => void;
}

export const useNavigation = create<NavigationState>()((set) => ({
  ...parseHash(location.hash),
  navigate(page, jobId = null, options = {}) {
    const route = { page, jobId };
    const hash = routeHash(route);
    if (location.hash !== hash) {
      if (options.replace) history.replaceState(history.state, '', hash);
      else history.pushState(history.state, '', hash);
    }
    set(route);
  },
}));

/** Follows `location.hash` (links, back/forward, the Electron menu); returns the teardown. */
export function syncNavigationWithHash(): () => void {
  const onHashChange = (): void => useNavigation.setState(parseHash(location.hash));
  window.addEventListener('hashchange', onHashChange);
  onHashChange();
  return () => window.removeEventListener('hashchange', onHashChange);
}
