/**
 * Chart exports built from the plotted datasets (lib/plot.ts), not from the canvas: CSV of every
 * drawn point and an SVG drawn from the same datasets with the chart's own axis mapping and ticks
 * (Chart.js renders to canvas only). Pure TS.
 */
import { csvLine, escapeHtml } from '../../../shared/text-escape';
import type { PlottedDataset } from './plot';

/** Long format: one row per drawn point, so series with different x values share one file. */
export function plotToCsv(datasets: readonly PlottedDataset[], xName: string, yName: string): string {
  const lines = [csvLine(['series', 'role', xName, yName])];
  for (const d of datasets) {
    for (let i = 0; i < d.x.length; i++) lines.push(csvLine([d.label, d.role, d.x[i], d.y[i]]));
  }
  return lines.join('');
}

export interface SvgFrame {
  width: number;
  height: number;
  /** Plot area in pixels. */
  area: { left: number; top: number; right: number; bottom: number };
  xTicks: { value: number; label: string }[];
  yTicks: { value: number; label: string }[];
  xToPx: (x: number) => number;
  yToPx: (y: number) => number;
  /** The right-hand axis of datasets with axis 'y2'. */
  y2?: { ticks: { value: number; label: string }[]; toPx: (y: number) => number; label: string };
  title: string;
  xLabel: string;
  yLabel: string;
  colors: { background: string; text: string; grid: string; series: (i: number) => string };
  font?: string;
}

const r2 = (v: number) => Math.round(v * 100) / 100;

/** Polyline pieces of a dataset, split at gaps (NaN) like the canvas line. */
export function pathPieces(d: PlottedDataset, frame: Pick<SvgFrame, 'xToPx' | 'yToPx' | 'y2'>): string[] {
  const f = d.axis === 'y2' && frame.y2 ? { xToPx: frame.xToPx, yToPx: frame.y2.toPx } : frame;
  const pieces: string[] = [];
  let cur: string[] = [];
  for (let i = 0; i < d.x.length; i++) {
    const y = d.y[i];
    if (!Number.isFinite(y) || !Number.isFinite(d.x[i])) {
      if (cur.length) pieces.push(cur.join(' '));
      cur = [];
      continue;
    }
    cur.push(`${r2(f.xToPx(d.x[i]))},${r2(f.yToPx(y))}`);
  }
  if (cur.length) pieces.push(cur.join(' '));
  return pieces;
}

/** Width of the legend column right of the plot: the longest label at about 6.5 px a character (11 px font). */
export function legendWidth(datasets: readonly PlottedDataset[]): number {
  const labels = datasets.filter((d) => d.inLegend).map((d) => d.label.length);
  return labels.length ? Math.ceil(40 + 6.5 * Math.min(48, Math.max(...labels))) : 0;
}

const colorOf = (d: PlottedDataset, f: SvgFrame): string => escapeHtml(d.color ?? f.colors.series(d.colorIndex));

/**
 * The chart as SVG in the frame's colours; the legend is a column right of the frame's width (outside
 * the plot area, so it never hides a curve), which makes the drawing legendWidth() wider.
 */
