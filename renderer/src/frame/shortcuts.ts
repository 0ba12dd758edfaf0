import { PAGES } from '../../../shared/navigation';
import { useNavigation } from '../state/navigation';

const isMac = navigator.userAgent.includes('Mac');

/** "Alt+3" (or "⌥3" on a Mac) for the page at `index` in PAGES. */
export function shortcutHint(index: number): string {
  return isMac ? `⌥${index + 1}` : `Alt+${index + 1}`;
}

/**
 * Alt+1..Alt+9 open the pages in menu order. `code` rather than `key`, because on a Mac
 * Option+digit types a symbol. Focus moves to the page so Tab continues inside it. Returns the teardown.
 */
export function installPageShortcuts(focusTarget: () => HTMLElement | null): () => void {
  const onKeyDown = (event: KeyboardEvent): void => {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const match = /^(?:Digit|Numpad)([1-9])$/.exec(event.code);
    const page = match ? PAGES[Number(match[1]) - 1] : undefined;
    if (!page) return;
    event.preventDefault();
    useNavigation.getState().navigate(page.id);
    focusTarget()?.focus();
  };
  window.addEventListener('keydown', onKeyDown);
  return () => window.removeEventListener('keydown', onKeyDown);
}
