import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../src/shared/config.js';
import { createOptimizer } from '../../src/main/engine/train/optimizer.js';
import { learningRate } from '../../src/main/engine/train/schedule.js';
import { softmaxCrossEntropy } from '../../src/main/engine/train/loss.js';

const opt = (o: object) => parseRunConfig({ optimizer: o }).optimizer;

describe('optimisers (PyTorch semantics)', () => {
  it('SGD: v = mu v + g + wd w; w -= lr v', () => {
    const w = tf.variable(tf.tensor1d([1, -2]));
    const o = createOptimizer(opt({ kind: 'sgd', momentum: 0.9, weightDecay: 0.1 }), [w]);
    const g = tf.tensor1d([0.5, 0.5]);
    o.apply([g], 0.1);
    // g' = [0.6, 0.3]; v = g'; w = [0.94, -2.03]
    const [w0, w1] = w.dataSync();
    expect(w0).toBeCloseTo(0.94, 6);
    expect(w1).toBeCloseTo(-2.03, 6);
    o.apply([g], 0.1);
    // g' = [0.594, 0.297]; v = 0.9 [0.6, 0.3] + g' = [1.134, 0.567]; w = [0.8266, -2.0867]
    const [a, b] = w.dataSync();
    expect(a).toBeCloseTo(0.8266, 5);
    expect(b).toBeCloseTo(-2.0867, 5);
    o.dispose();
    tf.dispose([w, g]);
  });

  it('Adam: the first step moves every weight by lr against the gradient sign', () => {
    const w = tf.variable(tf.tensor1d([1, 1, 1]));
    const o = createOptimizer(opt({ kind: 'adam', lr: 0.01, weightDecay: 0 }), [w]);
    const g = tf.tensor1d([3, -0.001, 100]);
    o.apply([g], 0.01);
    const v = Array.from(w.dataSync());
    expect(v[0]).toBeCloseTo(0.99, 5);
    expect(v[1]).toBeCloseTo(1.01, 4);
    expect(v[2]).toBeCloseTo(0.99, 5);
    o.dispose();
    tf.dispose([w, g]);
  });
});

describe('schedules', () => {
  it('step: x gamma at each milestone (paper: 0.1, 0.01, 0.001)', () => {
    const o = opt({ lr: 0.1, schedule: { kind: 'step', milestones: [100, 150], gamma: 0.1 } });
    expect(learningRate(o, 99.9, 200)).toBeCloseTo(0.1, 12);
    expect(learningRate(o, 100, 200)).toBeCloseTo(0.01, 12);
    expect(learningRate(o, 160, 200)).toBeCloseTo(0.001, 12);
  });
  it('cosine: lr at 0, lr/2 at the middle, 0 at the end', () => {
    const o = opt({ lr: 0.2, schedule: { kind: 'cosine' } });
    expect(learningRate(o, 0, 10)).toBeCloseTo(0.2, 12);
    expect(learningRate(o, 5, 10)).toBeCloseTo(0.1, 12);
    expect(learningRate(o, 10, 10)).toBeCloseTo(0, 12);
  });
});

describe('loss', () => {
  it('softmax cross-entropy equals -log p_y', () => {
    const z = tf.tensor2d([
      [1, 2, 3],
      [0, 0, 0],
    ]);
    const y = tf.tensor1d([2, 0], 'int32');
    const ce = softmaxCrossEntropy(z, y).dataSync()[0];
    const p = Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3));
    expect(ce).toBeCloseTo((-Math.log(p) + Math.log(3)) / 2, 6);
    tf.dispose([z, y]);
  });
});
