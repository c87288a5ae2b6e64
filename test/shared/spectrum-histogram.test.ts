/**
 * The compact spectrum form: a fixed-bin histogram whose counts add up, whose max is the exact norm, and that
 * survives the store's packed number array exactly; and the evaluation's layer report carrying the spectrum of
 * the same Sedghi run that gives the norm.
 */
import { describe, expect, it } from 'vitest';
import {
  packSpectrumHistogram,
  spectrumHistogram,
  SPECTRUM_HISTOGRAM_BINS,
  unpackSpectrumHistogram,
} from '../../src/shared/spectrum.js';
import { computeLayerBounds, spectrumAffordable } from '../../src/main/engine/bounds/layer-report.js';
import { sedghiExactNorm } from '../../src/main/engine/bounds/methods/sedghi.js';
import { mulberry32 } from '../../src/main/engine/data/rng.js';
import type { KernelHWIO } from '../../src/shared/bounds.js';

describe('spectrumHistogram', () => {
  it('bins equal-width from min to max, the max in the last bin', () => {
    const h = spectrumHistogram([0, 1, 2, 3, 4, 4], 4);
    expect(h).toEqual({ count: 6, min: 0, max: 4, edges: [0, 1, 2, 3, 4], counts: [1, 1, 1, 3], nonFinite: 0 });
  });

  it('uses 64 bins by default, counts every finite value once and leaves non-finite ones out', () => {
    const values = Array.from({ length: 1000 }, (_, i) => Math.sqrt(i));
    const h = spectrumHistogram([...values, Number.NaN, Infinity]);
    expect(h.counts).toHaveLength(SPECTRUM_HISTOGRAM_BINS);
    expect(h.edges).toHaveLength(SPECTRUM_HISTOGRAM_BINS + 1);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(1000);
    expect([h.count, h.nonFinite, h.min, h.max]).toEqual([1000, 2, 0, Math.sqrt(999)]);
    // sqrt(i) is denser near the top: the last bin holds more than the first.
    expect(h.counts[63]).toBeGreaterThan(h.counts[0]);
  });

  it('handles a single-valued spectrum and an empty one', () => {
    expect(spectrumHistogram([2, 2, 2], 3)).toMatchObject({ count: 3, min: 2, max: 2, counts: [3, 0, 0] });
    expect(spectrumHistogram([], 2)).toEqual({
      count: 0,
      min: 0,
      max: 0,
      edges: [0, 0, 0],
      counts: [0, 0],
      nonFinite: 0,
    });
    expect(() => spectrumHistogram([1], 0)).toThrow(/bins must be an integer/);
  });

  it('round-trips exactly through the packed form, and refuses a malformed one', () => {
    const h = spectrumHistogram(Array.from({ length: 300 }, (_, i) => 0.1 + Math.sin(i) ** 2 / 3));
    const packed = packSpectrumHistogram(h);
    expect(packed).toHaveLength(5 + SPECTRUM_HISTOGRAM_BINS);
    expect(unpackSpectrumHistogram(Array.from(packed))).toEqual(h);
    expect(() => unpackSpectrumHistogram([4, 1, 0, 1, 0, 1])).toThrow(/expected \[bins/);
  });
});

describe('computeLayerBounds with spectrum', () => {
  const rand = mulberry32(7);
  const kernel: KernelHWIO = {
    shape: [3, 3, 4, 6],
    data: Float64Array.from({ length: 3 * 3 * 4 * 6 }, () => rand() - 0.5),
  };

  it('returns every singular value from the exact run that gives the norm', () => {
    const r = computeLayerBounds(
      'conv',
      kernel,
      { n: 8, stride: 1, padding: 'same' },
      { methods: ['exact'], spectrum: true },
    );
    expect(r.spectrum).toHaveLength(8 * 8 * 4);
    const h = spectrumHistogram(r.spectrum!);
    expect(h.max).toBe(r.exactCircular!.value);
    expect(h.max).toBeCloseTo(sedghiExactNorm(kernel, 8).value, 10);
    expect('spectrum' in r.exactCircular!).toBe(false);
    expect(
      computeLayerBounds('conv', kernel, { n: 8, stride: 1, padding: 'same' }, { methods: ['exact'] }).spectrum,
    ).toBeUndefined();
  });

  it('leaves the spectrum out, saying why, where its dense eigen-solves would stall an evaluation', () => {
    expect(spectrumAffordable([3, 3, 64, 64], 32)).toBe(true);
    expect(spectrumAffordable([3, 3, 512, 512], 4)).toBe(false);
    const wide: KernelHWIO = {
      shape: [1, 1, 300, 300],
      data: Float64Array.from({ length: 300 * 300 }, () => rand() - 0.5),
    };
    const r = computeLayerBounds(
      'wide',
      wide,
      { n: 8, stride: 1, padding: 'same' },
      { methods: ['exact'], spectrum: true },
    );
    expect(r.spectrum).toBeUndefined();
    expect(r.exactCircular!.value).toBeGreaterThan(0);
    expect(r.skipped).toEqual([
      { method: 'spectrum', reason: expect.stringMatching(/1x1x300x300 kernel at n = 8 .*only the norm was computed/) },
    ]);
  });
});
