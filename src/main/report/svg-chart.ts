/**
 * A small static SVG line chart for the HTML report: no script, no fonts, no network, so the file
 * opens anywhere and prints. Colours are the Okabe–Ito palette (readable with colour-blindness) and
 * every series also gets its own dash pattern, so curves stay apart on a black-and-white printout.
 */
import { escapeHtml } from './escape.js';

export interface ChartSeries {
  name: string;
  x: readonly number[];
  y: readonly number[];
  color?: string;
  /** SVG stroke-dasharray; default: by position. */
  dash?: string;
  /** Dots at the points (default: when the series has at most 40 points). */
  markers?: boolean;
}

export interface LineChartOptions {
  series: readonly ChartSeries[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** Logarithmic y axis (bounds spanning decades); non-positive values are left out. */
  logY?: boolean;
  /** Fixed y range (e.g. [0, 1] for accuracies); points outside are clamped to the frame. */
  yRange?: [number, number];
  /** Named x positions instead of numeric ticks (e.g. layer names at 0, 1, 2 ...). */
  xTicks?: readonly { value: number; label: string }[];
}

export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#999999'];
export const DASHES = ['', '6 3', '2 3', '8 3 2 3', '12 4', '4 2 1 2'];

/** Round tick values covering [min, max]: steps of 1, 2 or 5 times a power of ten. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) {
    const pad = Math.abs(min) * 0.1 || 1;
    return niceTicks(min - pad, max + pad, count);
  }
  if (min > max) [min, max] = [max, min];
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * 0.999) ?? 10 * mag;
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

/** Tick values of a log axis: the decades covering [min, max] (with 2 and 5 when it spans few decades). */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max > 0)) return [];
  const lo = Math.floor(Math.log10(Math.min(min, max)) + 1e-9);
  let hi = Math.ceil(Math.log10(Math.max(min, max)) - 1e-9);
  if (hi === lo) hi = lo + 1;
  const mults = hi - lo <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++)
    for (const m of mults) if (e < hi || m === 1) ticks.push(Number((m * 10 ** e).toPrecision(12)));
  return ticks;
}

/** A log-axis tick label: 0.5, 2, 100, 5e4. */
export function logTickLabel(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 1e4 || abs < 1e-2) return v.toExponential().replace('e+', 'e');
  return String(Number(v.toPrecision(6)));
}

/** A tick label as short as the tick spacing allows. */
export function tickLabel(v: number, step: number): string {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e5 || abs < 1e-3)
    return v.toExponential(Math.max(0, Math.min(3, -Math.floor(Math.log10(step / abs))))).replace('e+', 'e');
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(decimals);
}

const r1 = (v: number): string => String(Math.round(v * 10) / 10);

/** Smallest and largest value without spreading (long series would overflow the call stack). */
function extent(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** The plot area inside the chart, in SVG units. */
interface Frame {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** Data to SVG coordinates, and the tick values drawn on each axis. */
interface Scales {
  px: (v: number) => number;
  py: (v: number) => number;
  fy: (v: number) => number;
  ymin: number;
  ymax: number;
  xTickValues: number[];
  yTickValues: number[];
}

export function lineChartSvg(o: LineChartOptions): string {
  const width = o.width ?? 640;
  const plotHeight = o.height ?? 300;
  const m = { left: 64, right: 16, top: o.title ? 28 : 12, bottom: 44 };
  const usable = (v: number): boolean => Number.isFinite(v) && (!o.logY || v > 0);
  const { xs, ys } = usablePoints(o.series, usable);
  const legend = legendLayout(o.series, width - m.left - m.right);
  const height = m.top + plotHeight + m.bottom + legend.rows.length * 16;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(o.title ?? 'chart')}" font-family="system-ui, sans-serif" font-size="11">`,
  ];
  if (o.title)
    out.push(
      `<title>${escapeHtml(o.title)}</title>`,
      `<text x="${width / 2}" y="18" text-anchor="middle" font-size="13" font-weight="600">${escapeHtml(o.title)}</text>`,
    );
  const f: Frame = { x0: m.left, x1: width - m.right, y0: m.top, y1: m.top + plotHeight };
  out.push(
    `<rect x="${f.x0}" y="${f.y0}" width="${f.x1 - f.x0}" height="${f.y1 - f.y0}" fill="none" stroke="#444" stroke-width="1"/>`,
  );
  if (xs.length === 0) {
    out.push(
      `<text x="${(f.x0 + f.x1) / 2}" y="${(f.y0 + f.y1) / 2}" text-anchor="middle" fill="#666">no data recorded</text>`,
      '</svg>',
    );
    return out.join('\n');
  }
  const sc = scales(o, xs, ys, f);
  out.push(...axesSvg(o, sc, f));
  o.series.forEach((s, k) => out.push(...seriesSvg(s, k, sc, usable)));
  out.push(...legendSvg(o.series, legend, f.x0, f.y1 + m.bottom));
  out.push('</svg>');
  return out.join('\n');
}

