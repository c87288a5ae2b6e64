/**
 * The training step in-process on the WASM backend (real MNIST, small subsets): memory stays flat, the
 * Fantastic Four penalty lowers every penalised layer's certified F4 bound, divergence is caught, and a
 * seed reproduces a run exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig, type RunConfigInput } from '../../src/shared/config.js';
import { selectBackend } from '../../src/main/engine/backends/index.js';
import { f4Bound } from '../../src/main/engine/bounds/methods/f4.js';
import { loadDataset, type Dataset } from '../../src/main/engine/data/index.js';
import { hostKernel } from '../../src/main/engine/train/layer-kernel.js';
import { DivergenceError, Trainer } from '../../src/main/engine/train/trainer.js';

let mnist: Dataset;

beforeAll(async () => {
  await selectBackend('wasm');
  mnist = await loadDataset({ name: 'mnist', limit: { train: 4000, test: 500 } });
});

function config(over: RunConfigInput = {}) {
  return parseRunConfig({
    dataset: { name: 'mnist', validationSize: 500 },
    model: { arch: 'mnist-cnn' },
    optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9 },
    batchSize: 64,
    epochs: 1,
    backend: 'wasm',
    ...over,
  });
}

async function trainSteps(
  cfg: ReturnType<typeof config>,
  steps: number,
): Promise<{ trainer: Trainer; losses: number[] }> {
  const trainer = await Trainer.create(cfg, { dataset: mnist });
  const losses: number[] = [];
  for (let s = 1; s <= steps; s++) losses.push((await trainer.trainStep(s)).loss);
  return { trainer, losses };
}

describe('Trainer', () => {
  it('keeps the tensor count flat over many steps (with regulariser and BatchNorm-free model)', async () => {
    const trainer = await Trainer.create(config({ regularizer: { kind: 'f4-min', beta: 0.01, includeDense: true } }), {
      dataset: mnist,
    });
    try {
      await trainer.trainStep(1);
      await trainer.trainStep(2);
      const before = tf.memory().numTensors;
      for (let s = 3; s <= 22; s++) await trainer.trainStep(s);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      trainer.dispose();
    }
  });

  it('keeps the tensor count flat for a BatchNorm ResNet and updates its running statistics', async () => {
    // ResNet-20 on 28x28x1 with batch 8: the BatchNorm, residual and option-A paths, small enough for a test.
    const trainer = await Trainer.create(
      config({ model: { arch: 'resnet20' }, batchSize: 8, optimizer: { kind: 'adam', lr: 1e-3 } }),
      { dataset: mnist },
    );
    try {
      const bn = trainer.model.batchNorms[0];
      const meanBefore = Array.from(bn.runningMean.dataSync());
      await trainer.trainStep(1);
      const before = tf.memory().numTensors;
      for (let s = 2; s <= 4; s++) await trainer.trainStep(s);
      expect(tf.memory().numTensors).toBe(before);
      expect(Array.from(bn.runningMean.dataSync())).not.toEqual(meanBefore);
    } finally {
      trainer.dispose();
    }
  });

  it('with a large beta, ends with a lower certified F4 bound in every penalised layer (same seed and steps)', async () => {
    const steps = 25;
    // Adam keeps the penalty's steps bounded (SGD with momentum 0.9 overshoots at a beta this large).
    const optimizer = { kind: 'adam' as const, lr: 1e-3 };
    const base = config({ model: { arch: 'lip-cnn' }, optimizer, seed: 3 });
    const reg = config({
      model: { arch: 'lip-cnn' },
      optimizer,
      seed: 3,
      regularizer: { kind: 'f4-min', beta: 1, includeDense: true },
    });
    const a = await trainSteps(base, steps);
    const b = await trainSteps(reg, steps);
    try {
      const boundsOf = (t: Trainer) => t.model.linear.map((l) => f4Bound(hostKernel(l), { stride: l.stride }).value);
      const without = boundsOf(a.trainer);
      const withReg = boundsOf(b.trainer);
      expect(without.length).toBe(4);
      for (let i = 0; i < without.length; i++) expect(withReg[i]).toBeLessThan(without[i]);
      // Both still learn.
      expect(a.losses.at(-1)!).toBeLessThan(a.losses[0]);
    } finally {
      a.trainer.dispose();
      b.trainer.dispose();
    }
  });

  it('reproduces a run exactly from its seed', async () => {
    const a = await trainSteps(config({ seed: 7 }), 5);
    const b = await trainSteps(config({ seed: 7 }), 5);
    const c = await trainSteps(config({ seed: 8 }), 5);
    a.trainer.dispose();
    b.trainer.dispose();
    c.trainer.dispose();
    expect(b.losses).toEqual(a.losses);
    expect(c.losses).not.toEqual(a.losses);
  });

  it('stops with a DivergenceError naming the step when the loss is not finite', async () => {
    // A non-finite weight is what every divergence ends in; planting one makes the failure deterministic.
    const trainer = await Trainer.create(config({ seed: 1 }), { dataset: mnist });
    try {
      await trainer.trainStep(1);
      const k = trainer.model.linear[2].kernel;
      tf.tidy(() => k.assign(tf.mul(k, NaN)));
      const err = await trainer.trainStep(2).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DivergenceError);
      expect((err as Error).message).toBe('diverged at step 2: loss is NaN; lower the learning rate or β');
    } finally {
      trainer.dispose();
    }
  });
});
