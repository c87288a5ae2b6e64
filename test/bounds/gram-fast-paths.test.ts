/**
 * Gram iteration's per-frequency fast paths (issue 14) change no value: the frequency loop (hoisted allowances, no
 * arrays per frequency), the float64 squares (load summed as it copies) and the float32 ones (rescale deferred to
 * the next sumdiff, vectorised load64, gcombine's diagonal blocks four entries at once, xgram's stores inline) give
 * bit for bit what a plain reference of the same algorithm gives, and every value stays above the exact norm.
 */
import { describe, expect, it } from 'vitest';
import type { KernelHWIO } from '../../src/shared/bounds.js';
import { gramIterationBound, type GramPrecision } from '../../src/main/engine/bounds/methods/gram-iteration.js';
import { panelAt } from '../../src/main/engine/bounds/methods/gram-simd.js';
import {
  frequencyMatrices,
  reusableFrequencyBuffer,
  type FrequencyMatrices,
} from '../../src/main/engine/bounds/numerics/fft2.js';
import { rowGram } from '../../src/main/engine/bounds/numerics/frequency-gram.js';
import { ENCLOSURE_SLACK, gamma, sumUpper, U32, U64 } from '../../src/main/engine/bounds/numerics/rounding.js';
import { instantiateFastest, instantiateKernel, type WasmMemory } from '../../src/main/engine/kernels/index.js';
import { caseKernel, loadSpectralCases, randomKernel } from './spectral-vectors.js';

type Fn = (...args: number[]) => number;
const fr = Math.fround;
const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

function gramModule(fused?: boolean): { ex: Record<string, Fn>; heap: Float32Array; memory: WasmMemory } {
  const W = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => WasmMemory } })
    .WebAssembly;
  const memory = new W.Memory({ initial: 64 });
  const imports = { env: { memory } };
  const made =
    fused === undefined ? instantiateFastest('gram', false, imports) : instantiateKernel('gram', { fused }, imports);
  expect(made, 'WebAssembly SIMD runs under the test runner').not.toBeNull();
  return { ex: made!.exports as Record<string, Fn>, heap: new Float32Array(memory.buffer), memory };
}

/** The squares of one frequency, as plainly as they can be written (GramSquarer's contract, one implementation each). */
interface PlainSquares {
  load(f: number, scale: number): number; // returns the sum of squares
  square(): number; // returns the sum of squares of the square
  rescale(s: number): void;
  chain(cols: number): number;
  errorFactor: number;
  unit: number;
  underflow: number;
  underflowChains: number;
  loadRounds: boolean;
}

function float64Plain(fm: FrequencyMatrices): PlainSquares {
  const { rows: R, cols: C } = fm;
  let X = new Float64Array(2 * R * C);
  let cols = C;
  const sumsq = () => X.reduce((s, x) => s + x * x, 0);
  return {
    load(f, scale) {
      X = fm.data.slice(f * 2 * R * C, (f + 1) * 2 * R * C).map((x) => x * scale);
      cols = C;
      return sumsq();
    },
    square() {
      const Z = new Float64Array(2 * R * R);
      rowGram(X, 0, R * cols, R, cols, Z.subarray(0, R * R), Z.subarray(R * R));
      [X, cols] = [Z, R];
      return sumsq();
    },
    rescale: (s) => X.forEach((x, j) => (X[j] = x * s)),
    chain: (c) => 2 * c + 1,
    errorFactor: Math.SQRT2,
    unit: U64,
    underflow: 2 ** -1074,
    underflowChains: 1,
    loadRounds: false,
  };
}

/** gram.wat's xgram for the products (tested bit for bit below), everything else in JavaScript. */
function float32Plain(fm: FrequencyMatrices): PlainSquares {
  const { rows: R, cols: C } = fm;
  const { ex, heap } = gramModule();
  const [P, C4] = [roundUp(R, 4), roundUp(C, 4)];
  const W = Math.max(P, C4);
  // floats: X (re, im), S, D, T1..T3
  const [X, S, D, T] = [0, 2 * P * W, 3 * P * W, [4 * P * W, 5 * P * W, 6 * P * W]];
  let cols = C4;
  const sumsq = () => ex.sumsq(X * 4, 2 * P * cols);
  return {
    load(f, scale) {
      heap.fill(0, 0, 2 * P * W);
      cols = C4;
      for (let part = 0; part < 2; part++)
        for (let r = 0; r < R; r++)
          for (let c = 0; c < C; c++)
            heap[X + part * P * C4 + panelAt(r, c, C4)] = fm.data[f * 2 * R * C + part * R * C + r * C + c] * scale;
      return sumsq();
    },
    square() {
      const im = X + P * cols;
      for (let j = 0; j < P * cols; j++)
        [heap[S + j], heap[D + j]] = [fr(heap[X + j] + heap[im + j]), fr(heap[X + j] - heap[im + j])];
      const q = cols >= 64 && cols % 8 === 0 ? 2 : 1;
      for (const [u, v, out] of [
        [X, X, T[0]],
        [im, im, T[1]],
        [S, D, T[2]],
      ])
        ex.xgram(u * 4, v * 4, P, cols, (16 * cols) / q, out * 4, 0, P);
      const t = (j: number, a: number, b: number) => heap[T[j] + a * P + b];
      const Z = new Float32Array(2 * P * P);
      for (let a = 0; a < P; a++) {
        for (let b = 0; b <= a; b++) {
          const [re, imz] = [fr(t(0, a, b) + t(1, a, b)), a === b ? 0 : fr(fr(t(2, a, b) - t(0, a, b)) + t(1, a, b))];
          [Z[panelAt(a, b, P)], Z[P * P + panelAt(a, b, P)]] = [re, imz];
          [Z[panelAt(b, a, P)], Z[P * P + panelAt(b, a, P)]] = [re, a === b ? 0 : -imz];
        }
      }
      heap.set(Z, X);
      cols = P;
      return sumsq();
    },
    rescale: (s) => heap.subarray(X, X + 2 * P * cols).forEach((x, j) => (heap[X + j] = x * s)),
    chain: (c) => {
      const c4 = roundUp(c, 4);
      const q = c4 >= 64 && c4 % 8 === 0 ? 2 : 1;
      return c4 / (4 * q) + 2 + q - 1 + 5;
    },
    errorFactor: Math.sqrt(10),
    unit: U32,
    underflow: 2 ** -149,
    underflowChains: 3,
    loadRounds: true,
  };
}

