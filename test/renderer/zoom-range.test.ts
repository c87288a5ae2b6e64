/** A zoom's x range as the step range getSeries reads (src/renderer/src/lib/zoom-range.ts). */
import { describe, expect, it } from 'vitest';
import { stepRangeOf } from '../../src/renderer/src/lib/zoom-range.js';

describe('stepRangeOf', () => {
  it('on the step axis: the whole steps covering the range, either way round, never below 0', () => {
    expect(stepRangeOf([], [10.2, 19.7], 'step')).toEqual({ fromStep: 10, toStep: 20 });
    expect(stepRangeOf([], [19.7, 10.2], 'step')).toEqual({ fromStep: 10, toStep: 20 });
    expect(stepRangeOf([], [-3, 2], 'step')).toEqual({ fromStep: 0, toStep: 2 });
    expect(stepRangeOf([], [Number.NaN, 2], 'step')).toBeNull();
  });

  it('on the epoch / time axis: the loaded points just outside the range, united over series', () => {
    const a = { x: [0.5, 1, 1.5, 2, 2.5], steps: [50, 100, 150, 200, 250] };
    const b = { x: [0.2, 1.2, 2.2, 3.2], steps: [20, 120, 220, 320] };
    expect(stepRangeOf([a], [1.1, 1.9], 'epoch')).toEqual({ fromStep: 100, toStep: 200 });
    expect(stepRangeOf([a, b], [1.1, 1.9], 'epoch')).toEqual({ fromStep: 20, toStep: 220 });
    expect(stepRangeOf([a, b], [1.3, 2.1], 'time')).toEqual({ fromStep: 100, toStep: 250 });
  });

  it('leaves an end open where no loaded point lies beyond it', () => {
    const a = { x: [1, 2, 3], steps: [10, 20, 30] };
    expect(stepRangeOf([a], [0, 2.5], 'epoch')).toEqual({ fromStep: undefined, toStep: 30 });
    expect(stepRangeOf([a], [1.5, 9], 'epoch')).toEqual({ fromStep: 10, toStep: undefined });
    // One series open at an end opens it for all (its points there may lie anywhere).
    expect(stepRangeOf([a, { x: [0.2, 4], steps: [2, 40] }], [0.5, 1.5], 'epoch')).toEqual({
      fromStep: undefined,
      toStep: 40,
    });
  });

  it('skips points without an x (no epoch yet) and series with none drawn', () => {
    const a = { x: [Number.NaN, Number.NaN, 1, 2, 3], steps: [1, 2, 10, 20, 30] };
    expect(stepRangeOf([a, { x: [], steps: [] }], [1.5, 2.5], 'epoch')).toEqual({ fromStep: 10, toStep: 30 });
    expect(stepRangeOf([{ x: [], steps: [] }], [1, 2], 'epoch')).toEqual({});
  });

  it('cannot map points without their steps: null (the caller reads whole series)', () => {
    expect(stepRangeOf([{ x: [1, 2, 3], steps: [] }], [1, 2], 'time')).toBeNull();
  });
});
