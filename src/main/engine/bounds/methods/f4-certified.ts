/**
 * The certified Fantastic Four value for reports (Singla & Feizi 2021, Theorem 1): the ||X||_2 the value is made of
 * is a guaranteed float64 upper bound including every rounding error (linalg64.normFromGram), so the reported value
 * is never below the true F4 value, hence never below the layer's spectral norm for any padding.
 *
 * Only the minimum of the four norms enters the bound. Small kernels certify all four (cheap); large ones estimate
 * all four without Grams (f4-estimates.ts) and certify only the smallest (certifyMinimum): for a 3x3x512x512 layer
 * one 1536-Gram and one Cholesky factorisation instead of two of each plus the Lanczos runs on the Grams.
 */
import type * as tf from '@tensorflow/tfjs';
import type { F4Matrix, F4Report, KernelHWIO } from '../../../../shared/bounds.js';
import { F4_MATRICES, KernelError, validateKernel, validateKernelShape } from '../../../../shared/bounds.js';
import { simdGram, unstageKernel } from '../numerics/cholesky-simd.js';
import { kernelToHost } from '../numerics/host-kernel.js';
import { gram64, normFromGram, partialTrace, scaledGram, type ScaledGram } from '../numerics/linalg64.js';
import { f4NormEstimates, type F4Estimates } from './f4-estimates.js';
import { kernelScale, reshapeGram, stagedScale } from './f4-gram-rows.js';
import { dilateKernel, f4MatrixShape, f4ReshapeHost, polyphaseKernelHost, splitGroups } from './reshapes.js';

export interface F4BoundOptions {
  /** Stride of the layer (default 1). With stride > 1 the polyphase bound is computed too. */
  stride?: number;
  /** Dilation of the layer (default 1). */
  dilation?: number;
  /** Groups (PyTorch semantics; kernel [h, w, c_in/groups, c_out]). */
  groups?: number;
  /**
   * Which norms get a certificate: 'all' four, or the 'minimum' only (certifyMinimum); 'auto' (default) certifies
   * all four where that costs little (CERTIFY_ALL_MAX_MACS), else the minimum. `value` is guaranteed either way.
   */
  certify?: CertifyMode;
}

export type CertifyMode = 'all' | 'minimum' | 'auto';

/**
 * Multiply-adds (Grams, Cholesky, Lanczos: planAll) up to which 'auto' certifies all four norms (< 1 ms). Above,
 * estimating and certifying one norm is faster: 14 vs 40 ms for a 3x3x64x64 kernel, 13 vs 68 ms for 3x3x128x128
 * (interleaved, loaded host).
 */
const CERTIFY_ALL_MAX_MACS = 1e6;
/**
 * certifyMinimum stops once the best certified norm is within TIE (relative) of every remaining estimate, so
 * `value` <= (1 + TIE + slack) * sqrt(hw) min_X ||X|| up to the estimates' ~1e-7 error.
 */
const TIE = 1e-5;
/** Relative shift of the certificate above the squared estimate (f4-estimates.ts: sigma within ~1e-7 of converged). */
const ESTIMATE_SLACK = 1e-6;

export interface F4BoundReport extends F4Report {
  /** F4 of the polyphase kernel (stride > 1 only): valid for that stride, usually tighter. */
  polyphase?: F4Report;
  /** Per-group F4 values when groups > 1 (the report is that of the largest). */
  groupBounds?: number[];
}

/**
 * The certified F4 value: each ||X||_2 is a guaranteed float64 upper bound (never below the true norm), so
 * `value` is an upper bound on the layer's spectral norm for every padding and the given stride.
 *
 * Dilation: the bound is that of the undilated kernel. The zero-inserted kernel's R, S, T, U are the undilated
 * ones plus zero rows/columns (same norms), and in Theorem 1's proof J = sum_{k,l} P_{kl} (x) L_{kl} only the
 * nonzero taps' shifts enter, so sqrt(hw) counts the original h x w taps, not the dilated extent.
 */
