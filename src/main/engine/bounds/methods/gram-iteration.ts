/**
 * Delattre, Barthélemy, Araujo & Allauzen (ICML 2023), "Efficient Bound of Lipschitz Constant for Convolutional
 * Layers by Gram Iteration": an upper bound on the circular norm at n that converges super-linearly to it.
 *
 * Per frequency matrix M (Sedghi et al.'s block-diagonalisation, half the spectrum: a real kernel's frequency
 * (-u, -v) has the conjugate matrix, same singular values), t times: X <- X X^H (Hermitian: half the products),
 * rescaled to keep 2^t-th powers in range. Since sigma_max(M)^(2^t) = ||X_t||_2 <= ||X_t||_F, and
 * ||X_t||_F^(2^-t) is the Schatten norm ||M||_{S_p}, p = 2^(t+1), the layer's bound is max_f ||M_f||_{S_p}.
 * (Using M M^H instead of the paper's M^H M changes nothing: same non-zero eigenvalues.)
 *
 * Every value is a guaranteed upper bound with every rounding accounted for (gramEnclosure), whether the squares
 * run in float64 JavaScript or float32 WebAssembly SIMD (gram-simd.ts), and frequencies are pruned (prune below).
 */
import * as tf from '@tensorflow/tfjs';
import type { BoundResult, KernelHWIO } from '../../../../shared/bounds.js';
import { KernelError, validateKernel } from '../../../../shared/bounds.js';
import { kernelToHost } from '../numerics/host-kernel.js';
import {
  frequencyMatrices,
  frequencyMatrixCount,
  resolveInputSize,
  reusableFrequencyBuffer,
  type FrequencyMatrices,
  type InputSize,
} from '../numerics/fft2.js';
import { rowGram } from '../numerics/frequency-gram.js';
import type { FrequencySet } from '../numerics/frequency-set.js';
import { float32Squares, hostSumSquares } from './gram-simd.js';
import { ENCLOSURE_SLACK, gamma, sumUpper, U64 } from '../numerics/rounding.js';

export type GramPrecision = 'float32' | 'float64';

export interface GramIterationOptions {
  /**
   * Arithmetic of the squares: 'auto' (default) takes float32 WebAssembly SIMD where it runs and the matrices have
   * at least 32 rows (smaller ones are cheap in float64 and would gain nothing), else float64.
   */
  precision?: GramPrecision | 'auto';
  /** Stop a frequency once its bound is at most the layer's running maximum (default true; the value is the same). */
  prune?: boolean;
}

export type GramIterationResult = BoundResult & {
  /** The bound after 1, 2, ..., t iterations (non-increasing; the last is `value`). */
  perIteration: number[];
  precision: GramPrecision;
  /** Squaring steps run, summed over the frequencies, and what they would be without pruning (frequencies x t). */
  stepsRun: number;
  stepsFull: number;
};

/**
 * One frequency's matrix and its squares in some arithmetic, with what gramEnclosure needs to know of its rounding.
 * load(f, s) takes M_f * s (s a power of two) as the current matrix; square() replaces the current X by fl(X X^H);
 * rescale(s) multiplies it by a power of two; sumSquares() is its squared Frobenius norm summed in float64.
 */
export interface GramSquarer {
  /** Unit roundoff of the squares' arithmetic. */
  unit: number;
  /** k and c with ||fl(X X^H) - X X^H||_F <= c gamma_k ||X||_F^2 (c = errorFactor, k = chain(columns of X)). */
  chain: (cols: number) => number;
  errorFactor: number;
  /** How many chains of chain(cols) operations feed one part of fl(X X^H) (for the underflow allowance). */
  underflowChains: number;
  /** Absolute error allowance of one operation near underflow (the smallest subnormal). */
  underflow: number;
  /** Whether load() rounds the float64 matrix (to float32). */
  loadRounds: boolean;
  /** ||fl64(M_f)||_F^2 summed in float64 (any order: sumUpper bounds it). */
  frequencySumSquares(f: number): number;
  load(f: number, scale: number): void;
  sumSquares(): number;
  square(): void;
  rescale(scale: number): void;
}

export function checkIterations(iterations: number, label: string): void {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 30) {
    throw new KernelError(`${label}: iterations must be an integer in [1, 30], got ${iterations}.`);
  }
}

