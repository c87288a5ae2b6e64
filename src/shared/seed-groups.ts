/**
 * Seed groups: runs whose configs are equal except for the seed (and the name) are repeats of one
 * experiment. Compare draws them as mean ± sd, the exported tables give mean ± sd over each group;
 * both group, name and average them here. Pure TS.
 */
import type { JsonValue } from './api-types.js';
import { canonicalJson } from './canonical-json.js';

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
  return list.map(({ config, ...g }) =>
    g.runIds.length > 1 ? { ...g, label: sharedLabel(config, varying, g.seeds) } : g,
  );
}

/** Leaf paths of a config (objects flattened with dots; arrays are values), seed and name left out. */
export function leaves(config: unknown, prefix = ''): Map<string, string> {
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
export function varyingPaths(configs: readonly { [key: string]: unknown }[]): string[] {
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
export function sharedLabel(
  config: { [key: string]: unknown },
  varying: readonly string[] = [],
  seeds: readonly (number | null)[] = [],
): string {
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
  const seedText =
    known.length === seeds.length && known.length > 0 ? `seeds ${known.join(', ')}` : `${seeds.length} seeds`;
  return `${parts.length ? parts.join(' · ') : 'same config'} (${seedText})`;
}

/**
 * Mean and standard deviation of a group's values (the population sd, over the n values given, as
 * the charts' bands are drawn); non-finite values are left out. null for no values.
 */
export function meanSd(values: readonly (number | null)[]): { mean: number; sd: number; n: number } | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  if (v.length === 0) return null;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, sd: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length), n: v.length };
}
