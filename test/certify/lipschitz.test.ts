import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CertifyError,
  activationLipschitz,
  averagePoolNorm1D,
  averagePoolOperatorNorm,
  averagePoolSchurBound,
  batchNormLipschitz,
  maxPoolLipschitz,
  networkLipschitz,
  type PoolPadding,
} from '../../src/main/engine/certify/index.js';
import { type Mat, gauss, matmul, rng, spectralNorm } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('networkLipschitz', () => {
  it('multiplies a sequence and adds shortcut + branch in a residual block', () => {
    const layer = (name: string, bound: number) => ({ kind: 'layer' as const, name, bound });
    expect(networkLipschitz({ kind: 'seq', nodes: [layer('a', 2), layer('b', 3), layer('c', 0.5)] })).toBeCloseTo(
      3,
      12,
    );
    // identity shortcut by default: 1 + 0.5 * 0.4
    const block = {
      kind: 'residual' as const,
      branch: { kind: 'seq' as const, nodes: [layer('w1', 0.5), layer('w2', 0.4)] },
    };
    expect(networkLipschitz(block)).toBeCloseTo(1.2, 12);
    expect(networkLipschitz({ kind: 'residual', branch: layer('b', 0.7), shortcut: layer('proj', 2) })).toBeCloseTo(
      2.7,
      12,
    );
    expect(networkLipschitz({ kind: 'seq', nodes: [layer('stem', 2), block, block] })).toBeCloseTo(2 * 1.2 * 1.2, 12);
    expect(networkLipschitz({ kind: 'seq', nodes: [] })).toBe(1);
  });

  it('is attained by a residual block whose branch is aligned with the shortcut', () => {
    // f(x) = x + W2 relu(W1 x) with W1 = diag(0.5, ...), W2 = diag(0.4, ...): on x >= 0, f(x) = 1.2 x exactly.
    const d = 6;
    const f = (x: number[]) => x.map((v) => v + 0.4 * Math.max(0, 0.5 * v));
    const bound = networkLipschitz({
      kind: 'residual',
      branch: {
        kind: 'seq',
        nodes: [
          { kind: 'layer', name: 'w1', bound: 0.5 },
          { kind: 'layer', name: 'relu', bound: 1 },
          { kind: 'layer', name: 'w2', bound: 0.4 },
        ],
      },
    });
    const r = rng(3);
    let worst = 0;
    for (let t = 0; t < 50; t++) {
      const x = Array.from({ length: d }, () => r());
      const y = Array.from({ length: d }, () => r());
      const fx = f(x);
      const fy = f(y);
      const num = Math.hypot(...fx.map((v, i) => v - fy[i]));
      const den = Math.hypot(...x.map((v, i) => v - y[i]));
      worst = Math.max(worst, num / den);
    }
    expect(worst).toBeLessThanOrEqual(bound + 1e-12);
    expect(worst).toBeCloseTo(bound, 10);
  });

  it('rejects negative, NaN and infinite bounds and unknown node kinds, naming the layer', () => {
    const bad = (bound: number) => networkLipschitz({ kind: 'seq', nodes: [{ kind: 'layer', name: 'conv3', bound }] });
    expect(() => bad(-1)).toThrow(/conv3.*finite number >= 0/);
    expect(() => bad(NaN)).toThrow(CertifyError);
    expect(() => bad(Infinity)).toThrow(/conv3/);
    expect(() => networkLipschitz({ kind: 'pool' } as never)).toThrow(/unknown node kind/);
  });
});

