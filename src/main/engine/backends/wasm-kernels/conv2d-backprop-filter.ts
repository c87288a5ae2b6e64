/**
 * Conv2DBackpropFilter for WASM (the backend has none; without it no conv net trains on WASM).
 *
 * dW[a,b,i,o] = sum_{n,p,q} x[n, p*s_h + a - pad_t, q*s_w + b - pad_l, i] * dy[n,p,q,o]
 * For c_out % 8 == 0 (every layer of the paper's networks) it runs as filter-grad-simd.ts's direct loop over a
 * zero-padded copy of x (mnist-cnn layer 2: ~13 ms below -> ~9 ms on one thread, the brief's layer 2 101 -> 30 ms),
 * with the second half of the images on heap-helper.ts's thread where the heap is shared. Otherwise it
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
import { backendMemory, heapOffset, heapSimd } from './heap-simd.js';
import { filterGradSimd, type FilterGradSimd } from './filter-grad-simd.js';
import { heapHelper } from './heap-helper.js';

/** Multiply-adds from which the direct filter gradient hands half the images to heap-helper.ts (~0.5 ms alone). */
const HELPER_MIN_MACS = 4e6;

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
  const direct = co % 8 === 0 ? filterGradSimd(backend) : null;
  if (direct) return directFilterGrad(direct, inputs, backend, info, filterShape, dataFormat);
  return withIntermediates(backend, (keep) => {
    // Channel-major x: [Ci, N, H, W] (for Ci = 1 that is x itself).
    const xT =
      ci === 1 ? inputs.x : keep(transpose(backend, inputs.x, dataFormat === 'NCHW' ? [1, 0, 2, 3] : [3, 0, 1, 2]));
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
        heapOffset(backend, xT.dataId),
        heapOffset(backend, cols.dataId),
        heapOffset(backend, ranges.dataId),
        n,
        g.inH,
        g.inW,
        ci,
        ho,
        wo,
        kh,
        kw,
        g.strideH,
        g.strideW,
        g.padTop,
        g.padLeft,
      );
    } else {
      im2colTransposed(heapF32(backend, xT), heapF32(backend, cols), geometry);
    }
    const rows = kh * kw * ci;
    if (simd && rows <= MAX_SHORT_ROWS && co % 16 === 0) {
      const dW = backend.makeOutput([...filterShape], 'float32') as TensorInfo;
      simd.gemmShortRows(
        heapOffset(backend, cols.dataId),
        heapOffset(backend, dy.dataId),
        heapOffset(backend, dW.dataId),
        rows,
        n * ho * wo,
        co,
      );
      return dW;
    }
    const dy3 = keep(reshape(backend, dy, [1, n * ho * wo, co]));
    const dW = keep(
      runWasmKernel('BatchMatMul', backend, { a: cols, b: dy3 }, { transposeA: false, transposeB: false }),
    );
    return reshape(backend, dW, filterShape);
  });
}

/**
 * filter-grad-simd.ts's direct loop: x copied into a zero-padded NHWC buffer covering exactly the taps' reach
 * ((Ho - 1) sh + kh rows, (Wo - 1) sw + kw columns), then one call.
 */
