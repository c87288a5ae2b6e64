/**
 * Tightness of the per-layer upper bounds over training, and alarms, by the one rule of the registry
 * (src/shared/bound-methods.ts): an upper bound is judged against the best lower value of the same operator (the
 * layer as it runs: its operator estimate, or an exact value of that operator), and a value is an alarm only when
 * it falls below a value it is proved to dominate — which cannot happen, so it means a bug or a numerical problem.
 * The stride-1 circular norm never judges a bound of a strided or zero-padded layer. Pure TS.
 */
import type { LayerBoundsRow } from '../../../shared/api';
import {
  boundViolations,
  CERTIFIED_TOKEN,
  operatorLabel,
  tightnessReference,
  UNKNOWN_GEOMETRY,
  type MethodGeometry,
  type MethodValue,
} from '../../../shared/bound-methods';
import { canonicalMethod, methodLabel, parseBoundSeries } from './series-names';

/** Relative slack for float round-off before a bound counts as violated. */
export const ALARM_TOLERANCE = 1e-6;

export { UNKNOWN_GEOMETRY };

export interface MethodSeries {
  method: string;
  x: readonly number[];
  y: readonly number[];
}

export interface TightnessGrid {
  layers: string[];
  steps: number[];
  /** ratio[layer][stepIndex] = upper / reference; NaN where either value is missing. */
  ratio: number[][];
  /** alarm[layer][stepIndex]: some value of the layer at that step violates the registry's rule (seriesAlarms). */
  alarm: boolean[][];
  /** What each layer's ratio divides by, e.g. "operator estimate (zero padding, stride 2)". */
  reference: string[];
}

export interface BoundAlarm {
  layer: string;
  step: number | null;
  method: string;
  value: number;
  against: string;
  reference: number;
  message: string;
}

function valueAt(s: MethodSeries, step: number): number {
  const i = s.x.indexOf(step);
  return i >= 0 ? s.y[i] : Number.NaN;
}

/** Every method's value of one layer at one step. */
function valuesAt(list: readonly MethodSeries[], step: number): MethodValue[] {
  return list
    .map((s) => ({ method: canonicalMethod(s.method), value: valueAt(s, step) }))
    .filter((v) => Number.isFinite(v.value));
}

function alarmsOf(layer: string, step: number | null, values: readonly MethodValue[], g: MethodGeometry): BoundAlarm[] {
  return boundViolations(values, g, ALARM_TOLERANCE).map((v) => ({
    layer,
    step,
    method: v.method,
    value: v.value,
    against: v.against,
    reference: v.reference,
    message: `${layer}${step === null ? '' : ` at step ${step}`}: ${methodLabel(v.method)} = ${v.value.toPrecision(6)} is below the ${methodLabel(v.against)} ${v.reference.toPrecision(6)} (${operatorLabel(v.operator, g)})`,
  }));
}

const geometryOf = (geometries: ReadonlyMap<string, MethodGeometry>, layer: string): MethodGeometry =>
  geometries.get(layer) ?? UNKNOWN_GEOMETRY;

/** Upper / reference per layer and step, with the cells the alarm rule flags; steps are those where any layer has a ratio or an alarm. */
export function tightnessGrid(
  byLayer: Map<string, MethodSeries[]>,
  upperMethod: string,
  geometries: ReadonlyMap<string, MethodGeometry> = new Map(),
): TightnessGrid {
  const layers = [...byLayer.keys()];
  const stepSet = new Set<number>();
  for (const list of byLayer.values()) for (const s of list) s.x.forEach((x) => stepSet.add(x));
  const all = [...stepSet].sort((a, b) => a - b);
  const reference: string[] = [];
  const ratio: number[][] = [];
  const alarm: boolean[][] = [];
  for (const layer of layers) {
    const list = byLayer.get(layer) ?? [];
    const g = geometryOf(geometries, layer);
    let refLabel = '';
    ratio.push(
      all.map((st) => {
        const values = valuesAt(list, st);
        const upper = values.find((v) => v.method === upperMethod);
        const ref = upper ? tightnessReference(upperMethod, values, g) : null;
        if (!upper || !ref) return Number.NaN;
        refLabel ||= `${methodLabel(ref.method)} (${operatorLabel(ref.operator, g)})`;
        return upper.value / ref.value;
      }),
    );
    alarm.push(all.map((st) => alarmsOf(layer, st, valuesAt(list, st), g).length > 0));
    reference.push(refLabel);
  }
  const keep = all.map((_, j) => layers.some((_, i) => Number.isFinite(ratio[i][j]) || alarm[i][j]));
  const pick = <T>(row: T[]) => row.filter((_, j) => keep[j]);
  return { layers, steps: pick(all), ratio: ratio.map(pick), alarm: alarm.map(pick), reference };
}

