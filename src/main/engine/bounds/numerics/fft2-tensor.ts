/**
 * The frequency matrices of fft2.ts as tfjs tensors, for the Gram regulariser (gram-tensor.ts): the DFT as
 * matMuls with real DFT matrices, so that gradients flow back to the kernel.
 */
import * as tf from '@tensorflow/tfjs';

/** Real DFT matrices C[u,k] = cos(2 pi u k / n), S[u,k] = sin(2 pi u k / n) for u < nFreq, k < size. */
function dftMatrices(nFreq: number, size: number, n: number): [tf.Tensor2D, tf.Tensor2D] {
  const c = new Float32Array(nFreq * size);
  const s = new Float32Array(nFreq * size);
  for (let u = 0; u < nFreq; u++) {
    for (let k = 0; k < size; k++) {
      const phi = (2 * Math.PI * ((u * k) % n)) / n;
      c[u * size + k] = Math.cos(phi);
      s[u * size + k] = Math.sin(phi);
    }
  }
  return [tf.tensor2d(c, [nFreq, size]), tf.tensor2d(s, [nFreq, size])];
}

/**
 * The same matrices as tfjs tensors [F, rows, cols] (real, imaginary), built from matMuls with real DFT
 * matrices so that gradients flow back to the kernel (tfjs 4.22 registers no gradient for FFT/RFFT, Real,
 * Imag or Complex). Frequencies: all u, and v = 0 .. floor(n_w/2) — every conjugate pair at least once.
 */
export function frequencyMatricesTensor(
  kernel: tf.Tensor4D,
  nh: number,
  nw: number,
): { re: tf.Tensor3D; im: tf.Tensor3D } {
  const [h, w, ci, co] = kernel.shape;
  const nv = Math.floor(nw / 2) + 1;
  const m = ci * co;
  return tf.tidy(() => {
    const [Cw, Sw] = dftMatrices(nv, w, nw);
    const [Ch, Sh] = dftMatrices(nh, h, nh);
    // Along w: [w, h*m] -> [nv, h*m]
    const byW = tf.transpose(tf.reshape(kernel, [h, w, m]), [1, 0, 2]).reshape([w, h * m]);
    const tc = tf
      .matMul(Cw, byW)
      .reshape([nv, h, m])
      .transpose([1, 0, 2])
      .reshape([h, nv * m]);
    const ts = tf
      .matMul(Sw, byW)
      .reshape([nv, h, m])
      .transpose([1, 0, 2])
      .reshape([h, nv * m]);
    // e^{-i(a+b)} = (cos a cos b - sin a sin b) - i (sin a cos b + cos a sin b)
    const re = tf.sub(tf.matMul(Ch, tc), tf.matMul(Sh, ts));
    const im = tf.neg(tf.add(tf.matMul(Sh, tc), tf.matMul(Ch, ts)));
    const shape: [number, number, number] = [nh * nv, ci, co];
    const orient = (x: tf.Tensor): tf.Tensor3D =>
      ci > co ? (tf.transpose(x.reshape(shape), [0, 2, 1]) as tf.Tensor3D) : (x.reshape(shape) as tf.Tensor3D);
    return { re: orient(re), im: orient(im) };
  });
}
