/**
 * The network bound of an imported model: equal to the Lipschitz constant where it is known in closed form, never
 * below the largest Jacobian norm found by power iteration, honest about the parts an unsupported node leaves out;
 * and damaged or foreign files get an error naming the file and the problem.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { analyseModel, inferShapes, ModelImportError, openModel } from '../../src/main/engine/models/imported/index.js';
import { buildForward } from '../../src/main/engine/models/imported/forward.js';
import { randomWeights, writeOnnxModel, type OnnxModelSpec } from './onnx-writer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const dir = mkdtempSync(join(tmpdir(), 'onnx-bound-'));
const W = (dims: number[], seed: number, scale = 0.3) => ({
  dims,
  data: randomWeights(
    dims.reduce((a, b) => a * b, 1),
    seed,
    scale,
  ),
});
const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

describe('closed-form Lipschitz constants', () => {
  it('1x1 conv (x3) -> 2x2/2 average pool -> flatten -> w: L = 3 ||w|| / 2 exactly, and the bound equals it', () => {
    const w = W([16, 1], 11);
    const file = writeOnnxModel(dir, 'avg.onnx', {
      inputShape: [1, 1, 8, 8],
      outputName: 'y',
      weights: { k: { dims: [1, 1, 1, 1], data: [3] }, w },
      nodes: [
        { op: 'Conv', inputs: ['input', 'k'], outputs: ['c'], name: 'scale3' },
        {
          op: 'AveragePool',
          inputs: ['c'],
          outputs: ['p'],
          name: 'pool',
          ints: { kernel_shape: [2, 2], strides: [2, 2] },
        },
        { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
        { op: 'MatMul', inputs: ['f', 'w'], outputs: ['y'], name: 'readout' },
      ],
    });
    const a = analyseModel(openModel(file));
    // P^T w repeats w_j / 4 over each 2x2 window: ||P^T w|| = ||w|| / 2; the 1x1 conv multiplies by 3.
    expect(a.lipschitz_upper_bound as number).toBeCloseTo((3 * norm(w.data)) / 2, 6);
    expect(a.layers.map((l) => l.weight_shape)).toEqual([
      [1, 1, 1, 1],
      [16, 1],
    ]);
  });

  it('1x1 conv (x-2) -> 2x2/2 max pool -> Gemm: L = 2 ||w|| (one input per window moves)', () => {
    const w = W([1, 9], 12);
    const file = writeOnnxModel(dir, 'max.onnx', {
      inputShape: [1, 1, 6, 6],
      outputName: 'y',
      weights: { k: { dims: [1, 1, 1, 1], data: [-2] }, w },
      nodes: [
        { op: 'Conv', inputs: ['input', 'k'], outputs: ['c'] },
        { op: 'MaxPool', inputs: ['c'], outputs: ['p'], ints: { kernel_shape: [2, 2], strides: [2, 2] } },
        { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
        { op: 'Gemm', inputs: ['f', 'w'], outputs: ['y'], int: { transB: 1 } },
      ],
    });
    expect(analyseModel(openModel(file)).lipschitz_upper_bound as number).toBeCloseTo(2 * norm(w.data), 6);
  });
});

/** sigma_max of the Jacobian at x: the full Jacobian (one gradient per logit), then power iteration on J^T J. */
function jacobianNorm(forward: (x: tf.Tensor4D) => tf.Tensor2D, x: tf.Tensor4D, classes: number): number {
  const rows = Array.from({ length: classes }, (_, c) =>
    tf.tidy(
      () =>
        tf
          .grad((z: tf.Tensor) => tf.sum(tf.slice(forward(z as tf.Tensor4D), [0, c], [1, 1])))(x)
          .reshape([-1])
          .arraySync() as number[],
    ),
  );
  const d = rows[0].length;
  let v = Array.from({ length: d }, (_, j) => Math.sin(j + 1));
  let sigma = 0;
  for (let it = 0; it < 200; it++) {
    const u = rows.map((r) => r.reduce((s, rj, j) => s + rj * v[j], 0));
    const back = v.map((_, j) => rows.reduce((s, r, c) => s + r[j] * u[c], 0));
    const nb = norm(back);
    sigma = Math.sqrt(nb);
    v = back.map((b) => b / nb);
  }
  return sigma;
}

