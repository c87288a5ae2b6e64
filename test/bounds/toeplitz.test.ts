import { describe, expect, it } from 'vitest';
import { KernelError, type KernelHWIO } from '../../src/shared/bounds.js';
import { toeplitzBound } from '../../src/main/engine/bounds/methods/toeplitz.js';
import { kernelBytes, variantText } from '../../src/main/engine/kernels/index.js';
import { caseKernel, exactValues, loadSpectralCases, relErr } from './spectral-vectors.js';

const cases = loadSpectralCases();
const byId = (id: string) => {
  const c = cases.find((x) => x.id === id);
  if (!c) throw new Error(`no case ${id} in the shared vectors`);
  return c;
};

// The float64 enclosure throughout (lastStep 'float64'); the default float32 last step: toeplitz-float32.test.ts.
const f64 = { lastStep: 'float64' } as const;

describe('toeplitzBound against the reference (every case, t = 1..4)', () => {
  for (const c of cases) {
    it(`${c.id}: the reference's values, and never below any exact norm of the case`, () => {
      const r = toeplitzBound(caseKernel(c), 4, f64);
      expect(r.kind).toBe('upper bound');
      expect(r.validFor).toEqual({ padding: 'any', stride: 1 });
      expect(r.value).toBe(r.perIteration[3]);
      const exact = exactValues(c);
      for (const t of ['1', '2', '3', '4'] as const) {
        const ours = r.perIteration[Number(t) - 1];
        // Rounding accounted (toeplitz-enclosure.ts): above the exact-arithmetic bound by ~1e-13..1e-10 only.
        expect(relErr(ours, c.toeplitz_gram_bound_delattre2024[t]), `t=${t}`).toBeLessThan(1e-9);
        // A guaranteed upper bound on the Toeplitz norm, hence on every n and padding: no slack allowed.
        for (const x of exact) expect(ours, `t=${t} vs exact ${x}`).toBeGreaterThanOrEqual(x);
      }
    });
  }

  it('computes t iterations directly (t = 2 equals the second of four)', () => {
    const c = cases[0];
    const two = toeplitzBound(caseKernel(c), 2, f64);
    expect(two.iterations).toBe(2);
    expect(two.value).toBe(toeplitzBound(caseKernel(c), 4, f64).perIteration[1]);
  });

  it('gives 0 for a zero kernel', () => {
    const zero: KernelHWIO = { shape: [3, 3, 2, 4], data: new Float64Array(72) };
    expect(toeplitzBound(zero, 3).value).toBe(0);
  });
});

describe('toeplitzBound: guaranteed where the bound is tight', () => {
  it('a frequency exactly zero (the difference kernel [1, -1] at v = 0): >= the Toeplitz norm 2 at every t', () => {
    const r = toeplitzBound(caseKernel(byId('diff_1x2_ci1_co1')), 4, f64);
    for (const v of r.perIteration) {
      expect(v).toBeGreaterThanOrEqual(2);
      expect(v).toBeLessThan(2 * (1 + 1e-10));
    }
  });

  it('a dominant frequency (a constant kernel: all its energy at w = 0, norm 9 x 4 = 36): >= 36 at every t', () => {
    const ones: KernelHWIO = { shape: [3, 3, 4, 4], data: new Float64Array(144).fill(1) };
    const r = toeplitzBound(ones, 4, f64);
    for (const v of r.perIteration) {
      expect(v).toBeGreaterThanOrEqual(36);
      expect(v).toBeLessThan(36 * (1 + 1e-10));
    }
  });
});

describe('toeplitzBound: weights of any magnitude', () => {
  it('scales with the kernel from 1e-300 to 1e+300 (no square of a weight is formed before normalising)', () => {
    const c = byId('rand_3x3_ci8_co8');
    const base = toeplitzBound(caseKernel(c), 3, f64).perIteration;
    for (const scale of [1e-300, 1e-170, 1e170, 1e300]) {
      const k = caseKernel(c);
      const scaled: KernelHWIO = { shape: k.shape, data: k.data.map((x) => x * scale) };
      const r = toeplitzBound(scaled, 3, f64).perIteration;
      for (let j = 0; j < 3; j++)
        expect(relErr(r[j], base[j] * scale), `scale ${scale} t=${j + 1}`).toBeLessThan(1e-12);
      const exact = Math.max(...exactValues(c)) * scale;
      for (const v of r) expect(v).toBeGreaterThanOrEqual(exact * (1 - 1e-14));
    }
  });
});

