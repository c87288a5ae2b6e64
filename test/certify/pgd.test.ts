import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { certifiedAccuracy, pgdRobustAccuracy } from '../../src/main/engine/certify/index.js';
import { type Mat, flat32, orthonormalColumns, randMat, rng, spectralNorm } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const D = 8;
const C = 4;

/** n inputs in [0.3, 0.7]^D as [n, 1, 1, D], so an l2 step of <= 0.25 never reaches the clip box. */
function inputs(n: number, seed: number): number[][] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: D }, () => 0.3 + 0.4 * r()));
}

describe('pgdRobustAccuracy', () => {
  it('on a linear model finds every attack below the exact radius and none above it', async () => {
    // For z = x W + b the distance to misclassification is exactly min_j (z_y - z_j) / ||w_y - w_j||,
    // i.e. the pairwise certificate with Lip_rest = 1 is exact: PGD must agree with it on both sides.
    const r = rng(7);
    const W = randMat(D, C, r);
    const b = [0.1, -0.2, 0.05, 0];
    const xs = inputs(60, 8);
    const x = tf.tensor4d(xs.flat(), [60, 1, 1, D]);
    const forward = (v: tf.Tensor4D) =>
      tf.add(tf.matMul(tf.reshape(v, [v.shape[0], D]), tf.tensor2d(W)), b) as tf.Tensor2D;
    const logits = tf.tidy(() => forward(x));
    const labels = Array.from(tf.tidy(() => tf.argMax(logits, 1)).dataSync());
    const eps = 0.12;
    const cert = await certifiedAccuracy(logits, labels, spectralNorm(W), [eps], { kernel: W, lipschitzBefore: 1 });
    const before = tf.memory().numTensors;
    const pgd = await pgdRobustAccuracy(forward, x, labels, { eps, steps: 40, stepSize: eps / 8, seed: 1 });
    expect(tf.memory().numTensors).toBe(before);
    let checkedAbove = 0;
    let checkedBelow = 0;
    cert.pairwise!.radii.forEach((radius, i) => {
      if (radius > eps * 1.001) {
        expect(pgd.robust[i]).toBe(1); // sound: nothing exists to find
        checkedAbove++;
      } else if (radius < eps * 0.95) {
        expect(pgd.robust[i]).toBe(0); // strong: the attack reaches the nearest boundary
        checkedBelow++;
      }
    });
    expect(checkedAbove).toBeGreaterThan(10);
    expect(checkedBelow).toBeGreaterThan(10);
    expect(pgd.robustAccuracy).toBeGreaterThanOrEqual(cert.pairwise!.accuracy[0]);
    expect(pgd.robustAccuracy).toBeGreaterThanOrEqual(cert.standard.accuracy[0]);
    expect(pgd.cleanAccuracy).toBe(1);
    tf.dispose([x, logits]);
  });

  it('is never below the certified accuracy of a ReLU network (per point, both certificates, both losses)', async () => {
    // Dense ReLU net with orthonormal-column weights scaled by 2 and 1.5: ||W1|| = 2, ||W2|| = 1.5 exactly.
    const r = rng(31);
    const W1: Mat = orthonormalColumns(D, 6, r).map((row) => row.map((v) => 2 * v));
    const W2: Mat = orthonormalColumns(6, C, r).map((row) => row.map((v) => 1.5 * v));
    const b1 = Array.from({ length: 6 }, (_, i) => 0.3 - 0.1 * i);
    const forward = (v: tf.Tensor4D) =>
      tf.matMul(
        tf.relu(tf.add(tf.matMul(tf.reshape(v, [v.shape[0], D]), tf.tensor2d(W1)), b1)),
        tf.tensor2d(W2),
      ) as tf.Tensor2D;
    const n = 40;
    const x = tf.tensor4d(inputs(n, 9).flat(), [n, 1, 1, D]);
    const logits = tf.tidy(() => forward(x));
    const pred = Array.from(tf.tidy(() => tf.argMax(logits, 1)).dataSync());
    const labels = pred.map((p, i) => (i % 5 === 0 ? (p + 1) % C : p)); // some misclassified points
    const epsilons = [0.02, 0.05, 0.1, 0.2];
    const cert = await certifiedAccuracy(logits, labels, 2 * 1.5, epsilons, { kernel: flat32(W2), lipschitzBefore: 2 });
    let anyBroken = false;
    for (const [k, eps] of epsilons.entries()) {
      for (const loss of ['margin', 'cross-entropy'] as const) {
        const pgd = await pgdRobustAccuracy(forward, x, labels, {
          eps,
          steps: 15,
          stepSize: eps / 4,
          restarts: 2,
          seed: 3,
          loss,
        });
        expect(pgd.robustAccuracy).toBeGreaterThanOrEqual(cert.standard.accuracy[k]);
        expect(pgd.robustAccuracy).toBeGreaterThanOrEqual(cert.pairwise!.accuracy[k]);
        for (let i = 0; i < n; i++) {
          if (cert.pairwise!.radii[i] >= eps || cert.standard.radii[i] >= eps) expect(pgd.robust[i]).toBe(1);
          if (!pgd.correct[i]) expect(pgd.robust[i]).toBe(0);
        }
        expect(pgd.cleanAccuracy).toBeCloseTo(cert.cleanAccuracy, 12);
        if (pgd.robustAccuracy < pgd.cleanAccuracy) anyBroken = true;
      }
    }
    expect(anyBroken).toBe(true); // the attack is doing something
    tf.dispose([x, logits]);
  });

  it('is reproducible for a seed and rejects bad options and out-of-range inputs', async () => {
    const forward = (v: tf.Tensor4D) => tf.reshape(v, [v.shape[0], 2]) as tf.Tensor2D;
    const x = tf.tensor4d([0.6, 0.4, 0.45, 0.55, 0.9, 0.1], [3, 1, 1, 2]);
    const opts = { eps: 0.1, steps: 5, stepSize: 0.05, restarts: 3, seed: 42 };
    const a = await pgdRobustAccuracy(forward, x, [0, 1, 0], opts);
    const b = await pgdRobustAccuracy(forward, x, [0, 1, 0], opts);
    expect(Array.from(a.robust)).toEqual(Array.from(b.robust));
    // margins 0.2, 0.1, 0.8 against a sqrt(2)-Lipschitz difference: radii 0.141, 0.0707, 0.566
    expect(Array.from(a.robust)).toEqual([1, 0, 1]);
    await expect(pgdRobustAccuracy(forward, x, [0, 1, 0], { ...opts, eps: 0 })).rejects.toThrow(/eps must be/);
    await expect(pgdRobustAccuracy(forward, x, [0, 1, 0], { ...opts, steps: 0 })).rejects.toThrow(/steps/);
    await expect(pgdRobustAccuracy(forward, x, [0, 1], opts)).rejects.toThrow(/3 inputs but 2 labels/);
    await expect(pgdRobustAccuracy(forward, x, [0, 1, 2], opts)).rejects.toThrow(/labels\[2\] is 2/);
    const big = tf.mul(x, 255) as tf.Tensor4D;
    await expect(pgdRobustAccuracy(forward, big, [0, 1, 0], opts)).rejects.toThrow(/clip/);
    const c = await pgdRobustAccuracy(forward, big, [0, 1, 0], { ...opts, eps: 1, clip: null });
    expect(c.cleanAccuracy).toBe(1);
    tf.dispose([x, big]);
  });
});
