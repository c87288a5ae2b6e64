/**
 * Gram iteration's guarantee and its fast paths (issue 14): every value, after every iteration, in float32 SIMD and
 * float64, is never below the exact circular norm; the two arithmetics agree; pruning leaves every value unchanged;
 * the squaring kernel (gram.wat, both variants) stays within the rounding allowance gramEnclosure assumes.
 */
import { describe, expect, it } from 'vitest';
import type { KernelHWIO } from '../../src/shared/bounds.js';
import { gramIterationBound, type GramPrecision } from '../../src/main/engine/bounds/methods/gram-iteration.js';
import { sedghiExactNorm } from '../../src/main/engine/bounds/methods/sedghi.js';
import { panelAt } from '../../src/main/engine/bounds/methods/gram-simd.js';
import { instantiateKernel, type WasmMemory } from '../../src/main/engine/kernels/index.js';
import { caseKernel, loadSpectralCases, randomKernel, relErr } from './spectral-vectors.js';

const cases = loadSpectralCases();

/** Rewrite `rows` x C floats at `at` from gram.wat's panels of 4 rows to row-major (rows a multiple of 4). */
function unpanel(heap: Float32Array, at: number, rows: number, C: number): void {
  const panels = heap.slice(at, at + rows * C);
  for (let r = 0; r < rows; r++) for (let c = 0; c < C; c++) heap[at + r * C + c] = panels[panelAt(r, c, C)];
}
const PRECISIONS: GramPrecision[] = ['float32', 'float64'];

/** The same random kernel with one frequency made dominant: a constant tap adds 9 A at frequency (0, 0) only. */
function dominantKernel(): KernelHWIO {
  const k = randomKernel([3, 3, 8, 12], 5);
  const A = randomKernel([1, 1, 8, 12], 6);
  for (let tap = 0; tap < 9; tap++) for (let j = 0; j < 96; j++) k.data[tap * 96 + j] += 3 * A.data[j];
  return k;
}

describe('gramIterationBound is never below the exact norm', () => {
  it('on every shared case, every n, t = 1..6, float32 and float64 (zero frequencies and a dominant one included)', () => {
    for (const c of cases) {
      for (const e of c.evaluations) {
        for (const precision of PRECISIONS) {
          const r = gramIterationBound(caseKernel(c), e.n, 6, { precision });
          for (let t = 0; t < 6; t++) {
            expect(r.perIteration[t], `${c.id} n=${e.n} t=${t + 1} ${precision}`).toBeGreaterThanOrEqual(
              e.circular_s1_exact_fft,
            );
            expect(
              relErr(r.perIteration[t], e.gram_iteration_circular_s1[String(t + 1) as '1'] ?? r.perIteration[t]),
            ).toBeLessThan(1e-4);
          }
        }
      }
    }
  });

  it('with a dominant frequency, where pruning stops most frequencies early', () => {
    const k = dominantKernel();
    const exact = sedghiExactNorm(k, 8).value;
    for (const precision of PRECISIONS) {
      const r = gramIterationBound(k, 8, 6, { precision });
      expect(Math.min(...r.perIteration)).toBeGreaterThanOrEqual(exact * (1 + 1e-12));
      expect(r.stepsRun).toBeLessThan(r.stepsFull / 2);
    }
  });
});

