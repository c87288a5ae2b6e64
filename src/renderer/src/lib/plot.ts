/**
 * From series (what the lab returned) to the datasets a chart draws: range cut, log-axis filtering,
 * EMA smoothing with the raw curve kept faintly, and min/max-preserving downsampling (the shared
 * src/shared/downsample.ts). Exports (CSV, SVG) are built from the same datasets, so they hold
 * exactly what is plotted. Pure TS.
 */
import { minMaxDownsample } from '../../../shared/downsample';
import { emaSmooth } from './smoothing';

export interface PlotSeries {
  id: string;
  label: string;
  x: number[];
  y: number[];
  /** Palette slot; default = position in the list. */
  colorIndex?: number;
  dashed?: boolean;
  /** Shaded envelope around the line (seed groups: mean ± sd), same x as the line. */
  band?: { lo: number[]; hi: number[] };
  /** Sparse series (evaluations): drawn with point markers and never smoothed. */
  sparse?: boolean;
  /** A fixed colour (e.g. a bound method's, the same in every chart and export); default: the palette slot. */
  color?: string;
  /** 'y2': its own axis on the right (a quantity of another scale, e.g. the regulariser beside the loss). */
  axis?: 'y' | 'y2';
  /** The heading the series is listed under in the legend (every run of a sweep under its seed group). */
  legendGroup?: string;
}

export type DatasetRole = 'line' | 'raw' | 'band-lo' | 'band-hi';

export interface PlottedDataset {
  seriesId: string;
  label: string;
  role: DatasetRole;
  colorIndex: number;
  /** 1 = full colour; the raw curve behind a smoothed one is faint. */
  opacity: number;
  dashed: boolean;
  showPoints: boolean;
  inLegend: boolean;
  color?: string;
  axis: 'y' | 'y2';
  legendGroup?: string;
  x: number[];
  y: number[];
}

export interface PlotOptions {
  /** EMA weight in [0, 1); 0 = no smoothing. */
  ema: number;
  logX: boolean;
  logY: boolean;
  /** Visible x range (zoom), inclusive; null = everything. */
  range: [number, number] | null;
  /** Max points per drawn dataset. */
  budget: number;
}

/**
 * Indices of the points to keep: the shared min/max downsampler, run on the point index instead of x
 * (its buckets are integer-wide, and x may be a fractional epoch or seconds).
 */
export function downsampleIndices(y: readonly number[], budget: number): number[] {
  if (y.length <= budget) return y.map((_, i) => i);
  const idx = y.map((_, i) => i);
  return minMaxDownsample(idx, y, Math.max(4, budget)).steps;
}

const pick = (a: readonly number[], idx: readonly number[]) => idx.map((i) => a[i]);

function cut(s: PlotSeries, opts: PlotOptions): { x: number[]; y: number[]; lo?: number[]; hi?: number[] } {
  const keep: number[] = [];
  for (let i = 0; i < s.x.length; i++) {
    const x = s.x[i];
    if (opts.range && (x < opts.range[0] || x > opts.range[1])) continue;
    if (opts.logX && !(x > 0)) continue;
    keep.push(i);
  }
  const logy = (v: number) => (opts.logY && !(v > 0) ? Number.NaN : v);
  return {
    x: pick(s.x, keep),
    y: pick(s.y, keep).map(logy),
    lo: s.band ? pick(s.band.lo, keep).map(logy) : undefined,
    hi: s.band ? pick(s.band.hi, keep).map(logy) : undefined,
  };
}

export function buildPlot(series: readonly PlotSeries[], opts: PlotOptions): PlottedDataset[] {
  const out: PlottedDataset[] = [];
  series.forEach((s, i) => {
    const colorIndex = s.colorIndex ?? i;
    const c = cut(s, opts);
    const base = {
      seriesId: s.id,
      colorIndex,
      color: s.color,
      axis: s.axis ?? 'y',
      legendGroup: s.legendGroup,
      dashed: !!s.dashed,
      showPoints: !!s.sparse && c.x.length <= 200,
    };
    if (c.lo && c.hi) {
      const idx = downsampleIndices(c.y, opts.budget);
      out.push({
        ...base,
        label: `${s.label} (mean − sd)`,
        role: 'band-lo',
        opacity: 0.18,
        showPoints: false,
        inLegend: false,
        x: pick(c.x, idx),
        y: pick(c.lo, idx),
      });
      out.push({
        ...base,
        label: `${s.label} (mean + sd)`,
        role: 'band-hi',
        opacity: 0.18,
        showPoints: false,
        inLegend: false,
        x: pick(c.x, idx),
        y: pick(c.hi, idx),
      });
    }
    const smooth = opts.ema > 0 && !s.sparse && c.y.length > 2;
    if (smooth) {
      const rawIdx = downsampleIndices(c.y, opts.budget);
      out.push({
        ...base,
        label: `${s.label} (raw)`,
        role: 'raw',
        opacity: 0.25,
        inLegend: false,
        x: pick(c.x, rawIdx),
        y: pick(c.y, rawIdx),
      });
      const sm = emaSmooth(c.y, opts.ema);
      const smIdx = downsampleIndices(sm, opts.budget);
      out.push({
        ...base,
        label: s.label,
        role: 'line',
        opacity: 1,
        inLegend: true,
        x: pick(c.x, smIdx),
        y: pick(sm, smIdx),
      });
    } else {
      const idx = downsampleIndices(c.y, opts.budget);
      out.push({
        ...base,
        label: s.label,
        role: 'line',
        opacity: 1,
        inLegend: true,
        x: pick(c.x, idx),
        y: pick(c.y, idx),
      });
    }
  });
  return out;
}

export function pointCount(datasets: readonly PlottedDataset[]): number {
  return datasets.reduce((n, d) => n + (d.role === 'line' ? d.y.filter(Number.isFinite).length : 0), 0);
}

/** The most device pixels per CSS pixel a point budget counts (a 3x phone screen draws no finer line than 2x). */
export const MAX_PIXEL_RATIO = 2;
/** Bounds of a point budget: a few points still show a shape; more than a wide 4K chart draws is waste. */
export const POINT_BUDGET_RANGE: readonly [number, number] = [100, 8000];

/**
 * Points per series worth reading for a line drawn `widthPx` CSS pixels wide: one per device pixel column
 * (devicePixelRatio capped at MAX_PIXEL_RATIO), within POINT_BUDGET_RANGE. The min/max downsampler keeps each
 * column's extremes, so a finer read would change no pixel.
 */
export function pointBudget(widthPx: number, devicePixelRatio = 1): number {
  const ratio =
    Number.isFinite(devicePixelRatio) && devicePixelRatio > 0 ? Math.min(devicePixelRatio, MAX_PIXEL_RATIO) : 1;
  const px = Number.isFinite(widthPx) && widthPx > 0 ? Math.round(widthPx * ratio) : 0;
  return Math.min(POINT_BUDGET_RANGE[1], Math.max(POINT_BUDGET_RANGE[0], px));
}

/** Points per series the overview of a few runs loads (smoothing and the zoom's first look use them). */
export const OVERVIEW_BUDGET = 2000;
/** Points an overview of many runs loads over all of them (a sweep of 300 runs: ~670 each, not 2,000). */
export const OVERVIEW_TOTAL = 200_000;

/** Points per run an overview of `runs` runs loads: OVERVIEW_BUDGET, shared out past OVERVIEW_TOTAL, never under 500. */
export function overviewBudget(runs: number): number {
  return Math.max(500, Math.min(OVERVIEW_BUDGET, Math.floor(OVERVIEW_TOTAL / Math.max(1, runs))));
}
