/**
 * Float32 estimates of ||R||, ||S||, ||T||, ||U|| without forming any Gram matrix: Lanczos (lanczos.ts, full
 * reorthogonalisation in float64) on X^T X for all four reshapes at once, each step one fused pass of F4's
 * power-iteration kernels (f4-host.ts): y_X = X v_X, then z_X = X^T y_X, one read of the kernel for all four.
 *
 * Why: the certificate of a norm (linalg64.normFromGram) costs a Gram and a Cholesky factorisation, n^2 m / 2 +
 * n^3 / 6 multiply-adds; f4-certified.ts only needs one for the smallest norm. Picking it needs estimates accurate
 * to ~1e-6, which power iteration does not reach in hundreds of steps on random layers (the top singular values of
 * a random 1536 x 1536 matrix are ~1e-3 apart), while Lanczos does in a few dozen.
 *
 * The values are estimates, not bounds: in exact arithmetic a Ritz value never exceeds lambda_max(X^T X), so
 * sigma is a lower estimate; the float32 products can move it by ~1e-7 relative either way. Nothing guaranteed
 * rests on them (f4-certified.ts certifies what it reports as certified).
 */
import type { F4Matrix } from '../../../../shared/bounds.js';
import { F4_MATRICES } from '../../../../shared/bounds.js';
import { Lanczos } from '../numerics/lanczos.js';
import { randomUnitVector } from '../numerics/linalg64.js';
import { simdBlocks, simdBlockWidth, simdLayout, startHelper, PARALLEL_MIN_BYTES } from './f4-blocks.js';
import { applyAll, applyTAll, hostVectorLengths } from './f4-host.js';
import { f4HelperAvailable } from './f4-parallel.js';
import { f4SimdPasses } from './f4-simd.js';
import type { Shape4 } from './reshapes.js';

type Vecs = Record<F4Matrix, Float64Array>;

export interface F4Estimates {
  /** Largest singular value estimates (sqrt of the top Ritz value of X^T X). */
  sigma: Record<F4Matrix, number>;
  /** Fused passes run (each one step of all four Lanczos runs). */
  steps: number;
  /**
   * Runs stopped before converging because they cannot be the minimum (opts.dominatedMargin): their sigma is the
   * Ritz value reached, a lower estimate of the norm (up to float32 rounding), not a converged one.
   */
  dominated: F4Matrix[];
}

/**
 * z_X = X^T X v_X for all four reshapes, or (rsOnly, where the product can) for R and S alone: then z_T and z_U are
 * left as they are. Returns whether it ran R and S alone.
 */
type GramProduct = (v: Vecs, z: Vecs, rsOnly: boolean) => boolean;

/**
 * Lanczos on X^T X for the four reshapes. A run stops when its top Ritz value moved by <= tol relative over four
 * steps, twice in a row (or its Krylov space is invariant); the passes go on until every run has stopped, at most
 * maxSteps. With dominatedMargin d, a run also stops once its Ritz value theta_X exceeds (1 + d)^2 up_Y of another
 * run Y: a Ritz value never exceeds lambda_max(X^T X) (up to the float32 products' ~1e-7), and up_Y is theta_Y for a
 * converged Y, else theta_Y + beta_Y (beta_Y the norm of its last Lanczos residual), the upper estimate of
 * lambda_max of Zhou & Li ("Bounding the spectrum of large Hermitian matrices", 2011): then ||X|| > (1 + d) ||Y||
 * and X is not the minimum (f4-certified.ts needs only the minimum converged). Nothing guaranteed rests on this
 * choice (f4-certified.ts certifies what it reports); an upper estimate that fell short could only make it certify
 * a larger norm than the minimum. On ResNet-18's 3x3 layers T and U stop so after 8 steps (their Ritz values are
 * 20-35% above R's and S's upper estimates), and from then on the passes run R and S alone (f4.wat applyRS).
 */
export function f4NormEstimates(
  W: ArrayLike<number>,
  shape: Shape4,
  opts: { maxSteps?: number; tol?: number; seed?: number; dominatedMargin?: number } = {},
): F4Estimates {
  const len = hostVectorLengths(shape);
  const maxSteps = opts.maxSteps ?? 160;
  // Measured on the 17 ResNet-18 layers: stopping at 1e-6 leaves sigma within 1e-7 of its converged value (the
  // Ritz values settle far below the four-step change), inside the certificate's 1e-6 shift on lambda.
  const tol = opts.tol ?? 1e-6;
  const product = gramProduct(W, shape);
  const runs = {} as Record<F4Matrix, Lanczos>;
  const theta = {} as Record<F4Matrix, number>;
  const upper = {} as Record<F4Matrix, number>;
  const stable = {} as Record<F4Matrix, number>;
  const done = new Set<F4Matrix>();
  const dominated: F4Matrix[] = [];
  const v = {} as Vecs;
  const z = {} as Vecs;
  F4_MATRICES.forEach((X, j) => {
    const n = len.v[X];
    const kMax = Math.min(n, maxSteps);
    runs[X] = new Lanczos(n, { maxBasis: kMax + 1, initialBasis: 16, invariantTol: 1e-10, reorthogonalize: 'local' });
    runs[X].start(randomUnitVector(n, (opts.seed ?? 2024) + j));
    theta[X] = 0;
    upper[X] = Infinity;
    stable[X] = 0;
    v[X] = new Float64Array(n);
    z[X] = new Float64Array(n);
  });
  const work = { d: new Float64Array(maxSteps), e: new Float64Array(maxSteps), z: new Float64Array(maxSteps) };
  let steps = 0;
  while (done.size < 4 && steps < maxSteps) {
    for (const X of F4_MATRICES) v[X].set(done.has(X) ? v[X] : runs[X].current());
    product(v, z, done.has('T') && done.has('U'));
    steps++;
    for (const X of F4_MATRICES) {
      if (done.has(X)) continue;
      const run = runs[X];
      run.step(z[X]);
      const j = run.k - 1;
      const full = run.k >= Math.min(len.v[X], maxSteps);
      if (!(run.exhausted || full || (j >= 8 && j % 4 === 0))) continue;
      const next = run.topRitz(work).theta1;
      stable[X] = Math.abs(next - theta[X]) <= tol * Math.abs(next) ? stable[X] + 1 : 0;
      theta[X] = next;
      upper[X] = next + run.beta[run.k];
      if (run.exhausted || full || stable[X] >= 2) done.add(X);
    }
    if (opts.dominatedMargin !== undefined) dropDominated(theta, upper, done, dominated, opts.dominatedMargin);
  }
  for (const X of F4_MATRICES) if (!done.has(X)) theta[X] = runs[X].topRitz(work).theta1;
  const sigma = {} as Record<F4Matrix, number>;
  for (const X of F4_MATRICES) sigma[X] = Math.sqrt(Math.max(0, theta[X]));
  return { sigma, steps, dominated };
}

