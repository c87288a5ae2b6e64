/** The sweep view's plot geometry: log axes for values over decades, ticks, parallel coordinates, distinct colours. */
import { describe, expect, it } from 'vitest';
import { distinctColor, makeAxis, parallelLayout, wantsLog } from '../../src/renderer/src/lib/sweep-plot.js';

describe('sweep plot geometry', () => {
  it('uses a log axis for a weight-decay grid and a linear one for accuracies', () => {
    expect(wantsLog([1e-5, 1e-4, 1e-3])).toBe(true);
    expect(wantsLog([0.5, 0.9])).toBe(false);
    expect(wantsLog([0, 1e-3, 1])).toBe(false); // zero cannot be on a log axis
    const wd = makeAxis([1e-5, 1e-4, 1e-3]);
    expect(wd.log).toBe(true);
    expect(wd.ticks).toEqual([1e-5, 1e-4, 1e-3]);
    expect(wd.pos(1e-4)).toBeCloseTo(0.5, 12);
    const acc = makeAxis([0.52, 0.91]);
    expect(acc.log).toBe(false);
    expect(acc.ticks).toEqual([0.6, 0.7, 0.8, 0.9]);
    expect(acc.pos(0.52)).toBe(0);
    expect(acc.pos(2)).toBe(1);
  });

  it('widens a degenerate range around a single value', () => {
    const a = makeAxis([3, 3]);
    expect(a.min).toBeLessThan(3);
    expect(a.max).toBeGreaterThan(3);
    // Every run certifying 0%: the axis reads 0…1, not -1…1.
    const zero = makeAxis([0, 0, 0]);
    expect([zero.min, zero.max]).toEqual([0, 1]);
    expect(makeAxis([0.01, 0.01]).min).toBeGreaterThanOrEqual(0);
    expect(makeAxis([-2, -2]).min).toBeLessThan(-2);
  });

  it('lays rows out across the axes, larger values up, gaps where a value is missing', () => {
    const axes = [makeAxis([0, 10], { log: false }), makeAxis([0, 1], { log: false })];
    const lines = parallelLayout(
      [
        [10, 0],
        [5, null],
      ],
      axes,
    );
    expect(lines[0].points).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(lines[1].points).toEqual([[0, 0.5], null]);
  });

  it('gives every series of a plot its own colour', () => {
    const colours = Array.from({ length: 300 }, (_, i) => distinctColor(i, false));
    expect(new Set(colours).size).toBe(300);
  });
});
