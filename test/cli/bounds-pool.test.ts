/**
 * The layer pool of `bounds` (engine/bounds/layer-pool.ts) on real worker threads: the same reports as computing
 * the layers one after another in this thread, in the layers' order, and a bad layer fails the whole run with its
 * KernelError.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { KernelHWIO, LayerBoundsReport } from '../../src/shared/bounds.js';
import { KernelError } from '../../src/shared/bounds.js';
import { selectBackend } from '../../src/main/engine/backends/index.js';
import { computeLayerBounds } from '../../src/main/engine/bounds/layer-report.js';
import { computeLayersInPool, startLayerPool, type LayerJob } from '../../src/main/engine/bounds/layer-pool.js';
import { formatLayerTables } from '../../src/main/cli/bounds-format.js';
import { allowCommandThreads, startCommandThread } from '../../src/main/engine/command-thread.js';
import { heNormalKernel } from '../../src/main/cli/resnet18-stack.js';

const jobs: LayerJob[] = [
  { name: 'stem', kernel: heNormalKernel([7, 7, 3, 8], 1), geometry: { n: 32, stride: 2, padding: 'same' } },
  { name: 'a', kernel: heNormalKernel([3, 3, 8, 8], 2), geometry: { n: 24, stride: 1, padding: 'same' } },
  { name: 'b', kernel: heNormalKernel([3, 3, 8, 16], 3), geometry: { n: 16, stride: 2, padding: 'same' } },
  { name: 'wide', kernel: heNormalKernel([3, 3, 16, 16], 4), geometry: { n: 8, stride: 1, padding: 'same' } },
  { name: 'c', kernel: heNormalKernel([3, 3, 4, 8], 5), geometry: { n: 40, stride: 1, padding: 'same' } },
];
const bounds = { operatorIterations: 30 };

/** The value columns of the table (the time table below them differs from run to run). */
const valueTable = (reports: LayerBoundsReport[]) => formatLayerTables(reports).split('\n\n')[0];

/** A report without its timings. */
function values(r: LayerBoundsReport): unknown {
  return JSON.parse(JSON.stringify(r, (k, v: unknown) => (k === 'timeMs' ? undefined : v)));
}

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('computeLayersInPool', () => {
  it('gives byte-identical values to the serial run, in the layers’ order, with progress per layer', async () => {
    const serial = jobs.map((j) => computeLayerBounds(j.name, j.kernel, j.geometry, bounds));
    const seen: number[] = [];
    const pooled = await computeLayersInPool(jobs, {
      workers: 2,
      backend: 'wasm',
      bounds,
      onLayer: (done, index) => {
        expect(done).toBe(seen.length + 1);
        seen.push(index);
      },
    });
    expect(pooled.map((r) => r.name)).toEqual(jobs.map((j) => j.name));
    expect([...seen].sort()).toEqual(jobs.map((_, i) => i));
    expect(valueTable(pooled)).toBe(valueTable(serial));
    expect(pooled.map(values)).toEqual(serial.map(values));
    expect(pooled.every((r) => r.operator && r.operator.iterations > 0)).toBe(true);
  }, 120_000);

  it('fails with the layer’s KernelError and stops its threads', async () => {
    const bad: KernelHWIO = { shape: [3, 3, 2, 2], data: new Float64Array(36).fill(1) };
    bad.data[4] = NaN;
    const run = computeLayersInPool([jobs[1], { name: 'bad', kernel: bad, geometry: jobs[1].geometry }], {
      workers: 2,
      backend: 'wasm',
      bounds,
    });
    await expect(run).rejects.toBeInstanceOf(KernelError);
    await expect(run).rejects.toThrow(/finite weights/);
  }, 60_000);
});

describe('startLayerPool', () => {
  it('starts its threads before it is given layers, and computes them once they are', async () => {
    const pool = startLayerPool({ workers: 2, backend: 'wasm' }, jobs.length);
    try {
      expect(pool.threads).toBe(2);
      // The caller's own preparation runs while the threads start; the layers come afterwards.
      await new Promise((r) => setTimeout(r, 50));
      const pooled = await pool.compute(jobs.slice(0, 3), { bounds });
      const serial = jobs.slice(0, 3).map((j) => computeLayerBounds(j.name, j.kernel, j.geometry, bounds));
      expect(pooled.map(values)).toEqual(serial.map(values));
    } finally {
      await pool.close();
    }
  }, 120_000);

  it('reports a thread that cannot start (no such backend here) when layers are handed to it', async () => {
    const pool = startLayerPool({ workers: 2, backend: 'tensorflow-gpu' }, jobs.length);
    try {
      await expect(pool.compute(jobs.slice(0, 2), { bounds })).rejects.toThrow(/tensorflow/i);
    } finally {
      await pool.close();
    }
  }, 60_000);
});

describe('allowCommandThreads (what a pool thread turns off)', () => {
  it('makes startCommandThread decline, so callers compute the helper’s half themselves', async () => {
    allowCommandThreads(false);
    try {
      expect(startCommandThread('', '', {})).toBeNull();
    } finally {
      allowCommandThreads(true);
    }
    const t = startCommandThread('', '', {});
    expect(t).not.toBeNull();
    await t!.worker.terminate();
  });
});

describe('bounds --workers', () => {
  it('refuses a count below 1 before any work starts', () => {
    const root = resolve(__dirname, '../..');
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(root, 'src/main/cli/index.ts'), 'bounds', '--workers', '0'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--workers must be a positive integer, got '0'/);
    expect(r.stderr).not.toMatch(/backend:/);
    expect(r.stdout).toBe('');
  }, 60_000);
});
