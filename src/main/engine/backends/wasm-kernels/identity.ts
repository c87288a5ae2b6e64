/**
 * Identity and same-dtype Cast on WASM without a copy.
 *
 * tfjs-core clones every tensor a gradient saves (engine.saveTensorsForBackwardMode -> Identity), and
 * the ReLU gradient casts a float32 mask to float32. WASM 4.22.0 copies the buffer for both (the CPU
 * backend shares it); tensors are immutable in tfjs, so sharing the buffer with a reference count, as
 * the backend's own Reshape does, is equivalent and saves ~5% of a training step of the MNIST CNN.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { originalWasmKernel } from './override.js';

interface Args {
  inputs: { x: TensorInfo };
  backend: BackendWasm;
  attrs: { dtype?: string };
}

function share(backend: BackendWasm, x: TensorInfo): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

export const identity = ((args: Args) =>
  args.inputs.x.dtype === 'string'
    ? originalWasmKernel('Identity')(args as never)
    : share(args.backend, args.inputs.x)) as unknown as KernelFunc;

export const cast = ((args: Args) =>
  args.attrs.dtype === args.inputs.x.dtype && args.inputs.x.dtype !== 'string'
    ? share(args.backend, args.inputs.x)
    : originalWasmKernel('Cast')(args as never)) as unknown as KernelFunc;
