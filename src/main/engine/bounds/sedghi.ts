/**
 * Sedghi, Gupta & Long (ICLR 2019), "The Singular Values of Convolutional Layers": with circular padding and
 * stride 1 on n_h x n_w inputs, the singular values of the layer are those of the n_h n_w per-frequency
 * c_in x c_out matrices FFT2(W)[u,v,:,:], so the spectral norm is the largest of their sigma_max.
 *
 * The published method takes a full SVD at every frequency. Here only sigma_max is needed: half the frequencies
 * (conjugate symmetry of a real kernel), Lanczos on the smaller Gram matrix, and racing across frequencies
 * (frequency-lanczos.ts) so most frequencies stop after a few steps. Where WebAssembly SIMD is available (and the
 * larger channel side is a multiple of 4), the DFT and the race first run in float32 over all frequencies
 * (frequency-simd.ts), and only the frequencies within SCREEN_MARGIN of the best are recomputed and raced in
 * float64 — the float64 phase alone gives `value` and `bracket`. `spectrum: true` instead computes every
 * singular value (dense Hermitian eigenvalues of each Gram matrix) for histograms.
 *
 * What 'exact' means here: `value` is a Rayleigh quotient, so it never exceeds the true norm, and it is within
 * `tol` of the Ritz-residual upper estimate (`bracket`) — the convergence test ARPACK uses, which is also how the
 * reference vectors were made for large operators. frequency-lanczos.ts says what that estimate does and does
 * not guarantee; the dense algorithm (and small channel counts, where 'auto' picks it) has no such caveat.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BoundResult, KernelHWIO } from '../../../shared/bounds.js';
import { KernelError, validateKernel } from '../../../shared/bounds.js';
import { kernelToHost } from './host-kernel.js';
import {
  dftScratchFloats, frequencyGram, frequencyMatrices, frequencyMatrices32, frequencyMatrixCount, resolveInputSize, type FrequencyMatrices, type InputSize,
} from './fft2.js';
import { raceTopSingularValue, type RacingResult } from './frequency-lanczos.js';
import { gramHeap, gramSimd, type GramSimd } from './frequency-simd.js';
import { hermitianEigenvalues } from './hermitian-eig.js';

export interface SedghiOptions {
  /** Return all n_h * n_w * min(c_in, c_out) singular values, laid out [u][v][descending] like numpy's svd. */
  spectrum?: boolean;
  /** Relative tolerance on the norm (upper/lower - 1); default 1e-6. */
  tol?: number;
  stride?: 1;
  /** Seed of the Lanczos start vectors (results are reproducible for a given seed). */
  seed?: number;
  /**
   * 'racing' (Lanczos racing), 'dense' (eigenvalues of every Gram matrix), or 'auto' (default): dense when the
   * smaller channel side is at most DENSE_MAX_SIDE, where a Gram matrix is cheaper than a few Lanczos steps.
   */
  algorithm?: 'auto' | 'racing' | 'dense';
}

/** Up to this many rows, forming M M^H and its eigenvalues beats the ~6+ Lanczos products per frequency. */
const DENSE_MAX_SIDE = 8;

export type SedghiResult = BoundResult & {
  spectrum?: Float64Array;
  /** [lower, upper] on the norm: lower is a Rayleigh quotient, upper the Ritz-residual estimate. */
  bracket: [number, number];
  /** A frequency (u, v) where the maximum is attained. */
  frequency: [number, number];
};

