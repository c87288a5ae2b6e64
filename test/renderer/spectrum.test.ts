/** The Bound explorer's spectrum chart: histogram bars as an outline and the exact norm as a marker. */
import { describe, expect, it } from 'vitest';
import { histogramOutline, spectrumSeries } from '../../src/renderer/src/lib/spectrum.js';
import { spectrumHistogram } from '../../src/shared/spectrum.js';
import type { LayerSpectrum } from '../../src/shared/api.js';

describe('spectrum chart series', () => {
  const h = spectrumHistogram([1, 2, 2, 3], 2);

  it('draws each bin as a bar outline closed at zero on both ends', () => {
    expect(histogramOutline(h)).toEqual({ x: [1, 1, 2, 2, 2, 3, 3], y: [0, 1, 1, 1, 3, 3, 0] });
    expect(histogramOutline(spectrumHistogram([], 2))).toEqual({ x: [], y: [] });
  });

  it('marks the exact norm with a dashed line as tall as the tallest bar, and draws nothing without a histogram', () => {
    const s: LayerSpectrum = { runId: 'r', layer: 'conv1', step: 5, availableSteps: [5], histogram: h, exactNorm: 3 };
    const [bars, norm] = spectrumSeries(s);
    expect(bars.label).toBe('conv1 singular values (4, step 5)');
    expect(norm).toMatchObject({ id: 'exact-norm', x: [3, 3], y: [0, 3], dashed: true });
    // The marker names the operator it is exact for, never a bare "exact norm".
    expect(norm.label).toBe('exact (circular, stride 1) 3.00000');
    expect(spectrumSeries({ ...s, step: null, histogram: null, exactNorm: null })).toEqual([]);
  });
});
