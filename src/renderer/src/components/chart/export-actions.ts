/** The three chart exports, as files downloaded through a Blob link. */
import type { Chart } from 'chart.js';
import { plotToCsv, plotToSvg } from '../../lib/chart-export';
import { downloadBlob, downloadText } from '../../lib/download';
import { slug } from '../../lib/format';
import type { PlottedDataset } from '../../lib/plot';
import { cssVar, paletteColor } from '../../theme';

export interface ExportMeta {
  title: string;
  xLabel: string;
  yLabel: string;
}

export function exportCsv(datasets: readonly PlottedDataset[], meta: ExportMeta): void {
  downloadText(plotToCsv(datasets, meta.xLabel, meta.yLabel), `${slug(meta.title)}.csv`, 'text/csv;charset=utf-8');
}

type AnyChart = Chart<'line', { x: number; y: number }[]>;

function ticksOf(chart: AnyChart, axis: 'x' | 'y') {
  const scale = chart.scales[axis];
  return scale.ticks.map((t) => ({ value: t.value, label: Array.isArray(t.label) ? t.label.join(' ') : String(t.label ?? '') })).filter((t) => t.label !== '');
}

export function exportSvg(chart: AnyChart, datasets: readonly PlottedDataset[], meta: ExportMeta): void {
  const width = chart.width;
  const height = chart.height;
  const a = chart.chartArea;
  // Room for the title above the plot; the chart's own area is kept so ticks map to the same pixels.
  const top = 24;
  const svg = plotToSvg(datasets, {
    width,
    height: height + top,
    area: { left: a.left, top: a.top + top, right: a.right, bottom: a.bottom + top },
    xTicks: ticksOf(chart, 'x'),
    yTicks: ticksOf(chart, 'y'),
    xToPx: (x) => chart.scales.x.getPixelForValue(x),
    yToPx: (y) => chart.scales.y.getPixelForValue(y) + top,
    title: meta.title,
    xLabel: meta.xLabel,
    yLabel: meta.yLabel,
    colors: { background: cssVar('--surface', '#fff'), text: cssVar('--text', '#222'), grid: cssVar('--grid', '#ddd'), series: paletteColor },
  });
  downloadText(svg, `${slug(meta.title)}.svg`, 'image/svg+xml');
}

/** The canvas on the theme's surface colour (a transparent PNG is unreadable on the other theme). */
export function exportPng(chart: AnyChart, meta: ExportMeta): void {
  const src = chart.canvas;
  const out = document.createElement('canvas');
  out.width = src.width;
  out.height = src.height;
  const ctx = out.getContext('2d');
  if (!ctx) throw new Error('This browser cannot draw the PNG (no 2-D canvas).');
  ctx.fillStyle = cssVar('--surface', '#fff');
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(src, 0, 0);
  out.toBlob((blob) => {
    if (blob) downloadBlob(blob, `${slug(meta.title)}.png`);
  }, 'image/png');
}
