import { PAGES } from '../../../shared/navigation';
import { routeHash, useNavigation } from '../state/navigation';
import { shortcutHint } from './shortcuts';

export function Sidebar() {
  const current = useNavigation((s) => s.page);
  return (
    <nav className="sidebar" aria-label="Pages">
      <ul>
        {PAGES.map((page, index) => (
          <li key={page.id}>
            <a
              href={routeHash({ page: page.id, jobId: null })}
              className="nav-link"
              aria-current={page.id === current ? 'page' : undefined}
              aria-keyshortcuts={`Alt+${index + 1}`}
              title={page.summary}
              data-testid={`nav-${page.id}`}
            >
              <span className="nav-title">{page.title}</span>
              <kbd className="nav-hint">{shortcutHint(index)}</kbd>
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
