import { describe, expect, it } from 'vitest';
import { F4_MATRICES } from '../../src/shared/bounds.js';
import {
  createHostVectors,
  jsPowerIterate,
  simdBlockWidth,
  simdPowerIterate,
} from '../../src/main/engine/bounds/methods/f4-host.js';
import { createF4SimdPasses, f4SimdPasses, simdHeap } from '../../src/main/engine/bounds/methods/f4-simd.js';
import { relaxedSimdAvailable } from '../../src/main/engine/kernels/index.js';
import type { Shape4 } from '../../src/main/engine/bounds/methods/reshapes.js';
import { copyBlocked } from '../../src/main/engine/bounds/methods/f4-blocks.js';
import { f4Helper } from '../../src/main/engine/bounds/methods/f4-parallel.js';

function weights(shape: Shape4, seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b);
  return Float32Array.from({ length: n }, (_, j) => Math.sin(j * 0.731 + seed) * 0.2);
}

it('the F4 helper thread starts and runs module calls in the shared memory (no silent fallback to one thread)', () => {
  const p = f4SimdPasses()!;
  expect(p.shared).toBe(true);
  // The call copies [1, 2, 3, 4] at float 0 (blockCopy, one row of 4) to float 16, which is added to float 32.
  const heap = simdHeap(p, 1 << 16);
  heap.fill(0, 0, 64);
  heap.set([1, 2, 3, 4], 0);
  const call: [string, number[]] = ['blockCopy', [0, 64, 1, 4, 4]];
  const helper = f4Helper(p, { calls: [[call], [call]], zero: [[16, 4]], sums: [[[16, 32, 4]], [[16, 32, 4]]] });
  expect(helper).not.toBeNull();
  helper!.start(0);
  helper!.finish(0, heap);
  expect(Array.from(heap.subarray(32, 36))).toEqual([1, 2, 3, 4]);
});

it('the SIMD passes compile under Node with fused multiply-adds (relaxed SIMD; the benchmark relies on it)', () => {
  expect(relaxedSimdAvailable()).toBe(true);
  expect(f4SimdPasses()?.fma).toBe(true);
});

