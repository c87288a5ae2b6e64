/**
 * Sweeps: one file that names many runs. `base` is a run config; `grid` gives values for dotted config
 * keys (every combination is a run, the cartesian product); `random` draws `count` values per key in
 * [min, max] (uniform, or log-uniform: the paper picks the weight decay over a log grid). With both,
 * every grid point gets `count` random draws. Every expanded config is validated against the RunConfig
 * schema before anything is queued, and every problem is listed at once. Pure TS: zod only.
 */
import { z } from 'zod';
import type { JsonObject, JsonValue } from './api.js';
import { isJsonObject } from './canonical-json.js';
import { RunConfigObjectSchema, safeParseRunConfig, unwrapSchema, type RunConfig } from './config.js';

/** More runs than this from one file is almost certainly a mistake (20 values x 5 seeds x 10 betas = 1,000). */
export const MAX_SWEEP_RUNS = 5000;

const RandomRangeSchema = z.strictObject({
  min: z.number(),
  max: z.number(),
  log: z.boolean().default(false),
  integer: z.boolean().default(false),
});
export type RandomRange = z.output<typeof RandomRangeSchema>;

export const SweepSpecSchema = z.strictObject({
  name: z.string().trim().min(1).max(120),
  base: z.record(z.string(), z.unknown()).default({}),
  grid: z.record(z.string(), z.array(z.unknown())).default({}),
  random: z
    .object({ count: z.number().int().min(1).max(MAX_SWEEP_RUNS).optional() })
    .catchall(RandomRangeSchema)
    .optional(),
  /** Seed of the random draws, so the same file always expands to the same runs. */
  randomSeed: z.number().int().min(0).default(0),
});
export type SweepSpec = z.output<typeof SweepSpecSchema>;

export interface SweepItem {
  /** 0-based position in the expansion. */
  index: number;
  /** The swept keys and their values for this run (dotted key -> value). */
  assignment: Record<string, JsonValue>;
  config: RunConfig;
  /** "beta=0.01, seed=2" */
  label: string;
}

export interface ExpandedSweep {
  name: string;
  /** Swept keys in file order (grid keys, then random keys): what Compare groups by. */
  keys: string[];
  items: SweepItem[];
}

export class SweepError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `The sweep was refused (${problems.length} problem${problems.length === 1 ? '' : 's'}); nothing was queued:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'SweepError';
  }
}

/** Known child fields of the object at a schema path, or null when the path is not an object field. */
function fieldsAt(path: string[]): string[] | null {
  let s: z.ZodType | undefined = RunConfigObjectSchema;
  for (const key of path) {
    const inner: z.ZodType = unwrapSchema(s);
    if (!(inner instanceof z.ZodObject)) return null;
    s = (inner.shape as Record<string, z.ZodType>)[key];
    if (!s) return null;
  }
  const inner = unwrapSchema(s);
  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
}

/** Why a dotted key names no run-config field, or null when it does. */
export function unknownKeyProblem(key: string): string | null {
  const parts = key.split('.');
  if (parts.some((p) => p.length === 0)) return `key "${key}" has an empty part; write dotted keys like "optimizer.lr"`;
  for (let i = 0; i < parts.length; i++) {
    const known = fieldsAt(parts.slice(0, i));
    if (known === null || known.length === 0)
      return `key "${key}": "${parts.slice(0, i).join('.')}" has no fields below it`;
    if (!known.includes(parts[i])) {
      const where = i === 0 ? 'a run config' : `"${parts.slice(0, i).join('.')}"`;
      return `unknown key "${key}": ${where} has no field "${parts[i]}" (known: ${known.join(', ')})`;
    }
  }
  return null;
}

/** A deep copy of `obj` with `value` at the dotted `key` (missing objects on the way are created). */
export function setDotted(obj: JsonObject, key: string, value: JsonValue): JsonObject {
  const out = structuredClone(obj);
  const parts = key.split('.');
  let cur: JsonObject = out;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    if (!isJsonObject(next)) cur[p] = {};
    cur = cur[p] as JsonObject;
  }
  cur[parts[parts.length - 1]] = value;
  return out;
}

/** The value at a dotted key of a config (undefined when absent). */
export function getDotted(obj: unknown, key: string): unknown {
  let cur: unknown = obj;
  for (const p of key.split('.')) {
    if (!isJsonObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/** A uniform number in [0, 1) from (seed, draw, key): a stateless hash, so each key's draws are independent. */
function uniform(seed: number, draw: number, key: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const ch of `${draw}:${key}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

function drawValue(r: RandomRange, u: number): number {
  const x = r.log ? Math.exp(Math.log(r.min) + u * (Math.log(r.max) - Math.log(r.min))) : r.min + u * (r.max - r.min);
  // Six significant digits: readable labels; the grid step of a real sweep is far coarser.
  return r.integer ? Math.min(r.max, Math.floor(x)) : Number(x.toPrecision(6));
}

