/**
 * Sedghi, Gupta & Long (ICLR 2019), "The Singular Values of Convolutional Layers": with circular padding and
 * stride 1 on n_h x n_w inputs, the singular values of the layer are those of the n_h n_w per-frequency
 * c_in x c_out matrices FFT2(W)[u,v,:,:], so the spectral norm is the largest of their sigma_max.
 *
 * The published method takes a full SVD at every frequency. Here only sigma_max is needed: half the frequencies
 * (conjugate symmetry of a real kernel), Lanczos on the smaller Gram matrix, and racing across frequencies
 * (frequency-lanczos.ts) so most frequencies stop after a few steps. Where WebAssembly SIMD is available (and the
 * larger channel side is a multiple of 4), the DFT and the race first run in float32 over all frequencies
 * (sedghi-screened.ts, with frequency-simd.ts and frequency-screen.ts), and only the frequencies within
 * SCREEN_MARGIN of the best are recomputed and raced in float64, started from their float32 top Ritz vectors —
 * the float64 phase alone gives `value` and `bracket`. Few channels on the smaller side (the dense algorithm) take the Gram matrices straight
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
// The matrices are dropped before each call returns: their buffer is kept for the next (reusableFrequencyBuffer).
import { frequencyMatrices, resolveInputSize, reusableFrequencyBuffer, type InputSize } from '../numerics/fft2.js';
import { halfSpectrumFrequencies } from '../numerics/frequency-set.js';
import { frequencyGram } from '../numerics/frequency-gram.js';
import { correlationGramCost, correlationTaps, formGramCost, forEachCorrelationGram } from './correlation-gram.js';
import { raceTopSingularValue, type RacingResult } from './frequency-lanczos.js';
import { screenedMaximum } from './sedghi-screened.js';
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
  const screened = screenedMaximum(host, nh, nw, tol, seed);
  let race: RacingResult;
  let frequency: [number, number];
  if (screened) {
    ({ race, frequency } = screened);
  } else {
    const fm = frequencyMatrices(host, nh, nw, undefined, reusableFrequencyBuffer(host, nh, nw));
    race = raceTopSingularValue(fm, { tol, seed });
    frequency = [fm.u[race.argmax], fm.v[race.argmax]];
  }
  return { value: race.lower, bracket: [race.lower, race.upper], frequency, iterations: race.maxSteps };
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
    const fm = frequencyMatrices(host, nh, nw, set, reusableFrequencyBuffer(host, nh, nw));
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
