/**
 * Conv2DBackpropFilter for WASM (the backend has none; without it no conv net trains on WASM).
 *
 * dW[a,b,i,o] = sum_{n,p,q} x[n, p*s_h + a - pad_t, q*s_w + b - pad_l, i] * dy[n,p,q,o]
 * is itself a convolution: batch n plays the input-channel role, x's channels i play the batch
 * role, dy is the filter (taps p,q) and the forward stride becomes the dilation. So
 *   dW = transpose( Conv2D( x^T[i,h,w,n], dy^T[p,q,n,o], stride 1, dilation s ), [1,2,0,3] )
 * runs on XNNPACK's SIMD (and threaded) convolution. Measured alternatives, all slower here:
 * im2col + BatchMatMul (building the patches costs more than the transposes), and splitting the
 * batch into cache-sized groups (more transposes and calls than the cache saves).
 */
import { Conv2DBackpropFilter, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { runWasmKernel, withIntermediates } from './kernel-call.js';
import { conv2dInfo, filterGradAxis, slice, toNHWC, transpose, type ConvPad, type DataFormat } from './conv-layout.js';

interface Args {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
  attrs: {
    strides: number | [number, number];
    pad: ConvPad;
    dataFormat: DataFormat;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
}

export function conv2DBackpropFilter({ inputs, backend, attrs }: Args): TensorInfo {
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const info = conv2dInfo(inputs.x.shape, filterShape, strides, 1, pad, dimRoundingMode, false, dataFormat);
  const [kh, kw, ci] = filterShape;
  return withIntermediates(backend, (keep) => {
    let x = toNHWC(backend, inputs.x, dataFormat, keep);
    const dy = toNHWC(backend, inputs.dy, dataFormat, keep);
    const rows = filterGradAxis(info.inHeight, info.outHeight, kh, info.strideHeight, info.padInfo.top);
    const cols = filterGradAxis(info.inWidth, info.outWidth, kw, info.strideWidth, info.padInfo.left);
    if (rows.cropEnd > 0 || cols.cropEnd > 0) {
      x = keep(slice(backend, x, [0, 0, 0, 0], [info.batchSize, info.inHeight - rows.cropEnd, info.inWidth - cols.cropEnd, ci]));
    }
    // x -> [Ci, H, W, N] (batch as channels), dy -> [Ho, Wo, N, Co] (the filter).
    const xT = keep(transpose(backend, x, [3, 1, 2, 0]));
    const dyT = keep(transpose(backend, dy, [1, 2, 0, 3]));
    const corr = keep(
      runWasmKernel('Conv2D', backend, { x: xT, filter: dyT }, {
        strides: [1, 1],
        pad: [[0, 0], [rows.before, rows.after], [cols.before, cols.after], [0, 0]],
        dataFormat: 'NHWC',
        dilations: [info.strideHeight, info.strideWidth],
        dimRoundingMode: undefined,
      }),
    );
    // [Ci, kh, kw, Co] -> [kh, kw, Ci, Co]
    return transpose(backend, corr, [1, 2, 0, 3]);
  });
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
