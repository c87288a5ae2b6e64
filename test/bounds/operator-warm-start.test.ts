import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { correlationAdjoint, phaseAdjoint } from '../../src/main/engine/bounds/methods/operator-adjoint.js';
import { operatorNormEstimate } from '../../src/main/engine/bounds/methods/operator-power.js';
import { multiplyGram, planeWaves } from '../../src/main/engine/bounds/methods/operator-warm-start.js';
import { mulberry32 } from '../../src/main/engine/data/rng.js';
import { caseKernel, loadSpectralCases, relErr } from './spectral-vectors.js';

const cases = loadSpectralCases();

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('correlationAdjoint: the adjoint of a zero-padded strided conv2d as a forward correlation', () => {
  const shapes: [number, number, number, number, number, number][] = [
    // kh, kw, ci, co, n, stride
    [3, 3, 4, 5, 8, 1],
    [3, 3, 4, 5, 9, 2],
    [7, 7, 3, 4, 16, 2],
    [3, 5, 2, 3, 10, 3],
    [1, 1, 3, 2, 6, 2],
    [2, 3, 3, 2, 11, 3],
    [3, 3, 2, 3, 7, 4],
  ];
  for (const [kh, kw, ci, co, n, s] of shapes) {
    it(`${kh}x${kw} ${ci}->${co}, n=${n}, stride ${s}: equals conv2dTranspose and satisfies <Ax, y> = <x, A^T y>`, () => {
      const W = tf.randomNormal([kh, kw, ci, co], 0, 1, 'float32', 3) as tf.Tensor4D;
      for (const pads of [
        [
          Math.floor((kh - 1) / 2),
          kh - 1 - Math.floor((kh - 1) / 2),
          Math.floor((kw - 1) / 2),
          kw - 1 - Math.floor((kw - 1) / 2),
        ],
        [0, 0, 0, 0],
        [kh - 1, 1, kw - 1, 0],
      ]) {
        const [pt, pb, pl, pr] = pads;
        const p: [[number, number], [number, number], [number, number], [number, number]] = [
          [0, 0],
          [pt, pb],
          [pl, pr],
          [0, 0],
        ];
        const x = tf.randomNormal([1, n, n, ci], 0, 1, 'float32', 5) as tf.Tensor4D;
        const Ax = tf.conv2d(x, W, s, p);
        const y = tf.randomNormal(Ax.shape, 0, 1, 'float32', 7) as tf.Tensor4D;
        const geometry = {
          nh: n,
          nw: n,
          stride: s,
          rows: [pt, pb] as [number, number],
          cols: [pl, pr] as [number, number],
        };
        const ref = tf.conv2dTranspose(y, W, [1, n, n, ci], s, p);
        const lhs = tf.sum(tf.mul(Ax, y)).dataSync()[0];
        // The flipped-kernel correlation and the split by stride phase (both the same operator as conv2dTranspose).
        for (const adj of [correlationAdjoint(W, geometry), phaseAdjoint(W, geometry)]) {
          expect(adj, `pads ${pads}`).toBeDefined();
          const mine = adj!.apply(y);
          expect(mine.shape).toEqual([1, n, n, ci]);
          const diff = tf.max(tf.abs(tf.sub(mine, ref))).dataSync()[0];
          expect(diff, `pads ${pads}`).toBeLessThan(1e-4);
          const rhs = tf.sum(tf.mul(x, mine)).dataSync()[0];
          expect(Math.abs(lhs - rhs) / Math.max(1, Math.abs(lhs))).toBeLessThan(1e-4);
          adj!.dispose();
          mine.dispose();
        }
        tf.dispose([x, Ax, y, ref]);
      }
      W.dispose();
    });
  }

  it('declines pads beyond the kernel (the caller keeps conv2dTranspose)', () => {
    const W = tf.zeros([3, 3, 1, 1]) as tf.Tensor4D;
    expect(correlationAdjoint(W, { nh: 8, nw: 8, stride: 1, rows: [3, 0], cols: [0, 0] })).toBeUndefined();
    W.dispose();
  });
});

describe("operatorNormEstimate with start 'circular'", () => {
  it('starts on the circular operator’s top singular vector: one product already gives the exact circular norm (stride 1 and 2)', () => {
    for (const c of cases) {
      const k = caseKernel(c);
      for (const e of c.evaluations) {
        const s1 = operatorNormEstimate(k, { n: e.n, padding: 'circular', start: 'circular', iterations: 1 });
        expect(relErr(s1.value, e.circular_s1_exact_fft), `${c.id} n=${e.n} s1`).toBeLessThan(2e-4);
        expect(s1.iterations).toBe(1);
        if (e.circular_s2_exact !== null) {
          const s2 = operatorNormEstimate(k, {
            n: e.n,
            padding: 'circular',
            stride: 2,
            start: 'circular',
            iterations: 1,
          });
          expect(relErr(s2.value, e.circular_s2_exact), `${c.id} n=${e.n} s2`).toBeLessThan(2e-4);
        }
      }
    }
  });

  it('converges to the exact zero-padded norm from below, like the random start', () => {
    for (const c of cases) {
      const k = caseKernel(c);
      const e = c.evaluations[c.evaluations.length - 1];
      const same = operatorNormEstimate(k, { n: e.n, padding: 'same', start: 'circular', tol: 5e-6 });
      expect(relErr(same.value, e.zero_same_s1_exact), c.id).toBeLessThan(1e-5);
      expect(same.value).toBeLessThanOrEqual(e.zero_same_s1_exact * (1 + 1e-6));
      const s2 = operatorNormEstimate(k, { n: e.n, padding: 'same', stride: 2, start: 'circular', tol: 5e-6 });
      expect(relErr(s2.value, e.zero_same_tf_s2_exact), `${c.id} s2`).toBeLessThan(1e-5);
    }
  });

  it('stallTol stops early with a value that is still below the exact norm, and reports the products run', () => {
    const c = cases[1];
    const e = c.evaluations[c.evaluations.length - 1];
    const k = caseKernel(c);
    const r = operatorNormEstimate(k, { n: e.n, padding: 'same', start: 'circular', stallTol: 1e-3 });
    const full = operatorNormEstimate(k, { n: e.n, padding: 'same', start: 'circular', tol: 5e-6 });
    expect(r.iterations).toBeLessThan(full.iterations);
    expect(r.value).toBeLessThanOrEqual(e.zero_same_s1_exact * (1 + 1e-6));
    expect(relErr(r.value, e.zero_same_s1_exact)).toBeLessThan(1e-2);
  });
});

