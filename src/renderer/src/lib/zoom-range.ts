/**
 * A zoom's x range as a step range for getSeries (fromStep/toStep), so the lab spends the point budget on
 * what is visible. Pure TS.
 *
 * On the step axis x is the step. The epoch and the time since start are non-decreasing in the step, so
 * loaded points bracket the range: every point of the full series with x inside [x0, x1] lies between the
 * last loaded point with x < x0 and the first loaded point with x > x1 (whatever was dropped by the
 * downsampling in between). That needs each point's step (Series.steps); without them the range cannot be
 * mapped and the caller reads the whole series as before.
 */
import type { XAxis } from '../../../shared/api';

export interface SteppedPoints {
  x: number[];
  /** Step of each point (same length as x). */
  steps: number[];
}

export interface StepRange {
  /** undefined = open end. */
  fromStep?: number;
  toStep?: number;
}

/** Step range of one series covering [x0, x1], or null when its points cannot be mapped. */
function bracket(s: SteppedPoints, x0: number, x1: number): StepRange | null {
  if (s.steps.length !== s.x.length) return null;
  let from: number | undefined;
  let to: number | undefined;
  for (let i = 0; i < s.x.length; i++) {
    const x = s.x[i];
    if (!Number.isFinite(x)) continue; // e.g. no epoch recorded yet: not drawn, says nothing about the order
    if (x < x0) from = s.steps[i];
    else if (x > x1) {
      to = s.steps[i];
      break;
    }
  }
  return { fromStep: from, toStep: to };
}

/**
 * The smallest step range (as far as the loaded points tell) holding every point of `series` whose x is
 * in `range`; null when it cannot be told (then read whole series).
 */
export function stepRangeOf(series: readonly SteppedPoints[], range: [number, number], xAxis: XAxis): StepRange | null {
  const [x0, x1] = range[0] <= range[1] ? range : [range[1], range[0]];
  if (!Number.isFinite(x0) || !Number.isFinite(x1)) return null;
  if (xAxis === 'step') return { fromStep: Math.max(0, Math.floor(x0)), toStep: Math.max(0, Math.ceil(x1)) };
  let from: number | undefined = Infinity;
  let to: number | undefined = -Infinity;
  for (const s of series) {
    if (!s.x.some(Number.isFinite)) continue; // nothing drawn yet: no say in the range
    const b = bracket(s, x0, x1);
    if (!b) return null;
    // The union over series: an open end in any one opens it for all.
    from = from === undefined || b.fromStep === undefined ? undefined : Math.min(from, b.fromStep);
    to = to === undefined || b.toStep === undefined ? undefined : Math.max(to, b.toStep);
  }
  if (from === Infinity || to === -Infinity) return {};
  return { fromStep: from, toStep: to };
}
