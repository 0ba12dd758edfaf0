import { useRef, type KeyboardEvent } from 'react';
import { useJobs } from '../../state/jobs';
import { useModels, type LibraryTab } from '../../state/models';
import { isActiveDownload, isDownload } from './downloadView';

const TABS: readonly { id: LibraryTab; title: string }[] = [
  { id: 'models', title: 'My models' },
  { id: 'discover', title: 'Discover' },
  { id: 'downloads', title: 'Downloads' },
];

/** The Library's tabs; arrow keys, Home and End move between them (one tab stop, as ARIA tabs do). */
export function LibraryTabs() {
  const tab = useModels((s) => s.tab);
  const setTab = useModels((s) => s.setTab);
  const active = useJobs((s) => Object.values(s.jobs).filter((j) => isDownload(j) && isActiveDownload(j)).length);
  const buttons = useRef(new Map<LibraryTab, HTMLButtonElement>());

  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>): void => {
    const index = TABS.findIndex((t) => t.id === tab);
    const target = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: TABS.length - 1 }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const next = TABS[(target + TABS.length) % TABS.length]!.id;
    setTab(next);
    buttons.current.get(next)?.focus();
  };

  return (
    <div className="tabs" role="tablist" aria-label="Library sections">
      {TABS.map((t) => (
        <button
          key={t.id}
          ref={(el) => {
            if (el) buttons.current.set(t.id, el);
            else buttons.current.delete(t.id);
          }}
          type="button"
          role="tab"
          id={`library-tab-${t.id}`}
          className="tab"
          aria-selected={tab === t.id}
          aria-controls={tab === t.id ? `library-panel-${t.id}` : undefined}
          tabIndex={tab === t.id ? 0 : -1}
          onClick={() => setTab(t.id)}
          onKeyDown={onKeyDown}
          data-testid={`library-tab-${t.id}`}
        >
          {t.title}
          {t.id === 'downloads' && active > 0 && (
            <span className="tab-count" data-testid="downloads-count" aria-label={`${active} active`}>
              {active}
            </span>
          )}
        </button>
      ))}
    </div>
  );
}
