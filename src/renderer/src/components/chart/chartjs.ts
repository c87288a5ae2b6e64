/**
 * Chart.js, registered once with only what the workbench draws (line charts on linear / log axes,
 * filled bands, legend, tooltip), and the mapping from plotted datasets (lib/plot.ts) to Chart.js
 * datasets in the colours of the current theme.
 */
import {
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Title,
  Tooltip,
  type ChartDataset,
  type ChartOptions,
  type Scale,
  type Tick,
} from 'chart.js';
import { cssVar, paletteColor } from '../../theme';
import type { PlottedDataset } from '../../lib/plot';
import { fmtNumber } from '../../lib/format';
import { fmtLogTick, isDecade, logTickLabels } from './log-ticks';

Chart.register(
  LineController,
  LineElement,
  PointElement,
  LinearScale,
  LogarithmicScale,
  Filler,
  Legend,
  Title,
  Tooltip,
);

export { Chart };

/** #rgb / #rrggbb / rgb() with an alpha; other colour syntaxes are returned unchanged. */
export function withAlpha(color: string, alpha: number): string {
  if (alpha >= 1) return color;
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color.trim());
  if (hex) {
    let h = hex[1];
    if (h.length === 3)
      h = h
        .split('')
        .map((c) => c + c)
        .join('');
    const n = parseInt(h, 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }
  const rgb = /^rgba?\(([^)]+)\)$/i.exec(color.trim());
  if (rgb) {
    const [r, g, b] = rgb[1].split(/[ ,/]+/);
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  return color;
}

export type LineDataset = ChartDataset<'line', { x: number; y: number }[]>;

/** The colours a chart is drawn in: the UI theme's on screen, the light paper style in exports. */
export interface ChartStyle {
  background: string;
  text: string;
  grid: string;
  series: (i: number) => string;
}

export function themeStyle(): ChartStyle {
  return {
    background: cssVar('--surface', '#fff'),
    text: cssVar('--text-muted', '#666'),
    grid: cssVar('--grid', 'rgba(0,0,0,0.1)'),
    series: paletteColor,
  };
}

/** How much a series that is not the highlighted one fades while another is highlighted (hover). */
const FADED = 0.15;

/** `highlight`: the series hovered (legend or line); the others fade behind it. */
export function toChartDatasets(
  plotted: readonly PlottedDataset[],
  hidden: ReadonlySet<string>,
  style: ChartStyle = themeStyle(),
  highlight: string | null = null,
): LineDataset[] {
  return plotted.map((d) => {
    const color = d.color ?? style.series(d.colorIndex);
    const isBand = d.role === 'band-lo' || d.role === 'band-hi';
    const fade = highlight !== null && d.seriesId !== highlight ? FADED : 1;
    const lit = highlight !== null && d.seriesId === highlight && d.role === 'line';
    return {
      label: d.label,
      data: d.x.map((x, i) => ({ x, y: d.y[i] })),
      borderColor: withAlpha(color, isBand ? 0 : d.opacity * fade),
      backgroundColor: withAlpha(color, isBand ? d.opacity * fade : fade),
      borderWidth: isBand ? 0 : d.role === 'raw' ? 1 : lit ? 3 : 1.8,
      borderDash: d.dashed ? [6, 4] : [],
      pointRadius: d.showPoints ? 2.5 : 0,
      pointHoverRadius: d.showPoints ? 4 : 2,
      // The lower envelope fills up to the upper one, pushed right after it.
      fill: d.role === 'band-lo' ? '+1' : false,
      hidden: hidden.has(d.seriesId),
      yAxisID: d.axis,
      spanGaps: false,
      order: lit ? 0 : isBand ? 3 : d.role === 'raw' ? 2 : 1,
    };
  });
}

export interface AxisLabels {
  x: string;
  y: string;
  /** Title of the right-hand axis; null = the chart has none. */
  y2: string | null;
}

export function baseOptions(
  labels: AxisLabels,
  inLegend: (label: string) => boolean,
  onLegendClick: (label: string) => void,
  style: ChartStyle = themeStyle(),
): ChartOptions<'line'> {
  const { text, grid } = style;
  const xLabel = labels.x;
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    parsing: false,
    normalized: true,
    interaction: { mode: 'nearest', intersect: false, axis: 'x' },
    scales: {
      x: {
        type: 'linear',
        title: { display: true, text: xLabel, color: text },
        ticks: { color: text, maxRotation: 0 },
        grid: { color: grid },
      },
      y: {
        type: 'linear',
        title: { display: !!labels.y, text: labels.y, color: text },
        ticks: { color: text },
        grid: { color: grid },
      },
      // Its own scale on the right (no grid lines of its own: one grid per plot).
      ...(labels.y2 !== null
        ? {
            y2: {
              type: 'linear' as const,
              position: 'right' as const,
              title: { display: true, text: labels.y2, color: text },
              ticks: { color: text },
              grid: { drawOnChartArea: false },
            },
          }
        : {}),
    },
    plugins: {
      legend: {
        position: 'bottom',
        labels: { color: text, boxWidth: 14, boxHeight: 2, filter: (item) => inLegend(item.text) },
        onClick: (_e, item) => onLegendClick(item.text),
      },
      tooltip: {
        filter: (item) => inLegend(item.dataset.label ?? ''),
        callbacks: {
          title: (items) => (items.length ? `${xLabel} ${fmtNumber(items[0].parsed.x ?? Number.NaN, 6)}` : ''),
          label: (item) => `${item.dataset.label}: ${fmtNumber(item.parsed.y ?? Number.NaN, 5)}`,
        },
      },
    },
  };
}

/** Least distance (px) between two labels of a log axis: a line of 12 px text on a y axis, a label's width on x. */
const LOG_LABEL_GAP = { x: 56, y: 18 } as const;

/**
 * The tick callback of a logarithmic axis: labels only where they fit (log-ticks.ts); of the unlabelled ticks only
 * the decades keep a grid line. Chart.js calls it once per tick with the whole list; the choice is made once per list.
 */
export function logTickCallback(axis: 'x' | 'y') {
  const chosen = new WeakMap<Tick[], Set<number>>();
  return function (this: Scale, value: number | string, index: number, ticks: Tick[]): string | null {
    let keep = chosen.get(ticks);
    if (!keep) {
      const pixels = axis === 'x' ? this.width : this.height;
      keep = logTickLabels(
        ticks.map((t) => t.value),
        this.min,
        this.max,
        pixels,
        LOG_LABEL_GAP[axis],
      );
      chosen.set(ticks, keep);
    }
    if (keep.has(index)) return fmtLogTick(Number(value));
    // An unlabelled decade keeps its grid line; other unlabelled ticks are dropped (null), grid line too.
    return isDecade(Number(value)) ? '' : null;
  };
}
