/**
 * The operator estimate's layer as tfjs ops (operator-power.ts): A = tf.conv2d with the layer's pads and stride and
 * A^T its adjoint (forward correlations where operator-adjoint.ts finds them faster, else conv2dTranspose; circular
 * padding made explicit by wrapping, its adjoint folding the wrapped borders back). Power iteration runs on these
 * (power-iteration.ts), and Lanczos where the WebAssembly products of operator-gemm.ts do not run.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  createPowerVectors,
  disposePowerVectors,
  powerIterate,
  type PowerOperator,
} from '../numerics/power-iteration.js';
import type { Orthogonalizer } from '../numerics/lanczos.js';
import { zeroPadAdjoint } from './operator-adjoint.js';

/** Power iterations between convergence checks (each check reads one number back from the device). */
const CHECK_EVERY = 10;

/** `size` rows (axis 1) or columns (axis 2) of an NHWC tensor from `start`. */
function sliceAxis(x: tf.Tensor4D, axis: 1 | 2, start: number, size: number): tf.Tensor4D {
  const begin = [0, 0, 0, 0];
  const sz = [-1, -1, -1, -1];
  begin[axis] = start;
  sz[axis] = size;
  return tf.slice(x, begin, sz) as tf.Tensor4D;
}

/** Wrap-pad rows (axis 1) or columns (axis 2) of an NHWC tensor. */
function wrapPad(x: tf.Tensor4D, axis: 1 | 2, before: number, after: number): tf.Tensor4D {
  const n = x.shape[axis];
  const parts: tf.Tensor4D[] = [];
  const slice = (start: number, size: number) => sliceAxis(x, axis, start, size);
  if (before > 0) parts.push(slice(n - before, before));
  parts.push(x);
  if (after > 0) parts.push(slice(0, after));
  return parts.length === 1 ? x : (tf.concat(parts, axis) as tf.Tensor4D);
}

/** Adjoint of wrapPad: the wrapped borders are added back onto the rows they were copied from. */
function wrapFold(g: tf.Tensor4D, axis: 1 | 2, before: number, after: number): tf.Tensor4D {
  const n = g.shape[axis] - before - after;
  const slice = (start: number, size: number) => sliceAxis(g, axis, start, size);
  const padAxis = (t: tf.Tensor4D, lo: number, hi: number) => {
    const p: [number, number][] = [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ];
    p[axis] = [lo, hi];
    return tf.pad(t, p);
  };
  let out: tf.Tensor4D = slice(before, n);
  if (before > 0) out = tf.add(out, padAxis(slice(0, before), n - before, 0));
  if (after > 0) out = tf.add(out, padAxis(slice(before + n, after), 0, n - after));
  return out;
}

/** A (the layer's convolution) and A^T as tfjs ops on NHWC batches of one; dispose() frees what they hold. */
export function layerOperator(
  W: tf.Tensor4D,
  g: { nh: number; nw: number; ph: number; pw: number; stride: number; circular: boolean; pads: number[] },
): { op: PowerOperator; dispose: () => void } {
  const { nh, nw, ph, pw, stride } = g;
  const [pt, pb, pl, pr] = g.pads;
  const ci = W.shape[2];
  const zeroPads: [[number, number], [number, number], [number, number], [number, number]] = [
    [0, 0],
    [pt, pb],
    [pl, pr],
    [0, 0],
  ];
  const adjoint = g.circular ? undefined : zeroPadAdjoint(W, { nh, nw, stride, rows: [pt, pb], cols: [pl, pr] });
  const op: PowerOperator = g.circular
    ? {
        apply: (v) =>
          tf.tidy(() => tf.conv2d(wrapPad(wrapPad(v as tf.Tensor4D, 1, pt, pb), 2, pl, pr), W, stride, 'valid')),
        applyT: (u) =>
          tf.tidy(() => {
            const g = tf.conv2dTranspose(u as tf.Tensor4D, W, [1, ph, pw, ci], stride, 'valid');
            return wrapFold(wrapFold(g, 1, pt, pb), 2, pl, pr);
          }),
      }
    : {
        // Zero padding: tfjs takes the explicit pads; the adjoint is forward convolutions (operator-adjoint.ts, up to
        // several times cheaper than conv2dTranspose) where zeroPadAdjoint finds them faster, else conv2dTranspose.
        apply: (v) => tf.conv2d(v as tf.Tensor4D, W, stride, zeroPads),
        applyT: (u) =>
          adjoint
            ? adjoint.apply(u as tf.Tensor4D)
            : tf.conv2dTranspose(u as tf.Tensor4D, W, [1, nh, nw, ci], stride, zeroPads),
      };
  return { op, dispose: () => adjoint?.dispose() };
}

export function powerRun(
  op: PowerOperator,
  uShape: number[],
  vShape: number[],
  maxIter: number,
  tol: number,
  seed: number,
) {
  const vecs = createPowerVectors(uShape, vShape, { seed });
  let sigma = 0;
  let iterations = 0;
  let converged = false;
  try {
    while (iterations < maxIter) {
      const step = Math.min(CHECK_EVERY, maxIter - iterations);
      powerIterate(op, vecs, step);
      iterations += step;
      const next = vecs.sigma.dataSync()[0];
      // The estimate increases monotonically in exact arithmetic; stop when it has stalled over `step` iterations.
      converged = Math.abs(next - sigma) <= tol * next * step;
      sigma = next;
      if (converged) break;
    }
  } finally {
    disposePowerVectors(vecs);
  }
  return { sigma, iterations, converged };
}

/**
 * The products Lanczos needs, on float64 host vectors: A^T A v (overwritten by the next one), and A v in float32;
 * with them, where they bring one, a basis store and Gram-Schmidt pass for the run (operator-gemm.ts).
 */
export interface LayerProducts {
  normalProduct(v: Float64Array): Float64Array;
  apply(v: Float64Array): Float32Array;
  orthogonalizer?: Orthogonalizer;
  /**
   * With an orthogonalizer: ||A y|| / ||y|| (as attainedNorm in operator-power.ts computes it) of y = Q z, Q the
   * orthogonalizer's basis and z the given coefficients, formed where the basis is (no host copy of y).
   */
  attainedNormOf?(z: Float64Array): number;
  /** With attainedNormOf: keep the last product's forward output as A q_j (called right after q_j's product). */
  keepForward?(j: number): void;
}

/** LayerProducts through tfjs ops (where the WebAssembly GEMM operator does not run). */
export function tfjsProducts(op: PowerOperator, vShape: number[]): LayerProducts {
  const read = (t: tf.Tensor) => {
    const data = t.dataSync() as Float32Array;
    t.dispose();
    return data;
  };
  return {
    normalProduct: (v) =>
      Float64Array.from(read(tf.tidy(() => op.applyT(op.apply(tf.tensor(Float32Array.from(v), vShape)))))),
    apply: (v) => read(tf.tidy(() => op.apply(tf.tensor(Float32Array.from(v), vShape)))),
  };
}
