/**
 * Geometry of the sweep view's plots (drawn as SVG): axes that pick a log scale for values spread over
 * decades (a weight decay or β grid), round ticks, a parallel-coordinates layout, and colours that never
 * repeat within a plot (hues a golden angle apart). Pure TS.
 */

export interface Axis {
  min: number;
  max: number;
  log: boolean;
  /** 0..1 position of a value along the axis (clamped). */
  pos(v: number): number;
  ticks: number[];
}

/** Values spread over more than two decades, all positive: a log axis. */
export function wantsLog(values: readonly number[]): boolean {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length < 2 || v.some((x) => x <= 0)) return false;
  return Math.max(...v) / Math.min(...v) >= 100;
}

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}

export function makeAxis(values: readonly number[], options: { log?: boolean; ticks?: number } = {}): Axis {
  const v = values.filter((x) => Number.isFinite(x));
  const log = options.log ?? wantsLog(v);
  let min = v.length ? Math.min(...v) : 0;
  let max = v.length ? Math.max(...v) : 1;
  if (min === max) {
    // One value on the axis (e.g. every run certifies 0%): pad around it, but never below 0 for a non-negative
    // quantity (accuracies, β), whose axis would otherwise read -1…1.
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    const nonNegative = min >= 0;
    min = log ? min / 2 : nonNegative ? Math.max(0, min - pad) : min - pad;
    max += log ? max : pad;
  }
  const t = (x: number) => (log ? Math.log10(x) : x);
  const lo = t(min);
  const hi = t(max);
  const pos = (x: number) => Math.min(1, Math.max(0, (t(x) - lo) / (hi - lo)));
  const ticks: number[] = [];
  if (log) {
    for (let e = Math.ceil(lo - 1e-9); e <= Math.floor(hi + 1e-9); e++) ticks.push(Number(`1e${e}`));
    if (ticks.length < 2) ticks.splice(0, ticks.length, min, max);
  } else {
    const step = niceStep(max - min, options.ticks ?? 5);
    for (let x = Math.ceil(min / step) * step; x <= max + step * 1e-9; x += step) ticks.push(Number(x.toPrecision(12)));
  }
  return { min, max, log, pos, ticks };
}

/** A distinct colour per index: hues a golden angle apart, so no two series of one plot share a colour. */
export function distinctColor(i: number, dark: boolean): string {
  const hue = (i * 137.508 + 220) % 360;
  return `hsl(${hue.toFixed(1)}, ${dark ? 70 : 65}%, ${dark ? 64 : 42}%)`;
}

export function fmtTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(0) : String(Number(v.toPrecision(3)));
}

export interface ParallelLine {
  index: number;
  /** [x, y] in plot units (x: 0..1 across axes, y: 0 top .. 1 bottom); null where the point has no value. */
  points: ([number, number] | null)[];
}

/** Parallel coordinates: one axis per key, one polyline per row (larger values up). */
export function parallelLayout(rows: readonly (readonly (number | null)[])[], axes: readonly Axis[]): ParallelLine[] {
  const n = axes.length;
  return rows.map((row, index) => ({
    index,
    points: axes.map((ax, k) => {
      const v = row[k];
      return v === null || !Number.isFinite(v) ? null : [n === 1 ? 0.5 : k / (n - 1), 1 - ax.pos(v)];
    }),
  }));
}