/**
 * Stop the runs whose last Ritz value is above (1 + margin)^2 times the upper estimate of another run (see above):
 * its Ritz value if stopped, else theta + beta (Infinity before its first check).
 */
function dropDominated(
  theta: Record<F4Matrix, number>,
  upper: Record<F4Matrix, number>,
  done: Set<F4Matrix>,
  dominated: F4Matrix[],
  margin: number,
): void {
  for (const X of F4_MATRICES) {
    if (done.has(X) || !(theta[X] > 0)) continue;
    let floor = Infinity;
    for (const Y of F4_MATRICES) if (Y !== X) floor = Math.min(floor, done.has(Y) ? theta[Y] : upper[Y]);
    if (theta[X] > floor * (1 + margin) ** 2) {
      done.add(X);
      dominated.push(X);
    }
  }
}

/** The fused product in WebAssembly SIMD where F4's passes run (c_out % 4 == 0), else the JS passes. */
function gramProduct(W: ArrayLike<number>, shape: Shape4): GramProduct {
  const p = shape[3] % 4 === 0 ? f4SimdPasses() : null;
  const len = hostVectorLengths(shape);
  if (!p) {
    const y = {} as Vecs;
    for (const X of F4_MATRICES) y[X] = new Float64Array(len.u[X]);
    return (v, z) => {
      applyAll(W, shape, v, y);
      applyTAll(W, shape, y, z);
      return false;
    };
  }
  const [h, w, ci, co] = shape;
  const hwci = h * w * ci;
  // Long runs, as in f4-host.simdPowerIterate: L2-sized c_out blocks, half of them on a helper thread.
  const bytes = 4 * hwci * co;
  const split = bytes >= PARALLEL_MIN_BYTES && f4HelperAvailable(p);
  // Within 8x of that size, start the helper thread already (f4HelperAvailable does not wait for it): a network's
  // later layers are usually the larger ones, and the thread's start-up (tens of ms of a Node worker booting) then
  // runs on the other core while this thread works, instead of being waited for by the first large layer.
  if (!split && bytes * 8 >= PARALLEL_MIN_BYTES) f4HelperAvailable(p);
  const width = simdBlockWidth(co, split, hwci, 1000);
  const zeros = (n: Record<F4Matrix, number>) =>
    Object.fromEntries(F4_MATRICES.map((X) => [X, new Float64Array(n[X])])) as Vecs;
  const L = simdLayout(p, W, shape, len, { u: zeros(len.u), v: zeros(len.v) }, width);
  const { heap, uAt, vAt } = L;
  const blocks = simdBlocks(p, L, shape, width);
  const half = Math.ceil(blocks.length / 2);
  let helper = split && blocks.length >= 2 ? startHelper(p, L, blocks.slice(half), shape, half * width) : null;
  const run = (bs: typeof blocks, rs: boolean) => {
    for (const b of bs) {
      if (rs) {
        p.applyRS(...b.rs![0][0]);
        p.applyTRS(...b.rs![0][1]);
      } else {
        b.apply(...b.args[0][0]);
        p.applyT(...b.args[0][1]);
      }
    }
  };
  return (v, z, rsOnly) => {
    const rs = rsOnly && blocks.every((b) => b.rs) && (!helper || helper.rs);
    const active = rs ? (['R', 'S'] as const) : F4_MATRICES;
    for (const X of active) {
      heap.set(v[X], vAt[0][X]);
      heap.fill(0, uAt[X], uAt[X] + len.u[X]);
      heap.fill(0, vAt[1][X], vAt[1][X] + len.v[X]);
    }
    if (helper) {
      helper.start(0, heap, rs);
      run(blocks.slice(0, half), rs);
      try {
        helper.finish(0, heap);
      } catch {
        helper = null; // stalled or failed: its blocks run here from now on (their outputs were not merged)
        run(blocks.slice(half), rs);
      }
    } else run(blocks, rs);
    for (const X of active) {
      const at = vAt[1][X];
      for (let j = 0; j < len.v[X]; j++) z[X][j] = heap[at + j];
    }
    return rs;
  };
}
