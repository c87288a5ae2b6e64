/**
 * Sedghi, Gupta & Long (ICLR 2019), "The Singular Values of Convolutional Layers": with circular padding and
 * stride 1 on n_h x n_w inputs, the singular values of the layer are those of the n_h n_w per-frequency
 * c_in x c_out matrices FFT2(W)[u,v,:,:], so the spectral norm is the largest of their sigma_max.
 *
 * The published method takes a full SVD at every frequency. Here only sigma_max is needed: half the frequencies
 * (conjugate symmetry of a real kernel), Lanczos on the smaller Gram matrix, and racing across frequencies
 * (frequency-lanczos.ts) so most frequencies stop after a few steps. Where WebAssembly SIMD is available (and the
 * larger channel side is a multiple of 4), the DFT and the race first run in float32 over all frequencies
 * (frequency-simd.ts, frequency-screen.ts), and only the frequencies within SCREEN_MARGIN of the best are
 * recomputed and raced in float64, started from their float32 top Ritz vectors — the float64 phase alone gives
 * `value` and `bracket`. Few channels on the smaller side (the dense algorithm) take the Gram matrices straight
 * from the kernel's cross-correlations (correlation-gram.ts). `spectrum: true` instead computes every singular
 * value (dense Hermitian eigenvalues of each Gram matrix) for histograms.
 *
 * What 'exact' means here: `value` is a Rayleigh quotient, so it never exceeds the true norm, and it is within
 * `tol` of the Ritz-residual upper estimate (`bracket`) — the convergence test ARPACK uses, which is also how the
 * reference vectors were made for large operators. frequency-lanczos.ts says what that estimate does and does
 * not guarantee; the dense algorithm (and small channel counts, where 'auto' picks it) has no such caveat.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BoundResult, KernelHWIO } from '../../../../shared/bounds.js';
import { KernelError, validateKernel } from '../../../../shared/bounds.js';
import { kernelToHost } from '../numerics/host-kernel.js';
import {
  dftScratchFloats,
  frequencyGram,
  frequencyMatrices,
  frequencyMatrices32,
  frequencyMatrixCount,
  halfSpectrumFrequencies,
  resolveInputSize,
  type InputSize,
} from '../numerics/fft2.js';
import { correlationGramCost, correlationTaps, formGramCost, forEachCorrelationGram } from './correlation-gram.js';
import { raceTopSingularValue, type RacingOptions, type RacingResult } from './frequency-lanczos.js';
import { gramHeap, gramSimd, type GramSimd } from './frequency-simd.js';
import { screenRace, screenVectorFloats } from './frequency-screen.js';
import { subsetFrequencyMatrices } from './frequency-subset.js';
import { hermitianEigenvalues } from '../numerics/hermitian-eig.js';

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

/**
 * ||A||_2 of the circular convolution A with kernel W on n_h x n_w inputs, stride 1 (Sedghi et al. 2019):
 *   1. the 2-D DFT block-diagonalises A, block (u, v) being K(u,v) = sum_{k,l} W[k,l] e^{-2 pi i (u k/n_h + v l/n_w)};
 *   2. so the singular values of A are those of the K(u,v) (Theorem 6), and ||A||_2 = max_{u,v} sigma_max(K(u,v)).
 * The paper takes an SVD of every K(u,v): everySingularValue (for `spectrum`, or few channels). The norm alone
 * comes from largestOverFrequencies, the fast path beneath.
 */
export function sedghiExactNorm(
  kernel: KernelHWIO | tf.Tensor4D,
  n: InputSize,
  opts: SedghiOptions = {},
): SedghiResult {
  const t0 = performance.now();
  const host = kernelToHost(kernel);
  const { nh, nw, tol, dense } = checkedOptions(host, n, opts);
  const max = dense
    ? everySingularValue(host, nh, nw, opts.spectrum === true)
    : largestOverFrequencies(host, nh, nw, tol, opts.seed ?? 0x5ed6);
  return {
    method: 'sedghi-exact',
    value: max.value,
    kind: 'exact',
    validFor: { padding: 'circular', stride: 1, n },
    iterations: max.iterations,
    timeMs: performance.now() - t0,
    bracket: max.bracket,
    frequency: max.frequency,
    ...(max.spectrum ? { spectrum: max.spectrum } : {}),
  };
}

