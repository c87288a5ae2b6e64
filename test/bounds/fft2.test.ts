/**
 * The float64 frequency matrices in WebAssembly SIMD (fft2-heap.ts, kernels/dft64.wat; issue 14): the same matrices
 * as fft2.ts's JavaScript loops, within the rounding of their operations (the fused variant rounds each
 * multiply-add once; fft2-plain.test.ts checks the plain one bit for bit), written where the caller's memory says,
 * whatever the shape, orientation, frequency set or memory (growing, shared or not).
 */
import { describe, expect, it } from 'vitest';
import type { KernelHWIO } from '../../src/shared/bounds.js';
import {
  frequencyMatrices,
  reusableFrequencyBuffer,
  type FrequencyMatrices,
} from '../../src/main/engine/bounds/numerics/fft2.js';
import { halfSpectrumFrequencies } from '../../src/main/engine/bounds/numerics/frequency-set.js';
import { gamma } from '../../src/main/engine/bounds/numerics/rounding.js';
import type { WasmMemory } from '../../src/main/engine/kernels/index.js';
import { randomKernel } from './spectral-vectors.js';

const Memory = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => WasmMemory } }).WebAssembly.Memory;

/** sum_{k,l} |W[k,l,j]| per channel pair j in the matrices' order (rows = the smaller channel side). */
function absSums(k: KernelHWIO): Float64Array {
  const [h, w, ci, co] = k.shape;
  const sums = new Float64Array(ci * co);
  for (let t = 0; t < h * w; t++) {
    for (let i = 0; i < ci; i++) {
      for (let o = 0; o < co; o++)
        sums[ci > co ? o * ci + i : i * co + o] += Math.abs(k.data[t * ci * co + i * co + o]);
    }
  }
  return sums;
}

/**
 * Both are computed with h + w + 1 roundings per term at most (Higham's gamma), against the same exact value; the
 * twiddles are the same float64 numbers in both.
 */
function expectClose(k: KernelHWIO, a: Float64Array, b: Float64Array, label: string): void {
  const [h, w, ci, co] = k.shape;
  const m = ci * co;
  const A = absSums(k);
  const allow = 2 * gamma(h + w + 2);
  expect(b.length, label).toBe(a.length);
  for (let i = 0; i < a.length; i++) {
    const j = i % m;
    if (!(Math.abs(a[i] - b[i]) <= allow * A[j])) {
      expect.fail(`${label}: entry ${i} is ${b[i]}, JavaScript ${a[i]} (allowed ${allow * A[j]})`);
    }
  }
}

/** The DFT's ||M_f||_F^2 (where it ran in WebAssembly) are the squares of its matrices summed in some order. */
function expectSumSquares(fm: FrequencyMatrices, label: string): void {
  if ((fm.rows * fm.cols) % 2) return expect(fm.sumSquares, `${label}: odd c_in c_out, in JavaScript`).toBeUndefined();
  const n = 2 * fm.rows * fm.cols;
  expect(fm.sumSquares?.length, label).toBe(fm.count);
  for (let f = 0; f < fm.count; f++) {
    let s = 0;
    for (let j = f * n; j < (f + 1) * n; j++) s += fm.data[j] * fm.data[j];
    expect(Math.abs(fm.sumSquares![f] - s), `${label} f=${f}`).toBeLessThanOrEqual(2 * gamma(n + 1) * s);
  }
}

const CASES: { shape: [number, number, number, number]; n: number | [number, number] }[] = [
  { shape: [3, 3, 16, 24], n: 8 }, // rows = c_in
  { shape: [3, 3, 24, 16], n: [9, 6] }, // transposed, rectangular, odd n_h
  { shape: [7, 7, 3, 64], n: 12 }, // the stem's shape: 7 x 7 taps, one block of 192 pairs
  { shape: [3, 3, 64, 64], n: 7 }, // several blocks
  { shape: [1, 1, 6, 10], n: 4 },
  { shape: [2, 3, 5, 7], n: [5, 4] }, // odd c_in c_out: computed in JavaScript
];

describe('frequencyMatrices into a WebAssembly memory (float64 SIMD)', () => {
  it('gives the JavaScript matrices to rounding, at the offset asked for, growing the memory', () => {
    for (const { shape, n } of CASES) {
      const k = randomKernel(shape, shape[2] * 31 + shape[3]);
      const [nh, nw] = typeof n === 'number' ? [n, n] : n;
      const js = frequencyMatrices(k, nh, nw);
      for (const shared of [true, false]) {
        const memory = new Memory(shared ? { initial: 1, maximum: 65536, shared: true } : { initial: 1 });
        const at = 4096 + 16;
        const heap = frequencyMatrices(k, nh, nw, undefined, { memory, at });
        const label = `${shape.join('x')} n=${String(n)} ${shared ? 'shared' : 'own'}`;
        expect(heap.data.buffer, label).toBe(memory.buffer);
        expect(heap.data.byteOffset, label).toBe(at);
        expect([heap.rows, heap.cols, heap.transposed, heap.count]).toEqual([
          js.rows,
          js.cols,
          js.transposed,
          js.count,
        ]);
        expectClose(k, js.data, heap.data, label);
        expectSumSquares(heap, label);
      }
    }
  });

  it('on a frequency subset (no (-u, v) partners) and on the reusable buffer, twice in a row', () => {
    const k = randomKernel([3, 3, 12, 20], 5);
    const all = halfSpectrumFrequencies(6, 6);
    const pick = [0, 3, 7, 11, 17];
    const set = {
      u: Int32Array.from(pick, (f) => all.u[f]),
      v: Int32Array.from(pick, (f) => all.v[f]),
      multiplicity: Uint8Array.from(pick, (f) => all.multiplicity[f]),
    };
    const out = reusableFrequencyBuffer(k, 6, 6);
    expect(out, 'WebAssembly SIMD runs under the test runner').not.toBeInstanceOf(Float64Array);
    // Odd c_in c_out: computed in JavaScript, into a kept array.
    expect(reusableFrequencyBuffer(randomKernel([3, 3, 5, 7], 1), 6, 6)).toBeInstanceOf(Float64Array);
    const js = frequencyMatrices(k, 6, 6, set);
    expectClose(k, js.data, frequencyMatrices(k, 6, 6, set, out).data, 'subset');
    // A larger kernel next: the same memory grows; the earlier matrices are not needed any more.
    const big = randomKernel([3, 3, 32, 40], 6);
    const bigJs = frequencyMatrices(big, 9, 9);
    expectClose(
      big,
      bigJs.data,
      frequencyMatrices(big, 9, 9, undefined, reusableFrequencyBuffer(big, 9, 9)).data,
      'big',
    );
  });
});
