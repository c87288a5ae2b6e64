/**
 * The certified F4 value when only the minimum is certified (f4-certified.ts certifyMinimum, the default for large
 * layers): never below the float64 F4 value, within 1e-4 of it, on the shared vectors and on kernels chosen to trip
 * the choice of which norm to certify (exact ties, a dominant singular value, zeros).
 */
import { describe, expect, it, vi } from 'vitest';
import { F4_MATRICES, type F4Matrix, type F4Report, type KernelHWIO } from '../../src/shared/bounds.js';
import { f4Bound, f4PolyphaseBound } from '../../src/main/engine/bounds/methods/f4-certified.js';
import { f4NormEstimates } from '../../src/main/engine/bounds/methods/f4-estimates.js';
import { kernelScale, reshapeGram, stagedScale } from '../../src/main/engine/bounds/methods/f4-gram-rows.js';
import { f4ReshapeHost, type Shape4 } from '../../src/main/engine/bounds/methods/reshapes.js';
import {
  frobeniusSquaredUpper,
  gram64,
  lanczosLargestEigenvalue,
  powerOfTwoScale,
  shiftedCholesky,
  symmetricEigenvalues,
  transpose64,
} from '../../src/main/engine/bounds/numerics/linalg64.js';
import { caseKernel, loadVectorCases } from './f4-vectors.js';
import { randomKernel } from './spectral-vectors.js';
import { kernelBytes } from '../../src/main/engine/kernels/index.js';
import {
  choleskyHelperStarted,
  residentGram,
  unstageKernel,
} from '../../src/main/engine/bounds/numerics/cholesky-simd.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** ||X||_2 in float64 from the dense eigenvalues of the smaller Gram (Householder + QL): no Lanczos, no Cholesky. */
const fail = (): never => {
  throw new Error('non-finite');
};

function denseNorm(k: KernelHWIO, X: F4Matrix): number {
  const M = f4ReshapeHost(k, X);
  const data = Float64Array.from(M.data);
  const [n, m, A] = M.rows <= M.cols ? [M.rows, M.cols, data] : [M.cols, M.rows, transpose64(data, M.rows, M.cols)];
  return Math.sqrt(Math.max(0, symmetricEigenvalues(gram64(A, n, m), n)[n - 1]));
}

/** The float64 F4 value sqrt(hw) min_X ||X||_2. */
function exactF4(k: KernelHWIO): number {
  return Math.sqrt(k.shape[0] * k.shape[1]) * Math.min(...F4_MATRICES.map((X) => denseNorm(k, X)));
}

/** A guaranteed value (>= exact, with the argmin certified) within `gap` of the float64 F4 value. */
function expectCertifiedMin(r: F4Report, k: KernelHWIO, gap: number, label: string): void {
  const exact = exactF4(k);
  expect(r.value, label).toBeGreaterThanOrEqual(exact);
  if (exact > 0) expect(rel(r.value, exact), label).toBeLessThan(gap);
  else expect(r.value, label).toBe(0);
  expect(r.minBound).toBe(r.value);
  expect(r.value).toBe(r.sqrtHW * r.matrixNorms[r.argmin]);
  const certified = r.certified ?? F4_MATRICES;
  expect(certified, label).toContain(r.argmin);
  for (const X of certified) expect(r.matrixNorms[X], `${label} ${X}`).toBeGreaterThanOrEqual(denseNorm(k, X));
}

function kernelOf(shape: Shape4, f: (k: number, l: number, i: number, o: number) => number): KernelHWIO {
  const [h, w, ci, co] = shape;
  const data = new Float64Array(h * w * ci * co);
  for (let k = 0; k < h; k++)
    for (let l = 0; l < w; l++)
      for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) data[((k * w + l) * ci + i) * co + o] = f(k, l, i, o);
  return { shape, data };
}

describe('certified minimum on the shared vectors', () => {
  it.each(loadVectorCases().map((c) => [c.id, c] as const))('%s: stride 1 and polyphase', (id, c) => {
    const k = caseKernel(c);
    const r = f4Bound(k, { certify: 'minimum' });
    expect(r.value, id).toBeGreaterThanOrEqual(c.f4.min_bound);
    expect(rel(r.value, c.f4.min_bound), id).toBeLessThan(2e-5);
    expectCertifiedMin(r, k, 2e-5, id);
    const p = f4PolyphaseBound(k, 2, { certify: 'minimum' });
    expect(p.value, `${id} polyphase`).toBeGreaterThanOrEqual(c.f4_polyphase_stride2.min_bound);
    expect(rel(p.value, c.f4_polyphase_stride2.min_bound), `${id} polyphase`).toBeLessThan(2e-5);
  });
});

