/**
 * ONNX attributes beyond the common case, each checked against a computation written here: AveragePool with pads,
 * ceil_mode and count_include_pad = 0 (forward pass against a direct loop; its Lipschitz bound against the norm of
 * the explicit pooling matrix), MaxPool with pads, Gemm's alpha / beta / transB = 0, MatMul + Add folded into a
 * bias, and Clip with min/max as inputs (opset >= 11).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { analyseModel, inferShapes, openModel } from '../../src/main/engine/models/imported/index.js';
import { buildForward } from '../../src/main/engine/models/imported/forward.js';
import { spectralNorm64 } from '../../src/main/engine/bounds/numerics/linalg64.js';
import { randomWeights, writeOnnxModel } from './onnx-writer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
const dir = mkdtempSync(join(tmpdir(), 'onnx-attrs-'));

/** 1-D windows of ONNX AveragePool (pads, ceil_mode as onnxruntime), as index lists. */
function windows1d(n: number, k: number, s: number, pb: number, pe: number, ceil: boolean): number[][] {
  const room = n + pb + pe - k;
  let out = (ceil ? Math.ceil(room / s) : Math.floor(room / s)) + 1;
  if (ceil && (out - 1) * s >= n + pb) out--;
  return Array.from({ length: out }, (_, o) =>
    Array.from({ length: k }, (_, t) => o * s + t - pb).filter((x) => x >= 0 && x < n),
  );
}

describe('AveragePool: pads, ceil_mode, count_include_pad = 0', () => {
  const n = 7;
  const file = writeOnnxModel(dir, 'avg.onnx', {
    inputShape: [1, 1, n, n],
    outputName: 'y',
    weights: {},
    nodes: [
      {
        op: 'AveragePool',
        inputs: ['input'],
        outputs: ['p'],
        name: 'pool',
        ints: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 0, 0] },
        int: { ceil_mode: 1, count_include_pad: 0 },
      },
      { op: 'Flatten', inputs: ['p'], outputs: ['y'] },
    ],
  });
  const rows = windows1d(n, 3, 2, 1, 0, true);

  it('forward pass = the average over each window of real inputs', () => {
    const x = Array.from({ length: n * n }, (_, j) => Math.sin(j));
    const got = buildForward(inferShapes(openModel(file)))
      .forward(tf.tensor4d(x, [1, n, n, 1]))
      .arraySync()[0];
    const want = rows.flatMap((r) =>
      rows.map((c) => r.flatMap((i) => c.map((j) => x[i * n + j])).reduce((a, b) => a + b, 0) / (r.length * c.length)),
    );
    expect(got.length).toBe(want.length);
    got.forEach((v, j) => expect(v).toBeCloseTo(want[j], 5));
  });

  it('its Lipschitz bound is never below the norm of the explicit pooling matrix', () => {
    const m = rows.length * rows.length;
    const P = new Float64Array(m * n * n);
    rows.forEach((r, a) =>
      rows.forEach((c, b) =>
        r.forEach((i) => c.forEach((j) => (P[(a * rows.length + b) * n * n + i * n + j] = 1 / (r.length * c.length)))),
      ),
    );
    const exact = spectralNorm64(P, m, n * n).sigma;
    const bound = analyseModel(openModel(file)).lipschitz_upper_bound as number;
    expect(bound).toBeGreaterThanOrEqual(exact * (1 - 1e-12));
    expect(bound).toBeLessThan(exact * 1.5);
  });
});

describe('Gemm alpha/beta/transB = 0, MatMul + Add bias, Clip inputs, MaxPool pads', () => {
  it('Gemm: W = alpha * B^T, bias beta * C; MatMul + Add folds; clip and pads in the forward pass', () => {
    const B = randomWeights(12, 3); // [in 4, out 3], transB = 0
    const C = [0.5, -1, 2];
    const M = randomWeights(6, 4); // MatMul [3, 2]
    const file = writeOnnxModel(dir, 'gemm.onnx', {
      inputShape: [1, 1, 2, 2],
      outputName: 'y',
      weights: {
        B: { dims: [4, 3], data: B },
        C: { dims: [3], data: C },
        M: { dims: [3, 2], data: M },
        bias: { dims: [2], data: [0.25, -0.25] },
        lo: { dims: [], data: [-0.5] },
        hi: { dims: [], data: [0.5] },
      },
      nodes: [
        { op: 'MaxPool', inputs: ['input'], outputs: ['m'], ints: { kernel_shape: [2, 2], pads: [1, 1, 0, 0] } },
        { op: 'Flatten', inputs: ['m'], outputs: ['f'] },
        { op: 'Gemm', inputs: ['f', 'B', 'C'], outputs: ['g'], name: 'gemm', float: { alpha: 2, beta: 0.5 } },
        { op: 'Clip', inputs: ['g', 'lo', 'hi'], outputs: ['c'] },
        { op: 'MatMul', inputs: ['c', 'M'], outputs: ['mm'], name: 'mm' },
        { op: 'Add', inputs: ['mm', 'bias'], outputs: ['y'], name: 'mm_bias' },
      ],
    });
    const a = analyseModel(openModel(file));
    expect(a.unsupported).toEqual([]);
    const [gemm, mm] = a.layers;
    expect(gemm.weight_shape).toEqual([3, 4]);
    const Wt = new Float64Array(12);
    for (let o = 0; o < 3; o++) for (let i = 0; i < 4; i++) Wt[o * 4 + i] = 2 * B[i * 3 + o];
    expect(gemm.certified_upper_bound).toBeCloseTo(spectralNorm64(Wt, 3, 4).upper, 12);
    expect(mm.weight_shape).toEqual([3, 2]);
    // MaxPool 2x2 stride 1 with pad 1 before: 2x2 output of a 2x2 input, each input in up to 4 windows -> sqrt(4).
    expect(a.lipschitz_upper_bound as number).toBeCloseTo(
      2 * gemm.certified_upper_bound * mm.certified_upper_bound,
      10,
    );

    const x = [0.3, -0.7, 0.9, 0.1];
    const y = buildForward(inferShapes(openModel(file)))
      .forward(tf.tensor4d(x, [1, 2, 2, 1]))
      .arraySync()[0];
    // Reference: max over padded windows, Gemm, clip, MatMul + bias, by hand.
    const pooled = [x[0], Math.max(x[0], x[1]), Math.max(x[0], x[2]), Math.max(...x)];
    const g = [0, 1, 2].map((o) =>
      Math.min(0.5, Math.max(-0.5, 2 * pooled.reduce((s, v, i) => s + v * B[i * 3 + o], 0) + 0.5 * C[o])),
    );
    const want = [0, 1].map((k) => g.reduce((s, v, i) => s + v * M[i * 2 + k], 0) + [0.25, -0.25][k]);
    y.forEach((v, k) => expect(v).toBeCloseTo(want[k], 5));
  });
});
