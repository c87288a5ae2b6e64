/**
 * 2x2 / stride-2 max-pooling with a hand-written gradient, for two reasons found on tfjs-backend-wasm 4.22:
 *  - its MaxPoolGrad kernel is wrong for windows whose values are all negative (it routes the gradient to the
 *    window's first element, not its maximum; tanh activations produce such windows);
 *  - it takes ~30% of the small MNIST CNN's step. Routing the gradient to the window maximum with a
 *    nearest-neighbour upsampling, an equality mask and a product costs about half as much ([128,28,28,16]).
 *
 * Ties: every element equal to its window's maximum receives the gradient (tfjs' kernel picks one). After a
 * ReLU the common tie is an all-zero window, whose gradient the ReLU then zeroes anyway; other exact ties
 * have probability zero for real-valued activations.
 */
import * as tf from '@tensorflow/tfjs';
import { MAX_POOL_2X2_GRAD } from '../kernel-names.js';

const maxPool2x2Op = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const y = tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid');
  save([x, y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ys] = saved as [tf.Tensor4D, tf.Tensor4D];
      // One fused kernel where the backend has it (WASM: backends/wasm-kernels/max-pool-grad.ts).
      if (tf.getKernel(MAX_POOL_2X2_GRAD, tf.getBackend())) {
        return tf
          .engine()
          .runKernel(MAX_POOL_2X2_GRAD, { x: xs, y: ys, dy } as unknown as tf.NamedTensorMap) as tf.Tensor;
      }
      const [, h, w] = xs.shape;
      // 'valid' pooling of an odd size drops the last row/column: pad the upsampled maps back with zeros
      // (dy is 0 there, so those inputs get no gradient, as in the kernel).
      const hh = 2 * ys.shape[1];
      const ww = 2 * ys.shape[2];
      const up = (a: tf.Tensor4D): tf.Tensor4D => {
        const u = tf.image.resizeNearestNeighbor(a, [hh, ww]);
        return hh === h && ww === w
          ? u
          : tf.pad(u, [
              [0, 0],
              [0, h - hh],
              [0, w - ww],
              [0, 0],
            ]);
      };
      const mask = tf.cast(tf.equal(xs, up(ys)), 'float32');
      return tf.mul(mask, up(dy as tf.Tensor4D));
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

export function maxPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  return maxPool2x2Op(x) as tf.Tensor4D;
}
