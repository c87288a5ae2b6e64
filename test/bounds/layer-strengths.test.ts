/**
 * Issue 14: every layer gets Gram iteration at t = 6 and the Toeplitz bound at 4 iterations up to 128 channels, 2 on
 * wider stride-1 layers; the report (what `bounds --format json` prints per layer) carries the iterations each
 * method actually ran and its time.
 */
import { describe, expect, it } from 'vitest';
import {
  affordableToeplitzIterations,
  computeLayerBounds,
  GRAM_ITERATIONS,
  toeplitzIterationsFor,
  toeplitzMultiplyAdds,
} from '../../src/main/engine/bounds/layer-report.js';
import { randomKernel } from './spectral-vectors.js';

describe('layer bounds at full strength', () => {
  it('chooses the Toeplitz iterations by width', () => {
    const s1 = { n: 14, stride: 1, padding: 'same' as const };
    expect(toeplitzIterationsFor([3, 3, 64, 128], s1)).toBe(4);
    expect(toeplitzIterationsFor([3, 3, 256, 256], s1)).toBe(2);
    // Strided layers keep the bound (striding keeps a subset of rows) at 2 iterations where that costs no more than
    // the widest stride-1 layer (all four of ResNet-18's); grouped ones are not described by it.
    for (const shape of [
      [7, 7, 3, 64],
      [3, 3, 64, 128],
      [3, 3, 128, 256],
      [3, 3, 256, 512],
    ]) {
      expect(toeplitzIterationsFor(shape, { ...s1, stride: 2 }), shape.join('x')).toBe(2);
    }
    expect(toeplitzIterationsFor([3, 3, 512, 1024], { ...s1, stride: 2 })).toBe(1);
    expect(toeplitzIterationsFor([3, 3, 16, 64], { ...s1, groups: 4 })).toBe(0);
    expect(GRAM_ITERATIONS).toBe(6);
  });

  it('affords Toeplitz iterations by the multiply-adds of the float64 kernels', () => {
    // 512->512 at t = 2: 25 + 81 frequencies of 512^3 Gram multiply-adds (measured 15.3 GMAC with the DFTs).
    expect(toeplitzMultiplyAdds([3, 3, 512, 512], 2)).toBe((25 + 81) * 512 ** 3);
    // The first step's Gram is over the smaller channel side, later ones over the larger.
    expect(toeplitzMultiplyAdds([3, 3, 256, 512], 1)).toBe(25 * 512 ** 2 * 256);
    expect(affordableToeplitzIterations([3, 3, 512, 512], 4)).toBe(2);
    expect(affordableToeplitzIterations([3, 3, 128, 256], 4)).toBe(3);
    expect(affordableToeplitzIterations([7, 7, 3, 64], 4)).toBe(4);
    expect(affordableToeplitzIterations([7, 7, 3, 64], 4, 1e9)).toBe(3);
    expect(affordableToeplitzIterations([3, 3, 512, 1024], 4)).toBe(1);
  });

  it('reports per method the iterations run and the time, through JSON', () => {
    const k = randomKernel([3, 3, 36, 40], 21);
    const r = JSON.parse(
      JSON.stringify(
        computeLayerBounds('l', k, { n: 6, stride: 1, padding: 'same' }, { methods: ['exact', 'gram', 'toeplitz'] }),
      ),
    );
    expect(r.gram).toMatchObject({ iterations: 6, precision: 'float32', stepsFull: 6 * 20 });
    expect(r.gram.stepsRun).toBeGreaterThan(0);
    expect(r.gram.stepsRun).toBeLessThanOrEqual(r.gram.stepsFull);
    expect(r.gram.perIteration).toHaveLength(6);
    expect(r.toeplitz.iterations).toBe(4);
    expect(r.toeplitz.perIteration).toHaveLength(4);
    for (const m of ['f4', 'exactCircular', 'gram', 'toeplitz']) expect(r[m].timeMs, m).toBeGreaterThan(0);
    expect(r.gram.value).toBeGreaterThanOrEqual(r.exactCircular.value);
    expect(r.consistent).toBe(true);
  });
});
