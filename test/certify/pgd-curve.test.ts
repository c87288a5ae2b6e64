/**
 * The empirical PGD curve over a grid of radii (engine/certify/pgd-curve.ts) on a linear model, where the distance of
 * each point to misclassification is known exactly (the pairwise certificate with Lip_rest = 1): every point breaks at
 * the first grid radius past its exact radius, never before; the stored curve lies above the certified curve at every ε
 * up to the grid's top and ends there.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { certifiedAccuracy, pgdCurve, pgdGrid, pgdStoredRadii } from '../../src/main/engine/certify/index.js';
import { certifiedAccuracyAt, pgdCurvePoints, sortRadii } from '../../src/shared/certify-math.js';
import { randMat, rng, spectralNorm } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const D = 8;
const C = 4;

describe('pgdCurve', () => {
  it('breaks each point at the first grid radius past its exact radius, and stores a curve above the certificates', async () => {
    const r = rng(11);
    const W = randMat(D, C, r);
    const n = 50;
    const xs = Array.from({ length: n * D }, () => 0.3 + 0.4 * r());
    const x = tf.tensor4d(xs, [n, 1, 1, D]);
    const forward = (v: tf.Tensor4D) => tf.matMul(tf.reshape(v, [v.shape[0], D]), tf.tensor2d(W)) as tf.Tensor2D;
    const logits = tf.tidy(() => forward(x));
    // Labels from the logits, three flipped: misclassified points break at 0.
    const labels = Uint8Array.from(tf.tidy(() => tf.argMax(logits, 1)).dataSync());
    for (const i of [0, 1, 2]) labels[i] = (labels[i] + 1) % C;
    const cert = await certifiedAccuracy(logits, labels, spectralNorm(W), [0.1], { kernel: W, lipschitzBefore: 1 });
    const exact = cert.pairwise!.radii;
    const top = Math.max(...exact.filter(Number.isFinite));
    const grid = pgdGrid([0.1], top);
    expect(grid.length).toBe(7);
    expect(grid[grid.length - 1]).toBe(top);

    const before = tf.memory().numTensors;
    const curve = await pgdCurve(forward, x, labels, grid, { steps: 40, seed: 1 });
    expect(tf.memory().numTensors).toBe(before);
    let checked = 0;
    exact.forEach((radius, i) => {
      if (radius === 0) return expect(curve.firstBreak[i]).toBe(0);
      // Sound: no grid radius below the exact one breaks the point.
      expect(curve.firstBreak[i]).toBeGreaterThanOrEqual(radius);
      // Strong: with no grid radius within 5% of the exact one, it breaks at the first grid radius past it.
      const next = grid.find((g) => g >= radius * 0.95);
      if (next !== undefined && next > radius * 1.05) {
        expect(curve.firstBreak[i]).toBe(next);
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(15);
    for (const g of grid)
      expect(curve.accuracyAt(g)).toBe(Array.from(curve.firstBreak).filter((f) => f > g).length / n);

    const stored = pgdStoredRadii(curve);
    const certified = sortRadii(exact);
    for (let k = 0; k <= 20; k++) {
      const eps = (top * k) / 20;
      expect(certifiedAccuracyAt(stored, eps)).toBeGreaterThanOrEqual(certifiedAccuracyAt(certified, eps));
    }
    expect(certifiedAccuracyAt(stored, 0)).toBe((n - 3) / n);
    const drawn = pgdCurvePoints(stored);
    expect(drawn.x[drawn.x.length - 1]).toBe(top);
    expect(drawn.y[drawn.y.length - 1]).toBe(certifiedAccuracyAt(stored, top));
    tf.dispose([x, logits]);
  });

  it('refuses a grid that is not ascending radii > 0', async () => {
    const x = tf.zeros([1, 1, 1, D]) as tf.Tensor4D;
    const forward = (v: tf.Tensor4D) => tf.reshape(v, [1, D]).slice([0, 0], [1, C]) as tf.Tensor2D;
    await expect(pgdCurve(forward, x, Uint8Array.of(0), [0.2, 0.1], { steps: 2, seed: 0 })).rejects.toThrow(
      /ascending radii > 0/,
    );
    x.dispose();
  });
});
