/**
 * Composition helpers for WASM kernels written in TypeScript: call the kernels the WASM backend
 * already has (XNNPACK convolution, transpose, slice ...) directly through the kernel registry, as
 * the backend's own composite kernels do, and free every intermediate buffer.
 *
 * Why not tf ops: a kernel function must return TensorInfo backed by the backend, and runs inside
 * the engine's bookkeeping (tape, scopes); calling ops from inside it would record nested kernels
 * on the gradient tape and leak Tensor wrappers.
 */
import { getKernel, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Kernel inputs: named, or a list for the variadic kernels (Concat, Pack, AddN). */
export type KernelInputs = Record<string, TensorInfo> | TensorInfo[];

/** Runs the registered 'wasm' kernel `name` and returns its (single) output. */
export function runWasmKernel(
  name: string,
  backend: BackendWasm,
  inputs: KernelInputs,
  attrs: Record<string, unknown> = {},
): TensorInfo {
  const out = runWasmKernelMulti(name, backend, inputs, attrs);
  if (out.length !== 1) throw new Error(`WASM kernel ${name} returned ${out.length} outputs; use runWasmKernelMulti.`);
  return out[0];
}

export function runWasmKernelMulti(
  name: string,
  backend: BackendWasm,
  inputs: KernelInputs,
  attrs: Record<string, unknown> = {},
): TensorInfo[] {
  const kernel = getKernel(name, 'wasm');
  if (!kernel) {
    throw new Error(
      `Kernel ${name} is not registered for the wasm backend; a Spectral Lab WASM kernel needs it. ` +
        'Check @tensorflow/tfjs-backend-wasm is 4.22.0 (the version these kernels were written for).',
    );
  }
  const out = kernel.kernelFunc({
    inputs: inputs as Record<string, TensorInfo>,
    backend,
    attrs: attrs as NamedAttrMap,
  });
  return Array.isArray(out) ? out : [out];
}

/**
 * Runs `body` with a `keep` function that records intermediates; every recorded TensorInfo except
 * the returned one is freed afterwards, also when `body` throws.
 */
export function withIntermediates<T extends TensorInfo | TensorInfo[]>(
  backend: BackendWasm,
  body: (track: (t: TensorInfo) => TensorInfo) => T,
): T {
  const made: TensorInfo[] = [];
  let result: T | undefined;
  try {
    result = body((t) => {
      made.push(t);
      return t;
    });
    return result;
  } finally {
    // By identity, not dataId: a reshape shares its input's dataId and holds its own reference.
    const keep = new Set<TensorInfo>(Array.isArray(result) ? result : result ? [result] : []);
    for (const t of made) if (!keep.has(t)) backend.disposeData(t.dataId);
  }
}

/** Float32 view of a tensor's data on the WASM heap (valid until the next allocation). */
export function heapF32(backend: BackendWasm, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}
