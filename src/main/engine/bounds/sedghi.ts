/**
 * Sedghi, Gupta & Long (ICLR 2019), "The Singular Values of Convolutional Layers": with circular padding and
 * stride 1 on n_h x n_w inputs, the singular values of the layer are those of the n_h n_w per-frequency
 * c_in x c_out matrices FFT2(W)[u,v,:,:], so the spectral norm is the largest of their sigma_max.
 *
 * The published method takes a full SVD at every frequency. Here only sigma_max is needed: half the frequencies
 * (conjugate symmetry of a real kernel), Lanczos on the smaller Gram matrix, and racing across frequencies
 * (frequency-lanczos.ts) so most frequencies stop after a few steps. `spectrum: true` instead computes every
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
import { frequencyGram, frequencyMatrices, resolveInputSize, type FrequencyMatrices, type InputSize } from './fft2.js';
import { raceTopSingularValue } from './frequency-lanczos.js';
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
  const fm = frequencyMatrices(host, nh, nw, undefined, scratchFor(host, nh, nw));

  let value: number;
  let bracket: [number, number];
  let argmax: number;
  let iterations: number;
  let spectrum: Float64Array | undefined;
  const algorithm = opts.algorithm ?? 'auto';
  const dense = opts.spectrum || algorithm === 'dense' || (algorithm === 'auto' && fm.rows <= DENSE_MAX_SIDE);
  if (dense) {
    const full = denseSpectrum(fm, opts.spectrum === true);
    spectrum = full.values;
    value = full.max;
    bracket = [value, value];
    argmax = full.argmax;
    iterations = 0;
  } else {
    const race = raceTopSingularValue(fm, { tol, seed: opts.seed ?? 0x5ed6 });
    value = race.lower;
    bracket = [race.lower, race.upper];
    argmax = race.argmax;
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
    frequency: [fm.u[argmax], fm.v[argmax]],
    ...(spectrum ? { spectrum } : {}),
  };
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
