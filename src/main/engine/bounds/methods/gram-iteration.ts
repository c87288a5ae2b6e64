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
  const fro2 = new Float64Array(fm.count);
  for (let f = 0; f < fm.count; f++) fro2[f] = squarer.frequencySumSquares(f);
  const run = frequencyRun(squarer, fm.rows, fm.cols, iterations, dftError);
  const order =
    keep > 0 ? frequencyOrder(fro2, 16 * fm.rows * fm.cols <= SMALL_MATRIX_BYTES ? LEADING : Infinity) : null;
  for (const f of order ?? fm.u.map((_, f) => f)) {
    const count = frequencyBounds(run, f, fro2[f], keep > 0 ? keep * runningMax : -1);
    stepsRun += run.steps;
    for (let i = 0; i < count; i++) perIteration[i] = Math.max(perIteration[i], run.values[i]);
    if (count === iterations) {
      finals[f] = run.values[iterations - 1];
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
 * What frequencyBounds needs besides the frequency, shared by all the layer's frequencies: the squarer, the
 * per-step rounding allowances (hoisted: they depend only on the step's column count, C for the first square and R
 * after), and the arrays the bounds and their recurrence are written to. Why: on ResNet-18's conv1 (25 000
 * frequencies of 3 x 64) the arrays, closures and allowances made per frequency took a quarter of the layer's Gram
 * time (measured, with the float64 squares' own per-call work, float64Squarer).
 */
interface FrequencyRun {
  sq: GramSquarer;
  R: number;
  C: number;
  t: number;
  dftError: number;
  /** eps_i = epsGain s + epsFloor (gramEnclosure), for the first square and for the later ones. */
  epsGain: [number, number];
  epsFloor: [number, number];
  /** 2^k_i and eps_i of the squares so far. */
  shift: Float64Array;
  eps: Float64Array;
  /** V_f(1..i) of the last frequencyBounds call, and the squares it ran. */
  values: Float64Array;
  steps: number;
}

function frequencyRun(sq: GramSquarer, R: number, C: number, t: number, dftError: number): FrequencyRun {
  // eps_i, plus underflow in the k operations of each of the 2 R^2 parts and in the rescale (frequencyBounds).
  const gain = (cols: number) => sq.errorFactor * gamma(sq.chain(cols), sq.unit);
  const floor = (cols: number) => sq.underflow * 2 * (R + 4) * (sq.chain(cols) + 2) * sq.underflowChains;
  const arrays = [0, 1, 2].map(() => new Float64Array(t));
  return {
    sq,
    R,
    C,
    t,
    dftError,
    epsGain: [gain(C), gain(R)],
    epsFloor: [floor(C), floor(R)],
    shift: arrays[0],
    eps: arrays[1],
    values: arrays[2],
    steps: 0,
  };
}

/**
 * Guaranteed upper bounds V_f(1..i) (running minima) for frequency f into run.values, i returned, stopping early
 * once one is <= stopAt.
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
function frequencyBounds(run: FrequencyRun, f: number, m2: number, stopAt: number): number {
  const { sq, R, C, t, dftError, shift, eps, values } = run;
  run.steps = 0;
  if (m2 === 0) {
    values.fill(dftError);
    return t;
  }
  const fro = Math.sqrt(sumUpper(m2, 2 * R * C));
  // "Iteration 0": ||M_f||_{S_p} <= ||M_f||_F <= fro + dftError for every p, so a frequency already at most the
  // running maximum stops before its first square (the pruning argument of runFrequencies with i = 0; on one-row
  // matrices, where the Frobenius norm is the norm, every frequency but the leading ones).
  if (fro * ENCLOSURE_SLACK + dftError <= stopAt) return 0;
  const k0 = Math.floor(Math.log2(fro));
  sq.load(f, 2 ** -k0);
  // Rounding M_f 2^-k0 to the squares' precision errs by <= u |x| per part (plus underflow) .
  const loadError = sq.loadRounds
    ? sq.unit * fro * 2 ** -k0 * ENCLOSURE_SLACK + sq.underflow * Math.sqrt(2 * R * C)
    : 0;
  let s = sumUpper(sq.sumSquares(), 2 * R * C);
  let best = Infinity;
  for (let i = 1; i <= t; i++) {
    sq.square();
    const later = i > 1 ? 1 : 0;
    eps[i - 1] = run.epsGain[later] * s + run.epsFloor[later];
    const z = sumUpper(sq.sumSquares(), 2 * R * R);
    const ki = z > 0 ? Math.floor(Math.log2(Math.sqrt(z))) : 0;
    const down = 2 ** -ki;
    if (ki !== 0) sq.rescale(down);
    shift[i - 1] = 2 ** ki;
    // The rescale is exact but for underflow, which moves each of the 2 R^2 parts by at most one subnormal.
    s = (Math.sqrt(z) * down + 2 * (R + 4) * sq.underflow) ** 2 * ENCLOSURE_SLACK;
    let B = Math.sqrt(s);
    for (let j = i - 1; j >= 0; j--) B = Math.sqrt(shift[j] * B + eps[j]);
    const bound = 2 ** k0 * (B + loadError) * ENCLOSURE_SLACK + dftError;
    best = Math.min(best, bound);
    values[i - 1] = best;
    run.steps = i;
    if (best <= stopAt && i < t) return i;
  }
  return t;
}

/**
 * Frequencies in decreasing order of ||M_f||_F (or only the `leading` ones, the rest in storage order after them:
 * SMALL_MATRIX_BYTES below): the likely maximum runs first and sets the running maximum the others are pruned
 * against. Measured on the 17 ResNet-18 layers, it prunes as many steps as a two-step power
 * estimate of sigma_max(M_f) did (within 2 %, sometimes more) at no cost: the norms are needed anyway, where the
 * power estimate took ~16 R C multiply-adds per frequency in JavaScript (~150 ms per layer, a sixth of its time).
 */
function frequencyOrder(fro2: Float64Array, leading: number): number[] {
  const sorted = Array.from(fro2.keys()).sort((a, b) => fro2[b] - fro2[a] || a - b);
  if (leading >= sorted.length) return sorted;
  const first = new Uint8Array(fro2.length);
  for (let j = 0; j < leading; j++) first[sorted[j]] = 1;
  return [...sorted.slice(0, leading), ...Array.from(fro2.keys()).filter((f) => !first[f])];
}

/**
 * Matrices up to this size (float64 real and imaginary parts) run, after the LEADING ones of largest norm, in storage
 * order. Why: read in order of norm, these few-kilobyte matrices come from all over the spectrum (conv1: 25 000 of
 * 3 KB, 77 MB), and waiting for memory cost ~1/10 of the layer's Gram time (reading ahead in software did not help,
 * measured); in storage order the hardware streams them. The leading frequencies set the running maximum, so
 * pruning keeps its strength (conv1: 45 675 steps instead of 46 219) and, as for any order, no value changes.
 * Larger matrices stream within themselves and keep the full order.
 */
const SMALL_MATRIX_BYTES = 8192;
const LEADING = 64;

/**
 * The squares in float64 JavaScript (fft2.rowGram: only the lower triangle is summed, the rest mirrored). On small
 * matrices (3 x 64 on ResNet-18's conv1, 25 000 frequencies) the per-call work is what costs: load() sums the
 * squares as it copies (the same terms in the same order as sumSquares would), and the squares' output views are
 * made once.
 */
function float64Squarer(fm: FrequencyMatrices): GramSquarer {
  const { rows: R, cols: C } = fm;
  const A = new Float64Array(2 * R * C);
  const bufs = [new Float64Array(2 * R * R), new Float64Array(2 * R * R)];
  const halves = bufs.map((b) => [b.subarray(0, R * R), b.subarray(R * R)]);
  let cur: Float64Array = A;
  let curCols = C;
  // sumSquares() of the matrix load() made, summed as it was made (undefined once it is squared or rescaled)
  let loadedSum: number | undefined;
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
      const { data } = fm;
      const off = f * 2 * R * C;
      let s = 0;
      for (let j = 0; j < 2 * R * C; j++) {
        const x = data[off + j] * scale;
        A[j] = x;
        s += x * x;
      }
      loadedSum = s;
      cur = A;
      curCols = C;
    },
    sumSquares() {
      if (loadedSum !== undefined) return loadedSum;
      let s = 0;
      for (let j = 0; j < 2 * R * curCols; j++) s += cur[j] * cur[j];
      return s;
    },
    square() {
      const next = cur === bufs[0] ? 1 : 0;
      rowGram(cur, 0, R * curCols, R, curCols, halves[next][0], halves[next][1]);
      loadedSum = undefined;
      cur = bufs[next];
      curCols = R;
    },
    rescale(scale) {
      loadedSum = undefined;
      for (let j = 0; j < 2 * R * curCols; j++) cur[j] *= scale;
    },
  };
}
