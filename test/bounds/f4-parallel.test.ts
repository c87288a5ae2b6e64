import { describe, expect, it } from 'vitest';
import { f4Helper, type HelperJob } from '../../src/main/engine/bounds/methods/f4-parallel.js';
import { f4SimdPasses, simdHeap } from '../../src/main/engine/bounds/methods/f4-simd.js';
import { createHostVectors, hostSigmas, simdPowerIterate } from '../../src/main/engine/bounds/methods/f4-host.js';
import { F4_MATRICES } from '../../src/shared/bounds.js';
import type { Shape4 } from '../../src/main/engine/bounds/methods/reshapes.js';

const p = f4SimdPasses()!;

/**
 * A job in the passes' shared memory: its pass copies the 4 floats at float 16 (parity 0) or at float 20 (parity 1)
 * to its sums at float 32 (blockCopy: one row of 4), which finish adds to float 40 (parity 0) or 44 (parity 1).
 */
function copyJob(name = 'blockCopy'): HelperJob {
  return {
    calls: [[[name, [64, 128, 1, 4, 4]]], [[name, [80, 128, 1, 4, 4]]]],
    zero: [[32, 4]],
    sums: [[[32, 40, 4]], [[32, 44, 4]]],
  };
}

describe('F4 helper thread: passes served in a loop, in the memory of the passes', () => {
  it('runs hundreds of passes, each on what this thread wrote before it, alternating parities', () => {
    const heap = simdHeap(p, 1 << 16);
    const helper = f4Helper(p, copyJob())!;
    expect(helper).not.toBeNull();
    for (let n = 0; n < 300; n++) {
      const s = (n % 2) as 0 | 1;
      heap.set([n, n + 0.5, -n, 7, 2 * n, 1, 2, 3], 16);
      heap.fill(1, 32, 48); // its sums are zeroed by the helper, z (40..48) is summed into
      helper.start(s);
      helper.finish(s, heap);
      const z = Array.from(heap.subarray(40 + 4 * s, 44 + 4 * s));
      expect(z, `pass ${n}`).toEqual(s === 0 ? [n + 1, n + 1.5, 1 - n, 8] : [2 * n + 1, 2, 3, 4]);
    }
  });

  it('a new job replaces the one before: the old helper refuses to finish, the new one works', () => {
    const heap = simdHeap(p, 1 << 16);
    const first = f4Helper(p, copyJob())!;
    first.start(1);
    first.finish(1, heap);
    const second = f4Helper(p, copyJob())!;
    expect(() => first.finish(1, heap)).toThrow(/another job/);
    heap.set([5, 6, 7, 8], 16);
    heap.fill(0, 40, 44);
    second.start(0);
    second.finish(0, heap);
    expect(Array.from(heap.subarray(40, 44))).toEqual([5, 6, 7, 8]);
  });

  it('a pass that throws is reported as failed, and the thread serves the next job', () => {
    const heap = simdHeap(p, 1 << 16);
    const broken = f4Helper(p, copyJob('noSuchExport'))!;
    broken.start(0);
    expect(() => broken.finish(0, heap)).toThrow(/failed/);
    const next = f4Helper(p, copyJob())!;
    heap.set([1, 2, 3, 4], 20);
    heap.fill(0, 44, 48);
    next.start(1);
    next.finish(1, heap);
    expect(Array.from(heap.subarray(44, 48))).toEqual([1, 2, 3, 4]);
  });
});

// sigma and u are formed from ||y|| of the last step only (f4-host.ts normaliseStep): sigma must be u^T X v of the
// vectors returned, on one thread and split between two.
describe.each([false, true])('SIMD power iteration (split %s): sigma is that of the vectors it returns', (split) => {
  it.each([1, 2, 7])('after %i steps', (steps) => {
    const shape: Shape4 = [3, 3, 8, 32];
    const W = Float32Array.from({ length: 3 * 3 * 8 * 32 }, (_, j) => Math.sin(j * 0.37) * 0.3);
    const vecs = createHostVectors(shape, 11);
    simdPowerIterate(p, W, shape, vecs, steps, { split, threads: split });
    const exact = hostSigmas(W, shape, vecs);
    for (const X of F4_MATRICES) {
      expect(Math.abs(vecs.sigma[X] - exact[X]) / exact[X], X).toBeLessThan(1e-5);
      expect(Math.hypot(...vecs.u[X]), X).toBeCloseTo(1, 6);
    }
  });
});
