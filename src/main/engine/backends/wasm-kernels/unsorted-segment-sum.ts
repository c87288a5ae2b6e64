/**
 * UnsortedSegmentSum for WASM (absent from 4.22.0). tfjs needs it for the gradient of
 * tf.gather (embedding lookups, index-based batching inside a loss). One pass over x on the heap:
 * memory-bound, so a typed-array loop is as fast as a composition of kernels would be.
 */
import { UnsortedSegmentSum, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

function unsortedSegmentSum(args: {
  inputs: { x: TensorInfo; segmentIds: TensorInfo };
  backend: BackendWasm;
  attrs: { numSegments: number };
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, segmentIds } = inputs;
  const { numSegments } = attrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum on wasm supports float32 and int32, not ${x.dtype}; cast x first.`);
  }
  const idRank = segmentIds.shape.length;
  const rowShape = x.shape.slice(idRank);
  const rowSize = util.sizeFromShape(rowShape);
  const out = backend.makeOutput([numSegments, ...rowShape], x.dtype);
  // Views after the allocation above: growing the heap detaches earlier views.
  const dst = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  const src = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const ids = backend.typedArrayFromHeap(segmentIds) as Int32Array;
  dst.fill(0);
  for (let r = 0; r < ids.length; r++) {
    const seg = ids[r];
    // Out-of-range ids are dropped, as in TensorFlow.
    if (seg < 0 || seg >= numSegments) continue;
    const o = seg * rowSize;
    const s = r * rowSize;
    for (let j = 0; j < rowSize; j++) dst[o + j] += src[s + j];
  }
  return out;
}

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as KernelFunc,
};
