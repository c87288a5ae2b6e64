import { describe, expect, it } from 'vitest';
import { f4Helper, type HelperJob } from '../../src/main/engine/bounds/methods/f4-parallel.js';
import { f4SimdPasses } from '../../src/main/engine/bounds/methods/f4-simd.js';

const p = f4SimdPasses()!;

/**
 * A job whose pass copies the 4 floats sent at float 16 to float 32 (blockCopy: one row of 4) in parity 0, and the
 * helper's own kernel block [1, 2, 3, 4] (at float 8) there in parity 1; float 32 comes back, summed in (`add`).
 */
function copyJob(name = 'blockCopy'): HelperJob {
  return {
    heapBytes: 1 << 16,
    kernel: new Float32Array([1, 2, 3, 4]),
    kernelAt: 8,
    inputs: [[[16, 4]], [[16, 4]]],
    calls: [[[name, [64, 128, 1, 4, 4]]], [[name, [32, 128, 1, 4, 4]]]],
    outputs: [[[32, 4, true]], [[32, 4, true]]],
  };
}

describe('F4 helper thread: one job served pass after pass (spin hand-over)', () => {
  it('runs hundreds of passes, each on the vectors sent with it, alternating parities', () => {
    const helper = f4Helper(p, copyJob())!;
    expect(helper).not.toBeNull();
    const heap = new Float32Array(64);
    for (let n = 0; n < 300; n++) {
      const s = (n % 2) as 0 | 1;
      heap.set([n, n + 0.5, -n, 7], 16);
      heap.fill(1, 32, 36);
      helper.start(s, heap);
      helper.finish(s, heap);
      const want = s === 0 ? [n + 1, n + 1.5, 1 - n, 8] : [2, 3, 4, 5];
      expect(Array.from(heap.subarray(32, 36)), `pass ${n}`).toEqual(want);
    }
  });

  it('a new job stops the one before: the old helper refuses to finish, the new one works', () => {
    const first = f4Helper(p, copyJob())!;
    const heap = new Float32Array(64);
    first.start(1, heap);
    first.finish(1, heap);
    const second = f4Helper(p, copyJob())!;
    expect(() => first.finish(1, heap)).toThrow(/another job/);
    heap.fill(0, 32, 36);
    second.start(1, heap);
    second.finish(1, heap);
    expect(Array.from(heap.subarray(32, 36))).toEqual([1, 2, 3, 4]);
  });

  it('a pass that throws is reported as failed, and the thread serves the next job', () => {
    const broken = f4Helper(p, copyJob('noSuchExport'))!;
    const heap = new Float32Array(64);
    broken.start(0, heap);
    expect(() => broken.finish(0, heap)).toThrow(/failed/);
    const next = f4Helper(p, copyJob())!;
    expect(next).not.toBeNull();
    heap.fill(0, 32, 36);
    next.start(1, heap);
    next.finish(1, heap);
    expect(Array.from(heap.subarray(32, 36))).toEqual([1, 2, 3, 4]);
  });
});
