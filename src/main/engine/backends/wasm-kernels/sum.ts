/**
 * Sum over the leading axes on WASM (a bias gradient: [N, H, W, C] summed to [C]).
 *
 * The native kernel first transposes the reduced axes innermost (a strided pass over the whole
 * tensor), then reduces. Viewed as an image [1, R1, R2, C] (R1*R2 = R summed rows), the same sum is a
 * global average pooling times R, which XNNPACK does in one in-order SIMD pass: ~5x faster on the
 * MNIST CNN's bias gradients (bench/wasm-kernels.bench.ts). Both accumulate in float32 (the extra
 * division and product by R add ~1 ulp). A GEMM ones[1, R] · x[R, C] was measured too: slower, since
 * XNNPACK repacks x as GEMM weights on every call. Every other reduction stays on the native kernel.
 */
import { util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { runWasmKernel, withIntermediates } from './kernel-call.js';
import { reshape } from './conv-layout.js';
import { originalWasmKernel } from './override.js';

interface Args {
  inputs: { x: TensorInfo };
  backend: BackendWasm;
  attrs: { axis: number | number[]; keepDims: boolean };
}

/** Below this many summed rows the native kernel's transpose is cheap. */
const MIN_ROWS_FOR_GEMM = 64;

/** How many leading axes `axis` names, or 0 if it is not exactly a leading block (nor all axes). */
export function leadingAxes(axis: number | number[], rank: number): number {
  const axes = [...new Set(util.parseAxisParam(axis, Array<number>(rank).fill(1)))].sort((p, q) => p - q);
  if (axes.length === 0 || axes.length >= rank) return 0;
  return axes.every((a, k) => a === k) ? axes.length : 0;
}

function sumLeading(args: Args): TensorInfo {
  const {
    inputs: { x },
    backend,
    attrs,
  } = args;
  const lead = x.dtype === 'float32' ? leadingAxes(attrs.axis, x.shape.length) : 0;
  const rows = util.sizeFromShape(x.shape.slice(0, lead));
  if (lead === 0 || rows < MIN_ROWS_FOR_GEMM) return originalWasmKernel('Sum')(args as never) as TensorInfo;
  const kept = x.shape.slice(lead);
  const cols = util.sizeFromShape(kept);
  const shape = attrs.keepDims ? [...Array<number>(lead).fill(1), ...kept] : kept;
  const r2 = x.shape[lead - 1];
  const r1 = rows / r2;
  return withIntermediates(backend, (keep) => {
    const img = keep(reshape(backend, x, [1, r1, r2, cols]));
    const mean = keep(
      runWasmKernel(
        'AvgPool',
        backend,
        { x: img },
        { filterSize: [r1, r2], strides: [1, 1], pad: 'valid', dimRoundingMode: undefined },
      ),
    );
    const count = keep(runWasmKernel('Fill', backend, {}, { shape: [], value: rows, dtype: 'float32' }));
    const total = keep(runWasmKernel('Multiply', backend, { a: mean, b: count }));
    return reshape(backend, total, shape);
  });
}

export const sum = sumLeading as unknown as KernelFunc;
