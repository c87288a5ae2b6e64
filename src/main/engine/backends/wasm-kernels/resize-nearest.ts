/**
 * ResizeNearestNeighbor on WASM (the max-pooling gradient upsamples y and dy 2x with it) through the
 * heap SIMD module (heap-simd.ts): source rows and columns are tabled once with tfjs-core's index rule
 * (alignCorners, halfPixelCenters), then every output pixel is a 16-byte-vector copy and a repeated
 * output row one memory.copy. Float32 images whose channel count is a multiple of 4 only; the
 * rest stay on the native kernel.
 */
import { type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { withIntermediates } from './kernel-call.js';
import { originalWasmKernel } from './override.js';
import { heapOffset, heapSimd } from './heap-simd.js';

interface Args {
  inputs: { images: TensorInfo };
  backend: BackendWasm;
  attrs: { alignCorners: boolean; halfPixelCenters: boolean; size: [number, number] };
}

/** Source index of each output index along one axis (tfjs-core's resizeNearestNeighbor rule). */
export function nearestSources(
  inSize: number,
  outSize: number,
  alignCorners: boolean,
  halfPixelCenters: boolean,
): number[] {
  const effIn = alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = alignCorners && outSize > 1 ? outSize - 1 : outSize;
  const ratio = effIn / effOut;
  return Array.from({ length: outSize }, (_, r) => {
    const frac = halfPixelCenters ? ratio * (r + 0.5) : ratio * r;
    const s = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    return halfPixelCenters ? Math.max(0, s) : s;
  });
}

function resizeNearest(args: Args): TensorInfo {
  const {
    inputs: { images },
    backend,
    attrs,
  } = args;
  const simd = heapSimd(backend);
  const [n, inH, inW, c] = images.shape;
  const [outH, outW] = attrs.size;
  if (!simd || images.dtype !== 'float32' || images.shape.length !== 4 || c % 4 !== 0 || n * outH * outW * c === 0) {
    return originalWasmKernel('ResizeNearestNeighbor')(args as never) as TensorInfo;
  }
  const pixel = 4 * c;
  const rows = nearestSources(inH, outH, attrs.alignCorners, attrs.halfPixelCenters).map((s) => s * inW * pixel);
  const cols = nearestSources(inW, outW, attrs.alignCorners, attrs.halfPixelCenters).map((s) => s * pixel);
  const out = backend.makeOutput([n, outH, outW, c], 'float32') as TensorInfo;
  return withIntermediates(backend, (keep) => {
    const table = (values: number[]) => {
      const t = keep(backend.makeOutput([values.length], 'int32') as TensorInfo);
      (backend.typedArrayFromHeap(t) as Int32Array).set(values);
      return heapOffset(backend, t.dataId);
    };
    const [rowTable, colTable] = [table(rows), table(cols)];
    simd.resizeNearest(
      heapOffset(backend, images.dataId),
      heapOffset(backend, out.dataId),
      rowTable,
      colTable,
      n,
      outH,
      outW,
      inH * inW * pixel,
      pixel,
      outW * pixel,
    );
    return out;
  });
}

export const resizeNearestNeighbor = resizeNearest as unknown as KernelFunc;