describe('certified minimum on adversarial kernels', () => {
  it('a 1x1 kernel: R, S, T and U are the same matrix (an exact four-way tie)', () => {
    const k = randomKernel([1, 1, 24, 32], 5);
    const r = f4Bound(k, { certify: 'minimum' });
    expectCertifiedMin(r, k, 1e-5, '1x1');
  });

  it('nearly tied reshapes: a kernel symmetric in its two spatial axes, plus a 1e-7 perturbation', () => {
    const base = randomKernel([3, 3, 16, 16], 9);
    const [h, w, ci, co] = base.shape;
    const at = (k: number, l: number, i: number, o: number) => base.data[((k * w + l) * ci + i) * co + o];
    // W[k][l] = W[l][k] makes R and S share their singular values; the perturbation splits them by ~1e-7.
    const k = kernelOf([h, w, ci, co], (a, b, i, o) => at(a, b, i, o) + at(b, a, i, o) + 1e-7 * Math.sin(a * 7 + i));
    const r = f4Bound(k, { certify: 'minimum' });
    expectCertifiedMin(r, k, 1e-5, 'symmetric');
    expect(rel(r.matrixNorms.R, r.matrixNorms.S)).toBeLessThan(1e-5);
  });

  it('a dominant singular value: a rank-one kernel (all four norms equal) plus small noise', () => {
    const noise = randomKernel([3, 3, 12, 20], 3);
    const k = kernelOf([3, 3, 12, 20], (a, b, i, o) => {
      const j = ((a * 3 + b) * 12 + i) * 20 + o;
      return (1 + a) * (2 - b) * Math.cos(i) * (0.5 + o / 20) + 1e-4 * noise.data[j];
    });
    for (const X of F4_MATRICES) expect(rel(denseNorm(k, X), denseNorm(k, 'R'))).toBeLessThan(1e-3);
    expectCertifiedMin(f4Bound(k, { certify: 'minimum' }), k, 1e-5, 'rank one');
  });

  it('zeros: a zero kernel is certified 0, and zero output channels change nothing', () => {
    const zero = f4Bound({ shape: [3, 3, 8, 8], data: new Float64Array(576) }, { certify: 'minimum' });
    expect(zero.value).toBe(0);
    expect(zero.certified).toContain(zero.argmin);
    const base = randomKernel([3, 3, 8, 16], 4);
    const k = kernelOf([3, 3, 8, 16], (a, b, i, o) => (o % 2 ? 0 : base.data[((a * 3 + b) * 8 + i) * 16 + o]));
    expectCertifiedMin(f4Bound(k, { certify: 'minimum' }), k, 1e-5, 'zero channels');
  });

  it('weights beyond float32 range (the float32 estimates overflow or underflow): still guaranteed and tight', () => {
    const base = randomKernel([3, 3, 8, 12], 21);
    for (const s of [1e30, 1e-30]) {
      const k = { shape: base.shape, data: base.data.map((x) => x * s) };
      expectCertifiedMin(f4Bound(k, { certify: 'minimum' }), k, 1e-5, `scale ${s}`);
    }
  });

  it('c_out not a multiple of 4 (the JS passes estimate) and a wide kernel: one certificate, of the true argmin', () => {
    const odd = randomKernel([3, 3, 10, 7], 8);
    expectCertifiedMin(f4Bound(odd, { certify: 'minimum' }), odd, 1e-5, 'odd c_out');
    const wide = randomKernel([7, 7, 3, 16], 2);
    const r = f4Bound(wide, { certify: 'minimum' });
    expectCertifiedMin(r, wide, 1e-5, '7x7');
    const norms = F4_MATRICES.map((X) => denseNorm(wide, X));
    expect(r.certified).toEqual([F4_MATRICES[norms.indexOf(Math.min(...norms))]]);
  });
});

describe('which norms are certified', () => {
  it('small kernels certify all four by default; large ones only the minimum, within 1e-5 of certifying all', () => {
    const small = f4Bound(randomKernel([3, 3, 8, 8], 1));
    expect(small.certified).toBeUndefined();
    const k = randomKernel([3, 3, 128, 128], 6);
    const r = f4Bound(k);
    expect(r.certified!.length).toBeLessThan(4);
    const all = f4Bound(k, { certify: 'all' });
    expect(all.certified).toBeUndefined();
    expect(rel(r.value, all.value)).toBeLessThan(1e-5);
    const est = f4NormEstimates(k.data, k.shape);
    for (const X of F4_MATRICES) expect(rel(est.sigma[X], all.matrixNorms[X])).toBeLessThan(1e-6);
  });
});

