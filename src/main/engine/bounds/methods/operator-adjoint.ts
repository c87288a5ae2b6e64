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
 * forward's work), so it serves stride 1 only; wide strided layers split the adjoint by stride phase (phaseAdjoint)
 * and zeroPadAdjoint picks between them.
 */
import * as tf from '@tensorflow/tfjs-core';

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
      const zz = fitRows(fitRows(z, 1, g.nh + pt), 2, g.nw + pl);
      return tf.conv2d(zz, flipped, 1, [
        [0, 0],
        [h - 1 - pt, 0],
        [w - 1 - pl, 0],
        [0, 0],
      ]);
    });
  return { apply, dispose: () => flipped.dispose() };
}

/**
 * u -> A^T u for a strided layer, split by stride phase (no multiplications by inserted zeros). With q + p = s m + a
 * (a = (q + p) mod s, the phase), only taps k = a + s j reach x(q):
 *   A^T y (q) = sum_j W[a + s j] y(m - j),
 * a stride-1 convolution of y with the phase's sub-kernel V_a[j] = W[a + s j], i.e. a correlation with V_a flipped
 * (channels swapped) and J_a - 1 pads before. The s^2 phase outputs z_a(m) (m in [0, M), M = floor((n - 1 + p) / s) + 1)
 * are interleaved by depth-to-space into Z(s m + a) and x(q) = Z(q + p). Together the phases use each tap once:
 * the forward's multiply-adds, where the zero-upsampled correlation does s^2 times that.
 */
export function phaseAdjoint(W: tf.Tensor4D, g: ZeroPadGeometry): Adjoint {
  const [h, w, ci] = W.shape;
  const s = g.stride;
  const [pt] = g.rows;
  const [pl] = g.cols;
  const mh = Math.floor((g.nh - 1 + pt) / s) + 1;
  const mw = Math.floor((g.nw - 1 + pl) / s) + 1;
  // Phase (a, b)'s flipped sub-kernel, or null where it has no taps (a kernel narrower than the stride).
  const phases: (tf.Tensor4D | null)[] = [];
  for (let a = 0; a < s; a++) {
    for (let b = 0; b < s; b++) {
      phases.push(
        a >= h || b >= w
          ? null
          : tf.tidy(() => {
              const rows = tf.range(a, h, s, 'int32');
              const cols = tf.range(b, w, s, 'int32');
              const sub = tf.gather(tf.gather(W, rows, 0), cols, 1) as tf.Tensor4D;
              return tf.transpose(tf.reverse(sub, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
            }),
      );
    }
  }
  const apply = (u: tf.Tensor4D): tf.Tensor4D =>
    tf.tidy(() => {
      const y = fitRows(fitRows(u, 1, mh), 2, mw);
      const parts = phases.map((V) =>
        V
          ? tf.conv2d(y, V, 1, [
              [0, 0],
              [V.shape[0] - 1, 0],
              [V.shape[1] - 1, 0],
              [0, 0],
            ])
          : tf.zeros([1, mh, mw, ci]),
      );
      const Z = s === 1 ? parts[0] : tf.depthToSpace(tf.concat(parts, 3) as tf.Tensor4D, s, 'NHWC');
      return tf.slice(Z, [0, pt, pl, 0], [1, g.nh, g.nw, ci]) as tf.Tensor4D;
    });
  return { apply, dispose: () => tf.dispose(phases.filter((V): V is tf.Tensor4D => V !== null)) };
}

/**
 * Products c_in c_out from which a strided layer's adjoint is split by stride phase (operator-adjoint.ts) instead of
 * tfjs's conv2dTranspose. Measured at stride 2 on the wasm backend (ms per adjoint, interleaved, median of 11, loaded
 * host): 256->512 at 14x14 10.1 vs 21.5; 128->256 at 28x28 11.9 vs 9.8, 64->128 at 56x56 16.5 vs 7.9, the 7x7 3->64
 * stem 38.7 vs 29.0 — on narrow layers the s^2 convolutions and the interleaving copies cost more than they save.
 */
const PHASE_ADJOINT_MIN_CHANNEL_PRODUCT = 65536;

/**
 * The adjoint of a zero-padded layer as forward convolutions where that is faster than conv2dTranspose: the
 * flipped-kernel correlation at stride 1, the split by stride phase on wide strided layers; else undefined.
 */
export function zeroPadAdjoint(W: tf.Tensor4D, g: ZeroPadGeometry): Adjoint | undefined {
  // The zero-upsampled correlation does s^2 times the forward's work at stride s (278 vs 98 ms on conv1): stride 1 only.
  if (g.stride === 1) return correlationAdjoint(W, g);
  return W.shape[2] * W.shape[3] >= PHASE_ADJOINT_MIN_CHANNEL_PRODUCT ? phaseAdjoint(W, g) : undefined;
}

/** t cut or zero-padded at the end of `axis` to `want` rows. */
function fitRows(t: tf.Tensor4D, axis: 1 | 2, want: number): tf.Tensor4D {
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
