/** Bring a kernel to the host once, so float64 methods never pay for repeated device reads. */
import type * as tf from '@tensorflow/tfjs';
import type { KernelHWIO } from '../../../../shared/bounds.js';
import { KernelError } from '../../../../shared/bounds.js';

export function isHostKernel(k: unknown): k is KernelHWIO {
  return typeof k === 'object' && k !== null && 'data' in k && 'shape' in k && !('dataSync' in k);
}

export function kernelToHost(kernel: KernelHWIO | tf.Tensor): KernelHWIO {
  if (isHostKernel(kernel)) return kernel;
  const t = kernel as tf.Tensor;
  if (t.rank !== 4) {
    throw new KernelError(
      `expected a 4-D kernel [h, w, c_in, c_out] (HWIO), got a rank-${t.rank} tensor of shape [${t.shape.join(', ')}].`,
    );
  }
  return { shape: t.shape as KernelHWIO['shape'], data: new Float64Array(t.dataSync()) };
}
