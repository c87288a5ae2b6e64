/**
 * The exact circular norm's fast path where WebAssembly SIMD is available (sedghi.ts): the DFT and a race over
 * all frequencies in float32 in the heap (frequency-simd.ts, frequency-screen.ts), then only the frequencies
 * within SCREEN_MARGIN of the best recomputed and raced in float64 (frequency-lanczos.ts), started from their
 * float32 top Ritz vectors; the float64 race alone gives the value and its bracket.
 */
import type { KernelHWIO } from '../../../../shared/bounds.js';
import { dftScratchFloats, frequencyMatrices32, frequencyMatrixCount } from '../numerics/fft2.js';
import { raceTopSingularValue, type RacingOptions, type RacingResult } from './frequency-lanczos.js';
import { gramHeap, gramSimd, type GramSimd } from './frequency-simd.js';
import { FUSED_STEPS_MAX, screenRace, screenVectorFloats } from './frequency-screen.js';
import { subsetFrequencyMatrices } from './frequency-subset.js';

/**
 * sigma_max over the frequencies by screenedRace where the larger channel side is a multiple of 4 and the heap
 * fits; null otherwise (or when the heap cannot grow), and the caller races in float64 JavaScript.
 */
export function screenedMaximum(
  host: KernelHWIO,
  nh: number,
  nw: number,
  tol: number,
  seed: number,
): { race: RacingResult; frequency: [number, number] } | null {
  const [, , ci, co] = host.shape;
  const [rows, cols] = [Math.min(ci, co), Math.max(ci, co)];
  const simd = cols % 4 === 0 && heapBytes(rows, cols, host.shape, nh, nw) <= SIMD_MAX_BYTES ? gramSimd() : null;
  return simd ? tryScreenedRace(host, nh, nw, simd, tol, seed) : null;
}

/**
 * Relative slack on sigma^2 for the float32 screening: its Ritz values differ from the float64 ones by the
 * rounding of M_f (~1e-7 relative) and of float32 dot products of length c (~1e-6 at worst for c = 512), far
 * below this; frequencies within it of the best are all recomputed in float64.
 */
const SCREEN_MARGIN = 1e-4;
/** The WebAssembly heap (kept between calls, like `scratch`) is used up to this size; beyond, float64 JS. */
const SIMD_MAX_BYTES = 2 ** 30;

/**
 * Heap layout (bytes): y (2C floats, the product's scratch), w (2R) and the steps' [alpha, |w|^2] pairs, the DFT's
 * scratch (fft2.ts), the screening's Lanczos vectors (frequency-screen.ts), then the matrices, 64-byte aligned.
 */
function heapLayout(
  R: number,
  C: number,
  shape: readonly number[],
  nh: number,
  nw: number,
): { y: number; w: number; t: number; v: number; m: number } {
  const up = (x: number, a: number) => Math.ceil(x / a) * a;
  const w = 8 * C;
  const t = up(w + 8 * R + 8 * FUSED_STEPS_MAX, 64);
  const v = up(t + 4 * dftScratchFloats(shape, nw), 64);
  return { y: 0, w, t, v, m: up(v + 4 * screenVectorFloats(R, frequencyMatrixCount(nh, nw)), 64) };
}
type HeapLayout = ReturnType<typeof heapLayout>;
function heapBytes(R: number, C: number, shape: readonly number[], nh: number, nw: number): number {
  return heapLayout(R, C, shape, nh, nw).m + frequencyMatrixCount(nh, nw) * 8 * R * C;
}

