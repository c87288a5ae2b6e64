import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CertifyError,
  certifiedAccuracy,
  collectLogits,
  lipschitzMarginRadius,
  networkLipschitz,
  radiusHistogram,
} from '../../src/main/engine/certify/index.js';
import { flat32, gauss, orthonormalColumns, randMat, rng, spectralNorm } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * A network with an exactly known Lipschitz constant: a 3x3 conv whose kernel is 2 at the centre (the
 * scaled identity, norm 2 for any padding), ReLU, flatten, and a dense layer W [4 -> 3] whose columns are
 * 1.5 e_0, 1.5 e_1, 0.75 e_2 (||W||_2 = 1.5). On x >= 0 the logits are (3 x0, 3 x1, 1.5 x2).
 */
const CONV = (() => {
  const k = new Float32Array(9);
  k[4] = 2;
  return k;
})();
const W = [
  [1.5, 0, 0],
  [0, 1.5, 0],
  [0, 0, 0.75],
  [0, 0, 0],
];
function handNet(x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const h = tf.relu(tf.conv2d(x, tf.tensor4d(CONV, [3, 3, 1, 1]), 1, 'same'));
    return tf.matMul(tf.reshape(h, [x.shape[0], 4]), tf.tensor2d(W));
  });
}
const X = [
  [0.5, 0.2, 0.1, 0.9], // logits (1.5, 0.6, 0.15), label 0: margin 0.9
  [0.1, 0.3, 0.3, 0.0], // logits (0.3, 0.9, 0.45), label 1: margin 0.45
  [0.2, 0.1, 0.6, 0.5], // logits (0.6, 0.3, 0.9),  label 2: margin 0.3
  [0.4, 0.1, 0.0, 0.2], // logits (1.2, 0.3, 0),    label 1: misclassified
  [0.3, 0.3, 0.0, 0.0], // logits (0.9, 0.9, 0),    label 0: tie, not correct
];
const LABELS = [0, 1, 2, 1, 0];

