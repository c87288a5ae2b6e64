/**
 * A real torch.onnx.export (Debian's python3-torch): the reader must open what PyTorch writes at several opsets
 * (folded BatchNorms, the view-flatten shape arithmetic, pads and groups as PyTorch sets them), list nothing as
 * unsupported, and its forward pass must reproduce PyTorch's logits.
 *
 * PyTorch is a reference for checks and benchmarks only, never part of `npm test` (a fresh machine has no
 * python3-torch): this file runs with `npm run test:torch` (TORCH_REFERENCE=1) where Debian's python3-torch is
 * installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { analyseModel, inferShapes, openModel } from '../../src/main/engine/models/imported/index.js';
import { buildForward } from '../../src/main/engine/models/imported/forward.js';

const PYTHON = '/usr/bin/python3';
const WANTED = process.env.TORCH_REFERENCE === '1';
const HAVE_TORCH = WANTED && spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const script = resolve(__dirname, 'fixtures/export_torch_net.py');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.skipIf(!HAVE_TORCH)('torch.onnx.export models', () => {
  for (const opset of [11, 17]) {
    it(`opset ${opset}: opened without unsupported nodes, forward equal to PyTorch's logits`, () => {
      const file = join(mkdtempSync(join(tmpdir(), 'torch-export-')), 'net.onnx');
      const r = spawnSync(PYTHON, [script, file, String(opset)], { encoding: 'utf8', maxBuffer: 1 << 24 });
      expect(r.status, r.stderr).toBe(0);
      const ref = JSON.parse(r.stdout) as { x: number[][][][]; y: number[][] };
      const graph = openModel(file);
      const a = analyseModel(graph);
      expect(a.unsupported).toEqual([]);
      expect(a.model.input_shape).toEqual([3, 16, 16]);
      expect(a.layers.map((l) => l.op)).toEqual(['Conv', 'Conv', 'Gemm']);
      expect(a.layers[1]).toMatchObject({ groups: 2, dilation: [2, 2], padding: [2, 2, 2, 2] });
      expect(a.lipschitz_covers.complete).toBe(true);
      // PyTorch's input is NCHW; the forward pass takes NHWC.
      const x = tf.transpose(tf.tensor4d(ref.x), [0, 2, 3, 1]) as tf.Tensor4D;
      const y = buildForward(inferShapes(graph)).forward(x).arraySync();
      ref.y.forEach((row, i) => row.forEach((v, c) => expect(y[i][c]).toBeCloseTo(v, 4)));
    });
  }
});
