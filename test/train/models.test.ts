/**
 * Models and their Lipschitz trees: parameter counts of the published architectures, and the tree's bound
 * never below the local Jacobian norm of the network it describes (power iteration on J at a point).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/main/engine/backends/index.js';
import { f4Bound } from '../../src/main/engine/bounds/methods/f4.js';
import { batchNormLipschitz, networkLipschitz, type LipschitzNode } from '../../src/main/engine/certify/index.js';
import { buildModel, type Network } from '../../src/main/engine/models/index.js';
import { hostKernel } from '../../src/main/engine/train/layer-kernel.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

/** sigma_max of the Jacobian of logits w.r.t. the input at x: power iteration with J v by central differences, J^T u by autodiff. */
function localJacobianNorm(model: Network, x: tf.Tensor4D, iterations = 25): number {
  const f = (z: tf.Tensor4D) => model.forward(z, 'eval');
  let v = tf.randomNormal(x.shape, 0, 1, 'float32', 11);
  v = tf.div(v, tf.norm(v));
  let sigma = 0;
  for (let i = 0; i < iterations; i++) {
    const next = tf.tidy(() => {
      const eps = 1e-2;
      const jv = tf.div(
        tf.sub(f(tf.add(x, tf.mul(v, eps)) as tf.Tensor4D), f(tf.sub(x, tf.mul(v, eps)) as tf.Tensor4D)),
        2 * eps,
      );
      const u = tf.div(jv, tf.norm(jv));
      const jtu = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(f(z as tf.Tensor4D), u)))(x);
      return [tf.norm(jtu), tf.div(jtu, tf.norm(jtu))];
    });
    sigma = next[0].dataSync()[0];
    next[0].dispose();
    v.dispose();
    v = next[1];
  }
  v.dispose();
  return sigma;
}

function certifiedTreeBound(model: Network): number {
  const bounds = Object.fromEntries(
    model.linear.map((l) => [l.name, f4Bound(hostKernel(l), { stride: l.stride }).value]),
  );
  return networkLipschitz(model.lipschitzTree(bounds));
}

describe('models', () => {
  it('have the published parameter counts and layer geometry', () => {
    const cases = [
      ['mnist-cnn', [28, 28, 1], 206_922],
      ['lip-cnn', [28, 28, 1], 166_406],
      ['resnet20', [32, 32, 3], 269_722], // He et al. 2016: 0.27M
      ['resnet32', [32, 32, 3], 464_154], // 0.46M
    ] as const;
    for (const [arch, shape, params] of cases) {
      const m = buildModel(arch, { inputShape: [...shape], activation: 'relu', seed: 0, numClasses: 10 });
      expect(m.summary().totalParams, arch).toBe(params);
      m.dispose();
    }
    const r = buildModel('resnet20', { inputShape: [32, 32, 3], activation: 'relu', seed: 0, numClasses: 10 });
    const geo = Object.fromEntries(r.linear.map((l) => [l.name, [l.stride, l.inputSize[0]]]));
    expect(geo['conv1']).toEqual([1, 32]);
    expect(geo['layer2.0.conv1']).toEqual([2, 32]);
    expect(geo['layer2.0.conv2']).toEqual([1, 16]);
    expect(geo['layer3.2.conv2']).toEqual([1, 8]);
    expect(r.linear.filter((l) => l.kind === 'conv')).toHaveLength(19);
    r.dispose();
  });

  it('option-A shortcut = stride-2 subsampling with zero channel padding', () => {
    const m = buildModel('resnet20', { inputShape: [8, 8, 3], activation: 'relu', seed: 0, numClasses: 10 });
    // The constant kernel of the first downsampling block maps channel i to i + 8 of 32.
    const x = tf.randomNormal([1, 8, 8, 16], 0, 1, 'float32', 3) as tf.Tensor4D;
    const kernel = (m as unknown as { constants: tf.Tensor[] }).constants.find(
      (c) => c.shape.join() === '1,1,16,32',
    ) as tf.Tensor4D;
    const viaConv = tf.conv2d(x, kernel, 2, 'same');
    const manual = tf.pad(tf.stridedSlice(x, [0, 0, 0, 0], [1, 8, 8, 16], [1, 2, 2, 1]), [
      [0, 0],
      [0, 0],
      [0, 0],
      [8, 8],
    ]);
    expect(Array.from(viaConv.dataSync())).toEqual(Array.from(manual.dataSync()));
    tf.dispose([x, viaConv, manual]);
    m.dispose();
  });

  it('resnet20 tree: normalisation, BatchNorm, 9 residual blocks, pooling and fc, each with its own factor', () => {
    const m = buildModel('resnet20', {
      inputShape: [32, 32, 3],
      activation: 'relu',
      seed: 1,
      numClasses: 10,
      normalization: { mean: [0, 0, 0], std: [0.25, 0.5, 0.2] },
    });
    const bn = m.batchNorms.find((b) => b.name === 'layer1.1.bn1')!;
    bn.gamma.assign(tf.tensor1d(Array.from({ length: bn.channels }, (_, i) => (i === 3 ? -3 : 1))));
    bn.runningVar.assign(tf.fill([bn.channels], 4));
    const bounds = Object.fromEntries(m.linear.map((l) => [l.name, 2]));
    const tree = m.lipschitzTree(bounds) as Extract<LipschitzNode, { kind: 'seq' }>;
    const names = tree.nodes.map((n) => (n.kind === 'layer' ? n.name : n.kind));
    expect(names).toEqual(['input-normalization', 'conv1', 'bn1', ...Array(9).fill('residual'), 'avgpool', 'fc']);
    const byName = (n: string) => tree.nodes.find((x) => x.kind === 'layer' && x.name === n) as { bound: number };
    expect(byName('input-normalization').bound).toBe(5); // 1 / min std
    expect(byName('avgpool').bound).toBeCloseTo(1 / 8, 12); // 8x8 map
    const block2 = tree.nodes[4] as Extract<LipschitzNode, { kind: 'residual' }>;
    const branch = (block2.branch as Extract<LipschitzNode, { kind: 'seq' }>).nodes as {
      name: string;
      bound: number;
    }[];
    expect(branch.map((b) => b.name)).toEqual(['layer1.1.conv1', 'layer1.1.bn1', 'layer1.1.conv2', 'layer1.1.bn2']);
    expect(branch[1].bound).toBeCloseTo(batchNormLipschitz(bn.gamma.dataSync(), bn.runningVar.dataSync(), 1e-5), 12);
    expect(branch[1].bound).toBeCloseTo(3 / Math.sqrt(4 + 1e-5), 6);
    // Identity shortcuts in stage 1, option A (1-Lipschitz) at the first block of stages 2 and 3.
    const shortcuts = tree.nodes
      .filter((n) => n.kind === 'residual')
      .map((n) => (n as { shortcut: { name: string; bound: number } }).shortcut);
    expect(shortcuts.filter((s) => s.name.endsWith(':option-a')).map((s) => s.name)).toEqual([
      'layer2.0.conv1:option-a',
      'layer3.0.conv1:option-a',
    ]);
    expect(shortcuts.every((s) => s.bound === 1)).toBe(true);
    expect(() => m.lipschitzTree({ ...bounds, fc: NaN })).toThrow(/no finite spectral-norm bound for layer 'fc'/);
    m.dispose();
  });

  for (const arch of ['mnist-cnn', 'lip-cnn', 'resnet20'] as const) {
    it(`${arch}: the Lipschitz tree bounds the local Jacobian norm`, () => {
      const shape: [number, number, number] = arch === 'resnet20' ? [16, 16, 3] : [28, 28, 1];
      const normalization = arch === 'resnet20' ? { mean: [0.4, 0.5, 0.6], std: [0.2, 0.3, 0.25] } : undefined;
      const m = buildModel(arch, { inputShape: shape, activation: 'softplus', seed: 5, numClasses: 10, normalization });
      // Make BatchNorm non-trivial: gamma and running variance away from their initial 1.
      m.batchNorms.forEach((bn, i) => {
        tf.tidy(() => bn.gamma.assign(tf.randomUniform([bn.channels], 0.5, 1.5, 'float32', 100 + i)));
        tf.tidy(() => bn.runningVar.assign(tf.randomUniform([bn.channels], 0.3, 2, 'float32', 200 + i)));
      });
      const x = tf.randomUniform([1, ...shape], 0, 1, 'float32', 9) as tf.Tensor4D;
      const local = localJacobianNorm(m, x);
      const bound = certifiedTreeBound(m);
      x.dispose();
      m.dispose();
      expect(local).toBeGreaterThan(0);
      expect(local).toBeLessThanOrEqual(bound);
    });
  }
});

