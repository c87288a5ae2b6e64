import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  SMOOTH_ACTIVATION_BOUNDS,
  type CurvatureLayer,
  type SmoothActivation,
  curvatureBound,
  curvatureCertifiedAccuracy,
  curvatureCertifiedRadius,
  pgdRobustAccuracy,
} from '../../src/main/engine/certify/index.js';
import { type Mat, fdHessian, flat32, gauss, randMat, rng, spectralNorm, symEigenvalues } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ACT: Record<SmoothActivation, (v: number) => number> = {
  softplus: (v) => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v))),
  tanh: Math.tanh,
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
};

/** Float64 forward of a dense net; weights in the tfjs layout [in, out]. */
function forward64(ws: Mat[], bs: number[][], act: SmoothActivation, x: number[]): number[] {
  let a = x;
  ws.forEach((W, l) => {
    const z = W[0].map((_, o) => a.reduce((s, v, i) => s + v * W[i][o], bs[l][o]));
    a = l === ws.length - 1 ? z : z.map(ACT[act]);
  });
  return a;
}

function denseLayers(ws: Mat[]): CurvatureLayer[] {
  return ws.map((W) => ({
    kind: 'dense',
    weight: flat32(W),
    shape: [W.length, W[0].length],
    lipschitz: spectralNorm(W) * (1 + 1e-7),
  }));
}

describe('activation derivative bounds', () => {
  it("g = sup|sigma'| and h = sup|sigma''| match a fine grid for softplus, tanh and sigmoid", () => {
    for (const act of ['softplus', 'tanh', 'sigmoid'] as const) {
      let g = 0;
      let h = 0;
      const f = ACT[act];
      const e = 1e-4;
      for (let v = -12; v <= 12; v += 1e-3) {
        g = Math.max(g, Math.abs((f(v + e) - f(v - e)) / (2 * e)));
        h = Math.max(h, Math.abs((f(v + e) - 2 * f(v) + f(v - e)) / (e * e)));
      }
      expect(g).toBeLessThanOrEqual(SMOOTH_ACTIVATION_BOUNDS[act].g + 1e-6);
      expect(h).toBeLessThanOrEqual(SMOOTH_ACTIVATION_BOUNDS[act].h + 1e-4);
      expect(g).toBeGreaterThan(SMOOTH_ACTIVATION_BOUNDS[act].g - 1e-3);
      expect(h).toBeGreaterThan(SMOOTH_ACTIVATION_BOUNDS[act].h - 1e-3);
    }
  });
});

