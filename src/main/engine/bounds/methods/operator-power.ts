/**
 * The norm of the layer as it really runs — zero padding ('same' with TensorFlow's split, 'valid', explicit or
 * PyTorch-style symmetric pads), circular padding, any stride — by Krylov iteration on A^T A with A the layer's
 * convolution (tf.conv2d's correlation) and A^T its adjoint.
 *
 * Default: Lanczos, products in float32 — by WebAssembly SIMD matrix products (operator-gemm.ts) where they run,
 * else by tfjs ops on the active backend (operator-tfjs.ts) — and the recurrence in float64 with full
 * reorthogonalisation; `method: 'power'` runs plain power iteration on the tfjs ops. Either way the value
 * is a Rayleigh quotient of A^T A, so it never exceeds ||A||_2 (up to float32 rounding): a lower estimate
 * (kind 'estimate (lower)') that converges to the norm.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BoundResult, KernelHWIO, PaddingMode } from '../../../../shared/bounds.js';
import { KernelError, validateKernel } from '../../../../shared/bounds.js';
import { kernelToHost } from '../numerics/host-kernel.js';
import { resolveInputSize } from '../numerics/fft2.js';
import { Lanczos } from '../numerics/lanczos.js';
import { mulberry32 } from '../../data/rng.js';
import { layerOperator, powerRun, tfjsProducts, type LayerProducts } from './operator-tfjs.js';
import { gemmLayerOperator } from './operator-gemm.js';
import { circularTopFrequency, circularWarmStart, ritzCoefficients, ritzVector } from './operator-warm-start.js';

export interface ExplicitPadding {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

export type OperatorPadding = 'same' | 'valid' | 'circular' | ExplicitPadding;

export interface OperatorNormOptions {
  n: number | [number, number];
  padding: OperatorPadding;
  stride?: number;
  /** Maximum iterations: Lanczos steps (default 300) or power iterations (default 3000). */
  iterations?: number;
  /**
   * Relative tolerance on sigma (default 1e-6). Lanczos stops when the Ritz residual says sigma is within tol;
   * power iteration when the estimate changes by less than tol per iteration.
   */
  tol?: number;
  seed?: number;
  /**
   * 'lanczos' (default): Lanczos on A^T A with the products in float32 (operator-gemm.ts, or tfjs) and
   * the recurrence in float64 with full reorthogonalisation — the same Krylov space as power iteration, but the
   * optimal polynomial in it, so tens instead of thousands of products. 'power': plain power iteration
   * (power-iteration.ts), as in spectral normalisation.
   */
  method?: 'lanczos' | 'power';
  /**
   * Lanczos start: 'random' (default, seeded) or 'circular', the top singular vector of the circular operator with
   * the same kernel and stride, tapered at zero-padded borders (operator-warm-start.ts): a few products instead of
   * tens for the same value on large feature maps. 'auto': circular where the output is at least WARM_MIN_SIZE
   * kernels wide, random elsewhere.
   */
  start?: 'random' | 'circular' | 'auto';
  /** With start 'circular' and stride 1: a top frequency already known (sedghiExactNorm's), saving its search. */
  topFrequency?: readonly [number, number];
  /**
   * With the circular start: stop Lanczos once one product raised the estimate by less than this relative amount
   * (default: only the residual test of `tol`). Ritz values only increase, so the value at the stop is still a lower
   * value, just a less tight one.
   */
  stallTol?: number;
  /**
   * Lanczos's products: 'auto' (default) the WebAssembly matrix products of operator-gemm.ts where WebAssembly SIMD
   * runs, else tfjs; 'tfjs' the tfjs ops on the active backend (operator-tfjs.ts) always (for comparisons and tests).
   */
  products?: 'auto' | 'tfjs';
}

export type OperatorNormResult = BoundResult & {
  /** Output spatial size of the layer. */
  outputSize: [number, number];
  /** Pads used [top, left, bottom, right]. */
  pads: [number, number, number, number];
  converged: boolean;
};

/**
 * Output size (in kernel widths) from which 'auto' starts from the circular operator. Measured on the 17 ResNet-18
 * layers (He init), against 30 Lanczos steps from a random start: at 28x28 and larger outputs the circular start
 * reaches that value in 1-11 products; at 14x14 and 7x7 the borders move the top singular vector away from the
 * circular one (on layer3.1.conv1 it stalls 0.1 % below), and the random start is as good or better.
 */
const WARM_MIN_SIZE = 8;

