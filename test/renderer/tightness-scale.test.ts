import { describe, expect, it } from 'vitest';
import { methodSeriesByLayer, ratedLayers, tightnessGrid, worstRatio } from '../../src/renderer/src/lib/tightness.js';

const geometry = new Map([
  ['conv1', { padding: 'same' as const, stride: 1 }],
  ['conv2', { padding: 'same' as const, stride: 1 }],
]);

function gridOf(series: Record<string, { x: number[]; y: number[] }>) {
  return ratedLayers(
    tightnessGrid(
      methodSeriesByLayer(Object.keys(series), (n) => series[n]),
      'certified',
      geometry,
    ),
  );
}

describe('one tightness colour scale for compared runs', () => {
  it('groups bound series by layer, keeps layers with a ratio, and takes the loosest ratio of all grids as the top of the scale', () => {
    const tight = gridOf({
      'bound/conv1/certified': { x: [1, 2], y: [1.2, 1.1] },
      'bound/conv1/operator-power': { x: [1, 2], y: [1, 1] },
    });
    const loose = gridOf({
      'bound/conv1/certified': { x: [1], y: [4] },
      'bound/conv1/operator-power': { x: [1], y: [1] },
      'bound/conv2/certified': { x: [1], y: [2] }, // no lower value: no ratio, left out
    });
    expect(tight.layers).toEqual(['conv1']);
    expect(tight.ratio[0].map((r) => Number(r.toFixed(3)))).toEqual([1.2, 1.1]);
    expect(loose.layers).toEqual(['conv1']);
    expect(worstRatio([tight])).toBeCloseTo(1.2, 12);
    expect(worstRatio([tight, loose])).toBe(4);
    expect(worstRatio([])).toBeGreaterThan(1);
  });
});
