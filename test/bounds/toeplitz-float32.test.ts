/**
 * The Toeplitz bound with its last self-correlation's Grams in float32 (toeplitzBound's default where the SIMD heap
 * runs; toeplitz-enclosure.ts gram32Allowance): still a guaranteed upper bound, at most LOOSENING above the float64
 * enclosure's value (ResNet-18's 17 layers: 2.7e-6 to 3.8e-5).
 */
import { describe, expect, it } from 'vitest';
import type { KernelHWIO } from '../../src/shared/bounds.js';
import { toeplitzBound } from '../../src/main/engine/bounds/methods/toeplitz.js';
import { caseKernel, exactValues, loadSpectralCases, relErr } from './spectral-vectors.js';

const cases = loadSpectralCases();
const LOOSENING = 1e-4;
const float64 = { lastStep: 'float64' } as const;

describe('toeplitzBound, float32 last step: every case of the shared vectors at t = 1..4', () => {
  for (const c of cases) {
    it(`${c.id}: never below an exact norm, nor the float64 enclosure's low end; within ${LOOSENING} above it`, () => {
      const k = caseKernel(c);
      const exact = exactValues(c);
      for (const t of [1, 2, 3, 4] as const) {
        const r = toeplitzBound(k, t);
        expect(r.lastStepPrecision).toBe('float32');
        const v64 = toeplitzBound(k, t, float64).value;
        // the float64 value's own enclosure width: above the exact-arithmetic (reference) value by < 1e-9
        const low = c.toeplitz_gram_bound_delattre2024[t] * (1 - 1e-9);
        expect(v64).toBeGreaterThanOrEqual(low);
        expect(r.value, `t=${t}`).toBeGreaterThanOrEqual(low);
        expect(r.value, `t=${t}`).toBeLessThanOrEqual(v64 * (1 + LOOSENING));
        for (const x of exact) expect(r.value, `t=${t} vs exact ${x}`).toBeGreaterThanOrEqual(x);
        // the earlier steps are float64: the same values as the float64 enclosure's
        expect(r.perIteration.slice(0, t - 1)).toEqual(toeplitzBound(k, t, float64).perIteration.slice(0, t - 1));
      }
    });
  }
});

describe('toeplitzBound, float32 last step: guaranteed where the bound is tight', () => {
  const check = (k: KernelHWIO, norm: number) => {
    for (const t of [1, 2, 3, 4]) {
      const v = toeplitzBound(k, t).value;
      expect(v, `t=${t}`).toBeGreaterThanOrEqual(norm);
      expect(v, `t=${t}`).toBeLessThan(norm * (1 + LOOSENING));
    }
  };
  it('a frequency exactly zero (the difference kernel [1, -1] at v = 0): >= the Toeplitz norm 2', () => {
    check(caseKernel(cases.find((c) => c.id === 'diff_1x2_ci1_co1') as (typeof cases)[number]), 2);
  });

  it('a dominant frequency (a constant kernel: all its energy at w = 0, norm 9 x 4 = 36)', () => {
    check({ shape: [3, 3, 4, 4], data: new Float64Array(144).fill(1) }, 36);
  });

  it('weights from 1e-300 to 1e+300 (the float32 rounding follows the power-of-two normalisation)', () => {
    const c = cases.find((x) => x.id === 'rand_3x3_ci8_co8') as (typeof cases)[number];
    const base = toeplitzBound(caseKernel(c), 3).value;
    const exact = Math.max(...exactValues(c));
    for (const scale of [1e-300, 1e-170, 1e170, 1e300]) {
      const k = caseKernel(c);
      const v = toeplitzBound({ shape: k.shape, data: k.data.map((x) => x * scale) }, 3).value;
      expect(relErr(v, base * scale), `scale ${scale}`).toBeLessThan(1e-6);
      expect(v).toBeGreaterThanOrEqual(exact * scale * (1 - 1e-14));
    }
  });
});

describe('toeplitzBound: the last step precision option', () => {
  const k = caseKernel(cases[0]);
  it('float32 by default in SIMD, float64 on request; the JavaScript path is float64 throughout', () => {
    expect(toeplitzBound(k, 2).lastStepPrecision).toBe('float32');
    expect(toeplitzBound(k, 2, float64).lastStepPrecision).toBe('float64');
    const js = toeplitzBound(k, 2, { path: 'js', lastStep: 'float32' });
    expect(js.lastStepPrecision).toBe('float64');
    expect(js.value).toBe(toeplitzBound(k, 2, { path: 'js' }).value);
  });

  it('refuses an unknown precision or path, naming the ones there are', () => {
    const bad = (o: object) => () => toeplitzBound(k, 2, o as never);
    expect(bad({ lastStep: 'float16' })).toThrow(/lastStep must be 'float32' or 'float64', got 'float16'/);
    expect(bad({ path: 'gpu' })).toThrow(/path must be 'simd' or 'js', got 'gpu'/);
  });

  it('pruned zero frequencies give the same float32 value as their computed (zero) Grams', () => {
    const d = caseKernel(cases.find((c) => c.id === 'diff_1x2_ci1_co1') as (typeof cases)[number]);
    const pruned = toeplitzBound(d, 3);
    const full = toeplitzBound(d, 3, { prune: false });
    expect(pruned.gramsRun).toBeLessThan(full.gramsRun);
    expect(pruned.perIteration).toEqual(full.perIteration);
  });
});
