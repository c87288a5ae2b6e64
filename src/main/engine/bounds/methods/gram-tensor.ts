/**
 * Gram iteration (Delattre et al., ICML 2023; gram-iteration.ts) as a differentiable tfjs scalar, for the training
 * regulariser (engine/train/regularizer.ts), optionally on a few frequencies only.
 *
 * Why a subset is enough: the bound is max_f ||M_f||_{S_p}, and the gradient of a maximum is the gradient of its
 * argmax. Given the frequencies that can hold the maximum (gramLeadingFrequencies: every other one is guaranteed
 * below (1 - rel) times it), the max over that subset has the same value and the same gradient as the max over the
 * whole spectrum, at the cost of a handful of frequency matrices instead of ~n^2/2 (measured on mnist-cnn's
 * 16->32 layer at 14x14: 112 frequencies, 1-2 leading).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelHWIO } from '../../../../shared/bounds.js';
import { KernelError } from '../../../../shared/bounds.js';
import { frequencyMatricesTensor, resolveInputSize, type FrequencySet, type InputSize } from '../numerics/fft2.js';
import { checkIterations } from './gram-iteration.js';

/** Floor for squared Frobenius norms (a normal float32), so log and division never see 0. */
const TINY_SQ = 1e-30;

/**
 * The bound as a tfjs scalar: over every frequency (the default), or over `frequencies` only (see the header). tfjs
 * 4.22 has no gradient for FFT/RFFT, so the frequency matrices come from matMuls with real DFT matrices
 * (frequencyMatricesTensor, or subsetMatricesTensor); the iteration runs in log-space with guarded norms, so zero
 * frequencies give finite values and gradients. Float32: agrees with gramIterationBound to ~1e-5 relative.
 */
export function gramIterationBoundTensor(
  kernel: tf.Tensor4D,
  n: InputSize,
  iterations = 6,
  frequencies?: FrequencySet,
): tf.Scalar {
  if (kernel.rank !== 4) {
    throw new KernelError(
      `gramIterationBoundTensor: expected a 4-D kernel [h, w, c_in, c_out], got shape [${kernel.shape.join(', ')}].`,
    );
  }
  checkIterations(iterations, 'gramIterationBoundTensor');
  // Only the shape is checked here; the weights stay on the device.
  const shapeOnly: KernelHWIO = { shape: kernel.shape as KernelHWIO['shape'], data: new Float64Array(0) };
  const [nh, nw] = resolveInputSize(shapeOnly, n, 'gramIterationBoundTensor');
  if (frequencies && frequencies.u.length === 0) {
    throw new KernelError(
      'gramIterationBoundTensor: the frequency subset is empty; pass undefined for all frequencies.',
    );
  }
  return tf.tidy(() => {
    let { re, im } = frequencies
      ? subsetMatricesTensor(kernel, nh, nw, frequencies)
      : frequencyMatricesTensor(kernel, nh, nw);
    let r: tf.Tensor = tf.zerosLike(tf.sum(re, [1, 2]));
    for (let i = 1; i <= iterations; i++) {
      const logNorm = tf.mul(
        0.5,
        tf.log(tf.maximum(tf.add(tf.sum(tf.square(re), [1, 2]), tf.sum(tf.square(im), [1, 2])), TINY_SQ)),
      );
      const inv = tf.reshape(tf.exp(tf.neg(logNorm)), [-1, 1, 1]);
      const xr = tf.mul(re, inv) as tf.Tensor3D;
      const xi = tf.mul(im, inv) as tf.Tensor3D;
      r = tf.mul(2, tf.add(r, logNorm));
      // X X^H = (xr xr^T + xi xi^T) + i (xi xr^T - xr xi^T)
      re = tf.add(tf.matMul(xr, xr, false, true), tf.matMul(xi, xi, false, true));
      im = tf.sub(tf.matMul(xi, xr, false, true), tf.matMul(xr, xi, false, true));
    }
    const logFinal = tf.mul(
      0.5,
      tf.log(tf.maximum(tf.add(tf.sum(tf.square(re), [1, 2]), tf.sum(tf.square(im), [1, 2])), TINY_SQ)),
    );
    const perFreq = tf.mul(2 ** -iterations, tf.add(logFinal, r));
    // The maximum as the entry at its argmax: tf.max's gradient goes to every entry equal to the maximum, which
    // counts exact ties (conjugate frequencies the full tensor holds twice, a 1x1 kernel's identical matrices) twice
    // or more. The index is read back (a few bytes) so that no integer tensor sits on the gradient's path.
    const best = tf.argMax(perFreq).dataSync()[0];
    return tf.exp(tf.reshape(tf.slice(perFreq, [best], [1]), [])) as tf.Scalar;
  });
}

/**
 * M_f (rows = the smaller channel side, as frequencyMatricesTensor) at the given frequencies only, by the direct
 * DFT M_f = sum_{k,l} W[k,l] e^{-2 pi i (u k / n_h + v l / n_w)}: two [F, h w] x [h w, c_in c_out] matMuls.
 */
function subsetMatricesTensor(
  kernel: tf.Tensor4D,
  nh: number,
  nw: number,
  set: FrequencySet,
): { re: tf.Tensor3D; im: tf.Tensor3D } {
  const [h, w, ci, co] = kernel.shape;
  const F = set.u.length;
  const cos = new Float32Array(F * h * w);
  const sin = new Float32Array(F * h * w);
  for (let f = 0; f < F; f++) {
    for (let k = 0; k < h; k++) {
      for (let l = 0; l < w; l++) {
        // The phase index taken mod n exactly, as in fft2.ts.
        const phi = 2 * Math.PI * (((set.u[f] * k) % nh) / nh + ((set.v[f] * l) % nw) / nw);
        cos[(f * h + k) * w + l] = Math.cos(phi);
        sin[(f * h + k) * w + l] = -Math.sin(phi);
      }
    }
  }
  const flat = tf.reshape(kernel, [h * w, ci * co]);
  const orient = (x: tf.Tensor2D): tf.Tensor3D => {
    const m = tf.reshape(x, [F, ci, co]) as tf.Tensor3D;
    return ci > co ? tf.transpose(m, [0, 2, 1]) : m;
  };
  return {
    re: orient(tf.matMul(tf.tensor2d(cos, [F, h * w]), flat)),
    im: orient(tf.matMul(tf.tensor2d(sin, [F, h * w]), flat)),
  };
}