describe('the network bound against the largest Jacobian norm', () => {
  const spec: OnnxModelSpec = {
    inputShape: ['N', 2, 8, 8],
    outputName: 'logits',
    weights: {
      w1: W([6, 2, 3, 3], 21, 0.6),
      w2: W([6, 3, 3, 3], 22, 0.6),
      g: { dims: [6], data: [1, 3, 0.5, 2, 1, 1] },
      be: W([6], 23),
      mu: W([6], 24),
      var: { dims: [6], data: [1, 1, 2, 1, 0.5, 1] },
      wf: W([5, 96], 25, 0.5),
    },
    nodes: [
      {
        op: 'Conv',
        inputs: ['input', 'w1'],
        outputs: ['c1'],
        name: 'conv1',
        ints: { strides: [2, 2], pads: [1, 1, 1, 1] },
      },
      { op: 'LeakyRelu', inputs: ['c1'], outputs: ['r1'], float: { alpha: 0.1 } },
      {
        op: 'Conv',
        inputs: ['r1', 'w2'],
        outputs: ['c2'],
        name: 'conv2',
        ints: { pads: [2, 2, 2, 2], dilations: [2, 2] },
        int: { group: 2 },
      },
      { op: 'BatchNormalization', inputs: ['c2', 'g', 'be', 'mu', 'var'], outputs: ['b2'], name: 'bn2' },
      { op: 'Add', inputs: ['b2', 'r1'], outputs: ['s'] },
      { op: 'Tanh', inputs: ['s'], outputs: ['t'] },
      { op: 'Flatten', inputs: ['t'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'wf'], outputs: ['logits'], int: { transB: 1 } },
    ],
  };

  it('is never below sigma_max(J(x)) over random points', () => {
    const graph = openModel(writeOnnxModel(dir, 'jac.onnx', spec));
    const bound = analyseModel(graph).lipschitz_upper_bound as number;
    const fwd = buildForward(inferShapes(graph));
    let largest = 0;
    for (let p = 0; p < 12; p++) {
      const x = tf.randomUniform([1, 8, 8, 2], -2, 2, 'float32', 100 + p) as tf.Tensor4D;
      largest = Math.max(largest, jacobianNorm(fwd.forward, x, 5));
      x.dispose();
    }
    fwd.dispose();
    expect(largest).toBeGreaterThan(0);
    expect(bound).toBeGreaterThanOrEqual(largest);
  });
});

describe("PyTorch's x.view(x.size(0), -1): Shape -> Gather -> Unsqueeze -> Concat -> Reshape", () => {
  it('is folded to a flatten: same layers, same bound and same forward pass as Flatten', () => {
    const weights = {
      k: W([3, 2, 3, 3], 51),
      w: W([4, 48], 52),
      zero: { dims: [1], data: [0] },
      axes: { dims: [1], data: [0] },
      minus1: { dims: [1], data: [-1] },
    };
    const conv = { op: 'Conv', inputs: ['input', 'k'], outputs: ['c'], name: 'conv', ints: { pads: [1, 1, 1, 1] } };
    const head = { op: 'Gemm', inputs: ['f', 'w'], outputs: ['y'], name: 'fc', int: { transB: 1 } };
    const view = writeOnnxModel(dir, 'view.onnx', {
      inputShape: ['N', 2, 4, 4],
      outputName: 'y',
      weights,
      nodes: [
        conv,
        { op: 'Shape', inputs: ['c'], outputs: ['s'] },
        { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], int: { axis: 0 } },
        { op: 'Unsqueeze', inputs: ['n', 'axes'], outputs: ['n1'] },
        { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['shape'], int: { axis: 0 } },
        { op: 'Reshape', inputs: ['c', 'shape'], outputs: ['f'], name: 'view' },
        head,
      ],
    });
    const flat = writeOnnxModel(dir, 'flat.onnx', {
      inputShape: ['N', 2, 4, 4],
      outputName: 'y',
      weights,
      nodes: [conv, { op: 'Flatten', inputs: ['c'], outputs: ['f'] }, head],
    });
    const [a, b] = [view, flat].map((f) => analyseModel(openModel(f)));
    expect(a.unsupported).toEqual([]);
    expect(a.lipschitz_upper_bound).toBe(b.lipschitz_upper_bound);
    const x = tf.randomUniform([2, 4, 4, 2], 0, 1, 'float32', 5) as tf.Tensor4D;
    const [ya, yb] = [view, flat].map((f) =>
      buildForward(inferShapes(openModel(f)))
        .forward(x)
        .arraySync(),
    );
    expect(ya).toEqual(yb);
  });
});

