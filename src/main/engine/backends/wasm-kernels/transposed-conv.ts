/**
 * Running a {@link transposedConvAxis} plan on WASM: crop/pad dy, one XNNPACK (depthwise)
 * convolution, then interleave the phase channels back into space and crop to the input size.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { reshape, slice, transpose } from './conv-layout.js';
import type { AxisPlan } from './transposed-conv-plan.js';

type Keep = (t: TensorInfo) => TensorInfo;

/** dy with the plan's crops applied (a view-free Slice only when something is cropped). */
export function cropForPlan(backend: BackendWasm, dy: TensorInfo, h: AxisPlan, w: AxisPlan, keep: Keep): TensorInfo {
  if (h.cropBefore + h.cropAfter + w.cropBefore + w.cropAfter === 0) return dy;
  const [n, rows, cols, c] = dy.shape;
  const size = [n, rows - h.cropBefore - h.cropAfter, cols - w.cropBefore - w.cropAfter, c];
  if (size[1] <= 0 || size[2] <= 0)
    throw new Error(`Convolution gradient: nothing of dy ${dy.shape} reaches the input.`);
  return keep(slice(backend, dy, [0, h.cropBefore, w.cropBefore, 0], size));
}

export function convAttrsForPlan(h: AxisPlan, w: AxisPlan) {
  return {
    strides: [1, 1],
    pad: [
      [0, 0],
      [h.padBefore, h.padAfter],
      [w.padBefore, w.padAfter],
      [0, 0],
    ],
    dataFormat: 'NHWC',
    dilations: [h.dilation, w.dilation],
    dimRoundingMode: undefined,
  };
}

/**
 * [N, Uh, Uw, Ph*Pw*C] with channels ordered (phase_h, phase_w, c) -> [N, inH, inW, C], i.e.
 * out[n, Ph*u + ph, Pw*v + pw, c] = in[n, u, v, (ph*Pw + pw)*C + c].
 */
export function interleavePhases(
  backend: BackendWasm,
  y: TensorInfo,
  h: AxisPlan,
  w: AxisPlan,
  inH: number,
  inW: number,
  keep: Keep,
): TensorInfo {
  const [n, uh, uw, pc] = y.shape;
  const c = pc / (h.phases * w.phases);
  let spatial = y;
  if (h.phases > 1 || w.phases > 1) {
    // A 6-D transpose that keeps c innermost; WASM's DepthToSpace does the same ~10x slower.
    const six = keep(reshape(backend, y, [n, uh, uw, h.phases, w.phases, c]));
    const moved = keep(transpose(backend, six, [0, 1, 3, 2, 4, 5]));
    spatial = keep(reshape(backend, moved, [n, uh * h.phases, uw * w.phases, c]));
  }
  if (spatial.shape[1] === inH && spatial.shape[2] === inW) return spatial;
  return keep(slice(backend, spatial, [0, 0, 0, 0], [n, inH, inW, c]));
}
