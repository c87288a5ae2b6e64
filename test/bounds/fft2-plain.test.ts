/**
 * The plain variant of the float64 SIMD DFT (kernels/dft64.wat without relaxed SIMD, as where it is off): the same
 * operations in the same order as fft2.ts's JavaScript loops, so the same bits. The fused variant: fft2.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { randomKernel } from './spectral-vectors.js';

// Before the kernels load: this file's process runs the plain variants only (kernels/index.ts relaxedSimdAvailable).
process.env.SPECTRAL_LAB_WASM_FMA = '0';
const { frequencyMatrices } = await import('../../src/main/engine/bounds/numerics/fft2.js');
const { relaxedSimdAvailable } = await import('../../src/main/engine/kernels/index.js');
const { ownDftMemory } = await import('../../src/main/engine/bounds/numerics/fft2-heap.js');

describe('frequencyMatrices in float64 SIMD, plain variant', () => {
  it('gives the JavaScript matrices bit for bit', () => {
    expect(relaxedSimdAvailable()).toBe(false);
    const memory = ownDftMemory();
    expect(memory, 'WebAssembly SIMD runs under the test runner').not.toBeNull();
    for (const [shape, nh, nw] of [
      [[3, 3, 16, 24], 8, 8],
      [[3, 3, 24, 16], 9, 6],
      [[7, 7, 3, 64], 12, 12],
      [[3, 3, 64, 64], 7, 7],
    ] as const) {
      const k = randomKernel([...shape], 11);
      const js = frequencyMatrices(k, nh, nw);
      const simd = frequencyMatrices(k, nh, nw, undefined, { memory: memory!, at: 48 });
      expect(simd.data.buffer).toBe(memory!.buffer);
      expect(Array.from(simd.data), shape.join('x')).toEqual(Array.from(js.data));
    }
  });
});