describe('unsupported operators are listed, and the bound says what it covers', () => {
  it('a Mish node: listed by type and name; the bound stops at the tensor before it', () => {
    const file = writeOnnxModel(dir, 'mish.onnx', {
      inputShape: [1, 4],
      outputName: 'y',
      weights: { a: W([4, 3], 31), b: W([3, 2], 32) },
      nodes: [
        { op: 'MatMul', inputs: ['input', 'a'], outputs: ['h'], name: 'first' },
        { op: 'Mish', inputs: ['h'], outputs: ['m'], name: 'the_mish' },
        { op: 'MatMul', inputs: ['m', 'b'], outputs: ['y'], name: 'second' },
      ],
    });
    const a = analyseModel(openModel(file));
    expect(a.unsupported).toEqual([
      { op: 'Mish', name: 'the_mish', reason: 'operator not supported' },
      { op: 'MatMul', name: 'second', reason: 'reads the output of an unsupported node, so its input is unknown' },
    ]);
    expect(a.lipschitz_upper_bound).toBeNull();
    expect(a.lipschitz_covers).toMatchObject({ complete: false, up_to: 'h', bound: a.layers[0].certified_upper_bound });
    expect(a.layers.map((l) => l.name)).toEqual(['first']);
  });
});

describe('damaged or foreign files: an error naming the file and the problem', () => {
  const good: OnnxModelSpec = {
    inputShape: [1, 3],
    outputName: 'y',
    weights: { a: W([3, 2], 41) },
    nodes: [{ op: 'MatMul', inputs: ['input', 'a'], outputs: ['y'] }],
  };
  const expectError = (f: () => unknown, pattern: RegExp) => {
    let err: unknown;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelImportError);
    expect((err as Error).message).toMatch(pattern);
  };

  it('truncated protobuf', () => {
    const bytes = readFileSync(writeOnnxModel(dir, 'whole.onnx', good));
    const path = join(dir, 'cut.onnx');
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    expectError(() => openModel(path), /cut\.onnx is not a readable ONNX model .*truncated or not ONNX/);
  });

  it('wrong magic: a ZIP (PyTorch checkpoint), an HDF5 file', () => {
    const zip = join(dir, 'model.pt');
    writeFileSync(zip, Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4]));
    expectError(() => openModel(zip), /model\.pt is not an ONNX model: it is a ZIP archive .*torch\.onnx\.export/);
    const h5 = join(dir, 'model.h5');
    writeFileSync(h5, Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a]));
    expectError(() => openModel(h5), /model\.h5 is not an ONNX model: it is an HDF5 file/);
  });

  it('a missing external-data file', () => {
    const ext = mkdtempSync(join(tmpdir(), 'onnx-ext-missing-'));
    const path = writeOnnxModel(ext, 'ext.onnx', { ...good, externalData: 'ext.bin' });
    rmSync(join(ext, 'ext.bin'));
    expectError(
      () => openModel(path),
      /ext\.onnx: tensor 'a': its external data file 'ext\.bin' is missing .*copy it next to/,
    );
  });

  it('an unsupported opset, a missing file', () => {
    expectError(
      () => openModel(writeOnnxModel(dir, 'old.onnx', { ...good, opset: 3 })),
      /old\.onnx: opset 3 is not supported; this reader implements opsets 9-21/,
    );
    expectError(() => openModel(join(dir, 'nope.onnx')), /nope\.onnx: no such file/);
  });

  it('a symbolic input size without --input-shape', () => {
    const g = openModel(writeOnnxModel(dir, 'sym.onnx', { ...good, inputShape: ['N', 'D'] }));
    expectError(() => analyseModel(g), /sym\.onnx: the input 'input' has a symbolic .*--input-shape/);
    expect(analyseModel(g, { inputShape: [3] }).layers).toHaveLength(1);
  });
});
