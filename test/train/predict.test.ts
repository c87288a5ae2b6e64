/** Evaluation's predictions take the class count from the model (the dataset's numClasses). */
import { describe, expect, it } from 'vitest';
import { ImageSplit } from '../../src/main/engine/data/split.js';
import { buildModel } from '../../src/main/engine/models/index.js';
import { predict } from '../../src/main/engine/train/evaluate.js';

describe('predict', () => {
  it('takes the class count from the model, not a literal 10', async () => {
    const model = buildModel('mnist-cnn', { inputShape: [8, 8, 1], activation: 'relu', seed: 3, numClasses: 3 });
    const n = 5;
    const split = new ImageSplit(
      new Uint8Array(n * 64).map((_, i) => (i * 37) % 256),
      Uint8Array.from([0, 1, 2, 1, 0]),
      [8, 8, 1],
    );
    const p = await predict(model, split, 2);
    expect(p.logits).toHaveLength(n * 3);
    expect(Number.isFinite(p.meanLoss)).toBe(true);
    expect(p.accuracy).toBeGreaterThanOrEqual(0);
  });
});