describe('estimates with dominated runs stopped early (f4NormEstimates dominatedMargin)', () => {
  it.each([
    [[3, 3, 64, 64], 2],
    [[3, 3, 128, 64], 7],
  ] as [Shape4, number][])('%j seed %i: fewer passes, the same minimum and the same certified value', (shape, seed) => {
    const k = randomKernel(shape, seed);
    const margin = 2e-5;
    const full = f4NormEstimates(k.data, k.shape);
    const cut = f4NormEstimates(k.data, k.shape, { dominatedMargin: margin });
    expect(full.dominated).toEqual([]);
    expect(cut.dominated.length).toBeGreaterThan(0);
    expect(cut.steps).toBeLessThanOrEqual(full.steps);
    const min = Math.min(...F4_MATRICES.map((X) => cut.sigma[X]));
    for (const X of F4_MATRICES) {
      if (!cut.dominated.includes(X)) expect(cut.sigma[X]).toBe(full.sigma[X]);
      else {
        // A Ritz value stopped early: below the converged one (float32 rounding aside), above the minimum's margin.
        expect(cut.sigma[X]).toBeLessThanOrEqual(full.sigma[X] * (1 + 1e-7));
        expect(cut.sigma[X]).toBeGreaterThan(min * (1 + margin));
      }
    }
    const r = f4Bound(k);
    expectCertifiedMin(r, k, 1e-5, `${shape.join('x')} seed ${seed}`);
    expect(r.certified!.every((X) => !cut.dominated.includes(X))).toBe(true);
  });
});

describe('R and S alone once T and U have stopped (f4.wat applyRS / applyTRS)', () => {
  it.each([
    [[3, 3, 64, 64], 3],
    [[3, 3, 256, 256], 3], // 2.4 MB: half the c_out blocks on the helper thread
  ] as [Shape4, number][])('%j seed %i: the same values as with the four-way passes all along', (shape, seed) => {
    const k = randomKernel(shape, seed);
    const cut = f4NormEstimates(k.data, k.shape, { dominatedMargin: 2e-5 });
    // Seeds where T's and U's runs stop (converged or dominated) before R's or S's: the last passes are R's and S's.
    expect(cut.rsSteps).toBeGreaterThan(0);
    // Without dominatedMargin no run stops early, and fewer (or no) passes run R and S alone: every run that stopped
    // the same way in both has the same value, bit for bit.
    const full = f4NormEstimates(k.data, k.shape);
    expect(full.rsSteps).toBeLessThanOrEqual(cut.rsSteps);
    for (const X of F4_MATRICES) if (!cut.dominated.includes(X)) expect(cut.sigma[X], X).toBe(full.sigma[X]);
  });

  it('c_in odd: the four-way passes throughout', () => {
    const k = randomKernel([3, 3, 63, 64], 6);
    expect(f4NormEstimates(k.data, k.shape, { dominatedMargin: 2e-5 }).rsSteps).toBe(0);
  });
});

describe('kernelScale: the scale and Frobenius bound of a kernel in one read', () => {
  it('bit for bit powerOfTwoScale and frobeniusSquaredUpper, float32 and float64, huge, tiny and odd lengths', () => {
    for (const [shape, factor] of [
      [[3, 3, 64, 64], 1],
      [[3, 3, 5, 7], 1e30],
      [[2, 3, 7, 5], 1e-30],
      [[1, 1, 1, 3], 2 ** -140],
    ] as [Shape4, number][]) {
      const k = randomKernel(shape, 3);
      for (const data of [Float32Array.from(k.data, (x) => x * factor), Float64Array.from(k.data, (x) => x * factor)]) {
        const scale = powerOfTwoScale(data);
        expect(kernelScale(data)).toEqual({ scale, frobUp: frobeniusSquaredUpper(data, scale) });
      }
    }
    expect(kernelScale(new Float32Array(9))).toEqual({ scale: 1, frobUp: 0 });
    // NaN or Inf among the four running maxima or in the tail
    for (const bad of [
      [1, 2, NaN, 4, 5],
      [1, 2, 3, 4, NaN],
      [1, -Infinity, 3, 4, 5],
      [1, 2, 3, 4, 5, 6, Infinity],
    ])
      expect(() => kernelScale(Float32Array.from(bad))).toThrow(/finite/);
  });
});