describe('layer bounds', () => {
  it('batchNormLipschitz is max |gamma| / sqrt(var + eps) and is attained by tf.batchNorm', () => {
    const gamma = [0.5, -2, 1];
    const variance = [1, 3, 0.25];
    const eps = 1e-3;
    const b = batchNormLipschitz(gamma, variance, eps);
    expect(b).toBeCloseTo(Math.max(0.5 / Math.sqrt(1.001), 2 / Math.sqrt(3.001), 1 / Math.sqrt(0.251)), 12);
    // The layer really moves a perturbation along channel 2 by exactly that factor.
    const ratio = tf.tidy(() => {
      const x = tf.randomNormal([1, 2, 2, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
      const delta = tf.tensor4d([0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 2, 2, 3]);
      const bn = (v: tf.Tensor4D) => tf.batchNorm(v, [0.1, 0.2, 0.3], variance, [0, 0, 0], gamma, eps);
      const d = tf.sub(bn(tf.add(x, delta) as tf.Tensor4D), bn(x));
      return tf.norm(d).dataSync()[0];
    });
    expect(ratio).toBeCloseTo(b, 5);
    expect(() => batchNormLipschitz([1, 2], [1], 1e-3)).toThrow(/same layer/);
    expect(() => batchNormLipschitz([1], [-1], 1e-3)).toThrow(/variance >= 0/);
    expect(() => batchNormLipschitz([1], [0], 0)).toThrow(/divides by zero/);
  });

  it('activations: 1 for relu/tanh/softplus, 1/4 for sigmoid', () => {
    expect(activationLipschitz('relu')).toBe(1);
    expect(activationLipschitz('tanh')).toBe(1);
    expect(activationLipschitz('softplus')).toBe(1);
    expect(activationLipschitz('sigmoid')).toBe(0.25);
  });

  it('maxPoolLipschitz is 1 for disjoint windows and sqrt(windows per input) with overlap, attained by tf.maxPool', () => {
    expect(maxPoolLipschitz([2, 2], [2, 2])).toBe(1);
    expect(maxPoolLipschitz([3, 3], [1, 1])).toBe(3);
    // 5x5 input, 3x3 valid stride-1 pool: the centre pixel is in all 9 windows; raising it raises all 9 outputs.
    const ratio = tf.tidy(() => {
      const x = tf.zeros([1, 5, 5, 1]) as tf.Tensor4D;
      const bump = tf.buffer([1, 5, 5, 1]);
      bump.set(1, 0, 2, 2, 0);
      const y0 = tf.maxPool(x, 3, 1, 'valid');
      const y1 = tf.maxPool(tf.add(x, bump.toTensor()) as tf.Tensor4D, 3, 1, 'valid');
      return tf.norm(tf.sub(y1, y0)).dataSync()[0];
    });
    expect(ratio).toBeCloseTo(3, 6);
    expect(() => maxPoolLipschitz([0, 2], [1, 1])).toThrow(/positive integer/);
  });
});

/** The explicit (out x in) matrix of tf.avgPool on one channel, one basis image at a time. */
function avgPoolMatrix(n: number, k: number, s: number, padding: PoolPadding): Mat {
  const cols: number[][] = [];
  for (let p = 0; p < n * n; p++) {
    const e = new Float32Array(n * n);
    e[p] = 1;
    cols.push(Array.from(tf.tidy(() => tf.avgPool(tf.tensor4d(e, [1, n, n, 1]), k, s, padding).dataSync())));
  }
  return cols[0].map((_, i) => cols.map((c) => c[i]));
}

describe('average-pool operator norm', () => {
  const cases: [number, number, number, PoolPadding][] = [
    [6, 2, 2, 'valid'],
    [7, 3, 2, 'valid'],
    [7, 3, 1, 'valid'],
    [5, 2, 2, 'same'],
    [7, 3, 2, 'same'],
    [6, 3, 1, 'same'],
  ];
  it.each(cases)(
    'n=%i k=%i s=%i %s matches the spectral norm of the explicit tf.avgPool matrix',
    (n, k, s, padding) => {
      const exact = spectralNorm(avgPoolMatrix(n, k, s, padding));
      const ours = averagePoolOperatorNorm({ poolSize: [k, k], strides: [s, s], inputSize: [n, n], padding });
      expect(ours).toBeGreaterThanOrEqual(exact * (1 - 1e-6)); // float32 matrix entries
      expect(Math.abs(ours - exact) / exact).toBeLessThan(1e-5);
      if (padding === 'valid') expect(averagePoolSchurBound([k, k], [s, s])).toBeGreaterThanOrEqual(ours * (1 - 1e-9));
    },
  );

  it('disjoint windows: k x k stride k has norm exactly 1/k; stride 1 approaches 1; k=3 s=2 is below Schur', () => {
    expect(
      averagePoolOperatorNorm({ poolSize: [2, 2], strides: [2, 2], inputSize: [32, 32], padding: 'valid' }),
    ).toBeCloseTo(0.5, 9);
    expect(
      averagePoolOperatorNorm({ poolSize: [3, 3], strides: [3, 3], inputSize: [30, 30], padding: 'valid' }),
    ).toBeCloseTo(1 / 3, 9);
    const s1 = averagePoolOperatorNorm({ poolSize: [2, 2], strides: [1, 1], inputSize: [200, 200], padding: 'valid' });
    expect(s1).toBeLessThan(1);
    expect(s1).toBeGreaterThan(0.999);
    expect(averagePoolSchurBound([2, 2], [1, 1])).toBe(1);
    // k=3, s=2: Schur sqrt(2/3) per axis, the n -> infinity norm is sqrt(5)/3 per axis (symbol of P P^T at 0: 5/9).
    const r = averagePoolNorm1D(401, 3, 2, 'valid');
    expect(r.upper).toBeCloseTo(Math.sqrt(5) / 3, 4);
    expect(averagePoolSchurBound([3, 3], [2, 2])).toBeCloseTo(2 / 3, 12);
    // TF 'same' with an odd input copies the last pixel: norm 1, which the 'valid' Schur bound (1/2) would miss.
    expect(
      averagePoolOperatorNorm({ poolSize: [2, 2], strides: [2, 2], inputSize: [5, 5], padding: 'same' }),
    ).toBeCloseTo(1, 9);
  });

  it('rejects inputs smaller than the pool and bad sizes', () => {
    expect(() =>
      averagePoolOperatorNorm({ poolSize: [3, 3], strides: [1, 1], inputSize: [2, 2], padding: 'valid' }),
    ).toThrow(/smaller than the pool/);
    expect(() => averagePoolSchurBound([2, 2], [0, 1])).toThrow(/positive integer/);
    expect(() => averagePoolNorm1D(4, 2, 2, 'reflect' as PoolPadding)).toThrow(/'valid' or 'same'/);
  });
});

describe('sanity of the reference helpers', () => {
  it('spectralNorm of a random product is at most the product of norms', () => {
    const r = rng(11);
    const a = Array.from({ length: 4 }, () => Array.from({ length: 3 }, () => gauss(r)));
    const b = Array.from({ length: 3 }, () => Array.from({ length: 5 }, () => gauss(r)));
    expect(spectralNorm(matmul(a, b))).toBeLessThanOrEqual(spectralNorm(a) * spectralNorm(b) + 1e-12);
    expect(
      spectralNorm([
        [3, 0],
        [0, -4],
      ]),
    ).toBeCloseTo(4, 12);
  });
});
