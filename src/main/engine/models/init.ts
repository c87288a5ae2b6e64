/**
 * Seeded weight initialisation generated on the host, so a seed gives the same initial network on every
 * backend (tfjs' own seeded initialisers differ between backends).
 */
import * as tf from '@tensorflow/tfjs';
import { mulberry32, streamSeed } from '../data/rng.js';
import type { Rng } from '../data/types.js';

/** Standard normal samples by Box–Muller. */
export function normalSamples(count: number, rng: Rng): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = Math.max(rng(), 1e-12);
    const u2 = rng();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/**
 * He et al. 2015 ("kaiming normal", fan-in): std = sqrt(2 / fan_in), the initialisation of the CIFAR
 * ResNets the paper trains; keeps activations' scale through ReLU layers.
 */
export function heNormal(shape: number[], fanIn: number, seed: number, stream: number): tf.Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = normalSamples(size, mulberry32(streamSeed(seed, 'initialWeights', stream)));
  const std = Math.sqrt(2 / fanIn);
  for (let i = 0; i < size; i++) data[i] *= std;
  return variableFrom(tf.tensor(data, shape, 'float32'), true);
}

/** A variable owning the data of `t`; `t` itself is released (no tensor is left behind). */
export function variableFrom(t: tf.Tensor, trainable: boolean): tf.Variable {
  const v = tf.variable(t, trainable);
  t.dispose();
  return v;
}

export function constantVariable(shape: number[], value: number, trainable: boolean): tf.Variable {
  return variableFrom(tf.fill(shape, value, 'float32'), trainable);
}