describe('the Cholesky certificate in WebAssembly SIMD (cholesky.wat) against the JS factorisation', () => {
  it('cholesky.wat compiles and validates fused and plain, own and shared memory', () => {
    const wasm = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
    // fused validates where this engine has relaxed SIMD (whether or not SPECTRAL_LAB_WASM_FMA lets the engine use it)
    const relaxedHere = wasm.validate(kernelBytes('relaxed-probe', { fused: true }));
    for (const fused of [true, false])
      for (const shared of [true, false])
        expect(wasm.validate(kernelBytes('cholesky', { fused, shared }))).toBe(fused ? relaxedHere : true);
  });

  it.each([
    [5, 9],
    [66, 40],
    [301, 420],
  ])('n = %i (padded to a multiple of 4; threads from 256): same verdict on both sides of lambda_max', (n, m) => {
    const X = randomKernel([1, 1, n, m], n).data as Float64Array;
    const G = gram64(X, n, m);
    const { value: lambda } = lanczosLargestEigenvalue(G, n);
    for (const d of [-1e-3, -1e-8, 1e-8, 1e-3]) {
      const mu = lambda * (1 + d);
      const js = shiftedCholesky(G, n, mu, { simd: false });
      expect(js, `n=${n} d=${d}`).toBe(d > 0);
      expect(shiftedCholesky(G, n, mu), `n=${n} d=${d}`).toBe(js);
    }
  });
});

describe('residentGram: the Gram factored where it was formed (cholesky-simd.ts)', () => {
  it.each([
    [5, 9],
    [301, 420],
  ])("n = %i: the Gram of X, the JS factorisation's verdicts on it, retries form it again", (n, m) => {
    const X = randomKernel([1, 1, n, m], n + 1).data as Float64Array;
    const r = residentGram(n, m, (out, ld) => {
      for (let i = 0; i < n; i++) out.set(X.subarray(i * m, i * m + m), i * ld);
    })!;
    const G = r.toArray();
    const want = gram64(X, n, m);
    const { value: lambda } = lanczosLargestEigenvalue(G, n);
    for (let j = 0; j < n * n; j++) expect(Math.abs(G[j] - want[j])).toBeLessThanOrEqual(1e-13 * lambda);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(G[j * n + i]).toBe(G[i * n + j]);
    expect(r.diag).toEqual(Float64Array.from({ length: n }, (_, i) => G[i * n + i]));
    // Fail, succeed, fail, succeed: every call after the first factors a Gram formed again from X.
    for (const d of [-1e-3, 1e-8, -1e-8, 1e-3]) {
      const mu = lambda * (1 + d);
      expect(r.shiftedCholesky(mu), `d=${d}`).toBe(shiftedCholesky(G, n, mu, { simd: false }));
    }
    expect(r.toArray()).toEqual(G);
  });

  it('a helper thread still starting is not waited for; once started it takes its share, with the same verdicts', async () => {
    const [n, m] = [301, 420];
    const X = randomKernel([1, 1, n, m], 9).data as Float64Array;
    const fill = (out: Float64Array, ld: number) => {
      for (let i = 0; i < n; i++) out.set(X.subarray(i * m, i * m + m), i * ld);
    };
    const G = gram64(X, n, m);
    const { value: lambda } = lanczosLargestEigenvalue(G, n);
    const verdicts = () => [-1e-8, 1e-8].map((d) => residentGram(n, m, fill)!.shiftedCholesky(lambda * (1 + d)));
    const before = verdicts(); // on one thread if the helper has not started yet
    await vi.waitFor(() => expect(choleskyHelperStarted()).toBe(true), { timeout: 20_000, interval: 20 });
    expect(verdicts()).toEqual([false, true]);
    expect(before).toEqual([false, true]);
  });

  it('forms a Gram over whatever the memory held (C is not zeroed first): NaN left by an earlier Gram never leaks', () => {
    const [n, m] = [301, 420];
    residentGram(n, m, (out) => out.fill(NaN))!.toArray(); // every entry of C is now NaN
    const X = randomKernel([1, 1, n, m], 7).data as Float64Array;
    const G = residentGram(n, m, (out, ld) => {
      for (let i = 0; i < n; i++) out.set(X.subarray(i * m, i * m + m), i * ld);
    })!.toArray();
    const want = gram64(X, n, m);
    let worst = 0;
    for (let j = 0; j < n * n; j++) worst = Math.max(worst, Math.abs(G[j] - want[j]));
    expect(worst).toBeLessThanOrEqual(1e-13 * m);
  });

  it('refuses to be read once a later Gram has overwritten it', () => {
    const one = residentGram(4, 4, (out) => out.fill(1))!;
    residentGram(4, 4, (out) => out.fill(2));
    expect(() => one.shiftedCholesky(100)).toThrow(/overwritten/);
    expect(() => one.toArray()).toThrow(/overwritten/);
  });
});

