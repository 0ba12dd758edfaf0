import { useTheme, type ThemePreference } from '../state/theme';

const LABELS: Record<ThemePreference, string> = { dark: 'Dark', light: 'Light', system: 'System' };
const ICONS: Record<ThemePreference, string> = { dark: '☾', light: '☀', system: '◐' };

export function ThemeToggle() {
  const preference = useTheme((s) => s.preference);
  const cycle = useTheme((s) => s.cycle);
  return (
    <button
      type="button"
      className="button button-ghost"
      onClick={cycle}
      title="Switch theme (dark, light, follow system)"
      aria-label={`Theme: ${LABELS[preference]}. Switch theme`}
      data-testid="theme-toggle"
      data-preference={preference}
    >
      <span aria-hidden="true">{ICONS[preference]}</span> {LABELS[preference]}
    </button>
  );
}
