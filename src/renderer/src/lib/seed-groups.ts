/**
 * Seed groups in Compare: the grouping and naming (src/shared/seed-groups.ts, shared with the exported
 * tables) and the mean ± sd of their series on one x grid. Pure TS.
 */
import { isJsonObject } from '../../../shared/canonical-json';
import { meanSd } from '../../../shared/seed-groups';

export {
  experimentKey,
  groupBySeed,
  sharedLabel,
  type RunConfigRef,
  type SeedGroup,
} from '../../../shared/seed-groups';

/** Linear interpolation of (x, y) at t; null outside the series' x range. */
export function interpolateAt(x: readonly number[], y: readonly number[], t: number): number | null {
  if (x.length === 0 || t < x[0] || t > x[x.length - 1]) return null;
  let lo = 0;
  let hi = x.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x[mid] <= t) lo = mid;
    else hi = mid;
  }
  if (x[lo] === t) return y[lo];
  if (x[hi] === t) return y[hi];
  const w = (t - x[lo]) / (x[hi] - x[lo]);
  return y[lo] + w * (y[hi] - y[lo]);
}

export interface Aggregate {
  x: number[];
  mean: number[];
  lo: number[];
  hi: number[];
  /** Members contributing at each x. */
  n: number[];
}

/**
 * Mean ± sd of several series on the x grid of the longest one; each member is interpolated
 * linearly (steps coincide across seeds, times and fractional epochs need not).
 */
export function aggregateSeries(members: readonly { x: readonly number[]; y: readonly number[] }[]): Aggregate {
  const grid = [...members].sort((a, b) => b.x.length - a.x.length)[0]?.x ?? [];
  const out: Aggregate = { x: [], mean: [], lo: [], hi: [], n: [] };
  for (const t of grid) {
    const vals: number[] = [];
    for (const m of members) {
      const v = interpolateAt(m.x, m.y, t);
      if (v !== null && Number.isFinite(v)) vals.push(v);
    }
    const stats = meanSd(vals);
    if (!stats) continue;
    const { mean, sd } = stats;
    out.x.push(t);
    out.mean.push(mean);
    out.lo.push(mean - sd);
    out.hi.push(mean + sd);
    out.n.push(vals.length);
  }
  return out;
}

export { isJsonObject };