describe('certifiedAccuracy on a hand-built network', () => {
  it('matches radii and accuracies computed by hand, for both certificates', async () => {
    const L = networkLipschitz({
      kind: 'seq',
      nodes: [
        { kind: 'layer', name: 'conv 2*identity', bound: 2 },
        { kind: 'layer', name: 'relu', bound: 1 },
        { kind: 'layer', name: 'flatten', bound: 1 },
        { kind: 'layer', name: 'dense', bound: spectralNorm(W) },
      ],
    });
    expect(L).toBeCloseTo(3, 12);
    const x = tf.tensor4d(X.flat(), [5, 2, 2, 1]);
    const logits = handNet(x);
    const eps = [0.05, 0.12, 0.2, 0.25];
    const rep = await certifiedAccuracy(logits, LABELS, L, eps, { kernel: flat32(W), lipschitzBefore: 2 });
    tf.dispose([x, logits]);

    const s2 = Math.SQRT2;
    const std = [0.9 / (s2 * 3), 0.45 / (s2 * 3), 0.3 / (s2 * 3), 0, 0];
    // pairwise: ||w_0 - w_1|| = 1.5 sqrt 2, ||w_0 - w_2|| = ||w_1 - w_2|| = sqrt(1.5^2 + 0.75^2); Lip_rest = 2
    const d01 = 1.5 * s2;
    const d02 = Math.hypot(1.5, 0.75);
    const pair = [
      Math.min(0.9 / (d01 * 2), 1.35 / (d02 * 2)),
      Math.min(0.6 / (d01 * 2), 0.45 / (d02 * 2)),
      Math.min(0.3 / (d02 * 2), 0.6 / (d02 * 2)),
      0,
      0,
    ];
    rep.standard.radii.forEach((r, i) => expect(r).toBeCloseTo(std[i], 6));
    rep.pairwise!.radii.forEach((r, i) => expect(r).toBeCloseTo(pair[i], 6));
    expect(Array.from(rep.correct)).toEqual([1, 1, 1, 0, 0]);
    expect(rep.cleanAccuracy).toBeCloseTo(3 / 5, 12);
    // std radii: 0.2121, 0.1061, 0.0707 -> at 0.05: 3 points, 0.12: 1, 0.2: 1, 0.25: 0
    expect(rep.standard.accuracy).toEqual([3 / 5, 1 / 5, 1 / 5, 0]);
    // pairwise radii: min(0.2121, 0.2683) = 0.2121, min(0.1414, 0.1342) = 0.1342, min(0.0894, 0.1789) = 0.0894
    expect(rep.pairwise!.accuracy).toEqual([3 / 5, 2 / 5, 1 / 5, 0]);
  });

  it('collectLogits runs the model in batches with the same result as one pass and no leaked tensors', async () => {
    const x = tf.tensor4d(X.flat(), [5, 2, 2, 1]);
    const whole = handNet(x);
    const before = tf.memory().numTensors;
    const host = await collectLogits(handNet, x, 2);
    expect(tf.memory().numTensors).toBe(before);
    expect(host.n).toBe(5);
    expect(host.numClasses).toBe(3);
    Array.from(whole.dataSync()).forEach((v, i) => expect(host.data[i]).toBeCloseTo(v, 6));
    const rep = await certifiedAccuracy(host.data as Float32Array, LABELS, 3, [0.05]);
    expect(rep.standard.accuracy).toEqual([3 / 5]);
    await expect(collectLogits(handNet, x, 0)).rejects.toThrow(/batchSize/);
    await expect(collectLogits((v) => tf.reshape(v, [-1]) as unknown as tf.Tensor2D, x, 2)).rejects.toThrow(
      /must return logits/,
    );
    tf.dispose([x, whole]);
  });

  it('gives the same report for a tensor, number[][] and a flat Float32Array, and leaks no tensors', async () => {
    const logits = [
      [2, 1, 0],
      [0, 3, 1],
      [1, 1, 4],
    ];
    const before = tf.memory().numTensors;
    const a = await certifiedAccuracy(logits, [0, 1, 2], 1.5, [0.1, 0.5]);
    const b = await certifiedAccuracy(Float32Array.from(logits.flat()), Int32Array.from([0, 1, 2]), 1.5, [0.1, 0.5]);
    const t = tf.tensor2d(logits);
    const yT = tf.tensor1d([0, 1, 2], 'int32');
    const eye = tf.eye(3) as tf.Tensor2D;
    const c = await certifiedAccuracy(t, yT, 1.5, [0.1, 0.5], { kernel: eye, lipschitzBefore: 1.5 });
    const oneHot = tf.oneHot(yT, 3);
    const d = await certifiedAccuracy(t, oneHot as tf.Tensor2D, 1.5, [0.1, 0.5]);
    tf.dispose([t, yT, oneHot, eye]);
    expect(tf.memory().numTensors).toBe(before);
    for (const r of [b, c, d]) {
      expect(Array.from(r.standard.radii)).toEqual(Array.from(a.standard.radii).map((v) => expect.closeTo(v, 6)));
      expect(r.standard.accuracy).toEqual(a.standard.accuracy);
    }
    expect(a.standard.radii[0]).toBeCloseTo(lipschitzMarginRadius(1, 1.5), 12);
    // identity last layer: ||e_y - e_j|| = sqrt 2, so pairwise == standard here
    c.pairwise!.radii.forEach((r, i) => expect(r).toBeCloseTo(c.standard.radii[i], 6));
  });

  it('pairwise radius is never below the standard one when L = Lip_rest * ||W||_2', async () => {
    const r = rng(21);
    const inDim = 7;
    const C = 5;
    const Wr = randMat(inDim, C, r);
    const lipRest = 1.7;
    const L = lipRest * spectralNorm(Wr);
    const feats = randMat(40, inDim, r);
    const logits = feats.map((f) => Array.from({ length: C }, (_, c) => f.reduce((s, v, i) => s + v * Wr[i][c], 0)));
    const labels = logits.map((z, i) =>
      i % 4 === 0 ? (z.indexOf(Math.max(...z)) + 1) % C : z.indexOf(Math.max(...z)),
    );
    const rep = await certifiedAccuracy(logits, labels, L, [0.01, 0.1, 0.3], { kernel: Wr, lipschitzBefore: lipRest });
    let strictlyBetter = 0;
    rep.standard.radii.forEach((s, i) => {
      const p = rep.pairwise!.radii[i];
      expect(p).toBeGreaterThanOrEqual(s * (1 - 1e-12));
      if (p > s * 1.01) strictlyBetter++;
    });
    expect(strictlyBetter).toBeGreaterThan(0);
    rep.pairwise!.accuracy.forEach((a, k) => expect(a).toBeGreaterThanOrEqual(rep.standard.accuracy[k]));
    // with orthonormal columns scaled by c, ||w_y - w_j|| = sqrt(2) ||W|| for every pair: the two coincide
    const Q = orthonormalColumns(inDim, C, r).map((row) => row.map((v) => 2 * v));
    const qLogits = feats.map((f) => Array.from({ length: C }, (_, c) => f.reduce((s, v, i) => s + v * Q[i][c], 0)));
    const qLabels = qLogits.map((z) => z.indexOf(Math.max(...z)));
    const q = await certifiedAccuracy(qLogits, qLabels, lipRest * 2, [0.1], { kernel: Q, lipschitzBefore: lipRest });
    q.standard.radii.forEach((s, i) => expect(q.pairwise!.radii[i]).toBeCloseTo(s, 9));
  });

  it('rejects NaN logits, mismatched lengths, eps <= 0, bad labels and bad bounds with clear errors', async () => {
    const z = [
      [1, 0],
      [0, 1],
    ];
    await expect(
      certifiedAccuracy(
        [
          [1, NaN],
          [0, 1],
        ],
        [0, 1],
        1,
        [0.1],
      ),
    ).rejects.toThrow(/example 0, class 1 is NaN/);
    await expect(certifiedAccuracy(z, [0, 1, 1], 1, [0.1])).rejects.toThrow(/2 rows but there are 3 labels/);
    await expect(certifiedAccuracy(Float32Array.from([1, 0, 0]), [0, 1], 1, [0.1])).rejects.toThrow(/cannot be split/);
    await expect(certifiedAccuracy(z, [0, 1], 1, [0])).rejects.toThrow(/finite number > 0/);
    await expect(certifiedAccuracy(z, [0, 1], 1, [-0.1, 0.2])).rejects.toThrow(/epsilons\[0\]/);
    await expect(certifiedAccuracy(z, [0, 1], 1, [])).rejects.toThrow(/non-empty/);
    await expect(certifiedAccuracy(z, [0, 2], 1, [0.1])).rejects.toThrow(
      /labels\[1\] is 2 but the model has 2 classes/,
    );
    await expect(certifiedAccuracy(z, [0, 0.5], 1, [0.1])).rejects.toThrow(/integers >= 0/);
    await expect(certifiedAccuracy(z, [0, 1], -1, [0.1])).rejects.toThrow(CertifyError);
    await expect(certifiedAccuracy(z, [0, 1], NaN, [0.1])).rejects.toThrow(/lipschitz/);
    await expect(
      certifiedAccuracy(
        [
          [1, 2, 3],
          [1, 2],
        ],
        [0, 1],
        1,
        [0.1],
      ),
    ).rejects.toThrow(/row 0 has 3/);
    await expect(certifiedAccuracy(z, [0, 1], 1, [0.1], { kernel: [[1, 0, 0]], lipschitzBefore: 1 })).rejects.toThrow(
      /needs 2/,
    );
    await expect(certifiedAccuracy(z, [0, 1], 1, [0.1], { kernel: [[1, NaN]], lipschitzBefore: 1 })).rejects.toThrow(
      /finite/,
    );
    await expect(certifiedAccuracy([[1], [2]], [0, 0], 1, [0.1])).rejects.toThrow(/at least 2 classes/);
  });
});

describe('radiusHistogram', () => {
  it('bins positive radii and counts radius-0 points apart', () => {
    const h = radiusHistogram([0, 0.05, 0.15, 0.25, 0, Infinity], 4, 0.4);
    expect(h.uncertified).toBe(2);
    expect(h.counts).toEqual([1, 1, 1, 1]);
    expect(h.edges).toEqual([0, 0.1, 0.2, 0.30000000000000004, 0.4]);
    const r = rng(2);
    const many = Array.from({ length: 100 }, () => Math.abs(gauss(r)));
    const auto = radiusHistogram(many, 10);
    expect(auto.counts.reduce((a, b) => a + b, 0) + auto.uncertified).toBe(100);
  });
});
