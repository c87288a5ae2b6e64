/**
 * Equal on WASM for two float32 tensors of one shape (the max-pooling gradient's mask,
 * x == upsample(y)) through the heap SIMD module (heap-simd.ts): IEEE equality as the native kernel
 * (NaN unequal to itself, -0 == +0). Broadcasts and other dtypes stay on the native kernel.
 */
import { util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { originalWasmKernel } from './override.js';
import { heapOffset, heapSimd } from './heap-simd.js';

interface Args {
  inputs: { a: TensorInfo; b: TensorInfo };
  backend: BackendWasm;
}

function equalSameShape(args: Args): TensorInfo {
  const {
    inputs: { a, b },
    backend,
  } = args;
  const simd = heapSimd(backend);
  if (!simd || a.dtype !== 'float32' || b.dtype !== 'float32' || !util.arraysEqual(a.shape, b.shape)) {
    return originalWasmKernel('Equal')(args as never) as TensorInfo;
  }
  const out = backend.makeOutput([...a.shape], 'bool') as TensorInfo;
  const n = util.sizeFromShape(a.shape);
  if (n > 0)
    simd.equalF32(heapOffset(backend, a.dataId), heapOffset(backend, b.dataId), heapOffset(backend, out.dataId), n);
  return out;
}

export const equal = equalSameShape as unknown as KernelFunc;
