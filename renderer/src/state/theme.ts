import { create } from 'zustand';

const THEME_PREFERENCES = ['dark', 'light', 'system'] as const;
export type ThemePreference = (typeof THEME_PREFERENCES)[number];
type Theme = 'dark' | 'light';

const STORAGE_KEY = 'whittle.theme';
const prefersLight = window.matchMedia('(prefers-color-scheme: light)');

function isThemePreference(value: unknown): value is ThemePreference {
  return THEME_PREFERENCES.some((p) => p === value);
}

function readPreference(): ThemePreference {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return isThemePreference(stored) ? stored : 'system';
  } catch {
    return 'system';
  }
}

function resolve(preference: ThemePreference): Theme {
  if (preference === 'system') return prefersLight.matches ? 'light' : 'dark';
  return preference;
}

interface ThemeState {
  preference: ThemePreference;
  /** What is on screen: the preference, with `system` resolved through prefers-color-scheme. */
  theme: Theme;
  setPreference: (preference: ThemePreference) => void;
  /** dark -> light -> system -> dark. */
  cycle: () => void;
}

export const useTheme = create<ThemeState>()((set, get) => {
  const preference = readPreference();
  return {
    preference,
    theme: resolve(preference),
    setPreference(next) {
      try {
        localStorage.setItem(STORAGE_KEY, next);
      } catch {
        // Storage can be unavailable (private mode, quota); the choice still holds for this session.
      }
      set({ preference: next, theme: resolve(next) });
    },
    cycle() {
      const index = THEME_PREFERENCES.indexOf(get().preference);
      get().setPreference(THEME_PREFERENCES[(index + 1) % THEME_PREFERENCES.length] ?? 'system');
    },
  };
});

function apply(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
}

/** Keeps `<html data-theme>` in step with the store and with the OS setting; returns the teardown. */
export function applyTheme(): () => void {
  apply(useTheme.getState().theme);
  const unsubscribe = useTheme.subscribe((state) => apply(state.theme));
  const onSystemChange = (): void => {
    const { preference } = useTheme.getState();
    if (preference === 'system') useTheme.setState({ theme: resolve(preference) });
  };
  prefersLight.addEventListener('change', onSystemChange);
  return () => {
    unsubscribe();
    prefersLight.removeEventListener('change', onSystemChange);
  };
}
