/**
 * Seed groups: runs whose configs are equal except for the seed (and the name) are repeats of one
 * experiment; Compare draws them as mean ± standard deviation. Pure TS.
 */
import type { JsonValue } from '../../../shared/api';
import { canonicalJson, isJsonObject } from '../../../shared/canonical-json';

export interface RunConfigRef {
  id: string;
  name: string;
  config: { [key: string]: unknown };
}

export interface SeedGroup {
  key: string;
  runIds: string[];
  label: string;
  seeds: (number | null)[];
}

/** Fields that do not make a different experiment. */
const IGNORED = new Set(['seed', 'name']);

export function experimentKey(config: { [key: string]: unknown }): string {
  const rest: { [key: string]: JsonValue } = {};
  for (const [k, v] of Object.entries(config)) if (!IGNORED.has(k)) rest[k] = v as JsonValue;
  return canonicalJson(rest);
}

export function groupBySeed(runs: readonly RunConfigRef[]): SeedGroup[] {
  const groups = new Map<string, SeedGroup>();
  for (const r of runs) {
    const key = experimentKey(r.config);
    const seed = typeof r.config.seed === 'number' ? r.config.seed : null;
    const g = groups.get(key);
    if (g) {
      g.runIds.push(r.id);
      g.seeds.push(seed);
    } else {
      groups.set(key, { key, runIds: [r.id], label: r.name, seeds: [seed] });
    }
  }
  for (const g of groups.values()) if (g.runIds.length > 1) g.label = `${g.label} (${g.runIds.length} seeds)`;
  return [...groups.values()];
}

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
    if (vals.length === 0) continue;
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length);
    out.x.push(t);
    out.mean.push(mean);
    out.lo.push(mean - sd);
    out.hi.push(mean + sd);
    out.n.push(vals.length);
  }
  return out;
}

export { isJsonObject };
