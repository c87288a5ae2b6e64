/**
 * A small CNN trains on WASM with the same gradients as on the CPU backend: every variable's
 * gradient, for losses that reach every kernel Spectral Lab registers or overrides (conv filter and
 * input gradients at strides 1 and 2, SAME and VALID, depthwise, max/avg pooling, batch norm,
 * dense layers, fused and batched products, gather), to 1e-4 of the reference's max |value|.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { onBackend, randomArray, relativeErrors } from './helpers.js';
import { startWasmBackend } from '../../src/main/engine/backends/index.js';

const SHAPES: Record<string, number[]> = {
  w1: [3, 3, 3, 8], // conv 3x3 stride 1 SAME
  gamma: [8],
  beta: [8],
  w2: [3, 3, 8, 8], // conv 3x3 stride 2 VALID
  dw1: [3, 3, 8, 2], // depthwise stride 1 SAME, multiplier 2
  w3: [1, 1, 16, 12], // conv 1x1
  dw2: [3, 3, 12, 1], // depthwise stride 2 SAME
  wd: [48, 6], // dense
  bd: [6],
  table: [10, 6], // embedding rows, read with gather
  wb: [3, 6, 6], // batched product
};
const NAMES = Object.keys(SHAPES);
const BATCH = 4;

function initialValues(): Record<string, Float32Array> {
  const init: Record<string, Float32Array> = {};
  NAMES.forEach((name, i) => {
    const size = SHAPES[name].reduce((a, b) => a * b, 1);
    init[name] =
      name === 'gamma' ? new Float32Array(size).fill(1) : randomArray(size, 100 + i, name === 'wd' ? 0.2 : 0.5);
  });
  return init;
}

function data() {
  const x = tf.tensor(randomArray(BATCH * 17 * 17 * 3, 7), [BATCH, 17, 17, 3]);
  const labels = tf.oneHot(tf.tensor1d([1, 4, 0, 3], 'int32'), 6);
  const ids = tf.tensor1d([2, 7, 2, 9], 'int32');
  return { x, labels, ids };
}

type Params = Record<string, tf.Tensor>;

function loss(p: Params, d: ReturnType<typeof data>): tf.Scalar {
  let h: tf.Tensor = tf.relu(tf.conv2d(d.x as tf.Tensor4D, p.w1 as tf.Tensor4D, 1, 'same')); // 17x17x8
  const { mean, variance } = tf.moments(h, [0, 1, 2]);
  h = tf.batchNorm(h, mean, variance, p.beta as tf.Tensor1D, p.gamma as tf.Tensor1D, 1e-3);
  h = tf.elu(tf.conv2d(h as tf.Tensor4D, p.w2 as tf.Tensor4D, 2, 'valid')); // 8x8x8
  h = tf.relu6(tf.depthwiseConv2d(h as tf.Tensor4D, p.dw1 as tf.Tensor4D, 1, 'same')); // 8x8x16
  h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'same'); // 4x4x16
  h = tf.leakyRelu(tf.conv2d(h as tf.Tensor4D, p.w3 as tf.Tensor4D, 1, 'valid'), 0.1); // 4x4x12
  h = tf.avgPool(h as tf.Tensor4D, 2, 1, 'valid'); // 3x3x12
  h = tf.softplus(tf.depthwiseConv2d(h as tf.Tensor4D, p.dw2 as tf.Tensor4D, 2, 'same')); // 2x2x12
  const flat = tf.reshape(h, [BATCH, 48]);
  let logits = tf.fused.matMul({ a: flat as tf.Tensor2D, b: p.wd as tf.Tensor2D, bias: p.bd, activation: 'linear' });
  logits = tf.add(logits, tf.gather(p.table, d.ids)); // gradient: UnsortedSegmentSum
  const batched = tf.matMul(tf.reshape(tf.tile(logits, [3, 1]), [3, BATCH, 6]), p.wb, false, true); // gradient: transposed products
  const ce = tf.losses.softmaxCrossEntropy(d.labels, logits);
  return tf.add(ce, tf.mul(0.01, tf.mean(tf.square(batched)))) as tf.Scalar;
}

/** Loss and every parameter's gradient, computed on `backend` from the same initial values. */
async function lossAndGrads(backend: 'cpu' | 'wasm') {
  const init = initialValues();
  return onBackend(backend, () => {
    const params = NAMES.map((n) => tf.tensor(init[n], SHAPES[n]));
    const d = data();
    const f = (...ps: tf.Tensor[]) => loss(Object.fromEntries(NAMES.map((n, i) => [n, ps[i]])), d);
    const { value, grads } = tf.valueAndGrads(f)(params);
    return [value, ...grads];
  });
}

describe('training a CNN on WASM', () => {
  it('gives every gradient of the CPU backend to 1e-4 (relative to its max |value|)', async () => {
    const want = await lossAndGrads('cpu');
    const got = await lossAndGrads('wasm');
    const errors = relativeErrors(got, want);
    const report = Object.fromEntries(['loss', ...NAMES].map((n, i) => [n, errors[i]]));
    for (const [name, err] of Object.entries(report)) expect(err, `${name}: relative error ${err}`).toBeLessThan(1e-4);
    // Every gradient is non-trivial, so a kernel returning zeros could not pass.
    for (const g of want.slice(1)) expect(Math.max(...g.map(Math.abs))).toBeGreaterThan(1e-6);
  });

  it('uses only kernels the WASM backend has, for forward, backward, Adam and SGD-momentum', async () => {
    await tf.setBackend('cpu');
    const init = initialValues();
    const profile = await tf.profile(() => {
      const vars = Object.fromEntries(NAMES.map((n) => [n, tf.variable(tf.tensor(init[n], SHAPES[n]))]));
      const d = data();
      for (const opt of [tf.train.adam(1e-3), tf.train.momentum(1e-2, 0.9)]) opt.minimize(() => loss(vars, d));
      tf.dispose([...Object.values(vars), d.x, d.labels, d.ids]);
    });
    await startWasmBackend();
    const wasm = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
    // Names ending in __op are customGrad scopes, not kernels.
    const used = [...new Set(profile.kernels.map((k) => k.name))].filter((n) => !n.endsWith('__op'));
    expect(used).toContain('Conv2DBackpropFilter');
    expect(used.filter((k) => !wasm.has(k))).toEqual([]);
  });

  it('decreases the loss with Adam and with SGD-momentum, without leaking WASM buffers', async () => {
    await startWasmBackend();
    const init = initialValues();
    for (const opt of [tf.train.adam(0.01), tf.train.momentum(0.05, 0.9)]) {
      const vars = Object.fromEntries(NAMES.map((n) => [n, tf.variable(tf.tensor(init[n], SHAPES[n]))]));
      const d = data();
      const losses: number[] = [];
      let buffersAfterFirst = 0;
      for (let step = 0; step < 8; step++) {
        const l = opt.minimize(() => loss(vars, d), true) as tf.Scalar;
        losses.push(l.dataSync()[0]);
        l.dispose();
        if (step === 1) buffersAfterFirst = tf.engine().backend.numDataIds();
      }
      expect(tf.engine().backend.numDataIds()).toBe(buffersAfterFirst);
      expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.9);
      opt.dispose();
      tf.dispose([...Object.values(vars), d.x, d.labels, d.ids]);
    }
  });
});