export function gramIterationBound(
  kernel: KernelHWIO | tf.Tensor4D,
  n: InputSize,
  iterations = 6,
  opts: GramIterationOptions = {},
): GramIterationResult {
  const t0 = performance.now();
  const { fm, run } = runFrequencies(kernel, n, iterations, opts, 'gramIterationBound', opts.prune === false ? -1 : 1);
  const { perIteration, stepsRun, precision } = run;
  return {
    method: 'gram-iteration',
    value: perIteration[iterations - 1],
    kind: 'upper bound',
    validFor: { padding: 'circular', stride: 1, n },
    iterations,
    timeMs: performance.now() - t0,
    perIteration,
    precision,
    stepsRun,
    stepsFull: fm.count * iterations,
  };
}

/**
 * The frequencies (of the half spectrum, fft2.halfSpectrumFrequencies) whose t-iteration bound is at least
 * (1 - rel) times the layer's: the only ones the maximum can come from. Every other frequency g has
 * V_g(t) < (1 - rel) max_f V_f(t), since it either completed below that or was pruned at a step i with
 * V_g(t) <= V_g(i) <= (1 - rel) R <= (1 - rel) max (the pruning argument of runFrequencies with R scaled by
 * 1 - rel, which prunes harder and changes no value). Used by the Gram regulariser (engine/train/regularizer.ts).
 */
export function gramLeadingFrequencies(
  kernel: KernelHWIO,
  n: InputSize,
  iterations: number,
  rel: number,
): FrequencySet {
  // Float32 squares from 8 rows (its enclosure is as rigorous, and only a 1 - rel margin is needed): twice as fast
  // as float64 JavaScript on mnist-cnn's 16 -> 32 layer.
  const precision = Math.min(kernel.shape[2], kernel.shape[3]) >= 8 ? 'float32' : 'float64';
  const { fm, run } = runFrequencies(kernel, n, iterations, { precision }, 'gramLeadingFrequencies', 1 - rel);
  const top = run.perIteration[iterations - 1];
  const keep = Array.from(run.finals.keys()).filter((f) => run.finals[f] >= (1 - rel) * top);
  return {
    u: Int32Array.from(keep, (f) => fm.u[f]),
    v: Int32Array.from(keep, (f) => fm.v[f]),
    multiplicity: Uint8Array.from(keep, (f) => fm.multiplicity[f]),
  };
}

/**
 * Every frequency's bounds V_f(1..t), folded into perIteration (max over f per step), and V_f(t) in finals (NaN where
 * pruned). Pruning (keep > 0): frequencies run in decreasing order of ||M_f||_F, and frequency f stops at step i once
 * V_f(i) = min_{j<=i} bound_f(j) <= keep * R, R the largest V_g(t) of the frequencies completed so far (keep <= 1).
 * Why perIteration is unchanged: the bounds are non-increasing in i by construction (V is a running minimum), so
 * V_f(t) <= V_f(i) <= R <= max_g V_g(t): f cannot raise the layer's maximum; and for every later step k > i,
 * V_f(k) <= R <= the completed frequency's V_g(k), so no perIteration entry changes either.
 */
function runFrequencies(
  kernel: KernelHWIO | tf.Tensor4D,
  n: InputSize,
  iterations: number,
  opts: GramIterationOptions,
  label: string,
  keep: number,
) {
  const host = kernelToHost(kernel);
  validateKernel(host, label);
  checkIterations(iterations, label);
  const [nh, nw] = resolveInputSize(host, n, label);
  const { fm, squarer, precision } = pickSquarer(host, nh, nw, opts.precision ?? 'auto');
  const dftError = dftErrorBound(host);
  const perIteration = new Array<number>(iterations).fill(0);
  const finals = new Float64Array(fm.count).fill(NaN);
  let runningMax = 0;
  let stepsRun = 0;
  // ||M_f||_F^2 (= ||M_f||_{S_2}^2, the bound of "iteration 0"): the scale gramEnclosure starts from, and the order
  // pruning runs the frequencies in (decreasing).
  const fro2 = Float64Array.from(fm.u, (_, f) => squarer.frequencySumSquares(f));
  for (const f of keep > 0 ? frequencyOrder(fro2) : fm.u.map((_, f) => f)) {
    const bounds = frequencyBounds(squarer, fm, f, fro2[f], iterations, dftError, keep > 0 ? keep * runningMax : -1);
    stepsRun += bounds.steps;
    for (let i = 0; i < bounds.values.length; i++) perIteration[i] = Math.max(perIteration[i], bounds.values[i]);
    if (bounds.values.length === iterations) {
      finals[f] = bounds.values[iterations - 1];
      runningMax = Math.max(runningMax, finals[f]);
    }
  }
  return { fm, run: { perIteration, stepsRun, precision, finals } };
}