/** screenedRace, or null when the heap cannot grow (the caller then runs the float64 race in JS). */
function tryScreenedRace(...args: Parameters<typeof screenedRace>): ReturnType<typeof screenedRace> | null {
  try {
    return screenedRace(...args);
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

/**
 * Racing in two phases: all frequencies in float32 SIMD (frequency-simd.ts), ruling out only those whose upper
 * estimate is below the best lower value by more than SCREEN_MARGIN; then the survivors (usually one or two)
 * race again on float64 matrices, which give `value` and `bracket`.
 */
function screenedRace(
  host: KernelHWIO,
  nh: number,
  nw: number,
  simd: GramSimd,
  tol: number,
  seed: number,
): { race: RacingResult; frequency: [number, number] } {
  const [, , ci, co] = host.shape;
  const R = Math.min(ci, co);
  const C = Math.max(ci, co);
  const L = heapLayout(R, C, host.shape, nh, nw);
  const heap = gramHeap(simd, heapBytes(R, C, host.shape, nh, nw));
  const fm32 = frequencyMatrices32(host, nh, nw, {
    heap,
    data: L.m,
    scratch: L.t,
    combine: simd.combine,
    taps: simd.taps,
  });
  const keep = screenFloat32(simd, heap, L, R, C, fm32.count, tol, seed).survivors;
  // Top Ritz vectors of the survivors in float32 (a random-start race with the full basis, as the float64 one
  // would run), so that the float64 race only polishes them: ~6 float64 products instead of ~25 at R = 512.
  const warm = raceTopSingularValue(
    { rows: R, cols: C, count: keep.length },
    { tol, seed, product: float32Product(simd, heap, L, R, C, keep), margin: SCREEN_MARGIN, ritzVectors: true },
  );
  const subset = {
    u: Int32Array.from(keep, (f) => fm32.u[f]),
    v: Int32Array.from(keep, (f) => fm32.v[f]),
    multiplicity: Uint8Array.from(keep, (f) => fm32.multiplicity[f]),
  };
  // The float64 matrices of the survivors go where the float32 ones were (no longer needed) when they fit, so
  // the float64 products run as f64x2 SIMD (gram64) — the same sums in another order, still float64.
  const need64 = keep.length * 2 * R * C + 4 * R + 2 * C;
  const fits = need64 * 8 <= fm32.count * 8 * R * C;
  const heap64 = fits ? new Float64Array(heap.buffer, L.m, need64) : undefined;
  const fm = subsetFrequencyMatrices(host, nh, nw, subset, heap64);
  const product64 = heap64 ? float64Product(simd, heap64, L, R, C, keep.length) : undefined;
  const race = raceTopSingularValue(fm, {
    tol,
    seed,
    startVectors: warm.ritz,
    ...(product64 ? { product: product64 } : {}),
  });
  return { race, frequency: [fm.u[race.argmax], fm.v[race.argmax]] };
}

/** Phase 1: every frequency raced in float32 in the heap (frequency-screen.ts), with fused steps when R % 4 = 0. */
function screenFloat32(
  simd: GramSimd,
  heap: Float32Array,
  L: HeapLayout,
  R: number,
  C: number,
  count: number,
  tol: number,
  seed: number,
): ReturnType<typeof screenRace> {
  const block = 8 * R * C;
  return screenRace(
    {
      rows: R,
      count,
      heap,
      vectors: L.v,
      w: L.w,
      out: L.w + 8 * R,
      product: (f, q, w) => simd.gram(L.m + f * block, R, C, q, L.y, w),
      ...(R % 4 === 0
        ? {
            fusedSteps: (f: number, q0: number, q1: number, first: boolean, n: number) =>
              simd.steps(L.m + f * block, R, C, q0, q1, L.y, L.w, first ? 1 : 0, L.w + 8 * R, n),
          }
        : {}),
    },
    { tol, seed, margin: SCREEN_MARGIN },
  );
}

/** The race's product on survivor i's float32 matrix (keep[i]): q copied into the heap, w copied out. */
function float32Product(
  simd: GramSimd,
  heap: Float32Array,
  L: HeapLayout,
  R: number,
  C: number,
  keep: number[],
): NonNullable<RacingOptions['product']> {
  const block = 8 * R * C;
  const [q4, w4] = [L.v / 4, L.w / 4];
  return (i: number, qr: Float64Array, qi: Float64Array, qo: number, wr: Float64Array, wi: Float64Array): void => {
    for (let r = 0; r < R; r++) {
      heap[q4 + r] = qr[qo + r];
      heap[q4 + R + r] = qi[qo + r];
    }
    simd.gram(L.m + keep[i] * block, R, C, L.v, L.y, L.w);
    for (let r = 0; r < R; r++) {
      wr[r] = heap[w4 + r];
      wi[r] = heap[w4 + R + r];
    }
  };
}

/**
 * The race's product on the `count` survivors' float64 matrices in the heap (heap64, at L.m): f64x2 SIMD
 * (gram64), with q, y and w right after the matrices.
 */
function float64Product(
  simd: GramSimd,
  heap64: Float64Array,
  L: HeapLayout,
  R: number,
  C: number,
  count: number,
): NonNullable<RacingOptions['product']> {
  const [q8, y8, w8] = [count * 2 * R * C, count * 2 * R * C + 2 * R, count * 2 * R * C + 2 * R + 2 * C];
  return (i, qr, qi, qo, wr, wi) => {
    for (let r = 0; r < R; r++) {
      heap64[q8 + r] = qr[qo + r];
      heap64[q8 + R + r] = qi[qo + r];
    }
    simd.gram64(L.m + i * 16 * R * C, R, C, L.m + 8 * q8, L.m + 8 * y8, L.m + 8 * w8);
    for (let r = 0; r < R; r++) {
      wr[r] = heap64[w8 + r];
      wi[r] = heap64[w8 + R + r];
    }
  };
}
