/**
 * Series of one or more runs for charts: loaded with getSeries (downsampled to a budget by the lab),
 * then extended point by point from pushed 'metrics' events, whose keys are the same series names.
 * Points live in plain arrays; `version` ticks (throttled) when they change, so charts recompute.
 * A zoom reads only its range again (fromStep/toStep), at full resolution as far as the budget allows.
 */
import { onScopeDispose, ref, shallowRef, watch, type Ref } from 'vue';
import { lab } from '../lab';
import type { LabEvent, Series, XAxis } from '../../../shared/api';
import { toUiError, type UiError } from '../lib/errors';
import { throttle, useLabEvents } from './useLabEvents';
import { livePoints, liveSeriesNames, type LivePoint } from './liveLog';
import { stepRangeOf, type StepRange } from '../lib/zoom-range';
import { OVERVIEW_BUDGET } from '../lib/plot';

export interface StoredSeries {
  x: number[];
  /** The step of each point (= x on the step axis): maps a zoomed epoch or time range to steps. */
  steps: number[];
  y: number[];
  totalPoints: number;
  downsampled: boolean;
}

export interface SeriesStoreOptions {
  runIds: () => string[];
  /** Names to load (series the lab has recorded). */
  names: () => string[];
  /** Which names pushed events may add or extend (default: those of `names`). */
  accept?: (name: string) => boolean;
  xAxis: Ref<XAxis>;
  live?: boolean;
  /** Run start (epoch ms) for the 'time' axis of live points. */
  startedAt?: (runId: string) => number | null;
  budget?: number;
}

const key = (runId: string, name: string) => `${runId}\u0000${name}`;
/** getSeries accepts at most 256 names per call. */
const NAME_CHUNK = 200;
/** Runs per getSeries call: a sweep of hundreds of runs is read in batches (the API takes MAX_RUNS_PER_CALL). */
const RUN_CHUNK = 100;
/** The most points getSeries returns per series (full resolution for a zoom). */
export const MAX_QUERY_BUDGET = 100_000;
/**
 * Points one zoom may read over all its series: a chart of a few curves gets every point of any range
 * holding up to MAX_QUERY_BUDGET; one with many (all layers' bounds) gets min/max buckets, finer than
 * the overview, until a narrower zoom reaches the raw points.
 */
export const ZOOM_POINTS = 200_000;

