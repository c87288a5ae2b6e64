/**
 * An evaluation with certification.pgd stores PGD as an empirical curve (engine/train/robustness.ts): the configured
 * eps and radii spanning the certified ones are attacked, each subset point's first breaking radius is kept (sorted,
 * never-broken points at the grid's top), and the configured-eps summary is read off the same breaks.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ImageSplit } from '../../src/main/engine/data/split.js';
import { buildModel } from '../../src/main/engine/models/index.js';
import { robustnessExtras } from '../../src/main/engine/train/robustness.js';
import { parseRunConfig } from '../../src/shared/config.js';
import { certifiedAccuracyAt } from '../../src/shared/certify-math.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('robustnessExtras with PGD', () => {
  it("stores the subset's first breaking radii on a grid spanning the configured eps and the certified radii", async () => {
    const model = buildModel('mnist-cnn', { inputShape: [8, 8, 1], activation: 'relu', seed: 3, numClasses: 3 });
    const n = 24;
    const split = new ImageSplit(
      new Uint8Array(n * 64).map((_, i) => (i * 37 + (i >> 6) * 11) % 256),
      Uint8Array.from({ length: n }, (_, i) => i % 3),
      [8, 8, 1],
    );
    const config = parseRunConfig({
      dataset: { name: 'mnist' },
      model: { arch: 'mnist-cnn' },
      certification: { epsilons: [0.5, 2], pgd: { enabled: true, steps: 5, subset: 16 } },
    });
    const largest = 1.2;
    const out = await robustnessExtras({
      model,
      test: split,
      config,
      layers: [],
      radii: { lipschitz: [0, 0.3, largest], pairwise: [0, 0.4, 1] },
      log: () => undefined,
    });
    const stored = out.pgdRadii ?? [];
    expect(stored).toHaveLength(16);
    expect([...stored].sort((a, b) => a - b)).toEqual(stored);
    // Every value is 0 (misclassified) or a radius of the grid: the configured eps and 6 steps up to the largest radius.
    const grid = [0.5, 2, ...[1, 2, 3, 4, 5, 6].map((k) => (largest * k) / 6)];
    for (const r of stored) expect(r === 0 || grid.some((g) => g === r)).toBe(true);
    expect(Math.max(...stored)).toBeLessThanOrEqual(2);
    // The configured-eps summary: the subset points PGD broke at no grid radius <= eps.
    expect(out.pgd?.map((p) => p.eps)).toEqual([0.5, 2]);
    // (At the grid's top a never-broken point is stored as the top itself: the summary keeps it, the stored curve ends there.)
    const [low, top] = out.pgd ?? [];
    expect(low.acc).toBe(stored.filter((r) => r > low.eps).length / 16);
    expect(top.acc).toBeLessThanOrEqual(stored.filter((r) => r >= top.eps).length / 16);
    expect(top.acc).toBeGreaterThanOrEqual(stored.filter((r) => r > top.eps).length / 16);
    expect(certifiedAccuracyAt(stored, 0)).toBeGreaterThan(0);
  });
});