/** [top, bottom] pads of one spatial dimension and its output size. */
function padsFor(padding: OperatorPadding, dim: 0 | 1, n: number, k: number, s: number): [number, number] {
  if (padding === 'valid') return [0, 0];
  if (padding === 'same') {
    // TensorFlow 'SAME': out = ceil(n/s), pad_total = max((out-1) s + k - n, 0), the extra pad at the end.
    const out = Math.ceil(n / s);
    const total = Math.max((out - 1) * s + k - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  }
  if (padding === 'circular') {
    // Indices mod n: the stride-1 output is n x n; a stride keeps every s-th output (out = ceil(n/s)).
    const before = Math.floor((k - 1) / 2);
    return [before, k - 1 - before];
  }
  const pair: [number, number] = dim === 0 ? [padding.top, padding.bottom] : [padding.left, padding.right];
  for (const p of pair) {
    if (!Number.isInteger(p) || p < 0) {
      throw new KernelError(
        `operatorNormEstimate: explicit pads must be integers >= 0, got ${JSON.stringify(padding)}.`,
      );
    }
  }
  return pair;
}

export function operatorNormEstimate(kernel: KernelHWIO | tf.Tensor4D, opts: OperatorNormOptions): OperatorNormResult {
  const t0 = performance.now();
  const host = kernelToHost(kernel);
  validateKernel(host, 'operatorNormEstimate');
  const [nh, nw] = resolveInputSize(host, opts.n, 'operatorNormEstimate');
  const stride = opts.stride ?? 1;
  if (!Number.isInteger(stride) || stride < 1) {
    throw new KernelError(`operatorNormEstimate: stride must be a positive integer, got ${stride}.`);
  }
  const maxIter = opts.iterations;
  const tol = opts.tol ?? 1e-6;
  if (maxIter !== undefined && (!Number.isInteger(maxIter) || maxIter < 1)) {
    throw new KernelError(`operatorNormEstimate: iterations must be a positive integer, got ${maxIter}.`);
  }
  const [h, w, ci, co] = host.shape;
  const padding = opts.padding;
  if (
    typeof padding === 'string'
      ? !['same', 'valid', 'circular'].includes(padding)
      : typeof padding !== 'object' || padding === null
  ) {
    throw new KernelError(
      `operatorNormEstimate: padding must be 'same', 'valid', 'circular' or {top, left, bottom, right}, got ${JSON.stringify(padding)}.`,
    );
  }
  const circular = padding === 'circular';
  if (circular && (nh % stride !== 0 || nw % stride !== 0)) {
    throw new KernelError(
      `operatorNormEstimate: circular padding with stride ${stride} needs n divisible by ${stride}, got ${nh}x${nw}.`,
    );
  }
  const [pt, pb] = padsFor(padding, 0, nh, h, stride);
  const [pl, pr] = padsFor(padding, 1, nw, w, stride);
  const ph = nh + pt + pb;
  const pw = nw + pl + pr;
  if (ph < h || pw < w) {
    throw new KernelError(
      `operatorNormEstimate: the padded input ${ph}x${pw} is smaller than the ${h}x${w} kernel; pad more or use a larger n.`,
    );
  }
  const oh = Math.floor((ph - h) / stride) + 1;
  const ow = Math.floor((pw - w) / stride) + 1;

  const method = opts.method ?? 'lanczos';
  // Lanczos takes its products from the WebAssembly GEMM operator (operator-gemm.ts) where it runs, else from tfjs.
  const gemm =
    method === 'lanczos' && opts.products !== 'tfjs'
      ? gemmLayerOperator(
          host,
          { nh, nw, oh, ow, stride, top: pt, left: pl, circular },
          { basisVectors: Math.min(nh * nw * ci, maxIter ?? 300) + 1 },
        )
      : null;
  const W = gemm ? undefined : tf.tensor4d(Float32Array.from(host.data), [h, w, ci, co]);
  const layer = W ? layerOperator(W, { nh, nw, ph, pw, stride, circular, pads: [pt, pb, pl, pr] }) : undefined;
  const start =
    method === 'lanczos' ? circularStart(host, opts, { nh, nw, oh, ow, stride, pt, pl, circular }) : undefined;
  let run: { sigma: number; iterations: number; converged: boolean };
  try {
    run =
      method === 'power' && layer
        ? powerRun(layer.op, [1, oh, ow, co], [1, nh, nw, ci], maxIter ?? 3000, tol, opts.seed ?? 17)
        : lanczosRun(
            gemm ?? tfjsProducts(layer!.op, [1, nh, nw, ci]),
            nh * nw * ci,
            maxIter ?? 300,
            tol,
            start ?? randomUnit(nh * nw * ci, opts.seed ?? 17),
            {
              // From a random start Lanczos has plateaus (measured on ResNet-18 layers at 14x14: < 1e-5 per product at
              // step 27, then growing again), so a stall only ends the run from the circular start.
              stallTol: start ? opts.stallTol : undefined,
            },
          );
  } finally {
    gemm?.release();
    W?.dispose();
    layer?.dispose();
  }
  const validPadding: PaddingMode = circular
    ? 'circular'
    : padding === 'same'
      ? 'zero-same'
      : padding === 'valid'
        ? 'zero-valid'
        : 'zero';
  return {
    method: 'operator-power',
    value: run.sigma,
    kind: 'estimate (lower)',
    validFor: { padding: validPadding, stride, n: opts.n },
    iterations: run.iterations,
    timeMs: performance.now() - t0,
    outputSize: [oh, ow],
    pads: [pt, pl, pb, pr],
    converged: run.converged,
  };
}

/** The circular warm start where `opts.start` asks for it (and the stride divides n), else undefined (random). */
function circularStart(
  host: KernelHWIO,
  opts: OperatorNormOptions,
  g: { nh: number; nw: number; oh: number; ow: number; stride: number; pt: number; pl: number; circular: boolean },
): Float64Array | undefined {
  const { nh, nw, stride } = g;
  const [h, w] = host.shape;
  const wanted =
    opts.start === 'auto'
      ? Math.min(g.oh, g.ow) >= WARM_MIN_SIZE * Math.max(h, w)
        ? 'circular'
        : 'random'
      : opts.start;
  if (wanted !== 'circular' || nh % stride !== 0 || nw % stride !== 0) return undefined;
  const frequency = (stride === 1 && opts.topFrequency) || circularTopFrequency(host, nh, nw, stride);
  return circularWarmStart(host, { nh, nw, stride, top: g.pt, left: g.pl, taper: !g.circular }, frequency);
}

/**
 * Lanczos (numerics/lanczos.ts) on A^T A from `start` (random, or the circular warm start). Stop when theta + rho
 * (rho = beta_{k+1} |z_k|, the Ritz residual) is within tol of theta, when the Krylov space is invariant, when float32
 * products stop the Ritz value from moving, or when one step raised it by less than stallTol. The value returned is
 * ||A y|| / ||y|| for the top Ritz vector y, from one more product (or, with the GEMM operator, from the forward
 * outputs of the run's products: operator-gemm-lanczos.ts ritzNorms): attained by an actual input, so a true lower
 * value (up to the float32 rounding of the convolutions), not the Ritz value of the float64 recurrence.
 */
function lanczosRun(
  op: LayerProducts,
  dim: number,
  maxIter: number,
  tol: number,
  start: Float64Array,
  opts: { stallTol?: number } = {},
) {
  const kmax = Math.min(dim, maxIter);
  // Invariant at 1e-7: the products are float32.
  // The three-term part first ('full-residual'): half the sweeps over the basis of plain 'full' (lanczos.ts).
  const run = new Lanczos(dim, {
    maxBasis: kmax + 1,
    initialBasis: 16,
    invariantTol: 1e-7,
    reorthogonalize: 'full-residual',
    orthogonalizer: op.orthogonalizer,
  });
  run.start(start);
  const work = { d: new Float64Array(kmax + 1), e: new Float64Array(kmax + 1), z: new Float64Array(kmax + 1) };
  let theta = 0;
  let previous = -1;
  let stalledSteps = 0;
  let converged = false;
  while (run.k < kmax) {
    const w = op.normalProduct(run.current());
    op.keepForward?.(run.k);
    run.step(w);
    const rz = run.topRitz(work);
    theta = Math.max(rz.theta1, 0);
    const rho = run.beta[run.k] * Math.abs(rz.lastComponent);
    // float32 products put a floor (~1e-6 relative) under rho: accept a Ritz value that stopped moving once
    // the residual is small, rather than iterating on rounding noise.
    stalledSteps = Math.abs(theta - previous) <= 1e-9 * theta && rho <= 1e-4 * theta ? stalledSteps + 1 : 0;
    const stalled =
      opts.stallTol !== undefined &&
      previous > 0 &&
      Math.sqrt(theta) - Math.sqrt(previous) <= opts.stallTol * Math.sqrt(theta);
    if (run.exhausted || theta + rho <= theta * (1 + tol) ** 2 || stalledSteps >= 3 || stalled) {
      converged = true;
      break;
    }
    previous = theta;
  }
  const sigma = op.attainedNormOf ? op.attainedNormOf(ritzCoefficients(run)) : attainedNorm(op, ritzVector(run, dim));
  return { sigma, iterations: run.k, converged };
}

/** ||A y|| / ||y||, accumulated in float64 from the float32 product (the float32 y that product saw). */
function attainedNorm(op: LayerProducts, y: Float64Array): number {
  const ay = op.apply(y);
  const y32 = Float32Array.from(y);
  let num = 0;
  let den = 0;
  for (let i = 0; i < ay.length; i++) num += ay[i] * ay[i];
  for (let i = 0; i < y32.length; i++) den += y32[i] * y32[i];
  return den > 0 ? Math.sqrt(num / den) : 0;
}

function randomUnit(n: number, seed: number): Float64Array {
  const rng = mulberry32(seed);
  const x = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    x[i] = rng() - 0.5;
    s += x[i] * x[i];
  }
  s = Math.sqrt(s);
  for (let i = 0; i < n; i++) x[i] /= s;
  return x;
}
