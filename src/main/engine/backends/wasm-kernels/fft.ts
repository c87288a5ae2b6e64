/**
 * FFT / IFFT on WASM over the innermost axis of a complex64 tensor (see complex.ts for storage).
 * Used by the exact spectral norm (Sedghi et al. 2019: sigma_max of the per-frequency c_out x c_in
 * matrices of the 2-D DFT of the kernel). Radix-2 for power-of-two lengths, direct DFT otherwise,
 * accumulated in float64 — the sizes are small (kernel grids), the accuracy is what matters.
 */
import { FFT, IFFT, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { complexView } from './complex.js';

/** In-place transform of one row held as float64 (re, im) arrays; sign -1 forward, +1 inverse. */
export function transformRow(re: Float64Array, im: Float64Array, sign: 1 | -1): void {
  const n = re.length;
  if (n <= 1) return;
  if ((n & (n - 1)) === 0) {
    for (let i = 1, j = 0; i < n; i++) {
      let bit = n >> 1;
      for (; j & bit; bit >>= 1) j ^= bit;
      j ^= bit;
      if (i < j) {
        [re[i], re[j]] = [re[j], re[i]];
        [im[i], im[j]] = [im[j], im[i]];
      }
    }
    for (let len = 2; len <= n; len <<= 1) {
      const ang = (sign * 2 * Math.PI) / len;
      for (let start = 0; start < n; start += len) {
        for (let k = 0; k < len / 2; k++) {
          const wr = Math.cos(ang * k);
          const wi = Math.sin(ang * k);
          const a = start + k;
          const b = a + len / 2;
          const tr = re[b] * wr - im[b] * wi;
          const ti = re[b] * wi + im[b] * wr;
          re[b] = re[a] - tr;
          im[b] = im[a] - ti;
          re[a] += tr;
          im[a] += ti;
        }
      }
    }
    return;
  }
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    for (let t = 0; t < n; t++) {
      // (k*t) mod n keeps the angle small, so the twiddle stays exact to float64.
      const ang = (sign * 2 * Math.PI * ((k * t) % n)) / n;
      const c = Math.cos(ang);
      const s = Math.sin(ang);
      sr += re[t] * c - im[t] * s;
      si += re[t] * s + im[t] * c;
    }
    outRe[k] = sr;
    outIm[k] = si;
  }
  re.set(outRe);
  im.set(outIm);
}

function fftKernel(inverse: boolean) {
  return ({ inputs, backend }: { inputs: { input: TensorInfo }; backend: BackendWasm }): TensorInfo => {
    const { input } = inputs;
    if (input.dtype !== 'complex64')
      throw new Error(`${inverse ? 'IFFT' : 'FFT'} needs a complex64 input; build it with tf.complex(real, imag).`);
    const n = input.shape[input.shape.length - 1];
    const rows = util.sizeFromShape(input.shape) / n;
    const out = backend.makeOutput(input.shape, 'complex64');
    const view = complexView(backend);
    const [src, dst] = [view(input), view(out)];
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    const scale = inverse ? 1 / n : 1;
    for (let r = 0; r < rows; r++) {
      const base = 2 * r * n;
      for (let i = 0; i < n; i++) {
        re[i] = src[base + 2 * i];
        im[i] = src[base + 2 * i + 1];
      }
      transformRow(re, im, inverse ? 1 : -1);
      for (let i = 0; i < n; i++) {
        dst[base + 2 * i] = re[i] * scale;
        dst[base + 2 * i + 1] = im[i] * scale;
      }
    }
    return out;
  };
}

export const fftConfigs: KernelConfig[] = [
  { kernelName: FFT, backendName: 'wasm', kernelFunc: fftKernel(false) as unknown as KernelFunc },
  { kernelName: IFFT, backendName: 'wasm', kernelFunc: fftKernel(true) as unknown as KernelFunc },
];