describe('toeplitzBound: paths and pruning give the same value', () => {
  it('WebAssembly SIMD and JavaScript (both float64) agree at every t, on square, wide, tall and odd shapes', () => {
    for (const id of ['rand_3x3_ci16_co8', 'rand_3x3_ci3_co32', 'rand_5x3_ci6_co4', 'rand_7x7_ci3_co8']) {
      const k = caseKernel(byId(id));
      const simd = toeplitzBound(k, 3, { path: 'simd', ...f64 });
      const js = toeplitzBound(k, 3, { path: 'js' });
      expect(simd.path).toBe('simd');
      expect(js.path).toBe('js');
      for (let j = 0; j < 3; j++)
        expect(relErr(simd.perIteration[j], js.perIteration[j]), `${id} t=${j + 1}`).toBeLessThan(1e-12);
    }
  });

  it('agree where the DFT stages are split in chunks of lanes between two threads (P = 96: 72 KB rows)', () => {
    // a deterministic pseudo-random 3 x 3 x 40 x 96 kernel: the stages' rows exceed toeplitz-heap.ts SPLIT_BYTES,
    // so the helper thread (where there is one) computes some chunks, each with its own scratch along u
    let seed = 12345;
    const data = Float64Array.from(
      { length: 9 * 40 * 96 },
      () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5,
    );
    const k: KernelHWIO = { shape: [3, 3, 40, 96], data };
    const simd = toeplitzBound(k, 2, { path: 'simd', ...f64 });
    const js = toeplitzBound(k, 2, { path: 'js' });
    for (let j = 0; j < 2; j++)
      expect(relErr(simd.perIteration[j], js.perIteration[j]), `t=${j + 1}`).toBeLessThan(1e-12);
  });

  it('pruning the exactly-zero frequencies skips their Grams and changes no value', () => {
    const k = caseKernel(byId('diff_1x2_ci1_co1'));
    for (const path of ['simd', 'js'] as const) {
      const pruned = toeplitzBound(k, 4, { path });
      const full = toeplitzBound(k, 4, { path, prune: false });
      expect(pruned.gramsRun).toBeLessThan(full.gramsRun);
      expect(full.gramsRun).toBe(full.gramsFull);
      expect(pruned.perIteration).toEqual(full.perIteration);
    }
  });

  it('takes float32 kernels (as tfjs gives them) with the same value as their float64 copy', () => {
    const k = caseKernel(byId('rand_3x3_ci8_co8'));
    const k32: KernelHWIO = { shape: k.shape, data: Float32Array.from(k.data) };
    const k64: KernelHWIO = { shape: k.shape, data: Float64Array.from(k32.data) };
    expect(toeplitzBound(k32, 2).perIteration).toEqual(toeplitzBound(k64, 2).perIteration);
  });
});

describe('kernels/toeplitz.wat', () => {
  const validate = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly
    .validate;
  it('compiles and validates fused and plain, own and shared memory (the plain variant has no relaxed SIMD)', () => {
    for (const fused of [true, false]) {
      for (const shared of [false, true]) {
        // fused validates where this engine has relaxed SIMD (whether or not SPECTRAL_LAB_WASM_FMA lets the engine use it)
        const relaxedHere = validate(kernelBytes('relaxed-probe', { fused: true }));
        for (const name of ['toeplitz', 'toeplitz-gram', 'toeplitz-inverse'] as const) {
          expect(validate(kernelBytes(name, { fused, shared })), name).toBe(fused ? relaxedHere : true);
          expect(/\(f64x2\.relaxed_/.test(variantText(name, { fused, shared })), name).toBe(fused);
        }
      }
    }
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
    expect(() => toeplitzBound(k, 2.5)).toThrow(/integer in \[1, 30\]/);
    const huge = { shape: [3, 3, 512, 512], data: new Float32Array(9 * 512 * 512) } as KernelHWIO;
    expect(() => toeplitzBound(huge, 4)).toThrow(/Use fewer iterations/);
  });
});
