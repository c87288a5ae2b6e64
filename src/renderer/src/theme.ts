/**
 * Theme preference (system / light / dark), remembered in localStorage; the effective theme is one
 * attribute on <html>, which the CSS variables of styles/theme.css and the charts follow.
 */
import { computed, ref, watch } from 'vue';

export type ThemePreference = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

const STORAGE_KEY = 'spectral-lab.theme';

function readPreference(): ThemePreference {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    if (v === 'light' || v === 'dark' || v === 'system') return v;
  } catch {
    // storage blocked (privacy mode): fall back to the system theme
  }
  return 'system';
}

const media = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;
const systemDark = ref(media?.matches ?? false);
media?.addEventListener('change', (e) => (systemDark.value = e.matches));

export const themePreference = ref<ThemePreference>(readPreference());
export const theme = computed<Theme>(() =>
  themePreference.value === 'system' ? (systemDark.value ? 'dark' : 'light') : themePreference.value,
);

export function setThemePreference(p: ThemePreference): void {
  themePreference.value = p;
  try {
    localStorage.setItem(STORAGE_KEY, p);
  } catch {
    // not remembered, but applied
  }
}

export function applyTheme(): void {
  watch(
    theme,
    (t) => {
      document.documentElement.dataset.theme = t;
    },
    { immediate: true },
  );
}

/** A CSS variable of the current theme (charts draw on canvas and need real colours). */
export function cssVar(name: string, fallback = '#888'): string {
  if (typeof document === 'undefined') return fallback;
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export const CHART_COLOR_VARS = [
  '--chart-1',
  '--chart-2',
  '--chart-3',
  '--chart-4',
  '--chart-5',
  '--chart-6',
  '--chart-7',
  '--chart-8',
];

export function paletteColor(i: number): string {
  return cssVar(CHART_COLOR_VARS[i % CHART_COLOR_VARS.length]);
}