/** Colour and dash of the k-th series (the same on its curve and in the legend). */
function seriesStyle(s: ChartSeries, k: number): { color: string; dashAttr: string } {
  const color = s.color ?? PALETTE[k % PALETTE.length];
  const dash = s.dash ?? DASHES[k % DASHES.length];
  return { color, dashAttr: dash ? ` stroke-dasharray="${dash}"` : '' };
}

/** Every drawable (x, y) of all series: what the axes must cover. */
function usablePoints(series: readonly ChartSeries[], usable: (v: number) => boolean): { xs: number[]; ys: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of series) {
    for (let i = 0; i < Math.min(s.x.length, s.y.length); i++) {
      if (Number.isFinite(s.x[i]) && usable(s.y[i])) {
        xs.push(s.x[i]);
        ys.push(s.y[i]);
      }
    }
  }
  return { xs, ys };
}

/** Legend under the plot: as many entries per row as fit (about 6.5 px per character at 11 px). */
function legendLayout(series: readonly ChartSeries[], available: number): { rows: number[][]; entryWidths: number[] } {
  const entryWidths = series.map((s) => 34 + 6.5 * Math.min(s.name.length, 60));
  const rows: number[][] = [];
  let rowWidth = Infinity;
  entryWidths.forEach((w, i) => {
    if (rowWidth + w > available) {
      rows.push([]);
      rowWidth = 0;
    }
    rows[rows.length - 1].push(i);
    rowWidth += w;
  });
  return { rows, entryWidths };
}

function scales(o: LineChartOptions, xs: readonly number[], ys: readonly number[], f: Frame): Scales {
  const fy = (v: number): number => (o.logY ? Math.log10(v) : v);
  const [dataXmin, dataXmax] = extent(xs);
  const xTickValues = o.xTicks ? o.xTicks.map((t) => t.value) : niceTicks(dataXmin, dataXmax, 6);
  let [xmin, xmax] = extent([...xTickValues, dataXmin, dataXmax]);
  if (o.xTicks) {
    // Named positions sit inside the frame, so their labels are not cut at the edges.
    const pad = (xmax - xmin) * 0.05;
    [xmin, xmax] = [xmin - pad, xmax + pad];
  }
  const [yLo, yHi] = o.yRange ?? extent(ys);
  const yTickValues = o.logY ? logTicks(yLo, yHi) : niceTicks(yLo, yHi, 5);
  const [ymin, ymax] = o.yRange ? [fy(o.yRange[0]), fy(o.yRange[1])] : extent(yTickValues.map(fy));
  const px = (v: number): number =>
    xmax === xmin ? (f.x0 + f.x1) / 2 : f.x0 + ((v - xmin) / (xmax - xmin)) * (f.x1 - f.x0);
  const py = (v: number): number => {
    const t = ymax === ymin ? 0.5 : (fy(v) - ymin) / (ymax - ymin);
    return f.y1 - Math.min(1, Math.max(0, t)) * (f.y1 - f.y0);
  };
  return { px, py, fy, ymin, ymax, xTickValues, yTickValues };
}

