/**
 * The 2x2 / stride-2 max-pooling gradient (models/pooling.ts) as one WASM kernel: dx = (x == upsample(y)) *
 * upsample(dy) in a single pass over x, through the heap SIMD module (heap-simd.ts), instead of two resizes,
 * an Equal, a Cast and a Multiply (~6 ms of the mnist-cnn step). Same tie rule as the composite: every input
 * equal to its window's maximum receives the gradient. Rows/columns that 'valid' pooling drops get 0.
 */
import { util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { MAX_POOL_2X2_GRAD } from '../../kernel-names.js';
import { heapOffset, heapSimd } from './heap-simd.js';

interface Args {
  inputs: { x: TensorInfo; y: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
}

function maxPool2x2Grad({ inputs: { x, y, dy }, backend }: Args): TensorInfo {
  const [batch, inH, inW, ch] = x.shape;
  const [, outH, outW] = y.shape;
  if (
    x.shape.length !== 4 ||
    outH !== Math.floor(inH / 2) ||
    outW !== Math.floor(inW / 2) ||
    !util.arraysEqual(y.shape, dy.shape)
  ) {
    throw new Error(
      `${MAX_POOL_2X2_GRAD}: expected x [b, h, w, c], y and dy [b, h/2, w/2, c]; got x [${x.shape}], y [${y.shape}], dy [${dy.shape}].`,
    );
  }
  const out = backend.makeOutput([...x.shape], 'float32') as TensorInfo;
  const heap = () => backend.typedArrayFromHeap(out) as Float32Array;
  const simd = ch % 4 === 0 ? heapSimd(backend) : null;
  if (simd) {
    simd.maxPoolGrad2x2(
      heapOffset(backend, x.dataId),
      heapOffset(backend, y.dataId),
      heapOffset(backend, dy.dataId),
      heapOffset(backend, out.dataId),
      batch,
      outH,
      outW,
      inH,
      inW,
      ch,
    );
  } else {
    const xs = backend.typedArrayFromHeap(x) as Float32Array;
    const ys = backend.typedArrayFromHeap(y) as Float32Array;
    const ds = backend.typedArrayFromHeap(dy) as Float32Array;
    const dx = heap();
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < 2 * outH; i++) {
        for (let j = 0; j < 2 * outW; j++) {
          const xo = ((b * inH + i) * inW + j) * ch;
          const yo = ((b * outH + (i >> 1)) * outW + (j >> 1)) * ch;
          for (let c = 0; c < ch; c++) dx[xo + c] = xs[xo + c] === ys[yo + c] ? ds[yo + c] : 0;
        }
      }
    }
  }
  // The row and column that 'valid' pooling of an odd size drops get no gradient.
  const dx = heap();
  const rowLen = inW * ch;
  for (let b = 0; b < batch; b++) {
    const img = b * inH * rowLen;
    if (inH % 2) dx.fill(0, img + (inH - 1) * rowLen, img + inH * rowLen);
    if (inW % 2)
      for (let i = 0; i < 2 * outH; i++) dx.fill(0, img + i * rowLen + (inW - 1) * ch, img + (i + 1) * rowLen);
  }
  return out;
}

export const maxPool2x2GradConfig: KernelConfig = {
  kernelName: MAX_POOL_2X2_GRAD,
  backendName: 'wasm',
  kernelFunc: maxPool2x2Grad as unknown as KernelFunc,
};
