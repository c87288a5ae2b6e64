/**
 * Gram iteration (Delattre et al., ICML 2023; gram-iteration.ts) as a differentiable tfjs scalar over every
 * frequency: the reference the Gram regulariser's host value and gradient (gram-gradient.ts) are tested against, and
 * its fallback before the first beforeStep (engine/train/regularizer.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelHWIO } from '../../../../shared/bounds.js';
import { KernelError } from '../../../../shared/bounds.js';
import { resolveInputSize, type InputSize } from '../numerics/fft2.js';
import { frequencyMatricesTensor } from '../numerics/fft2-tensor.js';
import { checkIterations } from './gram-iteration.js';

/** Floor for squared Frobenius norms (a normal float32), so log and division never see 0. */
const TINY_SQ = 1e-30;

/**
 * tfjs 4.22 has no gradient for FFT/RFFT, so the frequency matrices come from matMuls with real DFT matrices
 * (frequencyMatricesTensor); the iteration runs in log-space with guarded norms, so zero frequencies give finite
 * values and gradients. Float32: agrees with gramIterationBound to ~1e-5 relative; gradients flow into the kernel.
 */
export function gramIterationBoundTensor(kernel: tf.Tensor4D, n: InputSize, iterations = 6): tf.Scalar {
  if (kernel.rank !== 4) {
    throw new KernelError(
      `gramIterationBoundTensor: expected a 4-D kernel [h, w, c_in, c_out], got shape [${kernel.shape.join(', ')}].`,
    );
  }
  checkIterations(iterations, 'gramIterationBoundTensor');
  // Only the shape is checked here; the weights stay on the device.
  const shapeOnly: KernelHWIO = { shape: kernel.shape as KernelHWIO['shape'], data: new Float64Array(0) };
  const [nh, nw] = resolveInputSize(shapeOnly, n, 'gramIterationBoundTensor');
  return tf.tidy(() => {
    let { re, im } = frequencyMatricesTensor(kernel, nh, nw);
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