export function sedghiExactNorm(kernel: KernelHWIO | tf.Tensor4D, n: InputSize, opts: SedghiOptions = {}): SedghiResult {
  const t0 = performance.now();
  const host = kernelToHost(kernel);
  validateKernel(host, 'sedghiExactNorm');
  const stride = (opts.stride ?? 1) as number;
  if (stride !== 1) {
    throw new KernelError(
      `sedghiExactNorm: the per-frequency decomposition holds for stride 1 only, got stride ${stride}. ` +
        'Use the stride-1 value as an upper bound, or operatorNormEstimate for the strided layer.',
    );
  }
  const tol = opts.tol ?? 1e-6;
  if (!(tol > 0 && tol < 1)) throw new KernelError(`sedghiExactNorm: tol must be in (0, 1), got ${tol}.`);
  if (!['auto', 'racing', 'dense'].includes(opts.algorithm ?? 'auto')) {
    throw new KernelError(`sedghiExactNorm: algorithm must be 'auto', 'racing' or 'dense', got ${String(opts.algorithm)}.`);
  }
  const [nh, nw] = resolveInputSize(host, n, 'sedghiExactNorm');
  const [, , ci, co] = host.shape;
  const rows = Math.min(ci, co);
  const cols = Math.max(ci, co);

  let value: number;
  let bracket: [number, number];
  let iterations: number;
  let spectrum: Float64Array | undefined;
  const algorithm = opts.algorithm ?? 'auto';
  const dense = opts.spectrum || algorithm === 'dense' || (algorithm === 'auto' && rows <= DENSE_MAX_SIDE);
  const simd = !dense && cols % 4 === 0 && heapBytes(rows, cols, host.shape[0], nh, nw) <= SIMD_MAX_BYTES ? gramSimd() : null;
  let frequency: [number, number];
  if (dense) {
    const fm = frequencyMatrices(host, nh, nw, undefined, scratchFor(host, nh, nw));
    const full = denseSpectrum(fm, opts.spectrum === true);
    spectrum = full.values;
    value = full.max;
    bracket = [value, value];
    frequency = [fm.u[full.argmax], fm.v[full.argmax]];
    iterations = 0;
  } else {
    const seed = opts.seed ?? 0x5ed6;
    let race: RacingResult;
    const screened = simd ? tryScreenedRace(host, nh, nw, simd, tol, seed) : null;
    if (screened) {
      ({ race, frequency } = screened);
    } else {
      const fm = frequencyMatrices(host, nh, nw, undefined, scratchFor(host, nh, nw));
      race = raceTopSingularValue(fm, { tol, seed });
      frequency = [fm.u[race.argmax], fm.v[race.argmax]];
    }
    value = race.lower;
    bracket = [race.lower, race.upper];
    iterations = race.maxSteps;
  }
  return {
    method: 'sedghi-exact',
    value,
    kind: 'exact',
    validFor: { padding: 'circular', stride: 1, n },
    iterations,
    timeMs: performance.now() - t0,
    bracket,
    frequency,
    ...(spectrum ? { spectrum } : {}),
  };
}

/**
 * Relative slack on sigma^2 for the float32 screening: its Ritz values differ from the float64 ones by the
 * rounding of M_f (~1e-7 relative) and of float32 dot products of length c (~1e-6 at worst for c = 512), far
 * below this; frequencies within it of the best are all recomputed in float64.
 */
const SCREEN_MARGIN = 1e-4;
/** The WebAssembly heap (kept between calls, like `scratch`) is used up to this size; beyond, float64 JS. */
const SIMD_MAX_BYTES = 2 ** 30;

