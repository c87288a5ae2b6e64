/**
 * Min/max downsampling of a series to a point budget: steps are cut into equal-width buckets and each
 * bucket keeps the point with the smallest and the point with the largest value, so a spike (a loss
 * blow-up, an accuracy collapse) is never averaged or skipped away. Streaming: points (or
 * pre-aggregated blocks, as the store's rollup gives them) can arrive in any order. Pure TS.
 */

/** Buckets of `width` steps, aligned to multiples of `width` (bucket k holds steps [k*width, (k+1)*width)). */
export function bucketWidth(lo: number, hi: number, budget: number, align = 1): number {
  // Two points per bucket, and one bucket of slack because [lo, hi] need not start on a boundary.
  const buckets = Math.max(1, Math.floor(budget / 2) - 1);
  const w = Math.max(1, Math.ceil((hi - lo + 1) / buckets));
  return Math.ceil(w / align) * align;
}

interface Bucket {
  minStep: number;
  minValue: number;
  maxStep: number;
  maxValue: number;
  /** First step whose value was not a number (NaN), for buckets without any number. */
  nanStep: number;
}

function better(v: number, s: number, bestV: number, bestS: number, sign: 1 | -1): boolean {
  if (Number.isNaN(bestV)) return true;
  return sign * v < sign * bestV || (v === bestV && s < bestS);
}

export class MinMaxBuckets {
  private readonly buckets = new Map<number, Bucket>();
  private lastKey = Number.NaN;
  private last: Bucket | undefined;

  constructor(readonly width: number) {
    if (!(width >= 1)) throw new RangeError(`bucket width must be >= 1, got ${width}`);
  }

  private bucket(step: number): Bucket {
    const key = Math.floor(step / this.width);
    if (key === this.lastKey && this.last) return this.last;
    let b = this.buckets.get(key);
    if (!b) {
      b = { minStep: Number.NaN, minValue: Number.NaN, maxStep: Number.NaN, maxValue: Number.NaN, nanStep: Number.NaN };
      this.buckets.set(key, b);
    }
    this.lastKey = key;
    this.last = b;
    return b;
  }

  /** One point. NaN values only mark the bucket (shown as a gap when it holds nothing else). */
  add(step: number, value: number): void {
    this.addExtremes(step, value, step, value);
  }

  /**
   * A block of points already reduced to its min and max (all inside one bucket). A null/NaN value
   * means the block held no numbers; its step then marks the bucket as a gap.
   */
  addExtremes(minStep: number, minValue: number | null, maxStep: number, maxValue: number | null): void {
    const b = this.bucket(minStep);
    if (minValue === null || Number.isNaN(minValue)) {
      if (!(minStep >= b.nanStep)) b.nanStep = minStep;
      return;
    }
    if (better(minValue, minStep, b.minValue, b.minStep, 1)) {
      b.minValue = minValue;
      b.minStep = minStep;
    }
    const mv = maxValue === null || Number.isNaN(maxValue) ? minValue : maxValue;
    const ms = maxValue === null || Number.isNaN(maxValue) ? minStep : maxStep;
    if (better(mv, ms, b.maxValue, b.maxStep, -1)) {
      b.maxValue = mv;
      b.maxStep = ms;
    }
  }

  get size(): number {
    return this.buckets.size;
  }

  /** At most two points per bucket (min and max, in step order); a bucket of only NaN gives one NaN. */
  result(): { steps: number[]; values: number[] } {
    const keys = [...this.buckets.keys()].sort((a, b) => a - b);
    const steps: number[] = [];
    const values: number[] = [];
    for (const k of keys) {
      const b = this.buckets.get(k) as Bucket;
      if (Number.isNaN(b.minValue)) {
        steps.push(b.nanStep);
        values.push(Number.NaN);
      } else if (b.minStep === b.maxStep) {
        steps.push(b.minStep);
        values.push(b.minValue);
      } else if (b.minStep < b.maxStep) {
        steps.push(b.minStep, b.maxStep);
        values.push(b.minValue, b.maxValue);
      } else {
        steps.push(b.maxStep, b.minStep);
        values.push(b.maxValue, b.minValue);
      }
    }
    return { steps, values };
  }
}

/**
 * Downsample points sorted or not by step to at most `budget` points (budget >= 4), keeping each
 * bucket's min and max. Series within the budget are returned unchanged.
 */
export function minMaxDownsample(
  steps: ArrayLike<number>,
  values: ArrayLike<number>,
  budget: number,
): { steps: number[]; values: number[]; downsampled: boolean } {
  if (steps.length !== values.length) {
    throw new RangeError(`steps (${steps.length}) and values (${values.length}) must have the same length`);
  }
  if (!(budget >= 4)) throw new RangeError(`budget must be at least 4 points, got ${budget}`);
  const n = steps.length;
  if (n <= budget) return { steps: Array.from(steps), values: Array.from(values), downsampled: false };
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    if (steps[i] < lo) lo = steps[i];
    if (steps[i] > hi) hi = steps[i];
  }
  const buckets = new MinMaxBuckets(bucketWidth(lo, hi, budget));
  for (let i = 0; i < n; i++) buckets.add(steps[i], values[i]);
  return { ...buckets.result(), downsampled: true };
}
