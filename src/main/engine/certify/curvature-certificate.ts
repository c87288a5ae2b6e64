/**
 * Certified accuracy from the second-order certificate (Singla & Feizi, ICML 2020): for each target
 * t != y, with margin m_t = z_y - z_t, gradient norm g_t = ||grad_x (z_y - z_t)|| at x and K_{y,t} from
 * curvatureBound (Theorem 4), the radius against t is the positive root of m - g r - K r^2 / 2
 * (curvatureCertifiedRadius); the certified radius is the minimum over all t, so the certificate covers
 * every target, not only the runner-up class the paper's experiments attack.
 */
import * as tf from '@tensorflow/tfjs';
import {
  CertifyError,
  certifiedAccuracyCurve,
  curvatureCertifiedRadius,
  validateEpsilons,
} from '../../../shared/certify-math.js';
import type { CurvatureBoundReport } from './curvature.js';
import { checkLabelRange, type Forward, type LabelsInput, toHostLabels, validateBatchSize } from './inputs.js';

export interface CurvatureCertifiedReport {
  n: number;
  numClasses: number;
  epsilons: number[];
  cleanAccuracy: number;
  correct: Uint8Array;
  accuracy: number[];
  /** Certified radius per example (0 if misclassified). */
  radii: Float64Array;
}

/**
 * `forward` must be the network `bound` was computed for (same weights, same activation), with the
 * input flattened in the order of the first layer's rows; nothing here can check that.
 */
export async function curvatureCertifiedAccuracy(
  forward: Forward,
  x: tf.Tensor4D,
  labels: LabelsInput,
  bound: CurvatureBoundReport,
  epsilons: number[],
  options: { batchSize?: number } = {},
): Promise<CurvatureCertifiedReport> {
  validateEpsilons(epsilons);
  const batchSize = options.batchSize ?? 128;
  validateBatchSize(batchSize);
  if (!(x instanceof tf.Tensor) || x.rank !== 4) {
    throw new CertifyError('curvatureCertifiedAccuracy: x must be a 4-D tensor [examples, height, width, channels].');
  }
  const y = await toHostLabels(labels);
  const n = x.shape[0];
  if (y.length !== n) throw new CertifyError(`curvatureCertifiedAccuracy: ${n} inputs but ${y.length} labels.`);
  if (n === 0) throw new CertifyError('curvatureCertifiedAccuracy: no examples.');
  const C = bound.numClasses;
  checkLabelRange(y, C);
  for (let j = 0; j < bound.pairwise.length; j++) {
    if (!(bound.pairwise[j] >= 0) || !Number.isFinite(bound.pairwise[j])) {
      throw new CertifyError(
        `curvatureCertifiedAccuracy: curvature bound entry ${j} is ${bound.pairwise[j]}; recompute it with curvatureBound.`,
      );
    }
  }

  const correct = new Uint8Array(n);
  const radii = new Float64Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const yb = y.subarray(start, start + size);
    const xb = tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1]);
    try {
      const z = await batchLogits(forward, xb, C, start);
      const r = await batchRadii(forward, xb, yb, z, C, bound);
      for (let i = 0; i < size; i++) {
        correct[start + i] = r[i] > 0 ? 1 : 0;
        radii[start + i] = r[i];
      }
    } finally {
      xb.dispose();
    }
  }
  let c = 0;
  for (let i = 0; i < n; i++) c += correct[i];
  return {
    n,
    numClasses: C,
    epsilons: [...epsilons],
    cleanAccuracy: c / n,
    correct,
    accuracy: certifiedAccuracyCurve(radii, epsilons),
    radii,
  };
}

/** The logits of a batch on the host, checked: C classes, all finite. `start`: the batch's first example. */
async function batchLogits(
  forward: Forward,
  xb: tf.Tensor4D,
  C: number,
  start: number,
): Promise<Float32Array | Int32Array | Uint8Array> {
  const zT = tf.tidy(() => forward(xb));
  if (zT.rank !== 2 || zT.shape[1] !== C) {
    const shape = zT.shape.join(', ');
    zT.dispose();
    throw new CertifyError(`forward returned shape [${shape}] but the curvature bound is for ${C} classes.`);
  }
  const z = await zT.data();
  zT.dispose();
  for (let j = 0; j < z.length; j++) {
    if (!Number.isFinite(z[j])) {
      throw new CertifyError(
        `curvatureCertifiedAccuracy: logit ${j % C} of example ${start + Math.floor(j / C)} is ${z[j]}; the model output must be finite.`,
      );
    }
  }
  return z;
}

/**
 * Certified radius of each example of a batch: 0 if misclassified, else the smallest over the other classes t
 * of the curvature radius from the margin z_y - z_t, its gradient's norm and the pair's curvature bound.
 */
async function batchRadii(
  forward: Forward,
  xb: tf.Tensor4D,
  yb: Int32Array,
  z: ArrayLike<number>,
  C: number,
  bound: CurvatureBoundReport,
): Promise<Float64Array> {
  const size = yb.length;
  const r = new Float64Array(size).fill(Infinity);
  for (let i = 0; i < size; i++) {
    const zy = z[i * C + yb[i]];
    for (let c = 0; c < C; c++) if (c !== yb[i] && !(zy > z[i * C + c])) r[i] = 0;
  }
  for (let t = 0; t < C; t++) {
    const active: number[] = [];
    for (let i = 0; i < size; i++) if (yb[i] !== t && r[i] > 0) active.push(i);
    if (active.length === 0) continue;
    // Rows are independent, so the gradient of sum_i (z_{i,y_i} - z_{i,t}) is each row's own gradient.
    const coef = new Float32Array(size * C);
    for (let i = 0; i < size; i++) {
      if (yb[i] === t) continue;
      coef[i * C + yb[i]] = 1;
      coef[i * C + t] = -1;
    }
    const normsT = tf.tidy(() => {
      const w = tf.tensor2d(coef, [size, C]);
      const grad = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(forward(xx as tf.Tensor4D), w)))(xb);
      return tf.sqrt(tf.sum(tf.square(grad), [1, 2, 3]));
    });
    const norms = await normsT.data();
    normsT.dispose();
    for (const i of active) {
      const m = z[i * C + yb[i]] - z[i * C + t];
      r[i] = Math.min(r[i], curvatureCertifiedRadius(m, norms[i], bound.pairwise[yb[i] * C + t]));
    }
  }
  return r;
}
