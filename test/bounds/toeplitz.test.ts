import { describe, expect, it } from 'vitest';
import { KernelError, type KernelHWIO } from '../../src/shared/bounds.js';
import { toeplitzBound } from '../../src/main/engine/bounds/methods/toeplitz.js';
import { caseKernel, exactValues, loadSpectralCases, relErr } from './spectral-vectors.js';

const cases = loadSpectralCases();

describe('toeplitzBound against the reference (every case, t = 1..4)', () => {
  for (const c of cases) {
    it(`${c.id}: values, and never below any exact norm of the case`, () => {
      const r = toeplitzBound(caseKernel(c), 4);
      expect(r.kind).toBe('upper bound');
      expect(r.validFor).toEqual({ padding: 'any', stride: 1 });
      expect(r.value).toBe(r.perIteration[3]);
      const exact = exactValues(c);
      for (const t of ['1', '2', '3', '4'] as const) {
        const ours = r.perIteration[Number(t) - 1];
        expect(relErr(ours, c.toeplitz_gram_bound_delattre2024[t]), `t=${t}`).toBeLessThan(1e-5);
        // Valid for every n and zero or circular padding. The slack covers float64 rounding only: for the
        // difference kernel the bound equals the Toeplitz norm 2 (the reference itself has 1.9999999999999998).
        for (const x of exact) expect(ours, `t=${t} vs exact ${x}`).toBeGreaterThanOrEqual(x * (1 - 1e-12));
      }
    });
  }

  it('computes t iterations directly (t = 2 equals the second of four)', () => {
    const c = cases[0];
    const two = toeplitzBound(caseKernel(c), 2);
    expect(two.iterations).toBe(2);
    expect(relErr(two.value, c.toeplitz_gram_bound_delattre2024['2'])).toBeLessThan(1e-12);
  });

  it('gives 0 for a zero kernel', () => {
    const zero: KernelHWIO = { shape: [3, 3, 2, 4], data: new Float64Array(72) };
    expect(toeplitzBound(zero, 3).value).toBe(0);
  });
});

describe('toeplitzBound rejects bad input with a KernelError', () => {
  const k = caseKernel(cases[0]);
  it('NaN weights, non-4-D kernels, bad iteration counts, infeasible sizes', () => {
    const bad = { shape: k.shape, data: Float64Array.from(k.data) } as KernelHWIO;
    bad.data[3] = Infinity;
    expect(() => toeplitzBound(bad)).toThrow(/finite weights/);
    expect(() => toeplitzBound({ shape: [3, 3], data: new Float64Array(9) } as unknown as KernelHWIO)).toThrow(
      /4-D kernel/,
    );
    expect(() => toeplitzBound(k, 0)).toThrow(KernelError);
    const huge = { shape: [3, 3, 512, 512], data: new Float32Array(9 * 512 * 512) } as KernelHWIO;
    expect(() => toeplitzBound(huge, 4)).toThrow(/Use fewer iterations/);
  });
});
