/**
 * How Compare groups the runs it draws: by seed (repeats of one experiment: every field but the seed
 * equal), by some of the keys that vary between the runs (in a sweep: its swept keys, e.g. β alone,
 * averaging over the seeds and the other keys), or not at all. Each group is drawn as one line, its
 * mean ± sd. Pure TS.
 */
import { groupBySeed, leaves, varyingPaths, type RunConfigRef, type SeedGroup } from '../../../shared/seed-groups';

/** 'seeds': seed groups; 'runs': every run its own line; otherwise the dotted config keys to group by. */
export type Grouping = 'seeds' | 'runs' | readonly string[];

/** Above this many runs Compare draws groups by default (one line per run stops being readable). */
export const MANY_RUNS = 12;

/** The config keys whose value differs between the runs (seed and name left out): a sweep's swept keys. */
export function varyingKeys(runs: readonly RunConfigRef[]): string[] {
  return varyingPaths(runs.map((r) => r.config));
}

/** A leaf's value as written in a label: strings bare, the rest as JSON. */
function shown(v: string | undefined): string {
  if (v === undefined) return '—';
  return v.startsWith('"') ? (JSON.parse(v) as string) : v;
}

const short = (key: string) => (key === 'regularizer.beta' ? 'β' : (key.split('.').at(-1) ?? key));

/** Runs grouped by the values of `keys`, in the order their first run comes; labelled "β=0.1 · lr=0.05 (6 runs)". */
export function groupByKeys(runs: readonly RunConfigRef[], keys: readonly string[]): SeedGroup[] {
  const groups = new Map<string, SeedGroup>();
  for (const r of runs) {
    const l = leaves(r.config);
    const values = keys.map((k) => l.get(k));
    const key = JSON.stringify(values);
    const seed = typeof r.config.seed === 'number' ? r.config.seed : null;
    const g = groups.get(key);
    if (g) {
      g.runIds.push(r.id);
      g.seeds.push(seed);
    } else {
      const label = keys.map((k, i) => `${short(k)}=${shown(values[i])}`).join(' · ');
      groups.set(key, { key: `by:${key}`, runIds: [r.id], label, seeds: [seed] });
    }
  }
  return [...groups.values()].map((g) => ({
    ...g,
    label: `${g.label} (${g.runIds.length} run${g.runIds.length === 1 ? '' : 's'})`,
  }));
}

/** The groups Compare draws for a grouping; null = every run its own line. */
export function compareGroups(runs: readonly RunConfigRef[], grouping: Grouping): SeedGroup[] | null {
  if (grouping === 'runs') return null;
  if (grouping === 'seeds') {
    const groups = groupBySeed(runs);
    return groups.some((g) => g.runIds.length > 1) ? groups : null;
  }
  return groupByKeys(runs, grouping);
}

/**
 * The grouping a comparison opens with: few runs each get a line; many are drawn as seed groups when
 * there are repeats, else grouped by the first varying key when that makes fewer lines.
 */
export function defaultGrouping(runs: readonly RunConfigRef[]): Grouping {
  if (runs.length <= MANY_RUNS) return groupBySeed(runs).some((g) => g.runIds.length > 1) ? 'seeds' : 'runs';
  const seeds = groupBySeed(runs);
  if (seeds.length < runs.length) return 'seeds';
  const [first] = varyingKeys(runs);
  return first !== undefined && groupByKeys(runs, [first]).length < runs.length ? [first] : 'runs';
}