describe('gramIterationBound paths agree', () => {
  it('pruning gives exactly the values of the full computation', () => {
    for (const [k, n] of [
      [dominantKernel(), 8],
      [randomKernel([3, 3, 40, 36], 9), 6],
      [caseKernel(cases[1]), 5],
    ] as const) {
      for (const precision of PRECISIONS) {
        const pruned = gramIterationBound(k, n, 6, { precision, prune: true });
        const full = gramIterationBound(k, n, 6, { precision, prune: false });
        expect(pruned.perIteration).toEqual(full.perIteration);
        expect(full.stepsRun).toBe(full.stepsFull);
      }
    }
  });

  // 64 rows and P^2 C >= 2^20 multiply-adds (every product at 130 rows): the float32 products are split over the
  // helper thread (gram-simd.ts); the 66-row case stays on one thread.
  // 64 and 72 columns are summed in 2 chunks by xgram (gram-simd.ts xgramChunks), 68, 132 and 140 in one.
  it.each([
    [[3, 3, 48, 40], 6],
    [[3, 3, 64, 72], 5],
    [[3, 3, 72, 66], 4],
    [[3, 3, 130, 140], 3],
  ] as const)('float32 SIMD and float64 agree to the float32 rounding allowance, float32 above (%j)', (shape, n) => {
    const k = randomKernel([...shape], 11);
    const f32 = gramIterationBound(k, n, 6, { precision: 'float32' });
    const f64 = gramIterationBound(k, n, 6, { precision: 'float64' });
    expect(f32.precision).toBe('float32');
    expect(f64.precision).toBe('float64');
    for (let t = 0; t < 6; t++) {
      expect(relErr(f32.perIteration[t], f64.perIteration[t])).toBeLessThan(2e-4);
      expect(f32.perIteration[t]).toBeGreaterThanOrEqual(f64.perIteration[t] * (1 - 1e-12));
    }
  });
});

describe('gram.wat Gauss form (sumdiff, xgram, gcombine; both variants) within the allowance gram-simd.ts states', () => {
  for (const [fused, q] of [
    [false, 1],
    [true, 1],
    [false, 2],
    [true, 2],
  ] as const) {
    it(`${fused ? 'fused' : 'plain'}, columns summed in ${q} chunk(s)`, () => {
      const W = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => WasmMemory } })
        .WebAssembly;
      const memory = new W.Memory({ initial: 1 });
      const made = instantiateKernel('gram', { fused }, { env: { memory } });
      if (!made) {
        expect(fused, 'the plain variant runs wherever WebAssembly SIMD does').toBe(true);
        return;
      }
      type Fn = (...args: number[]) => void;
      const [sumdiff, xgram, gcombine] = (['sumdiff', 'xgram', 'gcombine'] as const).map((n) => made.exports[n] as Fn);
      const heap = new Float32Array(memory.buffer);
      const [P, C] = [8, 24];
      // X = A + iB (A at 0, B at P C), S and D after them, T1..T3 and Z (re, im) after those: offsets in floats.
      const src = randomKernel([1, 1, 2 * P, C], 4).data;
      for (let r = 0; r < 2 * P; r++) for (let c = 0; c < C; c++) heap[panelAt(r, c, C)] = src[r * C + c];
      const [A, B, S, D] = [0, P * C, 2 * P * C, 3 * P * C];
      const T = [4 * P * C, 4 * P * C + P * P, 4 * P * C + 2 * P * P];
      const [Zr, Zi] = [4 * P * C + 3 * P * P, 4 * P * C + 4 * P * P];
      sumdiff(A * 4, B * 4, S * 4, D * 4, P * C, 1);
      const chunkBytes = (16 * C) / q;
      xgram(A * 4, A * 4, P, C, chunkBytes, T[0] * 4, 0, P);
      xgram(B * 4, B * 4, P, C, chunkBytes, T[1] * 4, 0, P);
      xgram(S * 4, D * 4, P, C, chunkBytes, T[2] * 4, 0, P);
      gcombine(T[0] * 4, T[1] * 4, T[2] * 4, P, Zr * 4, Zi * 4);
      unpanel(heap, A, 2 * P, C);
      unpanel(heap, Zr, 2 * P, P);
      const gamma = (k: number) => (k * 2 ** -24) / (1 - k * 2 ** -24);
      // xgram's chain: C / (4 q) multiply-adds per lane, two lane sums, q - 1 chunk sums
      const k = C / (4 * q) + 2 + q - 1;
      for (let a = 0; a < P; a++) {
        for (let b = 0; b < P; b++) {
          let [re, im, m] = [0, 0, 0];
          for (let c = 0; c < C; c++) {
            const [xr, xi, yr, yi] = [
              heap[A + a * C + c],
              heap[B + a * C + c],
              heap[A + b * C + c],
              heap[B + b * C + c],
            ];
            re += xr * yr + xi * yi;
            im += xi * yr - xr * yi;
            m += Math.hypot(xr, xi) * Math.hypot(yr, yi);
          }
          expect(Math.abs(heap[Zr + a * P + b] - re), `re ${a} ${b}`).toBeLessThanOrEqual(gamma(k + 1) * m);
          expect(Math.abs(heap[Zi + a * P + b] - im), `im ${a} ${b}`).toBeLessThanOrEqual(3 * gamma(k + 5) * m);
          // Hermitian exactly: the mirror is the conjugate, the diagonal real.
          expect(heap[Zr + b * P + a]).toBe(heap[Zr + a * P + b]);
          expect(heap[Zi + b * P + a]).toBe(a === b ? 0 : -heap[Zi + a * P + b]);
        }
      }
    });
  }
});