function rangeProblems(key: string, r: RandomRange): string[] {
  const out: string[] = [];
  if (!(r.min < r.max)) out.push(`random "${key}": min ${r.min} must be below max ${r.max}`);
  if (r.log && r.min <= 0) out.push(`random "${key}": a log range needs min > 0 (got ${r.min})`);
  return out;
}

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** Parse the sweep file's JSON; throws SweepError listing every problem of the file itself. */
export function parseSweepSpec(input: unknown): SweepSpec {
  const r = SweepSpecSchema.safeParse(input);
  if (r.success) return r.data;
  throw new SweepError(
    r.error.issues.map((i) => {
      const at = i.path.length ? i.path.join('.') : '(sweep file)';
      const hint =
        i.path.length === 0
          ? ' — a sweep file is { "name": ..., "base": {run config}, "grid": {"key": [values]}, "random": {...} }'
          : '';
      return `${at}: ${i.message}${hint}`;
    }),
  );
}

/** Expand a sweep into validated run configs; throws SweepError (nothing expanded) on any problem. */
export function expandSweep(input: unknown): ExpandedSweep {
  const spec = parseSweepSpec(input);
  const problems: string[] = [];
  const gridKeys = Object.keys(spec.grid);
  const { count = 0, ...ranges } = spec.random ?? {};
  const randomKeys = Object.keys(ranges);
  if (gridKeys.length === 0 && randomKeys.length === 0)
    problems.push(
      'the grid is empty and there is no random section: add "grid": {"optimizer.weightDecay": [1e-4, 1e-3]} (or a random range)',
    );
  for (const k of gridKeys)
    if (spec.grid[k].length === 0) problems.push(`grid "${k}" has no values: give at least one, e.g. [0.01, 0.1]`);
  for (const k of [...gridKeys, ...randomKeys]) {
    const p = unknownKeyProblem(k);
    if (p) problems.push(p);
  }
  for (const k of randomKeys)
    if (gridKeys.includes(k)) problems.push(`key "${k}" is in both grid and random: keep it in one`);
  for (const k of randomKeys) problems.push(...rangeProblems(k, ranges[k] as RandomRange));
  if (randomKeys.length > 0 && count === 0) problems.push('random needs "count": the number of draws');
  const gridSize = gridKeys.reduce((n, k) => n * spec.grid[k].length, 1);
  const total = gridSize * (randomKeys.length > 0 ? count : 1);
  if (total > MAX_SWEEP_RUNS)
    problems.push(`the sweep expands to ${total} runs, more than ${MAX_SWEEP_RUNS}: split it into several files`);
  if (problems.length > 0) throw new SweepError(problems);

  const items: SweepItem[] = [];
  let expanded = 0;
  const draws = randomKeys.length > 0 ? count : 1;
  for (let g = 0; g < gridSize; g++) {
    const gridAssign: Record<string, JsonValue> = {};
    let rest = g;
    // The last grid key varies fastest, like nested loops written in file order.
    for (let k = gridKeys.length - 1; k >= 0; k--) {
      const values = spec.grid[gridKeys[k]];
      gridAssign[gridKeys[k]] = values[rest % values.length] as JsonValue;
      rest = Math.floor(rest / values.length);
    }
    for (let d = 0; d < draws; d++) {
      const assignment: Record<string, JsonValue> = {};
      for (const k of gridKeys) assignment[k] = gridAssign[k];
      for (const k of randomKeys)
        assignment[k] = drawValue(ranges[k] as RandomRange, uniform(spec.randomSeed, expanded, k));
      const label = Object.entries(assignment)
        .map(([k, v]) => `${k.split('.').pop()}=${show(v)}`)
        .join(', ');
      let config = structuredClone(spec.base) as JsonObject;
      for (const [k, v] of Object.entries(assignment)) config = setDotted(config, k, v);
      if (!('name' in assignment)) config.name = `${spec.name} · ${label}`.slice(0, 200);
      const index = expanded++;
      const r = safeParseRunConfig(config);
      if (r.success) items.push({ index, assignment, config: r.data, label });
      else
        problems.push(
          `run ${index + 1} (${label}): ${r.error.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        );
    }
  }
  if (problems.length > 0)
    throw new SweepError(
      problems.length > 20 ? [...problems.slice(0, 20), `... and ${problems.length - 20} more runs refused`] : problems,
    );
  return { name: spec.name, keys: [...gridKeys, ...randomKeys], items };
}

// ---------------------------------------------------------------- what the store tells about sweeps and the queue

/** Who takes a queued run: a process on this machine, or BullMQ workers through Redis. */
export type QueueTarget = 'local' | 'redis';

export interface QueueEntry {
  runId: string;
  name: string;
  /** 1-based place among the runs waiting for the same target. */
  position: number;
  target: QueueTarget;
  sweepId: string | null;
  attempt: number;
  enqueuedAt: number;
}

export interface SweepRunInfo {
  runId: string;
  name: string;
  status: string;
  /** Which point of the sweep (0-based expansion index) and which try of it. */
  item: number;
  attempt: number;
  assignment: Record<string, JsonValue>;
}

export interface SweepInfo {
  id: string;
  name: string;
  keys: string[];
  createdAt: number;
  /** Points of the sweep (expanded configs). */
  items: number;
  /** Status of each point's latest attempt, counted. */
  counts: Record<string, number>;
  /** No point's latest attempt is queued or active any more (a crashed one counts as ended until retried). */
  done: boolean;
}