/** Seeded values in [-1, 1), a few of them exact zeros (the sums must keep their signs and order there too). */
function seeded(length: number, seed: number): Float64Array {
  const rng = mulberry32(seed);
  return Float64Array.from({ length }, (_, i) => (i % 7 === 3 ? 0 : 2 * rng() - 1));
}

describe('the warm start: its blocked loops give the row-at-a-time values bit for bit', () => {
  it('multiplyGram (four rows of M per sweep) equals w = M^H (M q) one row at a time, for any row count', () => {
    for (const [rows, cols] of [
      [1, 3],
      [2, 5],
      [3, 4],
      [4, 12],
      [5, 7],
      [6, 1],
      [7, 16],
      [9, 12],
      [13, 36],
    ]) {
      const M = { re: seeded(rows * cols, rows), im: seeded(rows * cols, rows + 100) };
      const [qr, qi] = [seeded(cols, 7), seeded(cols, 8)];
      const u = { re: new Float64Array(rows), im: new Float64Array(rows) };
      const [wr, wi] = [new Float64Array(cols), new Float64Array(cols)];
      multiplyGram(M, rows, cols, qr, qi, u, wr, wi);
      const [er, ei] = [new Float64Array(cols), new Float64Array(cols)];
      for (let o = 0; o < rows; o++) {
        let sr = 0;
        let si = 0;
        for (let j = 0; j < cols; j++) {
          sr += M.re[o * cols + j] * qr[j] - M.im[o * cols + j] * qi[j];
          si += M.re[o * cols + j] * qi[j] + M.im[o * cols + j] * qr[j];
        }
        expect([u.re[o], u.im[o]], `u_${o}, ${rows} x ${cols}`).toEqual([sr, si]);
        for (let j = 0; j < cols; j++) {
          er[j] += M.re[o * cols + j] * sr + M.im[o * cols + j] * si;
          ei[j] += M.re[o * cols + j] * si - M.im[o * cols + j] * sr;
        }
      }
      expect(Array.from(wr), `${rows} x ${cols}`).toEqual(Array.from(er));
      expect(Array.from(wi), `${rows} x ${cols}`).toEqual(Array.from(ei));
    }
  });

  it('planeWaves (tabulated phase terms and tapers) equals the formula evaluated at each position', () => {
    // Stride 1 (one frequency) and stride 2 and 3 cosets (s^2 frequencies), square and not, tapered and not.
    const cases: [number, number, number, [number, number][], boolean][] = [
      [6, 6, 3, [[1, 2]], true],
      [
        8,
        10,
        2,
        [
          [1, 3],
          [5, 3],
          [1, 8],
          [5, 8],
        ],
        true,
      ],
      [
        9,
        6,
        5,
        [
          [2, 1],
          [5, 1],
          [8, 1],
          [2, 3],
          [5, 3],
          [8, 3],
          [2, 5],
          [5, 5],
          [8, 5],
        ],
        false,
      ],
    ];
    for (const [nh, nw, ci, freqs, taper] of cases) {
      const v = seeded(2 * freqs.length * ci, nh * nw);
      const x = planeWaves(v, freqs, ci, { nh, nw, stride: 1, top: 0, left: 0, taper });
      const t = (r: number, n: number) => (taper ? Math.sin((Math.PI * (r + 1)) / (n + 1)) : 1);
      const cols = freqs.length * ci;
      for (let r0 = 0; r0 < nh; r0++) {
        for (let r1 = 0; r1 < nw; r1++) {
          for (let i = 0; i < ci; i++) {
            let want = 0;
            freqs.forEach(([fu, fv], m) => {
              const phase = 2 * Math.PI * ((fu * r0) / nh + (fv * r1) / nw);
              const c = Math.cos(phase) * (t(r0, nh) * t(r1, nw));
              const sn = Math.sin(phase) * (t(r0, nh) * t(r1, nw));
              want += v[m * ci + i] * c - v[cols + m * ci + i] * sn;
            });
            expect(x[(r0 * nw + r1) * ci + i], `${nh}x${nw} at (${r0}, ${r1}, ${i})`).toBe(want);
          }
        }
      }
    }
  });
});