export function f4Bound(kernel: KernelHWIO | tf.Tensor4D, opts: F4BoundOptions = {}): F4BoundReport {
  const t0 = performance.now();
  const { host, stride, dilation, groups, nonFinite } = prepare(kernel, opts, 'f4Bound');
  const certify = opts.certify ?? 'auto';
  const parts = splitGroupsOrSelf(host, groups).map((k) => certifiedF4(k, certify, nonFinite));
  const worst = parts.reduce((a, b) => (b.minBound > a.minBound ? b : a));
  const report: F4BoundReport = {
    ...worst,
    method: 'f4',
    validFor: { padding: 'any', stride },
    timeMs: 0,
  };
  if (groups > 1) report.groupBounds = parts.map((p) => p.minBound);
  if (stride > 1) report.polyphase = f4PolyphaseBound(host, stride, { dilation, groups, certify: opts.certify });
  report.timeMs = performance.now() - t0 - (report.polyphase?.timeMs ?? 0);
  return report;
}

/**
 * F4 of the space-to-depth kernel for stride s (reshapes.polyphaseKernelHost): a stride-s convolution is a
 * stride-1 convolution of the s^2 input phases with L', so Theorem 1 applied to L' bounds it, with
 * sqrt(ceil(h/s) ceil(w/s)) in place of sqrt(hw) (for T this is the LMT stride factor).
 */
export function f4PolyphaseBound(
  kernel: KernelHWIO | tf.Tensor4D,
  stride: number,
  opts: { dilation?: number; groups?: number; certify?: CertifyMode } = {},
): F4Report {
  const t0 = performance.now();
  const { host, dilation, groups, nonFinite } = prepare(kernel, { ...opts, stride }, 'f4PolyphaseBound');
  const dilated = dilation > 1 ? dilateKernel(host, dilation) : host;
  const certify = opts.certify ?? 'auto';
  const parts = splitGroupsOrSelf(dilated, groups).map((k) => {
    const type = k.data instanceof Float32Array ? Float32Array : Float64Array;
    return certifiedF4(polyphaseKernelHost(k, stride, type), certify, nonFinite);
  });
  const worst = parts.reduce((a, b) => (b.minBound > a.minBound ? b : a));
  return { ...worst, method: 'f4-polyphase', validFor: { padding: 'any', stride }, timeMs: performance.now() - t0 };
}

/**
 * The F4 report of one (already transformed) kernel: all four norms certified, or the minimum only. Its first read
 * of the weights (kernelScale) is also where a NaN or Inf is found (nonFinite: see prepare).
 */
function certifiedF4(k: KernelHWIO, certify: CertifyMode, nonFinite: () => never): F4Report {
  const [h, w] = k.shape;
  const sqrtHW = Math.sqrt(h * w);
  const plan = planAll(k);
  const all = certify === 'all' || (certify === 'auto' && plan.cost <= CERTIFY_ALL_MAX_MACS);
  let result: CertifiedNorms;
  try {
    // Large kernels are read in SIMD from the copy their Gram's X is then written from (f4-gram-rows.stagedScale).
    const scan = (all ? null : stagedScale(k, nonFinite)) ?? kernelScale(k.data, nonFinite);
    result = all ? certifyAll(k, plan, scan.scale) : certifyMinimum(k, scan);
  } finally {
    unstageKernel();
  }
  const { norms: matrixNorms, iterations, certified } = result;
  let argmin: F4Matrix = certified[0];
  for (const X of certified) if (matrixNorms[X] < matrixNorms[argmin]) argmin = X;
  // The norms carry a relative upward margin of ~1e-10 or more, far above the 1-ulp rounding of this product.
  const minBound = sqrtHW * matrixNorms[argmin];
  return {
    method: 'f4',
    value: minBound,
    kind: 'upper bound',
    validFor: { padding: 'any', stride: 1 },
    iterations,
    timeMs: 0,
    matrixNorms,
    ...(certified.length < 4 ? { certified } : {}),
    sqrtHW,
    minBound,
    argmin,
  };
}

interface CertifiedNorms {
  norms: Record<F4Matrix, number>;
  iterations: number;
  /** Reshapes whose norm is a guaranteed upper bound (the others are estimates). */
  certified: F4Matrix[];
}

/** X X^T of a row-major n x m X: float64 SIMD where it runs (cholesky-simd.simdGram), the blocked JS kernel otherwise. */
const product = (X: Float64Array, n: number, m: number) =>
  simdGram(n, m, (out, ld) => {
    for (let r = 0; r < n; r++) out.set(X.subarray(r * m, r * m + m), r * ld);
  }) ?? gram64(X, n, m);