describe('curvatureBound (Singla & Feizi 2020, Theorem 4)', () => {
  it.each(['softplus', 'tanh', 'sigmoid'] as const)(
    'bounds every Hessian eigenvalue of a random 3-layer %s net',
    (act) => {
      const r = rng(act.length * 101);
      const dims = [4, 6, 5, 3];
      const ws = dims.slice(1).map((d, i) => randMat(dims[i], d, r, 0.9));
      const bs = dims.slice(1).map((d) => Array.from({ length: d }, () => 0.5 * gauss(r)));
      const bound = curvatureBound(denseLayers(ws), act);
      const C = 3;
      let worstRatio = 0;
      for (let p = 0; p < 25; p++) {
        const x = Array.from({ length: 4 }, () => 2 * gauss(r));
        for (let y = 0; y < C; y++) {
          const ev = symEigenvalues(fdHessian((v) => forward64(ws, bs, act, v)[y], x));
          const lam = Math.max(...ev.map(Math.abs));
          expect(lam).toBeLessThanOrEqual(bound.logit[y] * (1 + 1e-6) + 1e-7);
          for (let t = 0; t < C; t++) {
            if (t === y) continue;
            const evd = symEigenvalues(
              fdHessian((v) => {
                const z = forward64(ws, bs, act, v);
                return z[y] - z[t];
              }, x),
            );
            const lamd = Math.max(...evd.map(Math.abs));
            expect(lamd).toBeLessThanOrEqual(bound.pairwise[y * C + t] * (1 + 1e-6) + 1e-7);
            worstRatio = Math.max(worstRatio, lamd / bound.pairwise[y * C + t]);
          }
        }
      }
      expect(worstRatio).toBeGreaterThan(1e-3); // the Hessians are not trivially small compared to the bound
      expect(bound.max).toBe(Math.max(...bound.pairwise));
      for (let y = 0; y < C; y++) expect(bound.pairwise[y * C + y]).toBe(0);
    },
  );

  it("is exact for one hidden unit: max |lambda| = |a_y - a_t| h ||w||^2 at the peak of |sigma''|", () => {
    // f = (a_y - a_t) sigma(w.x): Hessian (a_y - a_t) sigma''(w.x) w w^T, largest |eigenvalue| |a_y - a_t| |sigma''| ||w||^2.
    const w = [0.6, -0.8, 0.5];
    const a = [[1.3, -0.4]];
    for (const [act, zStar] of [
      ['softplus', 0],
      ['tanh', Math.atanh(1 / Math.sqrt(3))],
      ['sigmoid', Math.log((3 + Math.sqrt(3)) / (3 - Math.sqrt(3)))],
    ] as const) {
      const ws = [w.map((v) => [v]), a];
      const bound = curvatureBound(denseLayers(ws), act);
      const nw2 = w.reduce((s, v) => s + v * v, 0);
      expect(bound.pairwise[1] / (1.7 * SMOOTH_ACTIVATION_BOUNDS[act].h * nw2)).toBeCloseTo(1, 6); // float32 weights
      const x = w.map((v) => (v * zStar) / nw2); // w.x = zStar
      const ev = symEigenvalues(
        fdHessian((v) => {
          const z = forward64(ws, [[0], [0, 0]], act, v);
          return z[0] - z[1];
        }, x),
      );
      expect(Math.max(...ev.map(Math.abs)) / bound.pairwise[1]).toBeGreaterThan(0.9999);
    }
  });

  it('needs every layer term: a 3-layer chain whose first-layer curvature dominates gets within 20% of the bound', () => {
    // f = z_0 - z_1 = tanh(0.2 tanh(x)). Theorem 4: h (r1^2 s1 + r2^2 s2) with r1 = 1, s1 = g |a| |w2| = 0.2,
    // r2 = g |w2| r1 = 0.2, s2 = |a| = 1 -> 0.24 h. At tanh(x) = 1/sqrt 3 the I = 1 term alone gives
    // |f''| ~ 0.156, above the last-layer term 0.04 h = 0.031: dropping a term would be unsound.
    const ws = [[[1]], [[0.2]], [[1, 0]]];
    const bound = curvatureBound(denseLayers(ws), 'tanh');
    const h = SMOOTH_ACTIVATION_BOUNDS.tanh.h;
    expect(bound.pairwise[1] / (0.24 * h)).toBeCloseTo(1, 6);
    let peak = 0;
    for (let x = -4; x <= 4; x += 0.01) {
      const H = fdHessian(
        (v) => {
          const z = forward64(ws, [[0], [0], [0, 0]], 'tanh', v);
          return z[0] - z[1];
        },
        [x],
      );
      peak = Math.max(peak, Math.abs(H[0][0]));
    }
    expect(peak).toBeLessThanOrEqual(bound.pairwise[1]);
    expect(peak).toBeGreaterThan(0.8 * bound.pairwise[1]);
  });

  it('with a convolution first (operator-norm path) still bounds the Hessian', () => {
    // 3x3x1 input, 2x2 valid conv to 2 channels = an explicit 8x9 matrix; its exact norm feeds `lipschitz`.
    const r = rng(77);
    const kernel = Array.from({ length: 8 }, () => gauss(r)); // HWIO [2,2,1,2]
    const M: Mat = Array.from({ length: 9 }, () => new Array<number>(8).fill(0)); // [in 9, out 8]
    for (let a = 0; a < 2; a++)
      for (let b = 0; b < 2; b++)
        for (let o = 0; o < 2; o++) {
          for (let k = 0; k < 2; k++)
            for (let l = 0; l < 2; l++)
              M[(a + k) * 3 + (b + l)][(a * 2 + b) * 2 + o] += kernel[((k * 2 + l) * 1 + 0) * 2 + o];
        }
    const W2 = randMat(8, 5, r, 0.5);
    const W3 = randMat(5, 3, r);
    const layers: CurvatureLayer[] = [
      { kind: 'conv', weight: Float32Array.from(kernel), shape: [2, 2, 1, 2], lipschitz: spectralNorm(M) * (1 + 1e-7) },
      ...denseLayers([W2, W3]),
    ];
    const bound = curvatureBound(layers, 'tanh');
    const ws = [M, W2, W3];
    const bs = [new Array(8).fill(0.1), new Array(5).fill(-0.2), [0, 0, 0]];
    for (let p = 0; p < 15; p++) {
      const x = Array.from({ length: 9 }, () => gauss(r));
      const ev = symEigenvalues(
        fdHessian((v) => {
          const z = forward64(ws, bs, 'tanh', v);
          return z[2] - z[0];
        }, x),
      );
      expect(Math.max(...ev.map(Math.abs))).toBeLessThanOrEqual(bound.pairwise[2 * 3 + 0] * (1 + 1e-6) + 1e-7);
    }
    // the dense-only description of the same net (conv as its matrix) is at least as tight
    const dense = curvatureBound(denseLayers(ws), 'tanh');
    expect(dense.max).toBeLessThanOrEqual(bound.max * (1 + 1e-9));
  });

  it('rejects non-smooth activations, underestimated norms and inconsistent layers', () => {
    const ws = [randMat(3, 4, rng(1)), randMat(4, 2, rng(2))];
    expect(() => curvatureBound(denseLayers(ws), 'relu' as SmoothActivation)).toThrow(/ReLU has no second derivative/);
    const under = denseLayers(ws);
    under[0].lipschitz = 0.01;
    expect(() => curvatureBound(under, 'tanh')).toThrow(/below .* lower bound on its spectral norm/);
    expect(() => curvatureBound([denseLayers(ws)[0], denseLayers([randMat(5, 2, rng(3))])[0]], 'tanh')).toThrow(
      /takes 5 inputs but layer 0 has 4/,
    );
    expect(() =>
      curvatureBound([{ kind: 'conv', weight: new Float32Array(4), shape: [2, 2, 1, 1], lipschitz: 1 }], 'tanh'),
    ).toThrow(/last layer must be the dense/);
    const nan = denseLayers(ws);
    nan[1].weight[0] = NaN;
    expect(() => curvatureBound(nan, 'tanh')).toThrow(/finite/);
    expect(() => curvatureBound(denseLayers(ws), { g: 1, h: -1 })).toThrow(/activation.h/);
    expect(curvatureBound(denseLayers([ws[0]]), 'tanh').max).toBe(0); // one linear layer: no curvature
  });
});