export function useSeriesStore(opts: SeriesStoreOptions) {
  const data = new Map<string, StoredSeries>();
  const version = ref(0);
  const loading = ref(false);
  const error = shallowRef<UiError | null>(null);
  const knownNames = shallowRef<Set<string>>(new Set());
  const bump = throttle(() => version.value++, 250);
  let loadingNow = false;
  let generation = 0;

  function noteName(name: string): void {
    if (!knownNames.value.has(name)) knownNames.value = new Set([...knownNames.value, name]);
  }

  async function query(
    runIds: string[],
    names: string[],
    xAxis: XAxis,
    budget: number,
    span: StepRange = {},
  ): Promise<Series[]> {
    const out: Series[] = [];
    for (let r = 0; r < runIds.length; r += RUN_CHUNK) {
      for (let i = 0; i < names.length; i += NAME_CHUNK) {
        const res = await lab.getSeries({
          runIds: runIds.slice(r, r + RUN_CHUNK),
          names: names.slice(i, i + NAME_CHUNK),
          xAxis,
          budget,
          ...span,
        });
        out.push(...res.series);
      }
    }
    return out;
  }

  async function reload(): Promise<void> {
    const gen = ++generation;
    const runIds = opts.runIds();
    const names = [...new Set(opts.names())];
    loadingNow = true;
    loading.value = true;
    error.value = null;
    try {
      const series =
        runIds.length && names.length
          ? await query(runIds, names, opts.xAxis.value, opts.budget ?? OVERVIEW_BUDGET)
          : [];
      if (gen !== generation) return;
      data.clear();
      for (const s of series) {
        const steps = s.steps ?? (s.xAxis === 'step' ? s.x : []);
        data.set(key(s.runId, s.name), {
          x: s.x.slice(),
          steps: steps.slice(),
          y: s.y.map((v) => (v === null ? Number.NaN : v)),
          totalPoints: s.totalPoints,
          downsampled: s.downsampled,
        });
        noteName(s.name);
      }
      if (opts.live) for (const runId of runIds) mergeLive(runId, names);
    } catch (err) {
      if (gen === generation) error.value = toUiError(err, 'Check that the lab is running, then reload the view.');
    } finally {
      if (gen === generation) {
        loadingNow = false;
        loading.value = false;
        version.value++;
      }
    }
  }

  function xOf(runId: string, p: { step: number; epoch: number; at: number }): number {
    if (opts.xAxis.value === 'epoch') return p.epoch;
    if (opts.xAxis.value === 'time') {
      const t0 = opts.startedAt?.(runId);
      return t0 ? (p.at - t0) / 1000 : Number.NaN;
    }
    return p.step;
  }

  /** Append a point unless the series already reaches that far (loaded, or pushed twice). */
  function append(runId: string, name: string, x: number, step: number, value: number): boolean {
    if (!Number.isFinite(x)) return false;
    const k = key(runId, name);
    let s = data.get(k);
    if (!s) {
      s = { x: [], steps: [], y: [], totalPoints: 0, downsampled: false };
      data.set(k, s);
    }
    if (s.x.length && x <= s.x[s.x.length - 1]) return false;
    s.x.push(x);
    s.steps.push(step);
    s.y.push(value);
    s.totalPoints++;
    noteName(name);
    return true;
  }

  /** Points pushed before or during the load that the lab had not stored yet. */
  function mergeLive(runId: string, loaded: string[]): void {
    const wanted = new Set(loaded);
    for (const name of liveSeriesNames(runId)) {
      if (!(wanted.has(name) || opts.accept?.(name))) continue;
      for (const p of livePoints(runId, name) as LivePoint[]) append(runId, name, xOf(runId, p), p.step, p.value);
    }
  }

  function apply(e: LabEvent): void {
    // During a load the live log keeps the point; it is merged when the load lands.
    if (loadingNow || e.kind !== 'metrics' || !opts.runIds().includes(e.runId)) return;
    const x = xOf(e.runId, e);
    const wanted = new Set(opts.names());
    for (const [name, value] of Object.entries(e.values)) {
      if (!(opts.accept ? opts.accept(name) : wanted.has(name))) continue;
      append(e.runId, name, x, e.step, value === null ? Number.NaN : value);
    }
    bump();
  }

  if (opts.live) useLabEvents(apply);

  /**
   * Full-resolution points of `names` for a zoomed chart showing x in `range` (the whole series without
   * one), or null when what is loaded is already complete. Only the range's steps are read; when the
   * range cannot be mapped to steps (points without steps) the whole series is read as before. `pixels`: the
   * points a line can show (the chart's drawn width, lib/plot.ts pointBudget); no series is read finer.
   */
  async function fullResolution(
    runId: string,
    names: string[],
    range?: [number, number],
    pixels?: number,
  ): Promise<Series[] | null> {
    const stored = names.map((n) => data.get(key(runId, n)));
    if (stored.every((s) => !s || !s.downsampled)) return null;
    const most = Math.min(pixels ?? MAX_QUERY_BUDGET, Math.max(4, ...stored.map((s) => s?.totalPoints ?? 0)));
    const span = range
      ? stepRangeOf(
          stored.filter((s): s is StoredSeries => !!s),
          range,
          opts.xAxis.value,
        )
      : null;
    if (!span) return query([runId], names, opts.xAxis.value, Math.min(MAX_QUERY_BUDGET, most));
    const perSeries = Math.max(opts.budget ?? OVERVIEW_BUDGET, Math.floor(ZOOM_POINTS / Math.max(1, names.length)));
    return query([runId], names, opts.xAxis.value, Math.min(MAX_QUERY_BUDGET, most, perSeries), span);
  }

  watch(opts.xAxis, () => void reload());
  onScopeDispose(() => bump.cancel());

  return {
    version,
    loading,
    error,
    knownNames,
    reload,
    fullResolution,
    get: (runId: string, name: string): StoredSeries | undefined => data.get(key(runId, name)),
  };
}

export type SeriesStore = ReturnType<typeof useSeriesStore>;
