/**
 * The light "paper" style every export is drawn in, whatever the UI theme: white background, dark text
 * and the light theme's chart palette. The colours are read from styles/theme.css (the one place they
 * are written) by switching the root to the light theme for the duration of one synchronous read; the
 * page is not repainted in between.
 */
import { CHART_COLOR_VARS } from '../../theme';
import type { ChartStyle } from './chartjs';

export const PAPER_BACKGROUND = '#ffffff';

export function paperStyle(): ChartStyle {
  const fallback: ChartStyle = {
    background: PAPER_BACKGROUND,
    text: '#1c2230',
    grid: '#dde1e8',
    series: () => '#2f5fd0',
  };
  if (typeof document === 'undefined') return fallback;
  const root = document.documentElement;
  const before = root.dataset.theme;
  root.dataset.theme = 'light';
  try {
    const css = getComputedStyle(root);
    const read = (name: string, fb: string) => css.getPropertyValue(name).trim() || fb;
    const palette = CHART_COLOR_VARS.map((name) => read(name, '#444444'));
    return {
      background: PAPER_BACKGROUND,
      text: read('--text', fallback.text),
      grid: read('--grid', fallback.grid),
      series: (i) => palette[i % palette.length],
    };
  } finally {
    if (before === undefined) delete root.dataset.theme;
    else root.dataset.theme = before;
  }
}