/** Heap layout: q (2R floats), y (2C), w (2R), the DFT's stage-1 scratch, then the matrices, 64-byte aligned. */
function heapLayout(R: number, C: number, h: number, nw: number): { q: number; y: number; w: number; t: number; m: number } {
  const up = (x: number, a: number) => Math.ceil(x / a) * a;
  const y = up(8 * R, 16);
  const w = y + 8 * C;
  const t = up(w + 8 * R, 64);
  return { q: 0, y, w, t, m: up(t + 4 * dftScratchFloats(h, nw), 64) };
}
function heapBytes(R: number, C: number, h: number, nh: number, nw: number): number {
  return heapLayout(R, C, h, nw).m + frequencyMatrixCount(nh, nw) * 8 * R * C;
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
 * estimate is below the best lower value by more than SCREEN_MARGIN; then the survivors (usually a handful)
 * race again on float64 matrices, which give `value` and `bracket`.
 */
function screenedRace(host: KernelHWIO, nh: number, nw: number, simd: GramSimd, tol: number, seed: number): { race: RacingResult; frequency: [number, number] } {
  const [, , ci, co] = host.shape;
  const R = Math.min(ci, co);
  const C = Math.max(ci, co);
  const h = host.shape[0];
  const L = heapLayout(R, C, h, nw);
  const heap = gramHeap(simd, heapBytes(R, C, h, nh, nw));
  const fm32 = frequencyMatrices32(host, nh, nw, { heap, data: L.m, scratch: L.t, combine: simd.combine });
  const block = 8 * R * C;
  const [q4, w4] = [L.q / 4, L.w / 4];
  const product = (f: number, qr: Float64Array, qi: Float64Array, qo: number, wr: Float64Array, wi: Float64Array): void => {
    for (let r = 0; r < R; r++) {
      heap[q4 + r] = qr[qo + r];
      heap[q4 + R + r] = qi[qo + r];
    }
    simd.gram(L.m + f * block, R, C, L.q, L.y, L.w);
    for (let r = 0; r < R; r++) {
      wr[r] = heap[w4 + r];
      wi[r] = heap[w4 + R + r];
    }
  };
  const screen = raceTopSingularValue({ rows: R, cols: C, count: fm32.count }, { tol, seed, product, margin: SCREEN_MARGIN, reorthogonalize: 'local' });
  const keep = screen.survivors;
  const subset = {
    u: Int32Array.from(keep, (f) => fm32.u[f]),
    v: Int32Array.from(keep, (f) => fm32.v[f]),
    multiplicity: Uint8Array.from(keep, (f) => fm32.multiplicity[f]),
  };
  const fm = frequencyMatrices(host, nh, nw, subset);
  const race = raceTopSingularValue(fm, { tol, seed });
  return { race, frequency: [fm.u[race.argmax], fm.v[race.argmax]] };
}

/**
 * The frequency matrices are only needed during one call, so their buffer is kept for the next call: writing
 * 100+ MB of fresh memory costs ~0.1 s of page faults, a third of the whole computation for ResNet layers.
 * Buffers above SCRATCH_MAX_BYTES are not kept.
 */
const SCRATCH_MAX_BYTES = 2 ** 29;
let scratch: Float64Array | undefined;

function scratchFor(k: KernelHWIO, nh: number, nw: number): Float64Array | undefined {
  const [, , ci, co] = k.shape;
  const need = (Math.floor((nh * nw) / 2) + 2) * 2 * ci * co;
  if (need * 8 > SCRATCH_MAX_BYTES) return undefined;
  if (!scratch || scratch.length < need) scratch = new Float64Array(need);
  return scratch;
}

/**
 * Every singular value: eigenvalues of G_f = M_f M_f^H per frequency (copied to the conjugate partner when
 * `keep`), and the largest.
 */
function denseSpectrum(fm: FrequencyMatrices, keep: boolean): { values?: Float64Array; max: number; argmax: number } {
  const { rows: R, nh, nw } = fm;
  const values = keep ? new Float64Array(nh * nw * R) : undefined;
  const gr = new Float64Array(R * R);
  const gi = new Float64Array(R * R);
  let max = 0;
  let argmax = 0;
  for (let f = 0; f < fm.count; f++) {
    frequencyGram(fm, f, 'rows', gr, gi);
    const ev = hermitianEigenvalues(gr, gi, R);
    if (values) {
      const u = fm.u[f];
      const v = fm.v[f];
      const targets = [u * nw + v, ((nh - u) % nh) * nw + ((nw - v) % nw)];
      for (let j = 0; j < R; j++) {
        const s = Math.sqrt(Math.max(ev[j], 0));
        values[targets[0] * R + j] = s;
        values[targets[1] * R + j] = s;
      }
    }
    const top = Math.sqrt(Math.max(ev[0], 0));
    if (top > max) {
      max = top;
      argmax = f;
    }
  }
  return { values, max, argmax };
}