/** Grid lines and tick labels of the y axis, ticks and labels of the x axis, and the axis titles. */
function axesSvg(o: LineChartOptions, sc: Scales, f: Frame): string[] {
  const out: string[] = [];
  const { yTickValues, xTickValues } = sc;
  const yStep = yTickValues.length > 1 ? Math.abs(yTickValues[1] - yTickValues[0]) : 1;
  for (const v of yTickValues) {
    if (sc.fy(v) < sc.ymin - 1e-9 || sc.fy(v) > sc.ymax + 1e-9) continue;
    const y = r1(sc.py(v));
    out.push(`<line x1="${f.x0}" x2="${f.x1}" y1="${y}" y2="${y}" stroke="#ddd" stroke-width="0.5"/>`);
    out.push(
      `<text x="${f.x0 - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeHtml(o.logY ? logTickLabel(v) : tickLabel(v, yStep))}</text>`,
    );
  }
  const xStep = xTickValues.length > 1 ? Math.abs(xTickValues[1] - xTickValues[0]) : 1;
  const xTickLabels = o.xTicks ?? xTickValues.map((v) => ({ value: v, label: tickLabel(v, xStep) }));
  const every = Math.max(1, Math.ceil(xTickLabels.length / Math.max(1, Math.floor((f.x1 - f.x0) / 48))));
  xTickLabels.forEach((t, i) => {
    const x = r1(sc.px(t.value));
    out.push(`<line x1="${x}" x2="${x}" y1="${f.y1}" y2="${f.y1 + 4}" stroke="#444"/>`);
    if (i % every === 0) out.push(`<text x="${x}" y="${f.y1 + 16}" text-anchor="middle">${escapeHtml(t.label)}</text>`);
  });
  if (o.xLabel)
    out.push(`<text x="${(f.x0 + f.x1) / 2}" y="${f.y1 + 34}" text-anchor="middle">${escapeHtml(o.xLabel)}</text>`);
  if (o.yLabel)
    out.push(
      `<text transform="translate(14 ${(f.y0 + f.y1) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(o.yLabel)}</text>`,
    );
  return out;
}

/** One series as a path (a missing value is a gap, not a line across it), with dots when it is short. */
function seriesSvg(s: ChartSeries, k: number, sc: Scales, usable: (v: number) => boolean): string[] {
  const { color, dashAttr } = seriesStyle(s, k);
  const pts: string[] = [];
  const dots: string[] = [];
  let pen = 'M';
  const n = Math.min(s.x.length, s.y.length);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(s.x[i]) || !usable(s.y[i])) {
      pen = 'M';
      continue;
    }
    const x = r1(sc.px(s.x[i]));
    const y = r1(sc.py(s.y[i]));
    pts.push(`${pen}${x} ${y}`);
    pen = 'L';
    dots.push(`<circle cx="${x}" cy="${y}" r="2.5" fill="${color}"/>`);
  }
  const out = [`<g><title>${escapeHtml(s.name)}</title>`];
  if (pts.length > 0)
    out.push(`<path d="${pts.join('')}" fill="none" stroke="${color}" stroke-width="1.6"${dashAttr}/>`);
  if (s.markers ?? n <= 40) out.push(...dots);
  out.push('</g>');
  return out;
}

function legendSvg(
  series: readonly ChartSeries[],
  legend: { rows: number[][]; entryWidths: number[] },
  left: number,
  top: number,
): string[] {
  const out: string[] = [];
  legend.rows.forEach((row, r) => {
    let x = left;
    const y = top + r * 16 + 4;
    for (const k of row) {
      const s = series[k];
      const { color, dashAttr } = seriesStyle(s, k);
      out.push(`<line x1="${x}" x2="${x + 24}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2"${dashAttr}/>`);
      const label = s.name.length > 60 ? `${s.name.slice(0, 59)}…` : s.name;
      out.push(`<text x="${x + 30}" y="${y}" dominant-baseline="middle">${escapeHtml(label)}</text>`);
      x += legend.entryWidths[k];
    }
  });
  return out;
}