/**
 * Only min(||R||, ||S||, ||T||, ||U||) enters the bound, and a certificate costs a Gram and a Cholesky
 * factorisation: estimate all four (f4-estimates.ts, no Gram), then certify in increasing order of the estimates
 * until the best certified norm c satisfies c <= (1 + TIE) est_Y for every reshape Y left. The guarantee rests on
 * the certificate alone (min_X ||X|| <= ||X*|| <= c); the estimates only decide which certificates to compute.
 */
function certifyMinimum(k: KernelHWIO, { scale, frobUp }: { scale: number; frobUp: number }): CertifiedNorms {
  const est = scaledEstimates(k, scale);
  const order = [...F4_MATRICES].sort((a, b) => est.sigma[a] - est.sigma[b]);
  const norms = { ...est.sigma };
  const certified: F4Matrix[] = [];
  let best = Infinity;
  for (const X of order) {
    if (best <= est.sigma[X] * (1 + TIE)) break;
    const g = reshapeGram(k, X, scale, frobUp) ?? reshapedGram(k, X, scale);
    norms[X] = normFromGram(g, { estimate: est.sigma[X], slack: ESTIMATE_SLACK }).upper;
    certified.push(X);
    best = Math.min(best, norms[X]);
  }
  return { norms, iterations: est.steps, certified };
}

/**
 * The float32 estimates, on a copy scaled by a power of two when the weights are so large or small that float32
 * sums of their products would overflow or underflow (|w| outside 2^-40..2^40); sigma is divided back.
 */
function scaledEstimates(k: KernelHWIO, scale: number): F4Estimates {
  // Runs more than 2 TIE above a converged one stop early: certifyMinimum never certifies them (the converged one,
  // certified at ~(1 + 5e-7) of its estimate, is already within TIE of theirs).
  const opts = { dominatedMargin: 2 * TIE };
  if (scale >= 2 ** -40 && scale <= 2 ** 40) return f4NormEstimates(k.data, k.shape, opts);
  const est = f4NormEstimates(
    k.data.map((x) => x * scale),
    k.shape,
    opts,
  );
  for (const X of F4_MATRICES) est.sigma[X] /= scale;
  return est;
}

/** The Gram of X's smaller side through an explicit reshaped copy (f4-gram-rows.ts does it in place where it can). */
function reshapedGram(k: KernelHWIO, X: F4Matrix, scale: number): ScaledGram {
  const M = f4ReshapeHost(k, X);
  return scaledGram(M.data, M.rows, M.cols, 'smaller', scale, product);
}

type Side = 'rows' | 'cols';
/** The Gram of R or S on a side, traced over its inner spatial index, is T T^T (rows) or U^T U (cols). */
const DERIVES: Record<'R' | 'S', Record<Side, { X: 'T' | 'U'; inner: (h: number, w: number) => number }>> = {
  R: { rows: { X: 'T', inner: (h) => h }, cols: { X: 'U', inner: (_h, w) => w } },
  S: { rows: { X: 'T', inner: (_h, w) => w }, cols: { X: 'U', inner: (h) => h } },
};

interface Plan {
  /** Multiply-adds of the Grams, Cholesky factorisations and Lanczos runs. */
  cost: number;
  /** The side of R's and S's Grams. */
  R: Side;
  S: Side;
  /** Which of them T T^T and U^T U are traced from (null: formed directly). */
  T: 'R' | 'S' | null;
  U: 'R' | 'S' | null;
}

const sideDims = (k: KernelHWIO, X: F4Matrix, side: Side): [number, number] => {
  const [r, c] = f4MatrixShape(X, k.shape);
  return side === 'rows' ? [r, c] : [c, r];
};
const solveCost = (n: number) => n ** 3 / 6 + 100 * n * n; // Cholesky + Lanczos
/** T's or U's Gram formed on its smaller side, and its cost. */
function directGram(k: KernelHWIO, X: F4Matrix): { side: Side; cost: number } {
  const [n, m] = sideDims(k, X, 'rows');
  const side: Side = n <= m ? 'rows' : 'cols';
  const [a, b] = sideDims(k, X, side);
  return { side, cost: (a * a * b) / 2 + solveCost(a) };
}

