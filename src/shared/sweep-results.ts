/**
 * A sweep's results as one table: a row per point (latest attempt) with its swept values, every
 * numeric config leaf, and its final metrics; seed groups as mean ± sd; the Pareto front of clean
 * versus certified accuracy at one ε (Singla & Feizi's trade-off: a larger β buys certified accuracy
 * with clean accuracy). Pure TS: the app builds the rows, the sweep view and the exports read them.
 */
import type { JsonValue } from './api-types.js';
import { groupBySeed, meanSd } from './seed-groups.js';
import type { SweepInfo } from './sweep.js';

export interface SweepPoint {
  runId: string;
  name: string;
  status: string;
  item: number;
  attempt: number;
  /** The swept keys' values of this point. */
  assignment: Record<string, JsonValue>;
  /** Numeric config leaves by dotted key (optimizer.lr, regularizer.beta, seed ...), for axes over any key. */
  params: Record<string, number>;
  /** Final metrics by name: 'test accuracy', 'certified@0.1412', 'lipschitz', 'train loss' ... (null when not recorded). */
  metrics: Record<string, number | null>;
  /** The full config, for seed grouping. */
  config: Record<string, unknown>;
}

export interface SweepDetail {
  sweep: SweepInfo;
  points: SweepPoint[];
  /** Metric names present in some point, clean accuracy first. */
  metricNames: string[];
  /** The radii at which certified accuracy was recorded. */
  epsilons: number[];
}

export interface StartSweepResult {
  sweepId: string;
  runIds: string[];
}

export const CLEAN_ACCURACY = 'test accuracy';
export const certifiedMetric = (eps: number): string => `certified@${Number(eps.toPrecision(6))}`;

/** Numeric leaves of a config by dotted path (booleans as 0/1); strings and arrays are not axes. */
export function numericLeaves(config: unknown, prefix = '', out: Record<string, number> = {}): Record<string, number> {
  if (config !== null && typeof config === 'object' && !Array.isArray(config)) {
    for (const [k, v] of Object.entries(config)) numericLeaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (typeof config === 'number' && Number.isFinite(config)) out[prefix] = config;
  else if (typeof config === 'boolean') out[prefix] = config ? 1 : 0;
  return out;
}

/** The value of an axis (a metric name, or a dotted config key) at a point; null when missing. */
export function axisValue(p: SweepPoint, axis: string): number | null {
  if (axis in p.metrics) return p.metrics[axis];
  return axis in p.params ? p.params[axis] : null;
}

/**
 * Indices of the points on the Pareto front of (x, y), both to maximise: no other point is at least as
 * good in both and better in one. Points with a missing value are never on it. Sorted by x.
 */
export function paretoFront(xy: readonly (readonly [number | null, number | null])[]): number[] {
  const idx = xy.map((_, i) => i).filter((i) => xy[i][0] !== null && xy[i][1] !== null);
  // Sweep by x descending (ties: y descending); a point is on the front when its y beats every y seen so far.
  idx.sort((a, b) => (xy[b][0] as number) - (xy[a][0] as number) || (xy[b][1] as number) - (xy[a][1] as number));
  const front: number[] = [];
  let bestY = -Infinity;
  for (const i of idx) {
    const y = xy[i][1] as number;
    if (y > bestY) {
      front.push(i);
      bestY = y;
    }
  }
  return front.reverse();
}

export interface PointGroup {
  label: string;
  runIds: string[];
  /** Mean and sd of an axis over the group's points that have it (sd 0 for one point). */
  stat(axis: string): { mean: number; sd: number; n: number } | null;
}

/** Points that differ only by seed, grouped (shared/seed-groups.ts), with mean ± sd of any axis. */
export function seedGroupsOf(points: readonly SweepPoint[]): PointGroup[] {
  const byId = new Map(points.map((p) => [p.runId, p]));
  return groupBySeed(points.map((p) => ({ id: p.runId, name: p.name, config: p.config }))).map((g) => ({
    label: g.label,
    runIds: g.runIds,
    stat: (axis: string) => meanSd(g.runIds.map((id) => axisValue(byId.get(id) as SweepPoint, axis))),
  }));
}