describe('reshapeGram: the Gram written straight from the kernel (f4-gram-rows.ts, two threads from n = 256)', () => {
  it.each([[[3, 3, 96, 96]], [[3, 3, 5, 8]], [[2, 1, 7, 12]]] as [Shape4][])(
    "%j float32: X written by cholesky.wat's widen, bit for bit the JavaScript loop's (float64 copy of the kernel)",
    (shape) => {
      const k32 = { shape, data: Float32Array.from(randomKernel(shape, 4).data) };
      const k64 = { shape, data: Float64Array.from(k32.data) };
      for (const X of F4_MATRICES) {
        for (const scale of [0.25, 2 ** 70]) {
          const g32 = reshapeGram(k32, X, scale)!.G;
          const g64 = reshapeGram(k64, X, scale)!.G;
          expect(g32, `${X} ${scale}`).toEqual(g64);
          // widened from the copy stagedScale left beyond every reshape's X and C
          expect(stagedScale(k32, fail)).not.toBeNull();
          expect(reshapeGram(k32, X, scale)!.G, `${X} ${scale} staged`).toEqual(g64);
          unstageKernel();
        }
      }
    },
  );

  it('stagedScale: kernelScale read in SIMD from the staged copy (same scale, frobUp to the last bits), NaN and Inf', () => {
    for (const [shape, factor] of [
      [[3, 3, 64, 64], 1],
      [[3, 3, 5, 8], 1e30],
      [[2, 3, 7, 4], 1e-30],
      [[1, 1, 1, 4], 2 ** -140],
    ] as [Shape4, number][]) {
      const data = Float32Array.from(randomKernel(shape, 3).data, (x) => x * factor);
      const want = kernelScale(data);
      const got = stagedScale({ shape, data }, fail)!;
      unstageKernel();
      expect(got.scale, `${shape}`).toBe(want.scale);
      expect(Math.abs(got.frobUp - want.frobUp)).toBeLessThanOrEqual(1e-14 * want.frobUp);
    }
    for (const bad of [NaN, Infinity, -Infinity]) {
      const data = Float32Array.from({ length: 72 }, (_, j) => (j === 37 ? bad : Math.cos(j)));
      expect(() => stagedScale({ shape: [3, 3, 2, 4], data }, fail), String(bad)).toThrow(/non-finite/);
      unstageKernel();
    }
    expect(stagedScale({ shape: [1, 1, 2, 3], data: new Float32Array(6) }, fail)).toBeNull(); // length not 4k
    expect(stagedScale({ shape: [1, 1, 2, 2], data: new Float64Array(4) }, fail)).toBeNull();
  });

  it.each([[[3, 3, 5, 6]], [[2, 3, 45, 90]], [[1, 1, 300, 260]]] as [Shape4][])(
    '%j: the eigenvalues of the explicit reshape Gram, and its bookkeeping',
    (shape) => {
      const k = randomKernel(shape, 12);
      for (const X of F4_MATRICES) {
        const g = reshapeGram(k, X, 0.5)!;
        const M = f4ReshapeHost(k, X);
        const [n, m] = M.rows <= M.cols ? [M.rows, M.cols] : [M.cols, M.rows];
        expect([g.n, g.m, g.scale], X).toEqual([n, m, 0.5]);
        const scaled = M.data.map((x) => x * 0.5);
        const A = M.rows <= M.cols ? scaled : transpose64(scaled, M.rows, M.cols);
        const want = symmetricEigenvalues(gram64(A, n, m), n);
        const got = symmetricEigenvalues(g.G, n);
        for (let j = 0; j < n; j++) expect(Math.abs(got[j] - want[j]), `${X} ${j}`).toBeLessThan(1e-12 * want[n - 1]);
        expect(g.frobUp).toBeGreaterThanOrEqual(scaled.reduce((a, x) => a + x * x, 0) * (1 - 1e-15));
      }
    },
  );
});
