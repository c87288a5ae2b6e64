/**
 * complex64 tensors on WASM (4.22.0 has no complex support): stored on the heap as interleaved
 * (re, im) float32 pairs — the 8 bytes per element tfjs already allocates for complex64, and the
 * layout tfjs's CPU backend returns from dataSync(). Kernels: Complex, Real, Imag, ComplexAbs
 * (enough for tf.spectral.fft/ifft/rfft/irfft and tf.abs; arithmetic on complex tensors is not
 * supported on WASM: take real/imag parts first).
 */
import {
  Complex,
  ComplexAbs,
  Imag,
  Real,
  util,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Heap = (t: TensorInfo) => Float32Array;

/** Float32 view of a tensor's heap data; complex64 gives 2 floats per element. */
export function complexView(backend: BackendWasm): Heap {
  return (t) => {
    const { memoryOffset } = backend.dataIdMap.get(t.dataId) as unknown as { memoryOffset: number };
    const n = util.sizeFromShape(t.shape) * (t.dtype === 'complex64' ? 2 : 1);
    return new Float32Array((backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer, memoryOffset, n);
  };
}

/**
 * Teaches a WASM backend instance to read and copy complex64 buffers (dataSync, Identity/clone).
 * Idempotent.
 */
export function enableComplexStorage(backend: BackendWasm): void {
  const b = backend as BackendWasm & { __complexStorage?: true };
  if (b.__complexStorage) return;
  b.__complexStorage = true;
  const readSync = backend.readSync.bind(backend);
  const fromHeap = backend.typedArrayFromHeap.bind(backend);
  const view = complexView(backend);
  backend.readSync = ((dataId: object, start?: number, end?: number) => {
    const info = backend.dataIdMap.get(dataId) as unknown as TensorInfo | undefined;
    if (info?.dtype !== 'complex64') return readSync(dataId, start, end);
    const all = view({ dataId, shape: info.shape, dtype: 'complex64' });
    return all.slice((start ?? 0) * 2, end == null ? all.length : end * 2);
  }) as typeof backend.readSync;
  backend.typedArrayFromHeap = ((t: TensorInfo) =>
    t.dtype === 'complex64' ? view(t) : fromHeap(t)) as typeof backend.typedArrayFromHeap;
}

interface Args<I> {
  inputs: I;
  backend: BackendWasm;
}

function complex({ inputs, backend }: Args<{ real: TensorInfo; imag: TensorInfo }>): TensorInfo {
  const { real, imag } = inputs;
  util.assertShapesMatch(real.shape, imag.shape, 'complex(): real and imag');
  const out = backend.makeOutput(real.shape, 'complex64');
  const view = complexView(backend);
  const [re, im, dst] = [view(real), view(imag), view(out)];
  for (let i = 0; i < re.length; i++) {
    dst[2 * i] = re[i];
    dst[2 * i + 1] = im[i];
  }
  return out;
}

function part(offset: 0 | 1) {
  return ({ inputs, backend }: Args<{ input: TensorInfo }>): TensorInfo => {
    const out = backend.makeOutput(inputs.input.shape, 'float32');
    const view = complexView(backend);
    const [src, dst] = [view(inputs.input), view(out)];
    for (let i = 0; i < dst.length; i++) dst[i] = src[2 * i + offset];
    return out;
  };
}

function complexAbs({ inputs, backend }: Args<{ x: TensorInfo }>): TensorInfo {
  const out = backend.makeOutput(inputs.x.shape, 'float32');
  const view = complexView(backend);
  const [src, dst] = [view(inputs.x), view(out)];
  for (let i = 0; i < dst.length; i++) dst[i] = Math.hypot(src[2 * i], src[2 * i + 1]);
  return out;
}

const config = (kernelName: string, f: unknown): KernelConfig => ({
  kernelName,
  backendName: 'wasm',
  kernelFunc: f as KernelFunc,
});

export const complexConfigs: KernelConfig[] = [
  config(Complex, complex),
  config(Real, part(0)),
  config(Imag, part(1)),
  config(ComplexAbs, complexAbs),
];
