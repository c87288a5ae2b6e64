/**
 * Tightness of the per-layer upper bounds against the exact norm, over training: ratio
 * upper / exact (1 = tight), and alarms wherever an upper bound falls below the exact value or
 * below the operator estimate (a lower estimate) — which Theorem 1 says cannot happen, so it means
 * a bug or a numerical problem. Pure TS.
 */
import type { LayerBoundsRow } from '../../../shared/api';
import { canonicalMethod, methodKind, methodLabel } from './series-names';

/** Relative slack for float round-off before a bound counts as violated. */
export const ALARM_TOLERANCE = 1e-6;

export interface MethodSeries {
  method: string;
  x: readonly number[];
  y: readonly number[];
}

export interface TightnessGrid {
  layers: string[];
  steps: number[];
  /** ratio[layer][stepIndex]; NaN where either value is missing. */
  ratio: number[][];
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

function valueAt(s: MethodSeries | undefined, step: number): number {
  if (!s) return Number.NaN;
  const i = s.x.indexOf(step);
  return i >= 0 ? s.y[i] : Number.NaN;
}

export function tightnessGrid(byLayer: Map<string, MethodSeries[]>, upperMethod: string): TightnessGrid {
  const layers = [...byLayer.keys()];
  const stepSet = new Set<number>();
  for (const list of byLayer.values()) for (const s of list) if (methodKind(s.method) === 'exact') s.x.forEach((x) => stepSet.add(x));
  const steps = [...stepSet].sort((a, b) => a - b);
  const ratio = layers.map((layer) => {
    const list = byLayer.get(layer) ?? [];
    const upper = list.find((s) => s.method === upperMethod);
    const exact = list.find((s) => methodKind(s.method) === 'exact');
    return steps.map((st) => valueAt(upper, st) / valueAt(exact, st));
  });
  return { layers, steps, ratio };
}

/**
 * Which comparisons are theorems. Theorem 1's four reshapes bound the circular and the zero-padded
 * (strided) operator alike; Gram iteration bounds the circular one; the Toeplitz bound and the
 * "certified" minimum hold at the layer's real (zero) padding, which may lie below the circular norm.
 */
const F4_FAMILY = ['f4', 'f4-R', 'f4-S', 'f4-T', 'f4-U', 'f4-polyphase', 'miyato-t'];
const ABOVE_EXACT_CIRCULAR = new Set([...F4_FAMILY.filter((m) => m !== 'f4-polyphase'), 'gram-iteration']);
const ABOVE_OPERATOR_ESTIMATE = new Set([...F4_FAMILY, 'certified', 'toeplitz-norm2toep']);

function comparable(upper: string, ref: string): boolean {
  return methodKind(ref) === 'exact' ? ABOVE_EXACT_CIRCULAR.has(upper) : ABOVE_OPERATOR_ESTIMATE.has(upper);
}

function check(layer: string, step: number | null, method: string, value: number, against: string, reference: number): BoundAlarm | null {
  if (!Number.isFinite(value) || !Number.isFinite(reference)) return null;
  if (value >= reference * (1 - ALARM_TOLERANCE)) return null;
  const what = methodKind(against) === 'exact' ? 'the exact norm' : 'the operator estimate (a lower bound)';
  return {
    layer,
    step,
    method,
    value,
    against,
    reference,
    message: `${layer}${step === null ? '' : ` at step ${step}`}: ${methodLabel(method)} = ${value.toPrecision(6)} is below ${what} ${reference.toPrecision(6)}`,
  };
}

/** Alarms over the series of every layer: each upper bound against exact and estimate at each step. */
export function seriesAlarms(byLayer: Map<string, MethodSeries[]>): BoundAlarm[] {
  const alarms: BoundAlarm[] = [];
  for (const [layer, list] of byLayer) {
    const refs = list.filter((s) => methodKind(s.method) === 'exact' || methodKind(s.method) === 'estimate');
    for (const up of list.filter((s) => methodKind(s.method) === 'upper')) {
      for (let i = 0; i < up.x.length; i++) {
        for (const ref of refs) {
          if (!comparable(up.method, ref.method)) continue;
          const a = check(layer, up.x[i], up.method, up.y[i], ref.method, valueAt(ref, up.x[i]));
          if (a) alarms.push(a);
        }
      }
    }
  }
  return alarms;
}

/** Alarms within one getLayerBounds answer (one step). */
export function rowAlarms(rows: readonly LayerBoundsRow[], step: number | null): BoundAlarm[] {
  const alarms: BoundAlarm[] = [];
  for (const row of rows) {
    const refs = row.bounds.filter((b) => b.kind === 'exact' || b.kind === 'estimate (lower)');
    for (const up of row.bounds.filter((b) => b.kind === 'upper bound')) {
      for (const ref of refs) {
        if (!comparable(canonicalMethod(up.method), canonicalMethod(ref.method))) continue;
        const a = check(row.layer, step, canonicalMethod(up.method), up.value, canonicalMethod(ref.method), ref.value);
        if (a) alarms.push(a);
      }
    }
  }
  return alarms;
}

/** Colour of a tightness ratio: 1 (tight) green through amber to red at `worst`; below 1 = alarm. */
export function ratioColor(r: number, worst: number, dark: boolean): string {
  if (!Number.isFinite(r)) return dark ? '#2a2f3a' : '#e8eaef';
  if (r < 1 - ALARM_TOLERANCE) return dark ? '#ff3df0' : '#c000b0';
  const t = Math.min(1, Math.log(r) / Math.log(Math.max(worst, 1.0001)));
  const hue = 130 - 130 * t;
  return `hsl(${hue.toFixed(0)} ${dark ? 55 : 65}% ${dark ? 50 : 55}%)`;
}