/** gram-iteration.ts's gramEnclosure for every frequency, unpruned, the way it was first written. */
function plainGram(k: KernelHWIO, n: number, t: number, precision: GramPrecision): number[] {
  const fm = frequencyMatrices(k, n, n, undefined, reusableFrequencyBuffer(k, n, n));
  const sq = (precision === 'float64' ? float64Plain : float32Plain)(fm);
  const { rows: R, cols: C } = fm;
  const [h, w] = k.shape;
  const ksq = Array.from(k.data).reduce((s, x) => s + x * x, 0);
  const dftError = 8 * gamma(h + w + 10, U64) * Math.sqrt(h * w) * Math.sqrt(sumUpper(ksq, k.data.length));
  const perIteration = new Array<number>(t).fill(0);
  for (let f = 0; f < fm.count; f++) {
    const m2 = fm.sumSquares![f];
    const values: number[] = [];
    if (m2 === 0) values.push(...new Array<number>(t).fill(dftError));
    else {
      const fro = Math.sqrt(sumUpper(m2, 2 * R * C));
      const k0 = Math.floor(Math.log2(fro));
      let s = sumUpper(sq.load(f, 2 ** -k0), 2 * R * C);
      const loadError = sq.loadRounds
        ? sq.unit * fro * 2 ** -k0 * ENCLOSURE_SLACK + sq.underflow * Math.sqrt(2 * R * C)
        : 0;
      const [shift, eps] = [[] as number[], [] as number[]];
      let best = Infinity;
      for (let i = 1, cols = C; i <= t; i++, cols = R) {
        const z = sumUpper(sq.square(), 2 * R * R);
        const kk = sq.chain(cols);
        eps.push(sq.errorFactor * gamma(kk, sq.unit) * s + sq.underflow * 2 * (R + 4) * (kk + 2) * sq.underflowChains);
        const ki = z > 0 ? Math.floor(Math.log2(Math.sqrt(z))) : 0;
        if (ki !== 0) sq.rescale(2 ** -ki);
        shift.push(ki);
        s = (Math.sqrt(z) * 2 ** -ki + 2 * (R + 4) * sq.underflow) ** 2 * ENCLOSURE_SLACK;
        let B = Math.sqrt(s);
        for (let j = i - 1; j >= 0; j--) B = Math.sqrt(2 ** shift[j] * B + eps[j]);
        best = Math.min(best, 2 ** k0 * (B + loadError) * ENCLOSURE_SLACK + dftError);
        values.push(best);
      }
    }
    values.forEach((v, i) => (perIteration[i] = Math.max(perIteration[i], v)));
  }
  return perIteration;
}

describe('gramIterationBound equals a plain reference of gramEnclosure bit for bit, pruned or not', () => {
  // Even c_in c_out (the SIMD DFT, which gives every frequency's Frobenius norm); float32: padded rows and columns
  // (38 x 45: P = 40, C4 = 48, load64's one-by-one tail), none (36 x 40), and xgram's 2 chunks (64 x 64).
  it.each([
    [[7, 7, 3, 64], 12, 'float64'],
    [[3, 3, 6, 10], 6, 'float64'],
    [[3, 3, 40, 36], 5, 'float32'],
    [[3, 3, 38, 46], 4, 'float32'],
    [[3, 3, 64, 64], 4, 'float32'],
  ] as const)('%j at n = %i in %s', (shape, n, precision) => {
    const k = randomKernel([...shape], 17);
    const plain = plainGram(k, n, 6, precision);
    for (const prune of [false, true]) {
      const r = gramIterationBound(k, n, 6, { precision, prune });
      expect(r.precision).toBe(precision);
      expect(r.perIteration, `prune ${prune}`).toEqual(plain);
    }
  });
});

