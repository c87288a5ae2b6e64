/**
 * The fast paths of the exact circular norm checked against their plain definitions: the correlation-Gram route
 * (correlation-gram.ts) against M M^H of the DFT matrices, the half spectrum against the full grid, the float32
 * SIMD kernels (frequency-simd.ts) against float64 loops, and the screened race against dense eigenvalues for
 * channel counts that take every branch (R odd, R not a multiple of 4, R a multiple of 4, transposed).
 */
import { describe, expect, it } from 'vitest';
import { sedghiExactNorm } from '../../src/main/engine/bounds/methods/sedghi.js';
import { frequencyMatrices } from '../../src/main/engine/bounds/numerics/fft2.js';
import { frequencyGram } from '../../src/main/engine/bounds/numerics/frequency-gram.js';
import { halfSpectrumFrequencies } from '../../src/main/engine/bounds/numerics/frequency-set.js';
import { correlationTaps, forEachCorrelationGram } from '../../src/main/engine/bounds/methods/correlation-gram.js';
import { subsetFrequencyMatrices } from '../../src/main/engine/bounds/methods/frequency-subset.js';
import { gramHeap, gramSimd } from '../../src/main/engine/bounds/methods/frequency-simd.js';
import { caseKernel, loadSpectralCases, randomKernel, relErr } from './spectral-vectors.js';

describe('halfSpectrumFrequencies', () => {
  it('holds exactly one frequency of every conjugate pair, with the right multiplicity', () => {
    for (const [nh, nw] of [
      [1, 1],
      [2, 3],
      [7, 7],
      [8, 8],
      [8, 12],
      [9, 7],
      [6, 5],
    ]) {
      const s = halfSpectrumFrequencies(nh, nw);
      const seen = new Map<number, number>();
      for (let f = 0; f < s.u.length; f++) {
        const [a, b] = [s.u[f], s.v[f]];
        const pair = new Set([a * nw + b, ((nh - a) % nh) * nw + ((nw - b) % nw)]);
        expect(s.multiplicity[f]).toBe(pair.size);
        for (const key of pair) seen.set(key, (seen.get(key) ?? 0) + 1);
        // Only v <= n_w / 2: the DFT's first stage needs floor(n_w / 2) + 1 columns.
        expect(2 * b).toBeLessThanOrEqual(nw);
      }
      expect(seen.size).toBe(nh * nw);
      expect([...seen.values()].every((x) => x === 1)).toBe(true);
    }
  });
});

describe('subsetFrequencyMatrices', () => {
  it('equals the separable DFT for a few frequencies (both orientations), and falls back to it for more', () => {
    for (const shape of [
      [3, 2, 4, 8],
      [2, 3, 8, 4],
    ] as [number, number, number, number][]) {
      const k = randomKernel(shape, 7);
      const all = halfSpectrumFrequencies(6, 5);
      for (const pick of [[0], [3, 7, 11], [0, 1, 2, 3, 4, 5]]) {
        const set = {
          u: Int32Array.from(pick, (f) => all.u[f]),
          v: Int32Array.from(pick, (f) => all.v[f]),
          multiplicity: Uint8Array.from(pick, (f) => all.multiplicity[f]),
        };
        const a = subsetFrequencyMatrices(k, 6, 5, set);
        const b = frequencyMatrices(k, 6, 5, set);
        expect([a.rows, a.cols, a.transposed, a.count]).toEqual([b.rows, b.cols, b.transposed, b.count]);
        for (let i = 0; i < b.data.length; i++) expect(Math.abs(a.data[i] - b.data[i])).toBeLessThan(1e-13);
      }
    }
  });
});

describe('correlation-Gram route', () => {
  it('gives M M^H at every frequency (wide, tall, wrap-around n < 2h - 1, rectangular input)', () => {
    const shapes: [[number, number, number, number], [number, number]][] = [
      [
        [7, 7, 3, 8],
        [9, 11],
      ],
      [
        [3, 3, 5, 2],
        [6, 6],
      ],
      [
        [1, 3, 4, 4],
        [4, 5],
      ],
      [
        [5, 5, 2, 3],
        [5, 5],
      ],
    ];
    shapes.forEach(([shape, [nh, nw]], j) => {
      const k = randomKernel(shape, 3 + j);
      const set = halfSpectrumFrequencies(nh, nw);
      const fm = frequencyMatrices(k, nh, nw, set);
      const R = fm.rows;
      const re = new Float64Array(R * R);
      const im = new Float64Array(R * R);
      let err = 0;
      let scale = 0;
      forEachCorrelationGram(correlationTaps(k), nh, nw, set, (f, gr, gi) => {
        frequencyGram(fm, f, 'rows', re, im);
        for (let i = 0; i < R * R; i++) {
          err = Math.max(err, Math.abs(gr[i] - re[i]), Math.abs(gi[i] - im[i]));
          scale = Math.max(scale, Math.abs(re[i]));
        }
      });
      expect(err / scale, `${shape}`).toBeLessThan(1e-12);
    });
  });

  it('the dense path (which uses it for few channels) matches the vectors and the spectrum is unchanged by the skip', () => {
    const cases = loadSpectralCases().filter((c) => Math.min(c.shape_hwio[2], c.shape_hwio[3]) <= 8);
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) {
      const k = caseKernel(c);
      const e = c.evaluations[0];
      const norm = sedghiExactNorm(k, e.n, { algorithm: 'dense' });
      const full = sedghiExactNorm(k, e.n, { spectrum: true });
      expect(relErr(norm.value, e.circular_s1_exact_fft), c.id).toBeLessThan(1e-10);
      expect(norm.value).toBe(Math.max(...full.spectrum!));
    }
  });
});

