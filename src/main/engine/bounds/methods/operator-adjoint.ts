/**
 * The adjoint of a zero-padded, strided tf.conv2d as a forward tf.conv2d: tfjs's conv2dTranspose (the backprop
 * kernel) costs up to 4x a forward convolution on the WASM backend for wide layers (measured 137 ms against 27 ms
 * for 512 channels at 7x7), and the operator estimate does one of each per product.
 *
 * With A x (r) = sum_k W[k]^T x(s r + k - p) for outputs r in [0, o), the adjoint is
 *   A^T y (q) = sum_{r, k : s r + k - p = q} W[k] y(r) = sum_j W'[j] z(q + j - (h - 1 - p)),
 * where W'[j] = W[h - 1 - j]^T (spatially flipped, channels swapped) and z is y with s - 1 zeros after every
 * sample: a stride-1 correlation with pad h - 1 - p before (it needs p <= h - 1, else undefined is returned and the
 * caller keeps conv2dTranspose). With a stride s the correlation multiplies the s^2 - 1 zeros too (s^2 times the
 * forward's work), so operator-power.ts uses it at stride 1 only.
 */
import * as tf from '@tensorflow/tfjs';

export interface ZeroPadGeometry {
  nh: number;
  nw: number;
  stride: number;
  /** [top, bottom] and [left, right] pads of the forward convolution. */
  rows: [number, number];
  cols: [number, number];
}

export interface Adjoint {
  apply(u: tf.Tensor4D): tf.Tensor4D;
  /** Frees the flipped kernel. */
  dispose(): void;
}

/** u -> A^T u for the kernel W (HWIO), or undefined where the pads exceed the kernel's reach. */
export function correlationAdjoint(W: tf.Tensor4D, g: ZeroPadGeometry): Adjoint | undefined {
  const [h, w] = W.shape;
  const [pt] = g.rows;
  const [pl] = g.cols;
  if (pt > h - 1 || pl > w - 1) return undefined;
  const flipped = tf.tidy(() => tf.transpose(tf.reverse(W, [0, 1]), [0, 1, 3, 2])) as tf.Tensor4D;
  const s = g.stride;
  const apply = (u: tf.Tensor4D): tf.Tensor4D =>
    tf.tidy(() => {
      const z = s === 1 ? u : upsample(u, s);
      // Rows of z used: q + j - (h - 1 - p) <= nh - 1 + p, i.e. the first nh + p; pad or cut z to that length.
      const fit = (t: tf.Tensor4D, axis: 1 | 2, want: number): tf.Tensor4D => {
        const have = t.shape[axis];
        if (have === want) return t;
        if (have > want) return tf.slice(t, [0, 0, 0, 0], axis === 1 ? [-1, want, -1, -1] : [-1, -1, want, -1]);
        const pads: [number, number][] = [
          [0, 0],
          [0, 0],
          [0, 0],
          [0, 0],
        ];
        pads[axis] = [0, want - have];
        return tf.pad(t, pads);
      };
      const zz = fit(fit(z, 1, g.nh + pt), 2, g.nw + pl);
      return tf.conv2d(zz, flipped, 1, [
        [0, 0],
        [h - 1 - pt, 0],
        [w - 1 - pl, 0],
        [0, 0],
      ]);
    });
  return { apply, dispose: () => flipped.dispose() };
}

/** y with s - 1 zeros after every row and column sample: [1, o_h, o_w, c] -> [1, s o_h, s o_w, c]. */
function upsample(y: tf.Tensor4D, s: number): tf.Tensor4D {
  const [b, oh, ow, c] = y.shape;
  const spread = tf.pad(tf.reshape(y, [b, oh, 1, ow, 1, c]), [
    [0, 0],
    [0, 0],
    [0, s - 1],
    [0, 0],
    [0, s - 1],
    [0, 0],
  ]);
  return tf.reshape(spread, [b, oh * s, ow * s, c]);
}
