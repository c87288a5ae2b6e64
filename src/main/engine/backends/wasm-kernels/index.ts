/**
 * The kernels Spectral Lab adds to TensorFlow.js's WASM backend so that convolutional networks
 * train on it (4.22.0 ships no filter gradient for convolutions), train fast (native kernels
 * that take a scalar or per-element-index path for training shapes are re-routed to XNNPACK or to
 * heap-simd.ts; Identity and same-dtype Cast stop copying), and run the FFT-based spectral bounds
 * (complex64 + FFT).
 */
import {
  Add,
  BatchMatMul,
  Cast,
  Equal,
  getKernel,
  Identity,
  registerKernel,
  ResizeNearestNeighbor,
  Sum,
  _FusedMatMul,
  type KernelConfig,
  type KernelFunc,
} from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputKernel, CONV2D_BACKPROP_INPUT } from './conv2d-backprop-input.js';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise-backprop.js';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.js';
import { complexConfigs } from './complex.js';
import { fftConfigs } from './fft.js';
import { batchMatMul, fusedMatMul } from './batch-matmul.js';
import { overrideWasmKernel } from './override.js';
import { cast, identity } from './identity.js';
import { sum } from './sum.js';
import { equal } from './equal.js';
import { add } from './add.js';
import { resizeNearestNeighbor } from './resize-nearest.js';
import { maxPool2x2GradConfig } from './max-pool-grad.js';

/** Kernels WASM lacks, and Spectral Lab's own (kernel-names.ts). */
const ADDED: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
  unsortedSegmentSumConfig,
  ...complexConfigs,
  ...fftConfigs,
  maxPool2x2GradConfig,
];

/** Native kernels replaced by faster compositions (the native one stays as fallback). */
const OVERRIDDEN: ReadonlyArray<[string, KernelFunc]> = [
  [CONV2D_BACKPROP_INPUT, conv2DBackpropInputKernel],
  [BatchMatMul, batchMatMul],
  [_FusedMatMul, fusedMatMul],
  [Identity, identity],
  [Cast, cast],
  [Sum, sum],
  [Equal, equal],
  [Add, add],
  [ResizeNearestNeighbor, resizeNearestNeighbor],
];

export const WASM_KERNELS_ADDED: readonly string[] = ADDED.map((k) => k.kernelName);
export const WASM_KERNELS_OVERRIDDEN: readonly string[] = OVERRIDDEN.map(([name]) => name);

/**
 * Registers the kernels WASM lacks and the faster replacements. Idempotent; a kernel a newer
 * tfjs-backend-wasm already provides is left alone. Returns the names this call changed.
 * Call before the first kernel runs on 'wasm' (selectBackend does).
 */
export function registerWasmKernels(): string[] {
  const changed: string[] = [];
  for (const config of ADDED) {
    if (getKernel(config.kernelName, 'wasm')) continue;
    registerKernel(config);
    changed.push(config.kernelName);
  }
  for (const [name, func] of OVERRIDDEN) if (overrideWasmKernel(name, func)) changed.push(name);
  return changed;
}

export { enableComplexStorage } from './complex.js';