describe('float32Squares with the frequency matrices outside the kernel memory (too large for it)', () => {
  it('rounds, sums and squares them as the resident path does', async () => {
    const { float32Squares } = await import('../../src/main/engine/bounds/methods/gram-simd.js');
    const { frequencyMatrices, frequencyMatrixCount } = await import('../../src/main/engine/bounds/numerics/fft2.js');
    // 40 x 44 matrices: rows = the smaller channel side
    const k = randomKernel([3, 3, 40, 44], 21);
    const made = [undefined, 0].map((residentBytes) => {
      const squares = float32Squares(40, 44, frequencyMatrixCount(5, 5), residentBytes);
      expect(squares, 'WebAssembly SIMD runs under the test runner').not.toBeNull();
      const fm = frequencyMatrices(k, 5, 5, undefined, squares!.data);
      return { fm, sq: squares!.squarer(fm) };
    });
    expect(made[0].fm.data.buffer).not.toBe(made[1].fm.data.buffer);
    for (let f = 0; f < made[0].fm.count; f++) {
      const [a, b] = made.map(({ sq }) => {
        const sums = [sq.frequencySumSquares(f)];
        sq.load(f, 0.5);
        sums.push(sq.sumSquares());
        for (let i = 0; i < 3; i++) {
          sq.square();
          sums.push(sq.sumSquares());
        }
        return sums;
      });
      // The float64 Frobenius norm is summed in another order; the float32 data and its squares are identical.
      expect(relErr(a[0], b[0])).toBeLessThan(1e-14);
      expect(a.slice(1)).toEqual(b.slice(1));
    }
  });
});

describe("gram.wat gram64 (the Toeplitz bound's float64 Grams)", () => {
  it("gives frequencyGram's M^H M to float64 rounding, odd sizes padded", async () => {
    const { float64ColumnGram } = await import('../../src/main/engine/bounds/methods/gram-simd.js');
    const { frequencyMatrices } = await import('../../src/main/engine/bounds/numerics/fft2.js');
    const { frequencyGram } = await import('../../src/main/engine/bounds/numerics/frequency-gram.js');
    // 70 columns: the float64 products are split over the helper thread too.
    for (const shape of [
      [3, 3, 5, 7],
      [3, 3, 9, 70],
    ] as const) {
      const fm = frequencyMatrices(randomKernel([...shape], 13), 5, 5);
      const simd = float64ColumnGram(fm);
      expect(simd, 'WebAssembly SIMD runs under the test runner').not.toBeNull();
      const C = fm.cols;
      const [re, im, re2, im2] = [0, 0, 0, 0].map(() => new Float64Array(C * C));
      for (let f = 0; f < fm.count; f++) {
        simd!(f, re, im);
        frequencyGram(fm, f, 'cols', re2, im2);
        for (let j = 0; j < C * C; j++) {
          expect(Math.abs(re[j] - re2[j])).toBeLessThan(1e-13);
          expect(Math.abs(im[j] - im2[j])).toBeLessThan(1e-13);
        }
      }
    }
  });
});
