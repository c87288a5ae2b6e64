/**
 * Add on WASM for a bias broadcast along the last axis, x[..., C] + b[C] (a conv or dense layer's
 * bias; tfjs-core adds it unfused while recording gradients). The native kernel takes its generic
 * broadcasting loop for this (~3x slower than a same-shape add); heap-simd.ts adds the bias row by row.
 * Everything else stays on the native kernel.
 */
import { util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { originalWasmKernel } from './override.js';
import { heapOffset, heapSimd } from './heap-simd.js';

interface Args {
  inputs: { a: TensorInfo; b: TensorInfo };
  backend: BackendWasm;
}

/** The full-shape operand and the bias, when one is a 1-D vector matching the other's last axis. */
function biasPair(a: TensorInfo, b: TensorInfo): [TensorInfo, TensorInfo] | null {
  const isBias = (x: TensorInfo, v: TensorInfo) =>
    v.shape.length === 1 && x.shape.length >= 2 && x.shape[x.shape.length - 1] === v.shape[0];
  if (isBias(a, b)) return [a, b];
  if (isBias(b, a)) return [b, a];
  return null;
}

function addBias(args: Args): TensorInfo {
  const {
    inputs: { a, b },
    backend,
  } = args;
  const simd = heapSimd(backend);
  const pair = a.dtype === 'float32' && b.dtype === 'float32' ? biasPair(a, b) : null;
  if (!simd || !pair || pair[1].shape[0] % 4 !== 0 || util.sizeFromShape(pair[0].shape) === 0) {
    return originalWasmKernel('Add')(args as never) as TensorInfo;
  }
  const [x, v] = pair;
  const cols = v.shape[0];
  const out = backend.makeOutput([...x.shape], 'float32') as TensorInfo;
  simd.addRows(
    heapOffset(backend, x.dataId),
    heapOffset(backend, v.dataId),
    heapOffset(backend, out.dataId),
    util.sizeFromShape(x.shape) / cols,
    cols,
  );
  return out;
}

export const add = addBias as unknown as KernelFunc;