describe('maxPool2x2', () => {
  /** The gradient routed to each window's maximum, computed on the host. */
  function hostGrad(x: Float32Array, w: Float32Array, [n, h, wd, c]: readonly number[]): Float32Array {
    const oh = Math.floor(h / 2);
    const ow = Math.floor(wd / 2);
    const g = new Float32Array(x.length);
    for (let b = 0; b < n; b++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          for (let ch = 0; ch < c; ch++) {
            let best = -1;
            for (const [di, dj] of [
              [0, 0],
              [0, 1],
              [1, 0],
              [1, 1],
            ]) {
              const k = ((b * h + 2 * i + di) * wd + 2 * j + dj) * c + ch;
              if (best < 0 || x[k] > x[best]) best = k;
            }
            g[best] += w[((b * oh + i) * ow + j) * c + ch];
          }
    return g;
  }

  it('matches max-pooling and routes the gradient to each window maximum (negative windows too), odd sizes included', async () => {
    const { maxPool2x2 } = await import('../../src/main/engine/models/pooling.js');
    for (const shape of [
      [2, 6, 6, 3],
      [2, 7, 5, 2],
      [1, 2, 2, 1],
    ] as const) {
      // Normal samples: many windows are entirely negative, where tfjs-backend-wasm 4.22's MaxPoolGrad routes
      // the gradient to the window's first element instead of its maximum.
      const x = tf.randomNormal([...shape], 0, 1, 'float32', 4) as tf.Tensor4D;
      const w = tf.randomNormal(
        [shape[0], Math.floor(shape[1] / 2), Math.floor(shape[2] / 2), shape[3]],
        0,
        1,
        'float32',
        5,
      );
      const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(maxPool2x2(t as tf.Tensor4D), w)))(x);
      expect(Array.from(maxPool2x2(x).dataSync())).toEqual(Array.from(tf.maxPool(x, 2, 2, 'valid').dataSync()));
      // (+ 0 folds -0 into 0.)
      expect(Array.from(ours.dataSync(), (v) => v + 0)).toEqual(
        Array.from(hostGrad(x.dataSync() as Float32Array, w.dataSync() as Float32Array, shape), (v) => v + 0),
      );
      tf.dispose([x, w, ours]);
    }
  });
});