describe('second-order certificate', () => {
  it('curvatureCertifiedRadius is the positive root of m - g r - K r^2 / 2 and m/g at K = 0', () => {
    for (const [m, g, K] of [
      [0.5, 2, 3],
      [1, 0.1, 10],
      [2, 5, 1e-9],
      [0.3, 0, 2],
    ]) {
      const rr = curvatureCertifiedRadius(m, g, K);
      expect(m - g * rr - (K * rr * rr) / 2).toBeCloseTo(0, 9);
      expect(rr).toBeCloseTo((-g + Math.sqrt(g * g + 2 * K * m)) / K, 6);
    }
    expect(curvatureCertifiedRadius(1, 4, 0)).toBe(0.25);
    expect(curvatureCertifiedRadius(0, 1, 1)).toBe(0);
    expect(curvatureCertifiedRadius(-1, 1, 1)).toBe(0);
    expect(() => curvatureCertifiedRadius(1, NaN, 1)).toThrow(/must be >= 0/);
  });

  it('certified accuracy: radii match a float64 reimplementation and PGD never breaks a certified point', async () => {
    const r = rng(404);
    const D = 6;
    const ws = [randMat(D, 8, r, 0.5), randMat(8, 3, r, 0.7)];
    const bs = [Array.from({ length: 8 }, () => 0.3 * gauss(r)), [0.2, 0, -0.1]];
    const forward = (v: tf.Tensor4D) =>
      tf.add(
        tf.matMul(
          tf.softplus(tf.add(tf.matMul(tf.reshape(v, [v.shape[0], D]), tf.tensor2d(ws[0])), bs[0])),
          tf.tensor2d(ws[1]),
        ),
        bs[1],
      ) as tf.Tensor2D;
    const n = 30;
    const xs = Array.from({ length: n }, () => Array.from({ length: D }, () => 0.2 + 0.6 * r()));
    const x = tf.tensor4d(xs.flat(), [n, 1, 1, D]);
    const pred = xs.map((v) => {
      const z = forward64(ws, bs, 'softplus', v);
      return z.indexOf(Math.max(...z));
    });
    const labels = pred.map((p, i) => (i % 6 === 0 ? (p + 1) % 3 : p));
    const bound = curvatureBound(denseLayers(ws), 'softplus');
    const epsilons = [0.05, 0.1, 0.2];
    const before = tf.memory().numTensors;
    const rep = await curvatureCertifiedAccuracy(forward, x, labels, bound, epsilons, { batchSize: 7 });
    expect(tf.memory().numTensors).toBe(before);

    xs.forEach((v, i) => {
      const z = forward64(ws, bs, 'softplus', v);
      const y = labels[i];
      let want = Infinity;
      for (let t = 0; t < 3; t++) {
        if (t === y) continue;
        const m = z[y] - z[t];
        if (!(m > 0)) {
          want = 0;
          break;
        }
        const e = 1e-5;
        const grad = v.map((_, k) => {
          const up = [...v];
          up[k] += e;
          const dn = [...v];
          dn[k] -= e;
          const zu = forward64(ws, bs, 'softplus', up);
          const zd = forward64(ws, bs, 'softplus', dn);
          return (zu[y] - zu[t] - (zd[y] - zd[t])) / (2 * e);
        });
        want = Math.min(want, curvatureCertifiedRadius(m, Math.hypot(...grad), bound.pairwise[y * 3 + t]));
      }
      expect(rep.radii[i]).toBeCloseTo(want, 4);
    });
    expect(rep.accuracy[0]).toBeGreaterThan(0); // the certificate is not vacuous here
    for (const [k, eps] of epsilons.entries()) {
      const pgd = await pgdRobustAccuracy(forward, x, labels, { eps, steps: 15, stepSize: eps / 4, seed: 5 });
      expect(pgd.robustAccuracy).toBeGreaterThanOrEqual(rep.accuracy[k]);
      for (let i = 0; i < n; i++) if (rep.radii[i] >= eps) expect(pgd.robust[i]).toBe(1);
    }
    await expect(curvatureCertifiedAccuracy(forward, x, labels, bound, [0])).rejects.toThrow(/> 0/);
    await expect(curvatureCertifiedAccuracy(forward, x, labels.slice(1), bound, [0.1])).rejects.toThrow(
      /30 inputs but 29 labels/,
    );
    tf.dispose(x);
  });
});
