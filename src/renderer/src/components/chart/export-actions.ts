/**
 * The chart exports, as files downloaded through a Blob link. PNG and SVG are figures for a paper: drawn
 * in the light paper style whatever the UI theme, titled with the runs they show, legend outside the
 * plot area, and the PNG at print resolution (re-drawn at 2× or 300 dpi, not the screen bitmap
 * scaled up) with a pHYs chunk saying its dpi.
 */
import type { Chart, ChartOptions, Plugin } from 'chart.js';
import { legendWidth, plotToCsv, plotToSvg } from '../../lib/chart-export';
import { downloadBlob, downloadText } from '../../lib/download';
import { slug } from '../../lib/format';
import { withDpi } from '../../lib/png-phys';
import type { PlottedDataset } from '../../lib/plot';
import { Chart as ChartJs, toChartDatasets, type ChartStyle } from './chartjs';
import { paperStyle } from './paper-style';

export interface ExportMeta {
  /** The figure's title: what it shows and of which runs ("Loss: run-a, run-b"). */
  title: string;
  /** File name without extension: the run name(s) and the metric. */
  fileStem: string;
  xLabel: string;
  yLabel: string;
  y2Label: string | null;
}

/** Runs an export's title names; more are counted ("a, b, c and 4 more"). */
const MAX_NAMED = 3;

/** An export's title (the chart's, with the runs it shows) and file name (run name(s) and metric). */
export function exportMetaOf(c: {
  title: string;
  metric: string;
  runs: readonly string[];
  xLabel: string;
  yLabel: string;
  y2Label: string | null;
}): ExportMeta {
  const { runs } = c;
  // Many runs: the title names the first few, the file name counts them (file names stay short).
  const named =
    runs.length > MAX_NAMED
      ? `${runs.slice(0, MAX_NAMED).join(', ')} and ${runs.length - MAX_NAMED} more`
      : runs.join(', ');
  const stem = runs.length > MAX_NAMED ? `compare-${runs.length}-runs` : slug(runs.join('+')).slice(0, 80);
  return {
    title: runs.length ? `${c.title}: ${named}` : c.title,
    fileStem: [runs.length ? stem : null, slug(c.metric || c.title)].filter(Boolean).join('_'),
    xLabel: c.xLabel,
    yLabel: c.yLabel || 'value',
    y2Label: c.y2Label,
  };
}

/** CSS pixels are 1/96 inch: a 2× PNG is 192 dpi, and 300 dpi is 3.125 device pixels per CSS pixel. */
export const PNG_RESOLUTIONS = {
  png: { scale: 2, dpi: 192, label: 'PNG 2×' },
  png300: { scale: 300 / 96, dpi: 300, label: 'PNG 300 dpi' },
} as const;
export type PngResolution = keyof typeof PNG_RESOLUTIONS;
export type ExportKind = PngResolution | 'svg' | 'csv';

export function exportCsv(datasets: readonly PlottedDataset[], meta: ExportMeta): void {
  downloadText(plotToCsv(datasets, meta.xLabel, meta.yLabel), `${meta.fileStem}.csv`, 'text/csv;charset=utf-8');
}

type AnyChart = Chart<'line', { x: number; y: number }[]>;

function ticksOf(chart: AnyChart, axis: string) {
  const scale = chart.scales[axis];
  return scale.ticks
    .map((t) => ({ value: t.value, label: Array.isArray(t.label) ? t.label.join(' ') : String(t.label ?? '') }))
    .filter((t) => t.label !== '');
}

export function exportSvg(chart: AnyChart, datasets: readonly PlottedDataset[], meta: ExportMeta): void {
  const a = chart.chartArea;
  const style = paperStyle();
  // Room for the title above the plot; the chart's own area is kept so ticks map to the same pixels.
  const top = 24;
  const y2 = meta.y2Label !== null && chart.scales.y2 ? chart.scales.y2 : null;
  const svg = plotToSvg(datasets, {
    width: chart.width,
    height: chart.height + top,
    area: { left: a.left, top: a.top + top, right: a.right, bottom: a.bottom + top },
    xTicks: ticksOf(chart, 'x'),
    yTicks: ticksOf(chart, 'y'),
    xToPx: (x) => chart.scales.x.getPixelForValue(x),
    yToPx: (y) => chart.scales.y.getPixelForValue(y) + top,
    y2: y2
      ? { ticks: ticksOf(chart, 'y2'), toPx: (y) => y2.getPixelForValue(y) + top, label: meta.y2Label ?? '' }
      : undefined,
    title: meta.title,
    xLabel: meta.xLabel,
    yLabel: meta.yLabel,
    colors: { background: style.background, text: style.text, grid: style.grid, series: style.series },
  });
  downloadText(svg, `${meta.fileStem}.svg`, 'image/svg+xml');
}

function backgroundPlugin(color: string): Plugin<'line'> {
  return {
    id: 'paper-background',
    beforeDraw(c) {
      c.ctx.save();
      c.ctx.fillStyle = color;
      c.ctx.fillRect(0, 0, c.width, c.height);
      c.ctx.restore();
    },
  };
}

/**
 * The figure re-drawn off screen by Chart.js at `scale` device pixels per CSS pixel, in the paper
 * style, with the title above and the legend right of the plot; `options(style)` gives the same scales
 * (types, zoom range, fixed ranges) as the chart on screen.
 */
export async function paperPng(
  source: AnyChart,
  datasets: readonly PlottedDataset[],
  meta: ExportMeta,
  options: (style: ChartStyle) => ChartOptions<'line'>,
  resolution: PngResolution,
): Promise<Uint8Array<ArrayBuffer>> {
  const { scale, dpi } = PNG_RESOLUTIONS[resolution];
  const style = paperStyle();
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(source.width + legendWidth(datasets));
  canvas.height = Math.round(source.height + 28);
  const base = options(style);
  const figure = new ChartJs(canvas, {
    type: 'line',
    data: { datasets: toChartDatasets(datasets, new Set(), style) },
    options: {
      ...base,
      responsive: false,
      devicePixelRatio: scale,
      plugins: {
        ...base.plugins,
        title: { display: true, text: meta.title, color: style.text, font: { size: 14, weight: 'bold' } },
        legend: { ...base.plugins?.legend, position: 'right', onClick: () => undefined },
        tooltip: { enabled: false },
      },
    },
    plugins: [backgroundPlugin(style.background)],
  });
  try {
    figure.update('none');
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
    if (!blob) throw new Error('This browser could not encode the PNG.');
    return withDpi(new Uint8Array(await blob.arrayBuffer()), dpi);
  } finally {
    figure.destroy();
  }
}

export async function exportPng(...args: Parameters<typeof paperPng>): Promise<void> {
  const png = await paperPng(...args);
  const suffix = args[4] === 'png300' ? '_300dpi' : '';
  downloadBlob(new Blob([png], { type: 'image/png' }), `${args[2].fileStem}${suffix}.png`);
}
