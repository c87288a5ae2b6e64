/**
 * Certificates of an imported network on a labelled set: a small tfjs MLP trained here on normalised MNIST,
 * saved, opened, and certified in pixel space with --mean/--std. Clean accuracy must match model.predict; every
 * certified accuracy must lie below the clean one and below PGD's empirical robust accuracy (a sound certificate
 * never claims more than an attack leaves); the pairwise certificate never below the standard one.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { analyseModel, inferShapes, openModel } from '../../src/main/engine/models/imported/index.js';
import { certifyImported, loadLabelledSet } from '../../src/main/engine/models/imported/certify.js';
import { loadDataset } from '../../src/main/engine/data/index.js';
import { saveLayersModel } from './tfjs-writer.js';

const MEAN = 0.1307;
const STD = 0.3081;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('certificates with a labelled set (MNIST test images)', () => {
  it('clean = model.predict, certified <= PGD <= clean at every eps, pairwise >= standard', async () => {
    const data = await loadDataset({ name: 'mnist', limit: { train: 1500, test: 300 } });
    const idx = Array.from({ length: data.train.count }, (_, j) => j);
    const b = data.train.batch(idx, { normalize: { mean: [MEAN], std: [STD] } });
    const model = tf.sequential();
    model.add(tf.layers.flatten({ inputShape: [28, 28, 1] }));
    model.add(
      tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: 1 }) }),
    );
    // tfjs's sparse cross-entropy takes probabilities: a final softmax, which the reader leaves out (logits).
    model.add(
      tf.layers.dense({
        units: 10,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }),
      }),
    );
    model.compile({ optimizer: tf.train.adam(0.005), loss: 'sparseCategoricalCrossentropy' });
    const x = tf.tensor4d(b.x, b.shape);
    // No shuffling: fit's shuffle draws from Math.random, and this test wants the same network every time.
    await model.fit(x, tf.tensor1d(Array.from(b.y)), { epochs: 2, batchSize: 30, verbose: 0, shuffle: false });

    const file = await saveLayersModel(model, mkdtempSync(join(tmpdir(), 'cert-')));
    const graph = openModel(file);
    const analysis = analyseModel(graph, { mean: [MEAN], std: [STD] });
    const eps = [0.05, 0.2, 0.5];
    const set = await loadLabelledSet('mnist', 300);
    const c = await certifyImported(inferShapes(graph), analysis, set, {
      epsilons: eps,
      mean: [MEAN],
      std: [STD],
      pgdSteps: 5,
    });

    const test = set.split.batch(
      Array.from({ length: 300 }, (_, j) => j),
      { normalize: { mean: [MEAN], std: [STD] } },
    );
    const pred = (model.predict(tf.tensor4d(test.x, test.shape)) as tf.Tensor2D).argMax(1).dataSync();
    const clean = Array.from(pred).filter((p, j) => p === test.y[j]).length / 300;
    expect(c.n).toBe(300);
    expect(c.clean_accuracy).toBeCloseTo(clean, 10);
    expect(c.clean_accuracy).toBeGreaterThan(0.6);
    expect(c.lipschitz).toBeCloseTo((analysis.lipschitz_upper_bound as number) / STD, 8);
    expect(analysis.input_normalization?.pixel_lipschitz_upper_bound).toBe(c.lipschitz);
    const pgd = c.pgd as number[];
    const pairwise = c.pairwise as number[];
    eps.forEach((_, j) => {
      expect(c.standard[j]).toBeLessThanOrEqual(pairwise[j]);
      expect(pairwise[j]).toBeLessThanOrEqual(pgd[j]);
      expect(pgd[j]).toBeLessThanOrEqual(c.clean_accuracy);
      if (j) expect(c.standard[j]).toBeLessThanOrEqual(c.standard[j - 1]);
    });
    expect(pairwise[0]).toBeGreaterThan(0);
  });

  it('a labelled set from an IDX images file (labels file next to it)', async () => {
    const set = await loadLabelledSet('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz', 40);
    expect(set.split.count).toBe(40);
    expect(set.split.imageShape).toEqual([28, 28, 1]);
    await expect(loadLabelledSet('/nonexistent/images', 5)).rejects.toThrow(
      /neither mnist, fashion-mnist, cifar10 nor an existing folder or IDX file/,
    );
  });
});
