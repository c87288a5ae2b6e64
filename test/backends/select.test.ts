/** Backend selection: preference order, reasons for passing a backend over, explicit choices. */
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  BackendUnavailableError,
  resolveBackend,
  selectBackend,
  type BackendProbe,
} from '../../src/main/engine/backends/index.js';
import { installedVersion } from '../../src/main/engine/backends/optional-package.js';
import type { BackendName } from '../../src/shared/backend.js';

/** A fake backend: `reason` null means available; `failOnStart` makes activation throw. */
function fake(name: BackendName, reason: string | null, failOnStart = false): BackendProbe & { started: number } {
  return {
    name,
    started: 0,
    async unavailableReason() {
      return reason;
    },
    async activate() {
      this.started++;
      if (failOnStart) throw new Error('init exploded');
      return { versions: { fake: '1' }, threads: 3 };
    },
  };
}

describe('resolveBackend (selection logic)', () => {
  it('auto takes the first available backend in preference order and says why others were passed over', async () => {
    const probes = [
      fake('tensorflow-gpu', 'package not installed'),
      fake('tensorflow', 'no binding'),
      fake('wasm', null),
      fake('cpu', null),
    ];
    const r = await resolveBackend('auto', probes);
    expect(r.name).toBe('wasm');
    expect(r.requested).toBe('auto');
    expect(r.threads).toBe(3);
    expect(r.tried.map((t) => [t.name, t.available])).toEqual([
      ['tensorflow-gpu', false],
      ['tensorflow', false],
      ['wasm', true],
    ]);
    expect(r.summary).toBe('wasm (tensorflow-gpu: package not installed; tensorflow: no binding)');
    expect(probes[3].started).toBe(0);
  });

  it('prefers native TensorFlow when it is there', async () => {
    const r = await resolveBackend('auto', [
      fake('tensorflow-gpu', 'no CUDA'),
      fake('tensorflow', null),
      fake('wasm', null),
    ]);
    expect(r.name).toBe('tensorflow');
  });

  it('falls through to the next backend when one fails to start', async () => {
    const r = await resolveBackend('auto', [fake('wasm', null, true), fake('cpu', null)]);
    expect(r.name).toBe('cpu');
    expect(r.tried[0]).toEqual({ name: 'wasm', available: false, reason: 'failed to start: init exploded' });
  });

  it('an explicit choice is honoured, or fails saying what is missing and what to do', async () => {
    const probes = [
      fake('tensorflow', 'package not installed — npm install @tensorflow/tfjs-node'),
      fake('wasm', null),
      fake('cpu', null),
    ];
    expect((await resolveBackend('cpu', probes)).name).toBe('cpu');
    const err = await resolveBackend('tensorflow', probes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toMatch(
      /Backend 'tensorflow' is not available: package not installed — npm install @tensorflow\/tfjs-node/,
    );
    expect((err as Error).message).toMatch(/choose another backend/);
    expect(probes[1].started).toBe(0); // no silent fallback to wasm
  });

  it('rejects an unknown backend name', async () => {
    await expect(resolveBackend('cuda' as never, [])).rejects.toThrow(
      /Unknown backend 'cuda'.*auto, tensorflow-gpu, tensorflow, wasm, cpu/,
    );
  });
});

describe('selectBackend (this machine)', () => {
  it('auto picks a working backend, reports the native ones it could not use, and is idempotent', async () => {
    const r = await selectBackend('auto');
    expect(r.requested).toBe('auto');
    const tfName = r.name === 'tensorflow-gpu' ? 'tensorflow' : r.name;
    expect(tf.getBackend()).toBe(tfName);
    for (const [name, pkg] of [
      ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu'],
      ['tensorflow', '@tensorflow/tfjs-node'],
    ] as const) {
      if (installedVersion(pkg) !== null) continue; // a machine with the native backend installed
      const attempt = r.tried.find((t) => t.name === name);
      expect(attempt?.available).toBe(false);
      expect(attempt?.reason).toMatch(/^package not installed — npm install /);
      expect(r.summary).toContain(`${name}: package not installed`);
    }
    if (r.name === 'wasm') {
      expect(r.threads).toBeGreaterThanOrEqual(1);
      expect(r.tried.find((t) => t.name === 'wasm')?.reason).toMatch(
        r.threads === 1 ? /single thread/ : new RegExp(`${r.threads} threads`),
      );
      expect(r.versions['@tensorflow/tfjs-backend-wasm']).toBe('4.22.0');
      expect(tf.tensor([1, 2]).add(1).dataSync()).toEqual(new Float32Array([2, 3]));
    }
    expect(await selectBackend('auto')).toBe(r);
  });

  it('explicit cpu switches, and auto afterwards returns its first report and re-activates it', async () => {
    const auto = await selectBackend('auto');
    const cpu = await selectBackend('cpu');
    expect(cpu.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await selectBackend('auto')).toBe(auto);
    expect(tf.getBackend()).toBe(auto.name === 'tensorflow-gpu' ? 'tensorflow' : auto.name);
  });

  it('an explicit native backend that is not installed fails with the install hint', async () => {
    if (installedVersion('@tensorflow/tfjs-node') !== null) return;
    await expect(selectBackend('tensorflow')).rejects.toThrow(
      /Backend 'tensorflow' is not available: package not installed — npm install @tensorflow\/tfjs-node/,
    );
  });
});

describe('WASM threads', () => {
  const report = (threads: string) => {
    const code =
      "import('./src/main/engine/backends/index.ts').then(async (m) => console.log(JSON.stringify(await m.selectBackend('wasm'))))";
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', code], {
      cwd: process.cwd(),
      env: { ...process.env, SPECTRAL_LAB_WASM_THREADS: threads },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return JSON.parse(out.trim().split('\n').pop()!) as { threads: number; tried: { reason?: string }[] };
  };

  it('uses one thread per core up to 4 when SPECTRAL_LAB_WASM_THREADS is unset', async () => {
    const { wantedWasmThreads } = await import('../../src/main/engine/backends/wasm-setup.js');
    const saved = process.env.SPECTRAL_LAB_WASM_THREADS;
    try {
      delete process.env.SPECTRAL_LAB_WASM_THREADS;
      expect(wantedWasmThreads()).toBe(Math.max(1, Math.min(4, os.availableParallelism())));
      process.env.SPECTRAL_LAB_WASM_THREADS = '3';
      expect(wantedWasmThreads()).toBe(3);
    } finally {
      if (saved === undefined) delete process.env.SPECTRAL_LAB_WASM_THREADS;
      else process.env.SPECTRAL_LAB_WASM_THREADS = saved;
    }
  });

  it('the threaded build computes the gradients of a conv net as the single-threaded one does', () => {
    // Conv (stride 2, SAME) -> relu -> conv (large enough for the filter gradient's helper thread, heap-helper.ts)
    // -> relu -> dense -> softmax cross-entropy, fixed weights and batch: every gradient.
    const code = `import('./src/main/engine/backends/index.ts').then(async (m) => {
      const r = await m.selectBackend('wasm');
      const tf = await import('@tensorflow/tfjs');
      const { heapHelperStats } = await import('./src/main/engine/backends/wasm-kernels/heap-helper.ts');
      const rnd = (shape, seed) => tf.randomNormal(shape, 0, 0.3, 'float32', seed);
      const x = rnd([16, 32, 32, 3], 1), w1 = rnd([3, 3, 3, 8], 2), w2 = rnd([16 * 16 * 16, 10], 3), w3 = rnd([3, 3, 8, 16], 4);
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5], 'int32'), 10);
      const net = (a, b, c) => tf.matMul(tf.reshape(tf.relu(tf.conv2d(tf.relu(tf.conv2d(x, a, 2, 'same')), c, 1, 'same')), [16, -1]), b);
      const g = tf.grads((a, b, c) => tf.losses.softmaxCrossEntropy(y, net(a, b, c)));
      const [ga, gb, gc] = g([w1, w2, w3]);
      console.log(JSON.stringify({ threads: r.threads, helper: heapHelperStats(), ga: Array.from(ga.dataSync()), gb: Array.from(gb.dataSync()), gc: Array.from(gc.dataSync()) }));
    })`;
    const run = (threads: string) =>
      JSON.parse(
        execFileSync(process.execPath, ['--import', 'tsx', '-e', code], {
          cwd: process.cwd(),
          env: { ...process.env, SPECTRAL_LAB_WASM_THREADS: threads },
          encoding: 'utf8',
          timeout: 60_000,
        })
          .trim()
          .split('\n')
          .pop()!,
      ) as { threads: number; helper: { completed: number; failed: number }; ga: number[]; gb: number[]; gc: number[] };
    const one = run('1');
    const two = run('2');
    expect([one.threads, two.threads]).toEqual([1, 2]);
    expect(one.helper).toEqual({ completed: 0, failed: 0 }); // not shared memory: no helper
    expect(two.helper).toEqual({ completed: 1, failed: 0 }); // w3's filter gradient, half the images each
    for (const k of ['ga', 'gb', 'gc'] as const) {
      const scale = Math.max(...one[k].map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      two[k].forEach((v, j) => expect(Math.abs(v - one[k][j])).toBeLessThanOrEqual(1e-4 * scale));
    }
  });

  it('SPECTRAL_LAB_WASM_THREADS=1 runs the single-threaded build; 2 starts the threaded one under Node and the process exits', () => {
    expect(report('1').threads).toBe(1);
    const two = report('2');
    expect(two.threads).toBe(2);
    expect(two.tried[two.tried.length - 1].reason).toBe('SIMD, 2 threads');
  });
});