export function plotToSvg(datasets: readonly PlottedDataset[], f: SvgFrame): string {
  const { area } = f;
  const font = f.font ?? 'system-ui, sans-serif';
  const width = f.width + legendWidth(datasets);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${f.height}" viewBox="0 0 ${width} ${f.height}" font-family="${escapeHtml(font)}" font-size="11">`,
  );
  out.push(`<title>${escapeHtml(f.title)}</title>`);
  out.push(`<rect width="100%" height="100%" fill="${escapeHtml(f.colors.background)}"/>`);
  out.push(
    `<defs><clipPath id="plot-area"><rect x="${r2(area.left)}" y="${r2(area.top)}" width="${r2(area.right - area.left)}" height="${r2(area.bottom - area.top)}"/></clipPath></defs>`,
  );
  const text = escapeHtml(f.colors.text);
  const grid = escapeHtml(f.colors.grid);
  out.push('<g class="grid">');
  for (const t of f.xTicks) {
    const x = r2(f.xToPx(t.value));
    out.push(`<line x1="${x}" y1="${r2(area.top)}" x2="${x}" y2="${r2(area.bottom)}" stroke="${grid}"/>`);
    out.push(
      `<text x="${x}" y="${r2(area.bottom + 14)}" text-anchor="middle" fill="${text}">${escapeHtml(t.label)}</text>`,
    );
  }
  for (const t of f.yTicks) {
    const y = r2(f.yToPx(t.value));
    out.push(`<line x1="${r2(area.left)}" y1="${y}" x2="${r2(area.right)}" y2="${y}" stroke="${grid}"/>`);
    out.push(
      `<text x="${r2(area.left - 6)}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="${text}">${escapeHtml(t.label)}</text>`,
    );
  }
  for (const t of f.y2?.ticks ?? []) {
    const y = r2((f.y2 as NonNullable<SvgFrame['y2']>).toPx(t.value));
    out.push(
      `<text x="${r2(area.right + 6)}" y="${y}" dominant-baseline="middle" fill="${text}">${escapeHtml(t.label)}</text>`,
    );
  }
  out.push('</g>');
  out.push(
    `<rect x="${r2(area.left)}" y="${r2(area.top)}" width="${r2(area.right - area.left)}" height="${r2(area.bottom - area.top)}" fill="none" stroke="${grid}"/>`,
  );
  out.push('<g clip-path="url(#plot-area)">');
  // Bands first (under the lines), as polygons between the lower and the upper envelope.
  const bandsLo = datasets.filter((d) => d.role === 'band-lo');
  for (const lo of bandsLo) {
    const hi = datasets.find((d) => d.role === 'band-hi' && d.seriesId === lo.seriesId);
    if (!hi) continue;
    const upper = pathPieces(hi, f).join(' ');
    const lower = pathPieces(lo, f).join(' ').split(' ').reverse().join(' ');
    if (upper && lower)
      out.push(
        `<polygon points="${upper} ${lower}" fill="${colorOf(lo, f)}" fill-opacity="${lo.opacity}" stroke="none"><title>${escapeHtml(lo.label)}</title></polygon>`,
      );
  }
  for (const d of datasets) {
    if (d.role === 'band-lo' || d.role === 'band-hi') continue;
    const color = colorOf(d, f);
    const dash = d.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(
      `<g class="series" data-label="${escapeHtml(d.label)}" data-role="${d.role}" stroke="${color}" stroke-opacity="${d.opacity}" fill="none" stroke-width="${d.role === 'raw' ? 1 : 1.8}"${dash}>`,
    );
    out.push(`<title>${escapeHtml(d.label)}</title>`);
    for (const p of pathPieces(d, f)) out.push(`<polyline points="${p}"/>`);
    if (d.showPoints) {
      for (const p of pathPieces(d, f).join(' ').split(' ')) {
        const [x, y] = p.split(',');
        if (x && y) out.push(`<circle cx="${x}" cy="${y}" r="2.5" fill="${color}" stroke="none"/>`);
      }
    }
    out.push('</g>');
  }
  out.push('</g>');
  out.push(
    `<text x="${r2((area.left + area.right) / 2)}" y="16" text-anchor="middle" font-size="13" font-weight="600" fill="${text}">${escapeHtml(f.title)}</text>`,
  );
  out.push(
    `<text x="${r2((area.left + area.right) / 2)}" y="${r2(f.height - 4)}" text-anchor="middle" fill="${text}">${escapeHtml(f.xLabel)}</text>`,
  );
  out.push(
    `<text transform="translate(12 ${r2((area.top + area.bottom) / 2)}) rotate(-90)" text-anchor="middle" fill="${text}">${escapeHtml(f.yLabel)}</text>`,
  );
  if (f.y2)
    out.push(
      `<text transform="translate(${r2(f.width - 8)} ${r2((area.top + area.bottom) / 2)}) rotate(-90)" text-anchor="middle" fill="${text}">${escapeHtml(f.y2.label)}</text>`,
    );
  // Legend: one entry per line, in a column right of the plot area (outside it).
  const legend = datasets.filter((d) => d.inLegend);
  out.push('<g class="legend">');
  legend.forEach((d, i) => {
    const y = area.top + 8 + i * 16;
    const x = f.width + 8;
    const dash = d.dashed ? ' stroke-dasharray="6 4"' : '';
    const label = d.label.length > 48 ? `${d.label.slice(0, 47)}…` : d.label;
    out.push(
      `<line x1="${r2(x)}" y1="${r2(y)}" x2="${r2(x + 22)}" y2="${r2(y)}" stroke="${colorOf(d, f)}" stroke-width="2"${dash}/>`,
    );
    out.push(
      `<text x="${r2(x + 28)}" y="${r2(y)}" dominant-baseline="middle" fill="${text}">${escapeHtml(label)}</text>`,
    );
  });
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n');
}