// Every test runs on both modules: relaxed_madd rounds once per multiply-add where mul + add round twice.
describe.each([
  ['mul + add', false],
  ['relaxed_madd', true],
])('host engine: WebAssembly SIMD passes (%s)', (_, fma) => {
  const simd = createF4SimdPasses(fma);

  it('compiles and validates under Node', () => {
    expect(simd).not.toBeNull();
  });

  it.each([
    [[7, 5, 3, 64], 64],
    [[3, 3, 10, 200], 112], // the uneven last block of a c_out split
    [[1, 1, 4, 12], 4],
  ] as [Shape4, number][])('blockCopy lays out %j in blocks of %i as copyBlocked does', (shape, width) => {
    const W = weights(shape, 1);
    const n = W.length;
    const heap = simdHeap(simd!, 8 * n + 64);
    heap.set(W, n + 4);
    simd!.blockCopy(4 * (n + 4), 0, n / shape[3], shape[3], width);
    const expected = new Float32Array(n);
    copyBlocked(W, expected, 0, shape[3], width, true);
    expect(Array.from(heap.subarray(0, n))).toEqual(Array.from(expected));
  });

  // c_out 16 / 8 / 4 select the unroll factors 4 / 2 / 1; odd c_in and 1x1 / non-square taps included.
  it.each([[[3, 3, 5, 16]], [[3, 3, 4, 8]], [[2, 3, 3, 4]], [[1, 1, 7, 32]], [[5, 1, 2, 12]]] as [Shape4][])(
    'agree with the JS passes for %j',
    (shape) => {
      const W = weights(shape, shape[3]);
      const a = createHostVectors(shape, 3);
      const b = createHostVectors(shape, 3);
      jsPowerIterate(W, shape, a, 25);
      simdPowerIterate(simd!, W, shape, b, 25);
      for (const X of F4_MATRICES) {
        expect(Math.abs(a.sigma[X] - b.sigma[X]) / a.sigma[X], X).toBeLessThan(1e-5);
        let dot = 0;
        for (let j = 0; j < a.u[X].length; j++) dot += a.u[X][j] * b.u[X][j];
        expect(dot, X).toBeGreaterThan(1 - 1e-4);
      }
    },
  );

  it('blocks long runs into L2-sized c_out blocks that divide c_out; one block for a training step', () => {
    expect(simdBlockWidth(512, false, 3 * 3 * 512, 50)).toBe(64); // 1.2 MB blocks, the 64-column floor
    expect(simdBlockWidth(256, false, 3 * 3 * 256, 50)).toBe(64);
    expect(simdBlockWidth(192, true, 5 * 5 * 100, 20)).toBe(96);
    expect(simdBlockWidth(320, true, 3 * 3 * 400, 20)).toBe(64);
    expect(simdBlockWidth(64, false, 3 * 3 * 64, 50)).toBe(64); // fits in L2 whole
    expect(simdBlockWidth(64, true, 3 * 3 * 64, 50)).toBe(32); // split in two
    expect(simdBlockWidth(512, false, 3 * 3 * 512, 1)).toBe(512); // one step: one piece
  });

  // The c_out split of f4-parallel.ts: both halves on this thread, then the second on the helper thread.
  it.each([
    [[3, 3, 5, 16], false],
    [[2, 3, 3, 12], false],
    [[3, 3, 6, 64], true],
    [[1, 1, 7, 12], true],
    // L2-sized blocks (simdBlockWidth): 2 blocks of 96, 4 of 64 (two per thread), 5 of 64 (three and two).
    [[5, 5, 100, 192], true],
    [[3, 3, 256, 256], true],
    [[3, 3, 256, 256], false],
    [[3, 3, 400, 320], true],
  ] as [Shape4, boolean][])(
    'split into c_out blocks agrees with the JS passes for %j (threads %s)',
    (shape, threads) => {
      const W = weights(shape, 2);
      const a = createHostVectors(shape, 5);
      const b = createHostVectors(shape, 5);
      jsPowerIterate(W, shape, a, 20);
      simdPowerIterate(simd!, W, shape, b, 20, { split: true, threads });
      for (const X of F4_MATRICES) {
        expect(Math.abs(a.sigma[X] - b.sigma[X]) / a.sigma[X], X).toBeLessThan(1e-5);
        for (const side of ['u', 'v'] as const) {
          let dot = 0;
          for (let j = 0; j < a[side][X].length; j++) dot += a[side][X][j] * b[side][X][j];
          expect(dot, `${side} ${X}`).toBeGreaterThan(1 - 1e-4);
        }
      }
    },
  );

  it.each([false, true])(
    'a zero kernel split into c_out blocks (threads %s) gives sigma 0 and the start vectors',
    (threads) => {
      const shape: Shape4 = [3, 3, 2, 16];
      const vecs = createHostVectors(shape, 1);
      const u = vecs.u.U.slice();
      const v = vecs.v.T.slice();
      simdPowerIterate(simd!, new Float32Array(3 * 3 * 2 * 16), shape, vecs, 3, { split: true, threads });
      for (const X of F4_MATRICES) expect(vecs.sigma[X]).toBe(0);
      u.forEach((x, j) => expect(vecs.u.U[j]).toBeCloseTo(x, 6));
      v.forEach((x, j) => expect(vecs.v.T[j]).toBeCloseTo(x, 6));
    },
  );

  it('a zero kernel gives sigma 0 and keeps finite unit vectors', () => {
    const shape: Shape4 = [3, 3, 2, 8];
    const vecs = createHostVectors(shape, 1);
    const before = vecs.u.R.slice();
    simdPowerIterate(simd!, new Float32Array(3 * 3 * 2 * 8), shape, vecs, 3);
    for (const X of F4_MATRICES) expect(vecs.sigma[X]).toBe(0);
    // The vectors the call started with (up to their float32 rounding inside the module).
    before.forEach((x, j) => expect(vecs.u.R[j]).toBeCloseTo(x, 6));
  });
});
