/**
 * Shared geometry for the convolution gradient kernels: NCHW <-> NHWC and the padding a gradient
 * convolution needs so that its output has exactly the wanted spatial size.
 */
import { backend_util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { runWasmKernel } from './kernel-call.js';

export type DataFormat = 'NHWC' | 'NCHW';

/** The attributes both convolution gradients take (tfjs-core's Conv2DBackpropFilter/InputAttrs, without the shape). */
export interface ConvBackpropAttrs {
  strides: number | [number, number];
  pad: ConvPad;
  dataFormat: DataFormat;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}
export type ConvPad = Parameters<typeof backend_util.computeConv2DInfo>[4];

export const NCHW_TO_NHWC = [0, 2, 3, 1];
export const NHWC_TO_NCHW = [0, 3, 1, 2];

export function transpose(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return runWasmKernel('Transpose', backend, { x }, { perm });
}

export function reshape(backend: BackendWasm, x: TensorInfo, shape: number[]): TensorInfo {
  return runWasmKernel('Reshape', backend, { x }, { shape });
}

export function slice(backend: BackendWasm, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  return runWasmKernel('Slice', backend, { x }, { begin, size });
}

/** Channels-first tensors are transposed to channels-last: XNNPACK (WASM Conv2D) only does NHWC. */
export function toNHWC(backend: BackendWasm, x: TensorInfo, format: DataFormat, keep: (t: TensorInfo) => TensorInfo) {
  return format === 'NCHW' ? keep(transpose(backend, x, NCHW_TO_NHWC)) : x;
}

export function conv2dInfo(
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  dilations: number | [number, number],
  pad: ConvPad,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  depthwise: boolean,
  dataFormat: DataFormat,
): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    depthwise,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
}

/**
 * One spatial axis of a filter gradient computed as a correlation of x with dy: filter tap a reads
 * x at a*dilation + p*stride - padBefore for p < outSize. Returns the padding around x that makes
 * the correlation's output exactly `filterSize` long, and how many trailing x rows are never read
 * (VALID convolutions whose stride does not divide the input: those rows must be cropped, since a
 * convolution cannot take negative padding).
 */
export function filterGradAxis(
  inSize: number,
  outSize: number,
  filterSize: number,
  stride: number,
  padBefore: number,
  dilation = 1,
) {
  const after = (outSize - 1) * stride + dilation * (filterSize - 1) + 1 - padBefore - inSize;
  return { before: padBefore, after: Math.max(after, 0), cropEnd: Math.max(-after, 0) };
}