describe('float32 SIMD kernels', () => {
  const simd = gramSimd();
  it.runIf(simd !== null)(
    'gram, gram64 and the fused Lanczos step agree with float64 loops (odd R, C a multiple of 4)',
    () => {
      const k = simd!;
      for (const [R, C] of [
        [7, 12],
        [8, 20],
        [16, 16],
      ]) {
        const heap = gramHeap(k, 1 << 20);
        const [m, q, qp, y, w, out] = [4096, 0, 512, 1024, 2048, 3072];
        const M = Array.from({ length: 2 * R * C }, (_, i) => Math.sin(1 + i * 0.37));
        const Q = Array.from({ length: 2 * R }, (_, i) => Math.cos(i * 0.71) / Math.sqrt(R));
        const P = Array.from({ length: 2 * R }, (_, i) => Math.sin(i * 1.3) / Math.sqrt(R));
        heap.set(M, m / 4);
        heap.set(Q, q / 4);
        // float64 reference: z = M M^H q (rows re then im)
        const yr = new Float64Array(C);
        const yi = new Float64Array(C);
        for (let r = 0; r < R; r++) {
          for (let c = 0; c < C; c++) {
            const [a, b] = [M[r * C + c], M[R * C + r * C + c]];
            yr[c] += a * Q[r] + b * Q[R + r];
            yi[c] += a * Q[R + r] - b * Q[r];
          }
        }
        const z = new Float64Array(2 * R);
        for (let r = 0; r < R; r++) {
          for (let c = 0; c < C; c++) {
            const [a, b] = [M[r * C + c], M[R * C + r * C + c]];
            z[r] += a * yr[c] - b * yi[c];
            z[R + r] += a * yi[c] + b * yr[c];
          }
        }
        k.gram(m, R, C, q, y, w);
        const scale = Math.max(...z.map(Math.abs));
        for (let i = 0; i < 2 * R; i++) expect(Math.abs(heap[w / 4 + i] - z[i]) / scale).toBeLessThan(1e-5);
        // The float64 kernel: the same product to float64 rounding.
        const h64 = new Float64Array(heap.buffer);
        const [m8, q8, y8, w8] = [65536, 32768, 40960, 49152];
        h64.set(M, m8 / 8);
        h64.set(Q, q8 / 8);
        k.gram64(m8, R, C, q8, y8, w8);
        for (let i = 0; i < 2 * R; i++) expect(Math.abs(h64[w8 / 8 + i] - z[i]) / scale).toBeLessThan(1e-13);
        if (R % 4) continue;
        // Fused step from q_k = Q with q_{k-1} = P: alpha = Re Q^H z, z -= (P^H z) P + (Q^H z') Q, |z|^2, P <- z / |z|.
        heap.set(P, qp / 4);
        k.step(m, R, C, q, qp, y, w, 0, out);
        const dot = (x: ArrayLike<number>, v: Float64Array): [number, number] => {
          let [hr, hi] = [0, 0];
          for (let r = 0; r < R; r++) {
            hr += x[r] * v[r] + x[R + r] * v[R + r];
            hi += x[r] * v[R + r] - x[R + r] * v[r];
          }
          return [hr, hi];
        };
        const alpha = dot(Q, z)[0];
        for (const x of [P, Q]) {
          const [hr, hi] = dot(x, z);
          for (let r = 0; r < R; r++) {
            const [xr, xi] = [x[r], x[R + r]];
            z[r] -= hr * xr - hi * xi;
            z[R + r] -= hr * xi + hi * xr;
          }
        }
        const b2 = z.reduce((s, x) => s + x * x, 0);
        expect(relErr(heap[out / 4], alpha)).toBeLessThan(1e-5);
        expect(relErr(heap[out / 4 + 1], b2)).toBeLessThan(1e-3);
        for (let i = 0; i < 2 * R; i++) expect(Math.abs(heap[qp / 4 + i] - z[i] / Math.sqrt(b2))).toBeLessThan(1e-3);
      }
    },
  );
});

describe('screened race against dense eigenvalues', () => {
  it('every branch: R odd, R % 4 != 0, R % 4 == 0, transposed, no SIMD; reproducible', () => {
    const shapes: [[number, number, number, number], number | [number, number]][] = [
      [[3, 3, 7, 12], 9],
      [
        [3, 3, 10, 12],
        [8, 10],
      ],
      [[3, 3, 12, 16], 11],
      [[2, 3, 20, 12], 7],
      // C = 10 is not a multiple of 4: no SIMD, the float64 race alone.
      [[3, 3, 9, 10], 7],
    ];
    shapes.forEach(([shape, n], j) => {
      const k = randomKernel(shape, 101 + j);
      const race = sedghiExactNorm(k, n, { algorithm: 'racing' });
      const dense = sedghiExactNorm(k, n, { algorithm: 'dense' });
      expect(relErr(race.value, dense.value), `${shape} n=${n}`).toBeLessThan(1e-6);
      expect(race.bracket[0]).toBeLessThanOrEqual(dense.value * (1 + 1e-12));
      expect(race.bracket[1] / race.bracket[0] - 1).toBeLessThan(1e-6);
      const again = sedghiExactNorm(k, n, { algorithm: 'racing' });
      expect(again.value).toBe(race.value);
      expect(again.bracket).toEqual(race.bracket);
    });
  });
});