/** A run's per-layer bound series (names as parseBoundSeries reads them), by layer in natural order. */
export function methodSeriesByLayer(
  names: Iterable<string>,
  get: (name: string) => { x: readonly number[]; y: readonly number[] } | undefined,
): Map<string, MethodSeries[]> {
  const map = new Map<string, MethodSeries[]>();
  for (const n of names) {
    const p = parseBoundSeries(n);
    const s = p ? get(n) : undefined;
    if (!p || !s) continue;
    map.set(p.layer, [...(map.get(p.layer) ?? []), { method: p.method, x: s.x, y: s.y }]);
  }
  return new Map([...map.entries()].sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true })));
}

/** The grid without the layers that have neither a ratio (no lower value of an operator the bound covers) nor an alarm. */
export function ratedLayers(g: TightnessGrid): TightnessGrid {
  const keep = g.layers.map((_, i) => g.ratio[i].some(Number.isFinite) || g.alarm[i].some(Boolean));
  const pick = <T>(row: T[]) => row.filter((_, i) => keep[i]);
  return {
    layers: pick(g.layers),
    steps: g.steps,
    ratio: pick(g.ratio),
    alarm: pick(g.alarm),
    reference: pick(g.reference),
  };
}

/** The loosest ratio of one or more grids: the top of the colour scale, shared by the heat maps of runs compared side by side. */
export function worstRatio(grids: readonly TightnessGrid[]): number {
  let worst = 1.0001;
  for (const g of grids) for (const row of g.ratio) for (const r of row) if (Number.isFinite(r) && r > worst) worst = r;
  return worst;
}

/** Alarms over the series of every layer, step by step. */
export function seriesAlarms(
  byLayer: Map<string, MethodSeries[]>,
  geometries: ReadonlyMap<string, MethodGeometry> = new Map(),
): BoundAlarm[] {
  const alarms: BoundAlarm[] = [];
  for (const [layer, list] of byLayer) {
    const steps = [...new Set(list.flatMap((s) => [...s.x]))].sort((a, b) => a - b);
    for (const st of steps) alarms.push(...alarmsOf(layer, st, valuesAt(list, st), geometryOf(geometries, layer)));
  }
  return alarms;
}

/** Every value of a getLayerBounds row, the stored certified bound included. */
export function rowValues(row: LayerBoundsRow): MethodValue[] {
  const values = row.bounds.map((b) => ({ method: canonicalMethod(b.method), value: b.value }));
  return row.certified !== undefined ? [...values, { method: CERTIFIED_TOKEN, value: row.certified }] : values;
}

/** Alarms within one getLayerBounds answer (one step). */
export function rowAlarms(rows: readonly LayerBoundsRow[], step: number | null): BoundAlarm[] {
  return rows.flatMap((row) => alarmsOf(row.layer, step, rowValues(row), row.geometry ?? UNKNOWN_GEOMETRY));
}

/** Colour of a tightness ratio: 1 (tight) green through amber to red at `worst`; an alarm cell is magenta. */
export function ratioColor(r: number, worst: number, dark: boolean, alarm = false): string {
  if (alarm) return dark ? '#ff3df0' : '#c000b0';
  if (!Number.isFinite(r)) return dark ? '#2a2f3a' : '#e8eaef';
  const t = Math.min(1, Math.log(Math.max(r, 1)) / Math.log(Math.max(worst, 1.0001)));
  const hue = 130 - 130 * t;
  return `hsl(${hue.toFixed(0)} ${dark ? 55 : 65}% ${dark ? 50 : 55}%)`;
}
