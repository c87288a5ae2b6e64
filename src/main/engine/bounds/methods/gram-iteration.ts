/**
 * Delattre, Barthélemy, Araujo & Allauzen (ICML 2023), "Efficient Bound of Lipschitz Constant for Convolutional
 * Layers by Gram Iteration": an upper bound on the circular norm at n that converges super-linearly to it.
 *
 * Per frequency matrix M (Sedghi et al.'s block-diagonalisation), t times: r <- 2 (r + log ||X||_F),
 * X <- X / ||X||_F, X <- X X^H. Since ||X||_2^(2^t) = ||X_t||_2 <= ||X_t||_F,
 *   sigma_max(M) <= ||X_t||_F^(2^-t) exp(r 2^-t),
 * and the layer's bound is the max over frequencies. The Frobenius rescaling keeps 2^t-th powers in range; a
 * zero frequency (e.g. the DC term of a difference kernel) contributes 0 without dividing by its norm.
 * Using the smaller Gram side (M M^H) instead of the paper's X^H X changes nothing: both have the same
 * non-zero eigenvalues, hence the same Frobenius norms at every step.
 */
import * as tf from '@tensorflow/tfjs';
import type { BoundResult, KernelHWIO } from '../../../../shared/bounds.js';
import { KernelError, validateKernel } from '../../../../shared/bounds.js';
import { kernelToHost } from '../numerics/host-kernel.js';
import { frequencyMatrices, frequencyMatricesTensor, resolveInputSize, rowGram, type InputSize } from '../numerics/fft2.js';

export type GramIterationResult = BoundResult & {
  /** The bound after 1, 2, ..., t iterations (non-increasing; the last is `value`). */
  perIteration: number[];
};

function checkIterations(iterations: number, label: string): void {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 30) {
    throw new KernelError(`${label}: iterations must be an integer in [1, 30], got ${iterations}.`);
  }
}

export function gramIterationBound(kernel: KernelHWIO | tf.Tensor4D, n: InputSize, iterations = 6): GramIterationResult {
  const t0 = performance.now();
  const host = kernelToHost(kernel);
  validateKernel(host, 'gramIterationBound');
  checkIterations(iterations, 'gramIterationBound');
  const [nh, nw] = resolveInputSize(host, n, 'gramIterationBound');
  const fm = frequencyMatrices(host, nh, nw);
  const { rows: R, cols: C } = fm;
  const perIteration = new Array<number>(iterations).fill(0);
  const X = new Float64Array(2 * R * R);
  const Y = new Float64Array(2 * R * R);
  const scaledM = new Float64Array(2 * R * C);
  for (let f = 0; f < fm.count; f++) {
    const off = f * 2 * R * C;
    let r = 0;
    // Step 1 acts on the rectangular M; later steps square the Hermitian X (X X^H = X^2).
    let sq = 0;
    for (let j = 0; j < 2 * R * C; j++) sq += fm.data[off + j] ** 2;
    if (sq === 0) continue;
    let nrm = Math.sqrt(sq);
    for (let j = 0; j < 2 * R * C; j++) scaledM[j] = fm.data[off + j] / nrm;
    r = 2 * (r + Math.log(nrm));
    rowGram(scaledM, 0, R * C, R, C, X.subarray(0, R * R), X.subarray(R * R));
    for (let i = 1; ; i++) {
      sq = 0;
      for (let j = 0; j < 2 * R * R; j++) sq += X[j] * X[j];
      nrm = Math.sqrt(sq);
      const p = 2 ** -i;
      const bound = Math.exp(p * (Math.log(nrm) + r));
      perIteration[i - 1] = Math.max(perIteration[i - 1], bound);
      if (i === iterations) break;
      for (let j = 0; j < 2 * R * R; j++) Y[j] = X[j] / nrm;
      r = 2 * (r + Math.log(nrm));
      rowGram(Y, 0, R * R, R, R, X.subarray(0, R * R), X.subarray(R * R));
    }
  }
  return {
    method: 'gram-iteration',
    value: perIteration[iterations - 1],
    kind: 'upper bound',
    validFor: { padding: 'circular', stride: 1, n },
    iterations,
    timeMs: performance.now() - t0,
    perIteration,
  };
}

/** Floor for squared Frobenius norms (a normal float32), so log and division never see 0. */
const TINY_SQ = 1e-30;

/**
 * The same bound as a differentiable tfjs scalar, for use as a training regulariser. tfjs 4.22 has no gradient
 * for FFT/RFFT, so the frequency matrices come from matMuls with real DFT matrices (frequencyMatricesTensor);
 * the iteration runs in log-space with guarded norms, so zero frequencies give finite values and gradients.
 * Float32: agrees with gramIterationBound to ~1e-5 relative; gradients flow into the kernel.
 */
export function gramIterationBoundTensor(kernel: tf.Tensor4D, n: InputSize, iterations = 6): tf.Scalar {
  if (kernel.rank !== 4) {
    throw new KernelError(`gramIterationBoundTensor: expected a 4-D kernel [h, w, c_in, c_out], got shape [${kernel.shape.join(', ')}].`);
  }
  checkIterations(iterations, 'gramIterationBoundTensor');
  // Only the shape is checked here; the weights stay on the device.
  const shapeOnly: KernelHWIO = { shape: kernel.shape as KernelHWIO['shape'], data: new Float64Array(0) };
  const [nh, nw] = resolveInputSize(shapeOnly, n, 'gramIterationBoundTensor');
  return tf.tidy(() => {
    let { re, im } = frequencyMatricesTensor(kernel, nh, nw);
    let r: tf.Tensor = tf.zerosLike(tf.sum(re, [1, 2]));
    for (let i = 1; i <= iterations; i++) {
      const logNorm = tf.mul(0.5, tf.log(tf.maximum(tf.add(tf.sum(tf.square(re), [1, 2]), tf.sum(tf.square(im), [1, 2])), TINY_SQ)));
      const inv = tf.reshape(tf.exp(tf.neg(logNorm)), [-1, 1, 1]);
      const xr = tf.mul(re, inv) as tf.Tensor3D;
      const xi = tf.mul(im, inv) as tf.Tensor3D;
      r = tf.mul(2, tf.add(r, logNorm));
      // X X^H = (xr xr^T + xi xi^T) + i (xi xr^T - xr xi^T)
      re = tf.add(tf.matMul(xr, xr, false, true), tf.matMul(xi, xi, false, true));
      im = tf.sub(tf.matMul(xi, xr, false, true), tf.matMul(xr, xi, false, true));
    }
    const logFinal = tf.mul(0.5, tf.log(tf.maximum(tf.add(tf.sum(tf.square(re), [1, 2]), tf.sum(tf.square(im), [1, 2])), TINY_SQ)));
    const perFreq = tf.mul(2 ** -iterations, tf.add(logFinal, r));
    return tf.exp(tf.max(perFreq)) as tf.Scalar;
  });
}