/** max_{u,v} sigma_max(K(u,v)), where it is attained, and how it was found. */
interface FrequencyMaximum {
  value: number;
  bracket: [number, number];
  frequency: [number, number];
  /** Most Lanczos steps of any frequency (0 for the dense algorithm). */
  iterations: number;
  spectrum?: Float64Array;
}

function checkedOptions(
  host: KernelHWIO,
  n: InputSize,
  opts: SedghiOptions,
): { nh: number; nw: number; tol: number; dense: boolean } {
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
  const algorithm = opts.algorithm ?? 'auto';
  if (!['auto', 'racing', 'dense'].includes(algorithm)) {
    throw new KernelError(
      `sedghiExactNorm: algorithm must be 'auto', 'racing' or 'dense', got ${String(opts.algorithm)}.`,
    );
  }
  const [nh, nw] = resolveInputSize(host, n, 'sedghiExactNorm');
  const rows = Math.min(host.shape[2], host.shape[3]);
  const dense = opts.spectrum === true || algorithm === 'dense' || (algorithm === 'auto' && rows <= DENSE_MAX_SIDE);
  return { nh, nw, tol, dense };
}

/** The paper's method: every singular value of every K(u,v) (denseSpectrum), their largest the norm. */
function everySingularValue(host: KernelHWIO, nh: number, nw: number, keep: boolean): FrequencyMaximum {
  const full = denseSpectrum(host, nh, nw, keep);
  return {
    value: full.max,
    bracket: [full.max, full.max],
    frequency: full.frequency,
    iterations: 0,
    spectrum: full.values,
  };
}

/**
 * The fast path: sigma_max only, by Lanczos racing across the frequencies (frequency-lanczos.ts) — first in
 * float32 SIMD over all of them (screenedRace) where the larger channel side is a multiple of 4 and the heap
 * fits, else in float64 JavaScript.
 */
