/**
 * ONNX import: models written in the test with the generated onnx.proto schema (a strided conv with a folded
 * BatchNorm, a grouped + dilated conv, a residual Add, pooling, Gemm), every per-layer number checked against the
 * bounds core on the same weights (folded and transposed here, independently of the reader), the network bound
 * against its composition by hand, and the forward pass against a reference computed here.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { KernelHWIO } from '../../src/shared/bounds.js';
import { f4Bound, sedghiExactNorm, toeplitzBound, operatorNormEstimate } from '../../src/main/engine/bounds/index.js';
import { affordableToeplitzIterations } from '../../src/main/engine/bounds/layer-report.js';
import { dilateKernel, splitGroups } from '../../src/main/engine/bounds/methods/reshapes.js';
import { spectralNorm64 } from '../../src/main/engine/bounds/numerics/linalg64.js';
import { analyseModel, inferShapes, openModel } from '../../src/main/engine/models/imported/index.js';
import { buildForward } from '../../src/main/engine/models/imported/forward.js';
import { randomWeights, writeOnnxModel, type OnnxModelSpec } from './onnx-writer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const dir = mkdtempSync(join(tmpdir(), 'onnx-import-'));
const W = (dims: number[], seed: number, scale = 0.3) => ({
  dims,
  data: randomWeights(
    dims.reduce((a, b) => a * b, 1),
    seed,
    scale,
  ),
});

const gamma = [1, 2, 0.5, 1, 1, 1.5, 1, 1];
const variance = [1, 2, 1, 0.5, 1, 1, 1, 3];
const weights = {
  w1: W([8, 3, 3, 3], 1),
  b1: W([8], 2),
  g: { dims: [8], data: gamma },
  be: W([8], 3),
  mu: W([8], 4),
  var: { dims: [8], data: variance },
  w2: W([8, 4, 3, 3], 5),
  wf: W([10, 8], 6),
  bf: W([10], 7),
};
/** conv1 (stride 2, pads 1, BN folded) -> relu -> conv2 (group 2, dilation 2, pads 2) + residual -> GAP -> Gemm(transB). */
const spec: OnnxModelSpec = {
  inputShape: ['N', 3, 12, 12],
  outputName: 'logits',
  weights,
  nodes: [
    {
      op: 'Conv',
      inputs: ['input', 'w1', 'b1'],
      outputs: ['c1'],
      name: 'conv1',
      ints: { strides: [2, 2], pads: [1, 1, 1, 1], kernel_shape: [3, 3] },
    },
    {
      op: 'BatchNormalization',
      inputs: ['c1', 'g', 'be', 'mu', 'var'],
      outputs: ['bn1'],
      name: 'bn1',
      float: { epsilon: 1e-5 },
    },
    { op: 'Relu', inputs: ['bn1'], outputs: ['r1'], name: 'relu1' },
    {
      op: 'Conv',
      inputs: ['r1', 'w2'],
      outputs: ['c2'],
      name: 'conv2',
      ints: { pads: [2, 2, 2, 2], dilations: [2, 2] },
      int: { group: 2 },
    },
    { op: 'Add', inputs: ['c2', 'r1'], outputs: ['s'], name: 'residual' },
    { op: 'GlobalAveragePool', inputs: ['s'], outputs: ['p'], name: 'gap' },
    { op: 'Flatten', inputs: ['p'], outputs: ['f'], name: 'flatten' },
    { op: 'Gemm', inputs: ['f', 'wf', 'bf'], outputs: ['logits'], name: 'fc', int: { transB: 1 } },
  ],
};

/** OIHW -> HWIO, written here independently of the reader. */
function hwio(w: ArrayLike<number>, [o, i, h, k]: number[], scale: (o: number) => number = () => 1): KernelHWIO {
  const data = new Float64Array(o * i * h * k);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < k; x++) data[((y * k + x) * i + b) * o + a] = w[((a * i + b) * h + y) * k + x] * scale(a);
  return { shape: [h, k, i, o], data };
}
const bnScale = (o: number) => Math.fround(gamma[o]) / Math.sqrt(Math.fround(variance[o]) + Math.fround(1e-5));
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const maxOver = (ks: KernelHWIO[], f: (k: KernelHWIO) => number) => Math.max(...ks.map(f));

