import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { correlationAdjoint, phaseAdjoint } from '../../src/main/engine/bounds/methods/operator-adjoint.js';
import { operatorNormEstimate } from '../../src/main/engine/bounds/methods/operator-power.js';
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
