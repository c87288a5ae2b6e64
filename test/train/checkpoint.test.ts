import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/main/engine/backends/index.js';
import { buildModel } from '../../src/main/engine/models/index.js';
import {
  CheckpointError,
  checkpointKernels,
  loadCheckpoint,
  restoreCheckpoint,
  saveCheckpoint,
  sha256,
} from '../../src/main/engine/train/checkpoint.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'slab-ckpt-'));

beforeAll(async () => {
  await selectBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('checkpoints', () => {
  it('round-trips every variable (BatchNorm running stats included) and the layer geometry', async () => {
    const opts = {
      inputShape: [16, 16, 3] as [number, number, number],
      activation: 'relu' as const,
      seed: 1,
      numClasses: 10,
      normalization: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
    };
    const a = buildModel('resnet20', opts);
    const b = buildModel('resnet20', { ...opts, seed: 2 });
    try {
      a.batchNorms[3].runningVar.assign(tf.fill([a.batchNorms[3].channels], 0.37));
      const saved = await saveCheckpoint(dir, a, { runId: 'r1', step: 42, epoch: 0.5 });
      expect(path.basename(saved.path)).toBe('step-0000042.slw');
      expect(saved.sha256).toBe(sha256(readFileSync(saved.path)));
      const ckpt = await loadCheckpoint(saved.path, saved.sha256);
      expect(ckpt.header).toMatchObject({ arch: 'resnet20', step: 42, epoch: 0.5, runId: 'r1' });
      restoreCheckpoint(b, ckpt);
      const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
      const za = tf.tidy(() => a.forward(x, 'eval').arraySync());
      const zb = tf.tidy(() => b.forward(x, 'eval').arraySync());
      x.dispose();
      expect(zb).toEqual(za);
      const kernels = checkpointKernels(ckpt);
      expect(kernels.map((k) => k.name)).toEqual(a.linear.map((l) => l.name));
      const fc = kernels.at(-1)!;
      expect(fc.kernel.shape).toEqual([1, 1, 64, 10]);
      const strided = kernels.find((k) => k.name === 'layer2.0.conv1')!;
      expect(strided).toMatchObject({ stride: 2, padding: 'same', inputSize: [16, 16], shape: [3, 3, 16, 32] });
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('refuses a changed, truncated or foreign file with a clear message', async () => {
    const m = buildModel('lip-cnn', { inputShape: [28, 28, 1], activation: 'relu', seed: 1, numClasses: 10 });
    const saved = await saveCheckpoint(dir, m, { runId: 'r2', step: 1, epoch: 0 });
    m.dispose();
    const buf = readFileSync(saved.path);
    await expect(loadCheckpoint(saved.path, 'f'.repeat(64))).rejects.toThrow(
      /sha256 .* the file changed or is corrupt/,
    );
    const truncated = path.join(dir, 'truncated.slw');
    writeFileSync(truncated, buf.subarray(0, buf.length - 10));
    await expect(loadCheckpoint(truncated)).rejects.toThrow(/truncated or corrupt/);
    const foreign = path.join(dir, 'foreign.slw');
    writeFileSync(foreign, Buffer.from('PK\u0003\u0004 not a checkpoint'));
    await expect(loadCheckpoint(foreign)).rejects.toThrow(CheckpointError);
    await expect(loadCheckpoint(path.join(dir, 'missing.slw'))).rejects.toThrow(/cannot read \(ENOENT\)/);
    const other = buildModel('mnist-cnn', { inputShape: [28, 28, 1], activation: 'relu', seed: 1, numClasses: 10 });
    const ckpt = await loadCheckpoint(saved.path);
    try {
      expect(() => restoreCheckpoint(other, ckpt)).toThrow(
        /tensor 'conv1\/kernel' has shape \[4,4,1,16\] but the model needs \[3,3,1,16\]/,
      );
    } finally {
      other.dispose();
    }
  });
});