describe('ONNX: per-layer numbers against the bounds core on the same weights', () => {
  const file = writeOnnxModel(dir, 'net.onnx', spec);
  const analysis = analyseModel(openModel(file));
  const [l1, l2, fc] = analysis.layers;

  it('lists the weight layers in graph order with their geometry as stored', () => {
    expect(analysis.layers.map((l) => [l.name, l.op])).toEqual([
      ['conv1', 'Conv'],
      ['conv2', 'Conv'],
      ['fc', 'Gemm'],
    ]);
    expect(l1).toMatchObject({
      weight_shape: [8, 3, 3, 3],
      stride: [2, 2],
      padding: [1, 1, 1, 1],
      input_shape: [3, 12, 12],
      output_shape: [8, 6, 6],
      folded_batchnorm: 'bn1',
    });
    expect(l2).toMatchObject({
      weight_shape: [8, 4, 3, 3],
      stride: [1, 1],
      padding: [2, 2, 2, 2],
      dilation: [2, 2],
      groups: 2,
      input_shape: [8, 6, 6],
    });
    expect(fc).toMatchObject({ weight_shape: [10, 8], input_shape: [8], output_shape: [10] });
    expect(analysis.unsupported).toEqual([]);
  });

  it('strided conv with folded BatchNorm: F4, F4 polyphase, Toeplitz, operator estimate', () => {
    const k = hwio(weights.w1.data, weights.w1.dims, bnScale);
    const f4 = f4Bound(k, { stride: 2 });
    expect(l1.f4?.matrix_norms).toEqual(f4.matrixNorms);
    expect(l1.f4?.min_bound).toBe(f4.minBound);
    expect(l1.f4_polyphase?.min_bound).toBe(f4.polyphase?.minBound);
    expect(l1.circular_s1_exact_fft).toBeUndefined();
    expect(l1.toeplitz_bound).toBe(toeplitzBound(k, affordableToeplitzIterations(k.shape, 4)).value);
    const op = operatorNormEstimate(k, {
      n: [12, 12],
      padding: { top: 1, left: 1, bottom: 1, right: 1 },
      stride: 2,
      tol: 1e-6,
    }).value;
    expect(rel(l1.operator_estimate as number, op)).toBeLessThan(1e-5);
    expect(l1.certified_upper_bound).toBe(
      Math.min(f4.minBound, f4.polyphase?.minBound as number, l1.toeplitz_bound as number),
    );
    expect(l1.certified_upper_bound).toBeGreaterThanOrEqual((l1.operator_estimate as number) * (1 - 1e-5));
  });

  it('grouped, dilated conv: per-group maxima on the zero-inserted kernel; F4 on the undilated one', () => {
    const k = hwio(weights.w2.data, weights.w2.dims);
    const f4 = f4Bound(k, { groups: 2, dilation: 2 });
    expect(l2.f4?.matrix_norms).toEqual(f4.matrixNorms);
    expect(l2.f4?.min_bound).toBe(f4.minBound);
    const parts = splitGroups(dilateKernel(k, 2), 2);
    expect(l2.circular_s1_exact_fft).toBeCloseTo(
      maxOver(parts, (p) => sedghiExactNorm(p, [6, 6]).value),
      10,
    );
    expect(l2.toeplitz_bound).toBe(
      maxOver(parts, (p) => toeplitzBound(p, affordableToeplitzIterations(p.shape, 4)).value),
    );
    const op = maxOver(
      parts,
      (p) => operatorNormEstimate(p, { n: [6, 6], padding: { top: 2, left: 2, bottom: 2, right: 2 }, tol: 1e-6 }).value,
    );
    expect(rel(l2.operator_estimate as number, op)).toBeLessThan(1e-5);
  });

  it('Gemm with transB: the float64 norm of W [out, in]', () => {
    const s = spectralNorm64(Float64Array.from(weights.wf.data), 10, 8);
    expect(fc.certified_upper_bound).toBe(s.upper);
    expect(fc.operator_estimate).toBe(s.sigma);
  });

  it('network bound = sigma1 * (sigma2 + 1) * 1/sqrt(6*6) * sigma_fc (residual, pooling, composition)', () => {
    const expected = l1.certified_upper_bound * (l2.certified_upper_bound + 1) * (1 / 6) * fc.certified_upper_bound;
    expect(analysis.lipschitz_upper_bound).toBeCloseTo(expected, 12);
    expect(analysis.lipschitz_covers.complete).toBe(true);
    const last = analysis.nodes[analysis.nodes.length - 1];
    expect(Math.exp(last.log_bound_out)).toBeCloseTo(expected, 10);
  });

  it('float_data and external data give the same numbers as raw_data', () => {
    const viaFloat = analyseModel(openModel(writeOnnxModel(dir, 'net-float.onnx', { ...spec, floatData: true })));
    const ext = mkdtempSync(join(tmpdir(), 'onnx-ext-'));
    const viaExternal = analyseModel(
      openModel(writeOnnxModel(ext, 'net-ext.onnx', { ...spec, externalData: 'net.weights' })),
    );
    for (const other of [viaFloat, viaExternal]) {
      expect(other.layers.map((l) => l.certified_upper_bound)).toEqual(
        analysis.layers.map((l) => l.certified_upper_bound),
      );
    }
  });

  it('the forward pass matches a reference conv computed here (pads, stride, BN, groups, dilation)', () => {
    const sg = inferShapes(openModel(file));
    const fwd = buildForward(sg);
    const x = tf.randomUniform([2, 12, 12, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const got = fwd.forward(x).arraySync();
    const ref = referenceForward(x);
    for (let b = 0; b < 2; b++) for (let c = 0; c < 10; c++) expect(got[b][c]).toBeCloseTo(ref[b][c], 4);
    fwd.dispose();
  });
});

/** The same network with tfjs ops written out here: NCHW weights turned OIHW -> HWIO by tf.transpose. */
function referenceForward(x: tf.Tensor4D): number[][] {
  return tf.tidy(() => {
    const t = (w: { dims: number[]; data: ArrayLike<number> }) => tf.tensor(Array.from(w.data), w.dims);
    const k1 = tf.transpose(t(weights.w1), [2, 3, 1, 0]) as tf.Tensor4D;
    let y = tf.add(
      tf.conv2d(
        tf.pad(x, [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ]),
        k1,
        2,
        'valid',
      ),
      t(weights.b1),
    );
    y = tf.add(
      tf.mul(tf.sub(y, t(weights.mu)), tf.div(t(weights.g), tf.sqrt(tf.add(t(weights.var), 1e-5)))),
      t(weights.be),
    );
    const r1 = tf.relu(y) as tf.Tensor4D;
    const k2 = tf.transpose(t(weights.w2), [2, 3, 1, 0]) as tf.Tensor4D;
    const padded = tf.pad(r1, [
      [0, 0],
      [2, 2],
      [2, 2],
      [0, 0],
    ]);
    const halves = [0, 1].map((gi) =>
      tf.conv2d(
        tf.slice(padded, [0, 0, 0, 4 * gi], [-1, -1, -1, 4]),
        tf.slice(k2, [0, 0, 0, 4 * gi], [-1, -1, -1, 4]) as tf.Tensor4D,
        1,
        'valid',
        'NHWC',
        2,
      ),
    );
    const s = tf.add(tf.concat(halves, 3), r1);
    const p = tf.mean(s, [1, 2]);
    return tf.add(tf.matMul(p, t(weights.wf) as tf.Tensor2D, false, true), t(weights.bf)).arraySync() as number[][];
  });
}