/** The frequency matrices (written where the chosen squares read them) and their squarer. */
function pickSquarer(
  host: KernelHWIO,
  nh: number,
  nw: number,
  precision: GramPrecision | 'auto',
): { fm: FrequencyMatrices; squarer: GramSquarer; precision: GramPrecision } {
  const [, , ci, co] = host.shape;
  if (precision === 'float32' || (precision === 'auto' && Math.min(ci, co) >= 32)) {
    const squares = float32Squares(Math.min(ci, co), Math.max(ci, co), frequencyMatrixCount(nh, nw));
    if (squares) {
      const fm = frequencyMatrices(host, nh, nw, undefined, squares.heap ?? squares.data);
      return { fm, squarer: squares.squarer(fm), precision: 'float32' };
    }
  }
  const fm = frequencyMatrices(host, nh, nw, undefined, reusableFrequencyBuffer(host, nh, nw));
  return { fm, squarer: float64Squarer(fm), precision: 'float64' };
}

/**
 * An absolute bound on ||M_f - fl(M_f)||_F for the float64 DFT of fft2.ts (two separable stages of h and w complex
 * multiply-adds with twiddles within an ulp): each entry errs by at most gamma_{h+w+10} sum_{k,l} |W_kl| times a
 * small constant for the complex products (8 here, generously), and sum_{k,l} |W_kl| <= sqrt(hw) ||W_..||_2.
 * The SIMD DFT (fft2-heap.ts, dft64.wat) does the same operations in the same order; where relaxed SIMD fuses a
 * multiply-add it rounds once instead of twice, so the same count of roundings bounds it.
 */
function dftErrorBound(k: KernelHWIO): number {
  const [h, w] = k.shape;
  let sq = 0;
  for (let j = 0; j < k.data.length; j++) sq += k.data[j] * k.data[j];
  return 8 * gamma(h + w + 10, U64) * Math.sqrt(h * w) * Math.sqrt(sumUpper(sq, k.data.length));
}

/**
 * Guaranteed upper bounds V_f(1..t) (running minima) for frequency f, stopping early once one is <= stopAt.
 *
 * gramEnclosure. Let Y_0 = fl(M_f 2^-k0) and, for i >= 1, Z_i = fl(Y_{i-1} Y_{i-1}^H) = Y_{i-1} Y_{i-1}^H + E_i and
 * Y_i = Z_i 2^-k_i (exact powers of two). The squarer's arithmetic gives ||E_i||_F <= eps_i = c gamma_k ||Y_{i-1}||_F^2
 * (GramSquarer.errorFactor and chain: c = sqrt(2) for a direct complex product, sqrt(10) for the Gauss form of
 * gram-simd.ts). Schatten norms obey
 * the triangle inequality, ||X X^H||_{S_q} = ||X||_{S_2q}^2, and ||.||_{S_q} <= ||.||_F for q >= 2, so
 *   ||Y_{i-1}||_{S_2q}^2 <= 2^k_i ||Y_i||_{S_q} + eps_i,   ||Y_i||_{S_2} = ||Y_i||_F,
 * and from B_i = ||Y_i||_F upwards, B_{j-1} = sqrt(2^k_j B_j + eps_j) bounds ||Y_0||_{S_p}, p = 2^(i+1) <= 2^(t+1).
 * Finally ||M_f||_{S_p} <= 2^k0 (B_0 + ||Y_0 - M_f 2^-k0||_F) + ||M_f - fl64(M_f)||_F (the DFT's rounding).
 */
