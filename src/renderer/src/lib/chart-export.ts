/**
 * Chart exports built from the plotted datasets (lib/plot.ts), not from the canvas: CSV of every
 * drawn point and an SVG drawn from the same datasets with the chart's own axis mapping and ticks
 * (Chart.js renders to canvas only). Pure TS.
 */
import type { PlottedDataset } from './plot';

export function csvCell(v: string | number): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Long format: one row per drawn point, so series with different x values share one file. */
export function plotToCsv(datasets: readonly PlottedDataset[], xName: string, yName: string): string {
  const lines = [['series', 'role', xName, yName].map(csvCell).join(',')];
  for (const d of datasets) {
    for (let i = 0; i < d.x.length; i++) lines.push([csvCell(d.label), d.role, csvCell(d.x[i]), csvCell(d.y[i])].join(','));
  }
  return `${lines.join('\n')}\n`;
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
  title: string;
  xLabel: string;
  yLabel: string;
  colors: { background: string; text: string; grid: string; series: (i: number) => string };
  font?: string;
}

export function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

const r2 = (v: number) => Math.round(v * 100) / 100;

/** Polyline pieces of a dataset, split at gaps (NaN) like the canvas line. */
export function pathPieces(d: PlottedDataset, f: Pick<SvgFrame, 'xToPx' | 'yToPx'>): string[] {
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

export function plotToSvg(datasets: readonly PlottedDataset[], f: SvgFrame): string {
  const { area } = f;
  const font = f.font ?? 'system-ui, sans-serif';
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" font-family="${xmlEscape(font)}" font-size="11">`);
  out.push(`<title>${xmlEscape(f.title)}</title>`);
  out.push(`<rect width="100%" height="100%" fill="${xmlEscape(f.colors.background)}"/>`);
  out.push(`<defs><clipPath id="plot-area"><rect x="${r2(area.left)}" y="${r2(area.top)}" width="${r2(area.right - area.left)}" height="${r2(area.bottom - area.top)}"/></clipPath></defs>`);
  const text = xmlEscape(f.colors.text);
  const grid = xmlEscape(f.colors.grid);
  out.push('<g class="grid">');
  for (const t of f.xTicks) {
    const x = r2(f.xToPx(t.value));
    out.push(`<line x1="${x}" y1="${r2(area.top)}" x2="${x}" y2="${r2(area.bottom)}" stroke="${grid}"/>`);
    out.push(`<text x="${x}" y="${r2(area.bottom + 14)}" text-anchor="middle" fill="${text}">${xmlEscape(t.label)}</text>`);
  }
  for (const t of f.yTicks) {
    const y = r2(f.yToPx(t.value));
    out.push(`<line x1="${r2(area.left)}" y1="${y}" x2="${r2(area.right)}" y2="${y}" stroke="${grid}"/>`);
    out.push(`<text x="${r2(area.left - 6)}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="${text}">${xmlEscape(t.label)}</text>`);
  }
  out.push('</g>');
  out.push(`<rect x="${r2(area.left)}" y="${r2(area.top)}" width="${r2(area.right - area.left)}" height="${r2(area.bottom - area.top)}" fill="none" stroke="${grid}"/>`);
  out.push('<g clip-path="url(#plot-area)">');
  // Bands first (under the lines), as polygons between the lower and the upper envelope.
  const bandsLo = datasets.filter((d) => d.role === 'band-lo');
  for (const lo of bandsLo) {
    const hi = datasets.find((d) => d.role === 'band-hi' && d.seriesId === lo.seriesId);
    if (!hi) continue;
    const upper = pathPieces(hi, f).join(' ');
    const lower = pathPieces(lo, f).join(' ').split(' ').reverse().join(' ');
    if (upper && lower) out.push(`<polygon points="${upper} ${lower}" fill="${xmlEscape(f.colors.series(lo.colorIndex))}" fill-opacity="${lo.opacity}" stroke="none"><title>${xmlEscape(lo.label)}</title></polygon>`);
  }
  for (const d of datasets) {
    if (d.role === 'band-lo' || d.role === 'band-hi') continue;
    const color = xmlEscape(f.colors.series(d.colorIndex));
    const dash = d.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<g class="series" data-label="${xmlEscape(d.label)}" data-role="${d.role}" stroke="${color}" stroke-opacity="${d.opacity}" fill="none" stroke-width="${d.role === 'raw' ? 1 : 1.8}"${dash}>`);
    out.push(`<title>${xmlEscape(d.label)}</title>`);
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
  out.push(`<text x="${r2((area.left + area.right) / 2)}" y="16" text-anchor="middle" font-size="13" font-weight="600" fill="${text}">${xmlEscape(f.title)}</text>`);
  out.push(`<text x="${r2((area.left + area.right) / 2)}" y="${r2(f.height - 4)}" text-anchor="middle" fill="${text}">${xmlEscape(f.xLabel)}</text>`);
  out.push(`<text transform="translate(12 ${r2((area.top + area.bottom) / 2)}) rotate(-90)" text-anchor="middle" fill="${text}">${xmlEscape(f.yLabel)}</text>`);
  // Legend: one entry per line in the legend, top right inside the plot.
  const legend = datasets.filter((d) => d.inLegend);
  legend.forEach((d, i) => {
    const y = area.top + 12 + i * 14;
    const x = area.right - 8;
    out.push(`<line x1="${r2(x - 150)}" y1="${r2(y)}" x2="${r2(x - 134)}" y2="${r2(y)}" stroke="${xmlEscape(f.colors.series(d.colorIndex))}" stroke-width="2"/>`);
    out.push(`<text x="${r2(x - 130)}" y="${r2(y)}" dominant-baseline="middle" fill="${text}">${xmlEscape(d.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
