/**
 * Every metric point pushed since the window opened, per run and series. The lab records points in
 * batches, so getSeries can lag the pushed events by a moment; and a chart mounted late (a layer that
 * appeared with the first evaluation) has missed the events before it. Series stores merge from here
 * after each load, so no pushed point is lost either way.
 */
import { lab } from '../lab';
import type { LabEvent } from '../../../shared/api';

export interface LivePoint {
  step: number;
  epoch: number;
  at: number;
  value: number;
}

/** Per series; older points are dropped beyond this (the lab has them all). */
const MAX_POINTS = 50_000;
const runs = new Map<string, Map<string, LivePoint[]>>();
let unsubscribe: (() => void) | null = null;

function record(e: LabEvent): void {
  if (e.kind !== 'metrics') return;
  let series = runs.get(e.runId);
  if (!series) {
    series = new Map();
    runs.set(e.runId, series);
  }
  for (const [name, value] of Object.entries(e.values)) {
    let pts = series.get(name);
    if (!pts) {
      pts = [];
      series.set(name, pts);
    }
    pts.push({ step: e.step, epoch: e.epoch, at: e.at, value: value === null ? Number.NaN : value });
    if (pts.length > MAX_POINTS) pts.splice(0, pts.length - MAX_POINTS);
  }
}

/** Start collecting (once, at start-up). */
export function startLiveLog(): void {
  if (!unsubscribe) unsubscribe = lab.subscribe(record);
}

export function livePoints(runId: string, name: string): readonly LivePoint[] {
  return runs.get(runId)?.get(name) ?? [];
}

export function liveSeriesNames(runId: string): string[] {
  return [...(runs.get(runId)?.keys() ?? [])];
}
