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
  /** Of the steps, those whose pass ran R and S alone (T's and U's runs had stopped). */
  rsSteps: number;
}

/**
 * z_X = X^T X v_X for all four reshapes, or (rsOnly, where the product can) for R and S alone: then z_T and z_U are
 * left as they are. Returns whether it ran R and S alone.
 */
type GramProduct = (v: Vecs, z: Vecs, rsOnly: boolean) => boolean;

/**
 * Lanczos on X^T X for the four reshapes. A run stops when its top Ritz value moved by <= tol relative over four
 * steps, twice in a row (or its Krylov space is invariant); the passes go on until every run has stopped, at most
 * maxSteps. With dominatedMargin d, a run also stops once its Ritz value theta_X exceeds (1 + d)^2 theta_Y of a
 * converged run Y: a Ritz value never exceeds lambda_max(X^T X) (up to the float32 products' ~1e-7), so
 * ||X|| > (1 + d) ||Y|| and X is not the minimum (f4-certified.ts needs only the minimum converged). On the
 * 3x3x512x512 layers the slowest of the four is often a non-minimal one (U, or the larger of R and S).
 *
 * Once T's and U's runs have stopped, the passes run R and S alone (f4.wat applyRS / applyTRS: the same R and S
 * values at about half the work). T and U are not stopped any earlier on purpose: their values are reported
 * (F4Report.matrixNorms, as estimates accurate to ~1e-7), and stopping them once a Ritz value is above R's or S's
 * upper estimate theta + beta (Zhou & Li 2011) after 8 steps, as tried, left them 1e-3..3e-2 low on ResNet-18.
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
  const stable = {} as Record<F4Matrix, number>;
  const done = new Set<F4Matrix>();
  const dominated: F4Matrix[] = [];
  const v = {} as Vecs;
  const z = {} as Vecs;
  F4_MATRICES.forEach((X, j) => {
    const n = len.v[X];
    const kMax = Math.min(n, maxSteps);
    // Room for 64 basis vectors from the start: the runs take 21-57 steps on ResNet-18, and every doubling from 16
    // copied the basis (T's vectors are h w c_in = 4608 long on the 512-channel layers): ~2% of the estimates' time.
    runs[X] = new Lanczos(n, { maxBasis: kMax + 1, initialBasis: 64, invariantTol: 1e-10, reorthogonalize: 'local' });
    runs[X].start(randomUnitVector(n, (opts.seed ?? 2024) + j));
    theta[X] = 0;
    stable[X] = 0;
    v[X] = new Float64Array(n);
    z[X] = new Float64Array(n);
  });
  const work = { d: new Float64Array(maxSteps), e: new Float64Array(maxSteps), z: new Float64Array(maxSteps) };
  let steps = 0;
  let rsSteps = 0;
  while (done.size < 4 && steps < maxSteps) {
    for (const X of F4_MATRICES) v[X].set(done.has(X) ? v[X] : runs[X].current());
    if (product(v, z, done.has('T') && done.has('U'))) rsSteps++;
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
      if (run.exhausted || full || stable[X] >= 2) done.add(X);
    }
    if (opts.dominatedMargin !== undefined) dropDominated(theta, done, dominated, opts.dominatedMargin);
  }
  for (const X of F4_MATRICES) if (!done.has(X)) theta[X] = runs[X].topRitz(work).theta1;
  const sigma = {} as Record<F4Matrix, number>;
  for (const X of F4_MATRICES) sigma[X] = Math.sqrt(Math.max(0, theta[X]));
  return { sigma, steps, dominated, rsSteps };
}

/** Stop the runs whose last Ritz value is above (1 + margin)^2 times that of a run already stopped (see above). */
function dropDominated(
  theta: Record<F4Matrix, number>,
  done: Set<F4Matrix>,
  dominated: F4Matrix[],
  margin: number,
): void {
  let floor = Infinity;
  for (const Y of done) floor = Math.min(floor, theta[Y]);
  for (const X of F4_MATRICES) {
    if (!done.has(X) && theta[X] > floor * (1 + margin) ** 2) {
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
  let helper = split && blocks.length >= 2 ? startHelper(p, L, blocks.slice(half)) : null;
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
      helper.start(0, rs);
      run(blocks.slice(0, half), rs);
      try {
        helper.finish(0, heap);
      } catch {
        helper = null; // stalled or failed: its blocks run here from now on (their outputs were not merged)
        run(blocks.slice(half), rs);
      }
    } else run(blocks, rs);
    for (const X of active) z[X].set(heap.subarray(vAt[1][X], vAt[1][X] + len.v[X]));
    return rs;
  };
}