describe('every iteration count stays above the exact norm (shared vectors, float32 and float64)', () => {
  it('t = 1..6 asked for directly (the pruning differs with t)', () => {
    for (const c of loadSpectralCases()) {
      for (const e of c.evaluations) {
        for (const precision of ['float32', 'float64'] as const) {
          for (let t = 1; t <= 6; t++) {
            const v = gramIterationBound(caseKernel(c), e.n, t, { precision }).value;
            expect(v, `${c.id} n=${e.n} t=${t} ${precision}`).toBeGreaterThanOrEqual(e.circular_s1_exact_fft);
          }
        }
      }
    }
  });
});

describe('gram.wat kernels (plain variant: every rounding reproducible in JavaScript) bit for bit', () => {
  const { ex, heap, memory } = gramModule(false);
  const random = (at: number, n: number, seed: number) => heap.set(randomKernel([1, 1, 1, n], seed).data, at);

  it('xgram: each entry the lanes (c mod 4) summed in column order, then (l0 + l1) + (l2 + l3), chunk by chunk', () => {
    for (const [P, C, q] of [
      [8, 12, 1],
      [12, 64, 2],
    ]) {
      random(0, 2 * P * C, 3);
      const T = 2 * P * C;
      heap.fill(NaN, T, T + P * P);
      ex.xgram(0, P * C * 4, P, C, (16 * C) / q, T * 4, 0, P);
      const x = (r: number, c: number) => heap[panelAt(r, c, C)];
      const y = (r: number, c: number) => heap[P * C + panelAt(r, c, C)];
      for (let a = 0; a < P; a++) {
        for (let b = 0; b < P; b++) {
          if (b > (a | 3)) continue; // only the blocks on and below the diagonal are written
          let z = 0;
          for (let c0 = 0; c0 < C; c0 += C / q) {
            const l = [0, 0, 0, 0];
            for (let c = c0; c < c0 + C / q; c++) l[c & 3] = fr(l[c & 3] + fr(x(a, c) * y(b, c)));
            z = fr(z + fr(fr(l[0] + l[1]) + fr(l[2] + l[3])));
          }
          expect(heap[T + a * P + b], `${P}x${C} (${a}, ${b})`).toBe(z);
        }
      }
    }
  });

  it('gcombine: Re = t1 + t2, Im = (t3 - t1) + t2 below the diagonal, conjugate above, real diagonal', () => {
    const P = 12;
    random(0, 3 * P * P, 5);
    const Z = 3 * P * P;
    ex.gcombine(0, P * P * 4, 2 * P * P * 4, P, Z * 4, (Z + P * P) * 4);
    const t = (j: number, a: number, b: number) => heap[j * P * P + a * P + b];
    for (let a = 0; a < P; a++) {
      for (let b = 0; b <= a; b++) {
        const re = fr(t(0, a, b) + t(1, a, b));
        const im = a === b ? 0 : fr(fr(t(2, a, b) - t(0, a, b)) + t(1, a, b));
        expect([heap[Z + panelAt(a, b, P)], heap[Z + P * P + panelAt(a, b, P)]], `(${a}, ${b})`).toEqual([re, im]);
        expect([heap[Z + panelAt(b, a, P)], heap[Z + P * P + panelAt(b, a, P)]], `(${b}, ${a})`).toEqual([
          re,
          a === b ? 0 : -im,
        ]);
      }
    }
  });

  it('load64 rounds x * scale to float32 into the panels (four columns at a time and the tail), padding untouched', () => {
    for (const [R, C] of [
      [6, 8],
      [5, 11],
    ]) {
      const C4 = roundUp(C, 4);
      const src = new Float64Array(memory.buffer, 4096 * 8, R * C);
      src.set(randomKernel([1, 1, R, C], 9).data.map((x) => x * 1e3));
      heap.fill(-1, 0, roundUp(R, 4) * C4);
      ex.load64(src.byteOffset, 2 ** -7, R, C, C4, 0);
      for (let r = 0; r < roundUp(R, 4); r++) {
        for (let c = 0; c < C4; c++) {
          const want = r < R && c < C ? fr(src[r * C + c] * 2 ** -7) : -1;
          expect(heap[panelAt(r, c, C4)], `${R}x${C} (${r}, ${c})`).toBe(want);
        }
      }
    }
  });

  it('sumdiff scales a and b in place first (1 leaves them), then s = a + b, d = a - b', () => {
    const n = 16;
    for (const scale of [1, 0.25]) {
      random(0, 2 * n, 11);
      const [a, b] = [heap.slice(0, n), heap.slice(n, 2 * n)];
      ex.sumdiff(0, n * 4, 2 * n * 4, 3 * n * 4, n, scale);
      for (let j = 0; j < n; j++) {
        const [x, y] = [fr(a[j] * scale), fr(b[j] * scale)];
        expect([heap[j], heap[n + j], heap[2 * n + j], heap[3 * n + j]]).toEqual([x, y, fr(x + y), fr(x - y)]);
      }
    }
  });
});
