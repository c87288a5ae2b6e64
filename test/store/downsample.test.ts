import { describe, expect, test } from 'vitest';
import { bucketWidth, MinMaxBuckets, minMaxDownsample } from '../../src/shared/downsample.js';

/** A deterministic noisy series with isolated one-point spikes (up and down). */
function series(n: number, spikes: Map<number, number>): { steps: number[]; values: number[] } {
  const steps: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    steps.push(i);
    values.push(spikes.get(i) ?? Math.sin(i / 50) * 0.5 + ((i * 7919) % 13) / 100);
  }
  return { steps, values };
}

describe('minMaxDownsample', () => {
  test('keeps every spike, stays within the budget, returns only real points in step order', () => {
    const spikes = new Map([
      [12_345, 40],
      [54_321, -35],
      [99_998, 17],
      [0, -9],
    ]);
    const { steps, values } = series(100_000, spikes);
    const out = minMaxDownsample(steps, values, 500);
    expect(out.downsampled).toBe(true);
    expect(out.steps.length).toBeLessThanOrEqual(500);
    expect(out.steps.length).toBeGreaterThan(250);
    for (const [s, v] of spikes) {
      const i = out.steps.indexOf(s);
      expect(i, `spike at step ${s}`).toBeGreaterThanOrEqual(0);
      expect(out.values[i]).toBe(v);
    }
    for (let i = 0; i < out.steps.length; i++) {
      expect(out.values[i]).toBe(values[out.steps[i]]);
      if (i > 0) expect(out.steps[i]).toBeGreaterThan(out.steps[i - 1]);
    }
  });

  test('each bucket holds its true min and max', () => {
    const { steps, values } = series(10_000, new Map());
    const budget = 100;
    const out = minMaxDownsample(steps, values, budget);
    const width = bucketWidth(0, 9999, budget);
    for (let b = 0; b * width < 10_000; b++) {
      const slice = values.slice(b * width, (b + 1) * width);
      const inBucket = out.values.filter((_, i) => Math.floor(out.steps[i] / width) === b);
      expect(Math.min(...inBucket)).toBe(Math.min(...slice));
      expect(Math.max(...inBucket)).toBe(Math.max(...slice));
    }
  });

  test('a series within the budget comes back unchanged', () => {
    const out = minMaxDownsample([3, 1, 2], [30, 10, 20], 10);
    expect(out).toEqual({ steps: [3, 1, 2], values: [30, 10, 20], downsampled: false });
  });

  test('unsorted input gives the same result as sorted input', () => {
    const { steps, values } = series(5000, new Map([[777, 9]]));
    const order = steps.map((_, i) => i).sort((a, b) => ((a * 2654435761) % 5000) - ((b * 2654435761) % 5000));
    const shuffled = minMaxDownsample(
      order.map((i) => steps[i]),
      order.map((i) => values[i]),
      64,
    );
    expect(shuffled).toEqual(minMaxDownsample(steps, values, 64));
  });

  test('NaN points do not hide numbers; a bucket of only NaN becomes one NaN (a gap)', () => {
    const steps = Array.from({ length: 40 }, (_, i) => i);
    const values = steps.map((s) => (s >= 20 ? Number.NaN : s === 5 ? Number.NaN : s));
    const out = minMaxDownsample(steps, values, 8); // 3 buckets of 14 steps
    expect(out.steps).toEqual([0, 13, 14, 19, 28]);
    expect(out.values.slice(0, 4)).toEqual([0, 13, 14, 19]);
    expect(out.values[4]).toBeNaN();
  });

  test('ties keep the earliest step', () => {
    const b = new MinMaxBuckets(10);
    b.add(4, 1);
    b.add(2, 1);
    b.add(7, 5);
    b.add(3, 5);
    expect(b.result()).toEqual({ steps: [2, 3], values: [1, 5] });
  });

  test('pre-aggregated blocks and single points merge the same way', () => {
    const a = new MinMaxBuckets(100);
    const b = new MinMaxBuckets(100);
    const { steps, values } = series(1000, new Map([[333, 12]]));
    for (let i = 0; i < 1000; i++) a.add(steps[i], values[i]);
    for (let blk = 0; blk < 1000; blk += 25) {
      const idx = steps.slice(blk, blk + 25).map((_, k) => blk + k);
      const lo = idx.reduce((m, i) => (values[i] < values[m] ? i : m));
      const hi = idx.reduce((m, i) => (values[i] > values[m] ? i : m));
      b.addExtremes(steps[lo], values[lo], steps[hi], values[hi]);
    }
    expect(b.result()).toEqual(a.result());
  });

  test('rejects what it cannot do', () => {
    expect(() => minMaxDownsample([1, 2], [1], 10)).toThrow(/same length/);
    expect(() => minMaxDownsample([1], [1], 3)).toThrow(/at least 4/);
  });
});