function directFilterGrad(
  simd: FilterGradSimd,
  inputs: Args['inputs'],
  backend: BackendWasm,
  info: ReturnType<typeof conv2dInfo>,
  filterShape: [number, number, number, number],
  dataFormat: ConvBackpropAttrs['dataFormat'],
): TensorInfo {
  const [kh, kw, ci, co] = filterShape;
  const {
    batchSize: n,
    outHeight: ho,
    outWidth: wo,
    inHeight: h,
    inWidth: w,
    strideHeight: sh,
    strideWidth: sw,
  } = info;
  const { top, left } = info.padInfo;
  const hp = (ho - 1) * sh + kh;
  const wp = (wo - 1) * sw + kw;
  return withIntermediates(backend, (keep) => {
    const x = dataFormat === 'NCHW' ? keep(transpose(backend, inputs.x, [0, 2, 3, 1])) : inputs.x;
    const dy = toNHWC(backend, inputs.dy, dataFormat, keep);
    const samePlace = top === 0 && left === 0 && hp === h && wp === w;
    const xPad = samePlace ? x : keep(backend.makeOutput([n, hp, wp, ci], 'float32') as TensorInfo);
    const offsets = keep(backend.makeOutput([kh * kw * ci], 'int32') as TensorInfo);
    const dW = backend.makeOutput([...filterShape], 'float32') as TensorInfo;
    // Views after the last allocation (an allocation may grow the heap and detach earlier views).
    const heap = new Float32Array(backendMemory(backend)!.buffer);
    if (!samePlace)
      padInput(heap, heapOffset(backend, x.dataId) / 4, heapOffset(backend, xPad.dataId) / 4, info, hp, wp, ci);
    const table = backend.typedArrayFromHeap(offsets) as Int32Array;
    for (let a = 0, r = 0; a < kh; a++)
      for (let b = 0; b < kw; b++) for (let i = 0; i < ci; i++) table[r++] = 4 * ((a * wp + b) * ci + i);
    const rows = kh * kw * ci;
    const img = 4 * hp * wp * ci;
    const dyImg = 4 * ho * wo * co;
    const at = {
      x: heapOffset(backend, xPad.dataId),
      dy: heapOffset(backend, dy.dataId),
      offsets: heapOffset(backend, offsets.dataId),
    };
    const call = (dWAt: number, from: number, count: number): number[] => [
      at.x + from * img,
      at.dy + from * dyImg,
      dWAt,
      at.offsets,
      count,
      img,
      ho,
      wo,
      4 * sh * wp * ci,
      4 * sw * ci,
      rows,
      co,
    ];
    // Two threads (threaded build): the helper sums the second half of the images into its own partial dW.
    const memory = backendMemory(backend)!;
    const helper = n >= 2 && rows * co * n * ho * wo >= HELPER_MIN_MACS ? heapHelper(memory) : null;
    const half = helper ? Math.ceil(n / 2) : n;
    const part = helper ? keep(backend.makeOutput([...filterShape], 'float32') as TensorInfo) : null;
    const dWAt = heapOffset(backend, dW.dataId);
    const heapNow = () => new Float32Array(memory.buffer);
    heapNow().fill(0, dWAt / 4, dWAt / 4 + rows * co);
    if (helper && part)
      sumOnTwoThreads(simd, helper, call, heapNow, dWAt, heapOffset(backend, part.dataId), half, n, rows * co);
    else simd.filterGrad(...(call(dWAt, 0, n) as Parameters<FilterGradSimd['filterGrad']>));
    return dW;
  });
}

/**
 * x (NHWC at float index `src`) into the zero-padded buffer at `dst` ([n, hp, wp, ci]): zeros, then each image
 * row that the taps reach copied to its padded place.
 */
function padInput(
  heap: Float32Array,
  src: number,
  dst: number,
  info: ReturnType<typeof conv2dInfo>,
  hp: number,
  wp: number,
  ci: number,
): void {
  const { batchSize: n, inHeight: h, inWidth: w } = info;
  const { top, left } = info.padInfo;
  heap.fill(0, dst, dst + n * hp * wp * ci);
  const validRows = Math.min(h, hp - top);
  const run = Math.min(w, wp - left) * ci;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < validRows; y++) {
      const from = src + (b * h + y) * w * ci;
      heap.copyWithin(dst + ((b * hp + y + top) * wp + left) * ci, from, from + run);
    }
  }
}

/**
 * Images [0, half) here into dW, [half, n) on the helper thread into `part`, then dW += part; if the helper
 * fails to start or finish, this thread does the second half too (same sums as one thread in that case).
 */
function sumOnTwoThreads(
  simd: FilterGradSimd,
  helper: NonNullable<ReturnType<typeof heapHelper>>,
  call: (dWAt: number, from: number, count: number) => number[],
  heapNow: () => Float32Array,
  dWAt: number,
  partAt: number,
  half: number,
  n: number,
  size: number,
): void {
  let helped = false;
  heapNow().fill(0, partAt / 4, partAt / 4 + size);
  try {
    helper.start(simd.module, 'filterGrad', call(partAt, half, n - half));
    helped = true;
  } catch {
    helped = false;
  }
  simd.filterGrad(...(call(dWAt, 0, half) as Parameters<FilterGradSimd['filterGrad']>));
  try {
    if (helped) helper.finish();
  } catch {
    helped = false;
  }
  if (helped) {
    const heapView = heapNow();
    for (let j = 0; j < size; j++) heapView[dWAt / 4 + j] += heapView[partAt / 4 + j];
  } else {
    simd.filterGrad(...(call(dWAt, half, n - half) as Parameters<FilterGradSimd['filterGrad']>));
  }
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
