/**
 * Power iteration with persistent, warm-started singular vectors (Miyato et al. 2018; Singla & Feizi 2021,
 * Section 5: many iterations at the start, then one per training step, since weights move little per step).
 *
 * The matrix is given as an operator (M v and M^T u), so callers can iterate on a reshape, a convolution or a
 * batch of matrices without materialising anything. sigma = u^T M v is taken with u, v held constant: they are
 * non-trainable tf.Variables updated outside the differentiated function, so d sigma / d M = u v^T (the
 * standard spectral-normalisation gradient) and no gradient flows into the iteration itself.
 */
import * as tf from '@tensorflow/tfjs-core';
import { streamSeed } from '../../data/rng.js';

export interface PowerOperator {
  /** M v, for v shaped like the state's v; returns a tensor shaped like the state's u. */
  apply(v: tf.Tensor): tf.Tensor;
  /** M^T u, for u shaped like the state's u; returns a tensor shaped like the state's v. */
  applyT(u: tf.Tensor): tf.Tensor;
}

export interface PowerVectors {
  /** Left singular vector estimate(s). */
  u: tf.Variable;
  /** Right singular vector estimate(s). */
  v: tf.Variable;
  /** Leading axes of u and v that index independent matrices (a batch); 0 for a single matrix. */
  batchDims: number;
  /** ||M^T u|| after the last iteration, one per batch item: equals u^T M v for the stored u, v. No gradient. */
  sigma: tf.Variable;
  /** Iterations run so far. */
  iterations: number;
}

export interface PowerVectorOptions {
  seed?: number;
  batchDims?: number;
}

/** Squared norms are clamped to TINY^2 = 1e-36 (still a normal float32) before rsqrt, so 0 stays 0, not NaN. */
const TINY = 1e-18;

/** Random unit starting vectors (per batch item) as non-trainable variables, so optimisers never touch them. */
export function createPowerVectors(uShape: number[], vShape: number[], opts: PowerVectorOptions = {}): PowerVectors {
  const batchDims = opts.batchDims ?? 0;
  const seed = opts.seed ?? 0;
  const batchShape = uShape.slice(0, batchDims);
  if (vShape.slice(0, batchDims).join() !== batchShape.join()) {
    throw new Error(`power iteration: u [${uShape}] and v [${vShape}] must share the ${batchDims} leading batch axes.`);
  }
  return tf.tidy(() => {
    const u0 = normalizeDirection(
      tf.randomNormal(uShape, 0, 1, 'float32', streamSeed(seed, 'powerStartU')),
      batchDims,
    ).dir;
    const v0 = normalizeDirection(
      tf.randomNormal(vShape, 0, 1, 'float32', streamSeed(seed, 'powerStartV')),
      batchDims,
    ).dir;
    return {
      u: tf.variable(u0, false),
      v: tf.variable(v0, false),
      batchDims,
      sigma: tf.variable(tf.zeros(batchShape), false),
      iterations: 0,
    };
  });
}

export function disposePowerVectors(p: PowerVectors): void {
  p.u.dispose();
  p.v.dispose();
  p.sigma.dispose();
}

/**
 * x / ||x|| per batch item and ||x||, on the device (no host read), in five ops: square, sum, max, rsqrt, mul.
 * A zero x gives a zero direction (not NaN); powerIterate revives such vectors at its next call.
 */
export function normalizeDirection(x: tf.Tensor, batchDims: number): { dir: tf.Tensor; norm: tf.Tensor } {
  const axes = Array.from({ length: x.rank - batchDims }, (_, j) => batchDims + j);
  const sq = tf.sum(tf.square(x), axes, true);
  const inv = tf.rsqrt(tf.maximum(sq, TINY * TINY));
  return { dir: tf.mul(x, inv), norm: tf.mul(sq, inv) };
}

/**
 * Advance u, v by `iterations` steps: u <- M v / ||M v||, v <- M^T u / ||M^T u||. Everything stays on the
 * device; the loop never reads a value back. Call it outside tf.grad / variableGrads (its ops need no tape).
 */
export function powerIterate(op: PowerOperator, vecs: PowerVectors, iterations: number): void {
  if (!Number.isInteger(iterations) || iterations < 0) {
    throw new Error(`power iteration: iterations must be an integer >= 0, got ${iterations}.`);
  }
  if (iterations === 0) return;
  // A zero operator (e.g. a zero kernel) leaves zero vectors behind; revive them once per call, so the loop
  // keeps the cheapest normalisation and still recovers once the matrix becomes nonzero.
  let u: tf.Tensor = revive(vecs.u, vecs.batchDims);
  let v: tf.Tensor = revive(vecs.v, vecs.batchDims);
  let sigma: tf.Tensor | null = null;
  for (let t = 0; t < iterations; t++) {
    const [un, vn, s] = tf.tidy(() => {
      const uNext = normalizeDirection(op.apply(v), vecs.batchDims).dir;
      const { dir, norm } = normalizeDirection(op.applyT(uNext), vecs.batchDims);
      return [uNext, dir, norm];
    });
    tf.dispose([u, v]);
    if (sigma) sigma.dispose();
    u = un;
    v = vn;
    sigma = s;
  }
  vecs.u.assign(u);
  vecs.v.assign(v);
  vecs.sigma.assign(tf.tidy(() => tf.reshape(sigma!, vecs.sigma.shape)));
  tf.dispose([u, v, sigma!]);
  vecs.iterations += iterations;
}

/**
 * A copy of x with every all-zero batch item replaced by a fixed pseudo-random unit vector (random, not uniform:
 * a uniform vector can be orthogonal to the top singular vector, e.g. of a difference kernel).
 */
function revive(x: tf.Variable, batchDims: number): tf.Tensor {
  return tf.tidy(() => {
    const axes = Array.from({ length: x.rank - batchDims }, (_, j) => batchDims + j);
    const dead = tf.cast(tf.equal(tf.sum(tf.square(x), axes, true), 0), 'float32');
    const fresh = normalizeDirection(tf.randomNormal(x.shape, 0, 1, 'float32', 104729), batchDims).dir;
    return tf.add(x, tf.mul(dead, fresh));
  });
}

/** sigma = u^T M v per batch item, differentiable with respect to whatever the operator closes over. */
export function rayleighSigma(op: PowerOperator, vecs: PowerVectors): tf.Tensor {
  return tf.tidy(() => {
    const Mv = op.apply(vecs.v);
    const axes = Array.from({ length: Mv.rank - vecs.batchDims }, (_, j) => vecs.batchDims + j);
    return tf.sum(tf.mul(vecs.u, Mv), axes);
  });
}

/**
 * Operator of an explicit matrix M [..., r, c] (leading axes = a batch of matrices): u is [..., r, 1] and v is
 * [..., c, 1], batchDims = M.rank - 2.
 */
export function matrixOperator(M: tf.Tensor): PowerOperator {
  if (M.rank < 2) throw new Error(`power iteration: a matrix needs rank >= 2, got shape [${M.shape}].`);
  return {
    apply: (v) => tf.matMul(M as tf.Tensor3D, v as tf.Tensor3D),
    applyT: (u) => tf.matMul(M as tf.Tensor3D, u as tf.Tensor3D, true, false),
  };
}

/** Starting vectors for matrixOperator(M) of a matrix (or batch of matrices) of shape `shape`. */
export function createMatrixPowerVectors(shape: number[], opts: { seed?: number } = {}): PowerVectors {
  const batch = shape.slice(0, -2);
  const [r, c] = shape.slice(-2);
  return createPowerVectors([...batch, r, 1], [...batch, c, 1], { seed: opts.seed, batchDims: batch.length });
}
