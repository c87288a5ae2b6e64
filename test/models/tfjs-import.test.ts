/**
 * tfjs LayersModel import: models built and saved to disk in the test (model.json + weights.bin, as
 * model.save('file://...') writes them), opened by the reader, every per-layer number checked against the
 * bounds core on the layers' own weights, and the imported forward pass against model.predict.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { KernelHWIO } from '../../src/shared/bounds.js';
import { f4Bound, sedghiExactNorm, operatorNormEstimate } from '../../src/main/engine/bounds/index.js';
import { depthwiseToGrouped, dilateKernel, splitGroups } from '../../src/main/engine/bounds/methods/reshapes.js';
import { spectralNorm64 } from '../../src/main/engine/bounds/numerics/linalg64.js';
import { analyseModel, inferShapes, ModelImportError, openModel } from '../../src/main/engine/models/imported/index.js';
import { buildForward } from '../../src/main/engine/models/imported/forward.js';
import { saveLayersModel } from './tfjs-writer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const host = (t: tf.Tensor): KernelHWIO => ({
  shape: t.shape as KernelHWIO['shape'],
  data: Float64Array.from(t.dataSync()),
});
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

function sequentialNet(): tf.Sequential {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [10, 10, 3],
      filters: 6,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      name: 'c1',
      kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }),
    }),
  );
  m.add(
    tf.layers.batchNormalization({
      name: 'bn',
      gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 2, seed: 2 }),
      movingVarianceInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 2, seed: 3 }),
    }),
  );
  m.add(tf.layers.activation({ activation: 'relu', name: 'act' }));
  // tfjs's DepthwiseConv2D ignores dilationRate when it runs (Keras does not), so dilation is tested on a Conv2D.
  m.add(
    tf.layers.depthwiseConv2d({
      kernelSize: 3,
      padding: 'same',
      name: 'dw',
      depthwiseInitializer: tf.initializers.glorotNormal({ seed: 4 }),
    }),
  );
  m.add(
    tf.layers.conv2d({
      filters: 6,
      kernelSize: 3,
      dilationRate: 2,
      padding: 'same',
      name: 'dil',
      kernelInitializer: tf.initializers.glorotNormal({ seed: 6 }),
    }),
  );
  m.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }));
  m.add(tf.layers.flatten({ name: 'flat' }));
  m.add(
    tf.layers.dense({
      units: 4,
      activation: 'softmax',
      name: 'out',
      kernelInitializer: tf.initializers.glorotNormal({ seed: 5 }),
    }),
  );
  return m;
}

describe('tfjs LayersModel: Sequential with a strided conv, BatchNorm, depthwise conv, dilated conv, pooling, dense', () => {
  it('opens model.json and checks every per-layer number against the bounds core', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfjs-import-'));
    const model = sequentialNet();
    const file = await saveLayersModel(model, dir);
    const graph = openModel(file);
    const a = analyseModel(graph);
    expect(a.model.input_shape).toEqual([3, 10, 10]);
    expect(a.layers.map((l) => [l.name, l.op])).toEqual([
      ['c1', 'Conv2D'],
      ['dw', 'DepthwiseConv2D'],
      ['dil', 'Conv2D'],
      ['out', 'Dense'],
    ]);
    // The BatchNorm right after c1 is folded: scale each output channel by gamma / sqrt(var + eps).
    const [k1, b1] = model.getLayer('c1').getWeights();
    const [gamma, , , movingVar] = model.getLayer('bn').getWeights();
    const g = gamma.dataSync();
    const v = movingVar.dataSync();
    const folded = host(k1);
    folded.data = folded.data.map((x, j) => x * (g[j % 6] / Math.sqrt(v[j % 6] + 1e-3)));
    void b1;
    const [c1, dw, dil, out] = a.layers;
    expect(c1).toMatchObject({
      weight_shape: [3, 3, 3, 6],
      stride: [2, 2],
      padding: [0, 0, 1, 1],
      input_shape: [3, 10, 10],
      output_shape: [6, 5, 5],
      folded_batchnorm: 'bn',
    });
    const f4 = f4Bound(folded, { stride: 2 });
    expect(c1.f4?.matrix_norms).toEqual(f4.matrixNorms);
    expect(c1.f4_polyphase?.min_bound).toBe(f4.polyphase?.minBound);
    const op1 = operatorNormEstimate(folded, { n: [10, 10], padding: 'same', stride: 2, tol: 1e-6 }).value;
    expect(rel(c1.operator_estimate as number, op1)).toBeLessThan(1e-5);

    // Depthwise [3, 3, 6, 1] = grouped [3, 3, 1, 6] with 6 groups: the max over the 6 single-channel convs.
    const grouped = depthwiseToGrouped(host(model.getLayer('dw').getWeights()[0]));
    expect(dw).toMatchObject({ groups: 6, padding: [1, 1, 1, 1], weight_shape: [3, 3, 6, 1] });
    expect(dw.f4?.min_bound).toBe(f4Bound(grouped.kernel, { groups: 6 }).minBound);
    const parts = splitGroups(grouped.kernel, 6);
    expect(dw.circular_s1_exact_fft).toBeCloseTo(Math.max(...parts.map((p) => sedghiExactNorm(p, [5, 5]).value)), 10);
    // Dilation 2 with 'same': pads 2 on each side; exact and operator on the zero-inserted kernel, F4 on the undilated one.
    const kDil = host(model.getLayer('dil').getWeights()[0]);
    expect(dil).toMatchObject({ dilation: [2, 2], padding: [2, 2, 2, 2] });
    expect(dil.f4?.min_bound).toBe(f4Bound(kDil).minBound);
    expect(dil.circular_s1_exact_fft).toBeCloseTo(sedghiExactNorm(dilateKernel(kDil, 2), [5, 5]).value, 10);
    const opDil = operatorNormEstimate(dilateKernel(kDil, 2), {
      n: [5, 5],
      padding: { top: 2, left: 2, bottom: 2, right: 2 },
      tol: 1e-6,
    }).value;
    expect(rel(dil.operator_estimate as number, opDil)).toBeLessThan(1e-5);

    const kd = model.getLayer('out').getWeights()[0];
    const wT = new Float64Array(kd.size);
    const kdat = kd.dataSync();
    for (let i = 0; i < kd.shape[0]; i++) for (let o = 0; o < 4; o++) wT[o * kd.shape[0] + i] = kdat[i * 4 + o];
    expect(out.certified_upper_bound).toBe(spectralNorm64(wT, 4, kd.shape[0]).upper);
    expect(out.weight_shape).toEqual([24, 4]);
    expect(a.notes.join(' ')).toMatch(/final softmax/);
    // 2x2/2 max pool on a 5x5 input (valid): disjoint windows, Lip 1.
    expect(a.lipschitz_upper_bound as number).toBeCloseTo(
      c1.certified_upper_bound * dw.certified_upper_bound * dil.certified_upper_bound * out.certified_upper_bound,
      10,
    );

    // The forward pass from the same graph reproduces model.predict (softmax applied to our logits).
    const x = tf.randomUniform([3, 10, 10, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    const fwd = buildForward(inferShapes(graph));
    const ours = tf.softmax(fwd.forward(x)).arraySync();
    const theirs = (model.predict(x) as tf.Tensor2D).arraySync();
    for (let i = 0; i < 3; i++) for (let c = 0; c < 4; c++) expect(ours[i][c]).toBeCloseTo(theirs[i][c], 5);
    fwd.dispose();
  });

  it('a functional model with a residual Add: composed as L(a) + L(b), forward equal to predict', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfjs-res-'));
    const input = tf.input({ shape: [6, 6, 4], name: 'img' });
    const c = tf.layers
      .conv2d({
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        activation: 'tanh',
        name: 'branch',
        kernelInitializer: tf.initializers.glorotNormal({ seed: 7 }),
      })
      .apply(input) as tf.SymbolicTensor;
    const s = tf.layers.add({ name: 'sum' }).apply([c, input]) as tf.SymbolicTensor;
    const p = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(s) as tf.SymbolicTensor;
    const y = tf.layers
      .dense({ units: 3, name: 'head', kernelInitializer: tf.initializers.glorotNormal({ seed: 8 }) })
      .apply(p) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: y });
    const graph = openModel(await saveLayersModel(model, dir));
    const a = analyseModel(graph);
    const [branch, head] = a.layers;
    expect(a.lipschitz_upper_bound as number).toBeCloseTo(
      (branch.certified_upper_bound + 1) * (1 / 6) * head.certified_upper_bound,
      10,
    );
    const x = tf.randomUniform([2, 6, 6, 4], -1, 1, 'float32', 3) as tf.Tensor4D;
    const fwd = buildForward(inferShapes(graph));
    const ours = fwd.forward(x).arraySync();
    const theirs = (model.predict(x) as tf.Tensor2D).arraySync();
    for (let i = 0; i < 2; i++) for (let k = 0; k < 3; k++) expect(ours[i][k]).toBeCloseTo(theirs[i][k], 5);
    fwd.dispose();
  });

  it('a missing weight shard or a model.json that is not JSON: an error naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfjs-bad-'));
    const file = await saveLayersModel(sequentialNet(), dir);
    rmSync(join(dir, 'weights.bin'));
    expect(() => openModel(file)).toThrow(ModelImportError);
    expect(() => openModel(file)).toThrow(/weight shard 'weights\.bin' is missing/);
    writeFileSync(file, '{"modelTopology": ');
    expect(() => openModel(file)).toThrow(/model\.json is not valid JSON/);
  });
});
