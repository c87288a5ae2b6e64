/**
 * Conv2DBackpropFilter for WASM (the backend has none; without it no conv net trains on WASM).
 *
 * dW[a,b,i,o] = sum_{n,p,q} x[n, p*s_h + a - pad_t, q*s_w + b - pad_l, i] * dy[n,p,q,o]
 * is one GEMM of the transposed patch matrix with dy: dW[kh*kw*Ci, Co] = cols(x)[kh*kw*Ci, N*Ho*Wo] ·
 * dy[N*Ho*Wo, Co] (im2col.ts), both operands untransposed, so it runs on XNNPACK's SIMD GEMM (or, for
 * few rows, heap-simd.ts's, see MAX_SHORT_ROWS).
 * Measured (bench/wasm-kernels.bench.ts, fresh inputs, CPU ms) against the previous formulation as a
 * dilated XNNPACK convolution of x^T with dy^T, whose "filter" is the whole of dy: mnist-cnn layer 1
 * (Ci = 1) ~20 -> ~4, the brief's stride-2 layer 101 -> 69, mnist-cnn layer 2 ~21 -> ~16-22 (XNNPACK
 * still repacks dy as GEMM weights on every call: a fixed cost of this and the old formulation alike).
 * Splitting the batch into cache-sized blocks of images was measured ~2x slower (each GEMM call
 * creates and packs a new XNNPACK operator).
 */
import { Conv2DBackpropFilter, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapF32, runWasmKernel, withIntermediates } from './kernel-call.js';
import { conv2dInfo, reshape, toNHWC, transpose, type ConvBackpropAttrs } from './conv-layout.js';
import { im2colTransposed, validRange, type PatchGeometry } from './im2col.js';
import { heapOffset, heapSimd } from './heap-simd.js';

/**
 * Up to this many rows (kh*kw*Ci: first layers, e.g. 3x3x1) the GEMM runs on the heap SIMD module:
 * XNNPACK would repack all of dy [N*Ho*Wo, Co] as weights for a product of only this many rows
 * (measured: ~2x slower for the MNIST CNN's first layer).
 */
const MAX_SHORT_ROWS = 32;

interface Args {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
  attrs: ConvBackpropAttrs & { filterShape: [number, number, number, number] };
}

export function conv2DBackpropFilter({ inputs, backend, attrs }: Args): TensorInfo {
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const info = conv2dInfo(inputs.x.shape, filterShape, strides, 1, pad, dimRoundingMode, false, dataFormat);
  const [kh, kw, ci, co] = filterShape;
  const { batchSize: n, outHeight: ho, outWidth: wo } = info;
  return withIntermediates(backend, (keep) => {
    // Channel-major x: [Ci, N, H, W] (for Ci = 1 that is x itself).
    const xT =
      ci === 1
        ? inputs.x
        : keep(transpose(backend, inputs.x, dataFormat === 'NCHW' ? [1, 0, 2, 3] : [3, 0, 1, 2]));
    const dy = toNHWC(backend, inputs.dy, dataFormat, keep);
    const cols = keep(backend.makeOutput([1, kh * kw * ci, n * ho * wo], 'float32') as TensorInfo);
    const geometry: PatchGeometry = {
      batch: n,
      inH: info.inHeight,
      inW: info.inWidth,
      inC: ci,
      outH: ho,
      outW: wo,
      kh,
      kw,
      strideH: info.strideHeight,
      strideW: info.strideWidth,
      padTop: info.padInfo.top,
      padLeft: info.padInfo.left,
    };
    const simd = heapSimd(backend);
    if (simd) {
      const g = geometry;
      const ranges = keep(backend.makeOutput([2 * kw], 'int32') as TensorInfo);
      (backend.typedArrayFromHeap(ranges) as Int32Array).set(
        Array.from({ length: kw }, (_, b) => validRange(wo, g.strideW, b - g.padLeft, g.inW)).flat(),
      );
      simd.im2colT(
        heapOffset(backend, xT.dataId), heapOffset(backend, cols.dataId), heapOffset(backend, ranges.dataId),
        n, g.inH, g.inW, ci, ho, wo, kh, kw, g.strideH, g.strideW, g.padTop, g.padLeft,
      );
    } else {
      im2colTransposed(heapF32(backend, xT), heapF32(backend, cols), geometry);
    }
    const rows = kh * kw * ci;
    if (simd && rows <= MAX_SHORT_ROWS && co % 16 === 0) {
      const dW = backend.makeOutput([...filterShape], 'float32') as TensorInfo;
      simd.gemmShortRows(heapOffset(backend, cols.dataId), heapOffset(backend, dy.dataId), heapOffset(backend, dW.dataId), rows, n * ho * wo, co);
      return dW;
    }
    const dy3 = keep(reshape(backend, dy, [1, n * ho * wo, co]));
    const dW = keep(runWasmKernel('BatchMatMul', backend, { a: cols, b: dy3 }, { transposeA: false, transposeB: false }));
    return reshape(backend, dW, filterShape);
  });
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