function largestOverFrequencies(host: KernelHWIO, nh: number, nw: number, tol: number, seed: number): FrequencyMaximum {
  const [, , ci, co] = host.shape;
  const [rows, cols] = [Math.min(ci, co), Math.max(ci, co)];
  const simd = cols % 4 === 0 && heapBytes(rows, cols, host.shape, nh, nw) <= SIMD_MAX_BYTES ? gramSimd() : null;
  const screened = simd ? tryScreenedRace(host, nh, nw, simd, tol, seed) : null;
  let race: RacingResult;
  let frequency: [number, number];
  if (screened) {
    ({ race, frequency } = screened);
  } else {
    const fm = frequencyMatrices(host, nh, nw, undefined, scratchFor(host, nh, nw));
    race = raceTopSingularValue(fm, { tol, seed });
    frequency = [fm.u[race.argmax], fm.v[race.argmax]];
  }
  return { value: race.lower, bracket: [race.lower, race.upper], frequency, iterations: race.maxSteps };
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
 * Heap layout (bytes): y (2C floats, the product's scratch), w (2R) and the step's [alpha, |w|^2], the DFT's
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
  const t = up(w + 8 * R + 16, 64);
  const v = up(t + 4 * dftScratchFloats(shape, nw), 64);
  return { y: 0, w, t, v, m: up(v + 4 * screenVectorFloats(R, frequencyMatrixCount(nh, nw)), 64) };
}
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
  const block = 8 * R * C;
  const screen = screenRace(
    {
      rows: R,
      count: fm32.count,
      heap,
      vectors: L.v,
      w: L.w,
      out: L.w + 8 * R,
      product: (f, q, w) => simd.gram(L.m + f * block, R, C, q, L.y, w),
      ...(R % 4 === 0
        ? {
            fusedStep: (f: number, qc: number, qp: number, first: boolean) =>
              simd.step(L.m + f * block, R, C, qc, qp, L.y, L.w, first ? 1 : 0, L.w + 8 * R),
          }
        : {}),
    },
    { tol, seed, margin: SCREEN_MARGIN },
  );
  const keep = screen.survivors;
  // Top Ritz vectors of the survivors in float32 (a random-start race with the full basis, as the float64 one
  // would run), so that the float64 race only polishes them: ~6 float64 products instead of ~25 at R = 512.
  const [q4, w4] = [L.v / 4, L.w / 4];
  const product = (
    i: number,
    qr: Float64Array,
    qi: Float64Array,
    qo: number,
    wr: Float64Array,
    wi: Float64Array,
  ): void => {
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
  const warm = raceTopSingularValue(
    { rows: R, cols: C, count: keep.length },
    { tol, seed, product, margin: SCREEN_MARGIN, ritzVectors: true },
  );
  const subset = {
    u: Int32Array.from(keep, (f) => fm32.u[f]),
    v: Int32Array.from(keep, (f) => fm32.v[f]),
    multiplicity: Uint8Array.from(keep, (f) => fm32.multiplicity[f]),
  };
  // The float64 matrices of the survivors go where the float32 ones were (no longer needed) when they fit, so
  // the float64 products run as f64x2 SIMD (gram64) — the same sums in another order, still float64.
  const need64 = keep.length * 2 * R * C + 4 * R + 2 * C;
  const fits = need64 * 8 <= fm32.count * block;
  const heap64 = fits ? new Float64Array(heap.buffer, L.m, need64) : undefined;
  const fm = subsetFrequencyMatrices(host, nh, nw, subset, heap64);
  let product64: RacingOptions['product'];
  if (heap64) {
    const [q8, y8, w8] = [
      keep.length * 2 * R * C,
      keep.length * 2 * R * C + 2 * R,
      keep.length * 2 * R * C + 2 * R + 2 * C,
    ];
    product64 = (i, qr, qi, qo, wr, wi) => {
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
  const race = raceTopSingularValue(fm, {
    tol,
    seed,
    startVectors: warm.ritz,
    ...(product64 ? { product: product64 } : {}),
  });
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
 * Every singular value: eigenvalues of G_f = M_f M_f^H per frequency of the half spectrum (copied to the conjugate
 * partner when `keep`), and the largest. G_f comes from the kernel's cross-correlations (correlation-gram.ts) when
 * that is cheaper — few channels on the smaller side, e.g. the 3-channel stem conv — else from M_f.
 */
function denseSpectrum(
  host: KernelHWIO,
  nh: number,
  nw: number,
  keep: boolean,
): { values?: Float64Array; max: number; frequency: [number, number] } {
  const set = halfSpectrumFrequencies(nh, nw);
  const R = Math.min(host.shape[2], host.shape[3]);
  const values = keep ? new Float64Array(nh * nw * R) : undefined;
  let max = 0;
  let argmax = 0;
  const visit = (f: number, gr: Float64Array, gi: Float64Array): void => {
    // Only the norm wanted: Gershgorin, lambda_max(G) <= max_a sum_b |G_ab|, skips the eigenvalues of every
    // frequency that cannot beat the best so far (G is Hermitian PSD).
    if (!values && max > 0 && gershgorin(gr, gi, R) < max * max) return;
    const ev = hermitianEigenvalues(gr, gi, R);
    if (values) {
      const u = set.u[f];
      const v = set.v[f];
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
  };
  if (correlationGramCost(host.shape, set.u.length) < formGramCost(host.shape, set.u.length)) {
    forEachCorrelationGram(correlationTaps(host), nh, nw, set, visit);
  } else {
    const fm = frequencyMatrices(host, nh, nw, set, scratchFor(host, nh, nw));
    const gr = new Float64Array(R * R);
    const gi = new Float64Array(R * R);
    for (let f = 0; f < fm.count; f++) {
      frequencyGram(fm, f, 'rows', gr, gi);
      visit(f, gr, gi);
    }
  }
  return { values, max, frequency: [set.u[argmax], set.v[argmax]] };
}

function gershgorin(re: Float64Array, im: Float64Array, R: number): number {
  let bound = 0;
  for (let a = 0; a < R; a++) {
    let s = 0;
    for (let b = 0; b < R; b++) s += Math.hypot(re[a * R + b], im[a * R + b]);
    bound = Math.max(bound, s);
  }
  return bound;
}