function frequencyBounds(
  sq: GramSquarer,
  fm: FrequencyMatrices,
  f: number,
  m2: number,
  t: number,
  dftError: number,
  stopAt: number,
): { values: number[]; steps: number } {
  const { rows: R, cols: C } = fm;
  if (m2 === 0) return { values: new Array<number>(t).fill(dftError), steps: 0 };
  const fro = Math.sqrt(sumUpper(m2, 2 * R * C));
  // "Iteration 0": ||M_f||_{S_p} <= ||M_f||_F <= fro + dftError for every p, so a frequency already at most the
  // running maximum stops before its first square (the pruning argument of runFrequencies with i = 0; on one-row
  // matrices, where the Frobenius norm is the norm, every frequency but the leading ones).
  if (fro * ENCLOSURE_SLACK + dftError <= stopAt) return { values: [], steps: 0 };
  const k0 = Math.floor(Math.log2(fro));
  sq.load(f, 2 ** -k0);
  // Rounding M_f 2^-k0 to the squares' precision errs by <= u |x| per part (plus underflow) .
  const loadError = sq.loadRounds
    ? sq.unit * fro * 2 ** -k0 * ENCLOSURE_SLACK + sq.underflow * Math.sqrt(2 * R * C)
    : 0;
  const shift: number[] = [];
  const eps: number[] = [];
  let s = sumUpper(sq.sumSquares(), 2 * R * C);
  let cols = C;
  const values: number[] = [];
  let best = Infinity;
  for (let i = 1; i <= t; i++) {
    sq.square();
    const k = sq.chain(cols);
    cols = R;
    // eps_i, plus underflow in the k operations of each of the 2 R^2 parts and in the rescale below.
    eps.push(sq.errorFactor * gamma(k, sq.unit) * s + sq.underflow * 2 * (R + 4) * (k + 2) * sq.underflowChains);
    const z = sumUpper(sq.sumSquares(), 2 * R * R);
    const ki = z > 0 ? Math.floor(Math.log2(Math.sqrt(z))) : 0;
    if (ki !== 0) sq.rescale(2 ** -ki);
    shift.push(ki);
    // The rescale is exact but for underflow, which moves each of the 2 R^2 parts by at most one subnormal.
    s = (Math.sqrt(z) * 2 ** -ki + 2 * (R + 4) * sq.underflow) ** 2 * ENCLOSURE_SLACK;
    let B = Math.sqrt(s);
    for (let j = i - 1; j >= 0; j--) B = Math.sqrt(2 ** shift[j] * B + eps[j]);
    const bound = 2 ** k0 * (B + loadError) * ENCLOSURE_SLACK + dftError;
    best = Math.min(best, bound);
    values.push(best);
    if (best <= stopAt && i < t) return { values, steps: i };
  }
  return { values, steps: t };
}

/**
 * Frequencies in decreasing order of ||M_f||_F: the likely maximum runs first and sets the running maximum the
 * others are pruned against. Measured on the 17 ResNet-18 layers, it prunes as many steps as a two-step power
 * estimate of sigma_max(M_f) did (within 2 %, sometimes more) at no cost: the norms are needed anyway, where the
 * power estimate took ~16 R C multiply-adds per frequency in JavaScript (~150 ms per layer, a sixth of its time).
 */
function frequencyOrder(fro2: Float64Array): number[] {
  return Array.from(fro2.keys()).sort((a, b) => fro2[b] - fro2[a] || a - b);
}

/** The squares in float64 JavaScript (fft2.rowGram: only the lower triangle is summed, the rest mirrored). */
function float64Squarer(fm: FrequencyMatrices): GramSquarer {
  const { rows: R, cols: C } = fm;
  const A = new Float64Array(2 * R * C);
  const bufs = [new Float64Array(2 * R * R), new Float64Array(2 * R * R)];
  let cur: Float64Array = A;
  let curCols = C;
  return {
    unit: U64,
    // rowGram adds x_r y_r + x_i y_i per column: 2 C rounded products summed in some order, so each part errs by
    // <= gamma_k sum_c |x_ac| |x_bc| and ||E||_F <= sqrt(2) gamma_k ||X||_F^2 (gramEnclosure).
    chain: (cols) => 2 * cols + 1,
    errorFactor: Math.SQRT2,
    underflowChains: 1,
    underflow: 2 ** -1074,
    loadRounds: false,
    frequencySumSquares: (f) => fm.sumSquares?.[f] ?? hostSumSquares(fm.data, f * 2 * R * C, 2 * R * C),
    load(f, scale) {
      const off = f * 2 * R * C;
      for (let j = 0; j < 2 * R * C; j++) A[j] = fm.data[off + j] * scale;
      cur = A;
      curCols = C;
    },
    sumSquares() {
      let s = 0;
      for (let j = 0; j < 2 * R * curCols; j++) s += cur[j] * cur[j];
      return s;
    },
    square() {
      const next = cur === bufs[0] ? bufs[1] : bufs[0];
      rowGram(cur, 0, R * curCols, R, curCols, next.subarray(0, R * R), next.subarray(R * R));
      cur = next;
      curCols = R;
    },
    rescale(scale) {
      for (let j = 0; j < 2 * R * R; j++) cur[j] *= scale;
    },
  };
}
