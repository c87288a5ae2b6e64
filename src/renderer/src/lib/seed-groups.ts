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
  const groups = new Map<string, SeedGroup & { config: { [key: string]: unknown } }>();
  for (const r of runs) {
    const key = experimentKey(r.config);
    const seed = typeof r.config.seed === 'number' ? r.config.seed : null;
    const g = groups.get(key);
    if (g) {
      g.runIds.push(r.id);
      g.seeds.push(seed);
    } else {
      groups.set(key, { key, runIds: [r.id], label: r.name, seeds: [seed], config: r.config });
    }
  }
  const list = [...groups.values()];
  const varying = varyingPaths(list.map((g) => g.config));
  return list.map(({ config, ...g }) => (g.runIds.length > 1 ? { ...g, label: sharedLabel(config, varying, g.seeds) } : g));
}

/** Leaf paths of a config (objects flattened with dots; arrays are values), seed and name left out. */
function leaves(config: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  if (config !== null && typeof config === 'object' && !Array.isArray(config)) {
    for (const [k, v] of Object.entries(config)) {
      if (prefix === '' && IGNORED.has(k)) continue;
      for (const [p, x] of leaves(v, prefix ? `${prefix}.${k}` : k)) out.set(p, x);
    }
  } else out.set(prefix, JSON.stringify(config ?? null));
  return out;
}

/** Paths whose value differs between the given configs: what tells the experiments apart. */
function varyingPaths(configs: readonly { [key: string]: unknown }[]): string[] {
  const all = configs.map((c) => leaves(c));
  const paths = new Set(all.flatMap((m) => [...m.keys()]));
  return [...paths].filter((p) => new Set(all.map((m) => m.get(p) ?? 'undefined')).size > 1).sort();
}

/** The paths a reader first looks for, when present: dataset, model, regulariser and its β. */
const HEADLINE_PATHS = ['dataset.name', 'dataset', 'model.arch', 'model', 'regularizer.kind', 'regularizer.beta'];

/**
 * A seed group named by what its runs share, never after one member: the headline fields, then the fields that set
 * it apart from the other groups, then its seeds, e.g. "mnist · lip-cnn · f4 β=0.01 · lr=0.05 (seeds 0, 1, 2)".
 */
export function sharedLabel(config: { [key: string]: unknown }, varying: readonly string[] = [], seeds: readonly (number | null)[] = []): string {
  const l = leaves(config);
  const parts: string[] = [];
  const value = (p: string) => {
    const v = l.get(p);
    return v === undefined ? undefined : v.startsWith('"') ? (JSON.parse(v) as string) : v;
  };
  for (const p of HEADLINE_PATHS) {
    const v = value(p);
    if (v === undefined || v === 'null') continue;
    parts.push(p === 'regularizer.beta' ? `β=${v}` : v);
  }
  for (const p of varying) {
    if (HEADLINE_PATHS.includes(p) || parts.length >= 7) continue;
    parts.push(`${p.split('.').slice(-1)[0]}=${value(p) ?? '—'}`);
  }
  const known = seeds.filter((x): x is number => x !== null);
  const seedText = known.length === seeds.length && known.length > 0 ? `seeds ${known.join(', ')}` : `${seeds.length} seeds`;
  return `${parts.length ? parts.join(' · ') : 'same config'} (${seedText})`;
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