/**
 * The cheapest way to certify all four norms. The Grams dominate the cost (n^2 m / 2), so the sides of R and S are
 * chosen so that their partial traces give T T^T and U^T U for free when that is cheaper than forming them: for a
 * 3x3x512x512 kernel, two 1536-Grams instead of four Grams.
 */
function planAll(k: KernelHWIO): Plan {
  const [h, w] = k.shape;
  let best: Plan | null = null;
  for (const R of ['rows', 'cols'] as Side[]) {
    for (const S of ['rows', 'cols'] as Side[]) {
      const [nr, mr] = sideDims(k, 'R', R);
      const [ns, ms] = sideDims(k, 'S', S);
      let cost = (nr * nr * mr) / 2 + solveCost(nr) + (ns * ns * ms) / 2 + solveCost(ns);
      const from: Pick<Plan, 'T' | 'U'> = { T: null, U: null };
      for (const Y of ['T', 'U'] as const) {
        let c = directGram(k, Y).cost;
        for (const [src, side] of [
          ['R', R],
          ['S', S],
        ] as const) {
          const d = DERIVES[src][side];
          if (d.X !== Y) continue;
          const cd = solveCost(sideDims(k, src, side)[0] / d.inner(h, w));
          if (cd < c) {
            c = cd;
            from[Y] = src;
          }
        }
        cost += c;
      }
      if (!best || cost < best.cost) best = { cost, R, S, ...from };
    }
  }
  return best!;
}

/**
 * Guaranteed upper bounds on all of ||R||, ||S||, ||T||, ||U|| (linalg64.normFromGram), following `plan`; scale is
 * linalg64.powerOfTwoScale(k.data) (kernelScale's, bit for bit).
 */
function certifyAll(k: KernelHWIO, plan: Plan, scale: number): CertifiedNorms {
  const [h, w] = k.shape;
  const norms = {} as Record<F4Matrix, number>;
  const grams: Partial<Record<'R' | 'S', ScaledGram>> = {};
  let iterations = 0;
  const record = (X: F4Matrix, g: ScaledGram) => {
    const r = normFromGram(g);
    norms[X] = r.upper;
    iterations = Math.max(iterations, r.lanczosIterations);
  };
  for (const X of ['R', 'S'] as const) {
    const M = f4ReshapeHost(k, X);
    grams[X] = scaledGram(M.data, M.rows, M.cols, plan[X], scale, product);
    record(X, grams[X]!);
  }
  for (const Y of ['T', 'U'] as const) {
    const src = plan[Y];
    if (src) record(Y, partialTrace(grams[src]!, DERIVES[src][plan[src]].inner(h, w)));
    else {
      const M = f4ReshapeHost(k, Y);
      record(Y, scaledGram(M.data, M.rows, M.cols, directGram(k, Y).side, scale, product));
    }
  }
  return { norms, iterations, certified: [...F4_MATRICES] };
}

/**
 * The host kernel and options, checked. A float32 kernel's weights are not read here: each part certifiedF4 computes
 * on (the kernel itself, its groups, its polyphase or dilated copy: between them every weight) is read first by
 * kernelScale, which finds any NaN or Inf and calls nonFinite, which throws validateKernel's error (naming the
 * weight). One pass less over the kernel: 2-5 ms of a 3x3x512x512 layer's ~215.
 */
function prepare(kernel: KernelHWIO | tf.Tensor4D, opts: F4BoundOptions, label: string) {
  const host = kernelToHost(kernel);
  if (host.data instanceof Float32Array) validateKernelShape(host, label);
  else validateKernel(host, label);
  const nonFinite = (): never => {
    validateKernel(host, label);
    throw new KernelError(`${label}: a weight is NaN or Inf; bounds need finite weights.`); // not reached
  };
  const stride = opts.stride ?? 1;
  const dilation = opts.dilation ?? 1;
  const groups = opts.groups ?? 1;
  for (const [name, x] of [
    ['stride', stride],
    ['dilation', dilation],
    ['groups', groups],
  ] as const) {
    if (!Number.isInteger(x) || x < 1) {
      throw new KernelError(
        `${label}: ${name} must be a positive integer, got ${x}; use 1 for an ordinary convolution.`,
      );
    }
  }
  return { host, stride, dilation, groups, nonFinite };
}

function splitGroupsOrSelf(k: KernelHWIO, groups: number): KernelHWIO[] {
  return groups > 1 ? splitGroups(k, groups) : [k];
}
