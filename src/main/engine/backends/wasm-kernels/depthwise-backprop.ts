/**
 * DepthwiseConv2dNativeBackpropFilter / BackpropInput for WASM (absent from 4.22.0).
 *
 * Depthwise conv: y[n,p,q, c*M + m] = sum_{a,b} x[n, p*s + a*d - pt, q*s + b*d - pl, c] f[a,b,c,m].
 * Filter gradient: per channel a correlation of x with dy, summed over the batch. Putting batch
 * and channel side by side as channels (x -> [1, H, W, N*C], dy -> filter [Ho, Wo, N*C, M]) makes
 * it one depthwise convolution with stride d and dilation s, whose [kh, kw, N*C*M] result is summed
 * over N. Input gradient: the sub-pixel plan of transposed-conv-plan.ts with the phases as the
 * depthwise channel multiplier, summed over the forward multiplier M.
 */
import {
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapF32, runWasmKernel, withIntermediates } from './kernel-call.js';
import { conv2dInfo, filterGradAxis, reshape, slice, transpose, type ConvPad } from './conv-layout.js';
import { transposedConvAxis, type AxisPlan } from './transposed-conv-plan.js';
import { convAttrsForPlan, cropForPlan, interleavePhases } from './transposed-conv.js';

interface Attrs {
  strides: number | [number, number];
  dilations: number | [number, number];
  pad: ConvPad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function depthwiseBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
  attrs: Attrs & { filterShape: [number, number, number, number] };
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs;
  const info = conv2dInfo(inputs.x.shape, filterShape, strides, dilations, pad, dimRoundingMode, true, 'NHWC');
  const [kh, kw, c, mult] = filterShape;
  const n = info.batchSize;
  const rows = filterGradAxis(
    info.inHeight,
    info.outHeight,
    kh,
    info.strideHeight,
    info.padInfo.top,
    info.dilationHeight,
  );
  const cols = filterGradAxis(info.inWidth, info.outWidth, kw, info.strideWidth, info.padInfo.left, info.dilationWidth);
  return withIntermediates(backend, (keep) => {
    let x = inputs.x;
    if (rows.cropEnd > 0 || cols.cropEnd > 0) {
      x = keep(slice(backend, x, [0, 0, 0, 0], [n, info.inHeight - rows.cropEnd, info.inWidth - cols.cropEnd, c]));
    }
    const xT = keep(transpose(backend, x, [1, 2, 0, 3]));
    const xNC = keep(reshape(backend, xT, [1, x.shape[1], x.shape[2], n * c]));
    const dyT = keep(transpose(backend, inputs.dy, [1, 2, 0, 3]));
    const dyNC = keep(reshape(backend, dyT, [info.outHeight, info.outWidth, n * c, mult]));
    const corr = keep(
      runWasmKernel(
        'DepthwiseConv2dNative',
        backend,
        { x: xNC, filter: dyNC },
        {
          strides: [info.dilationHeight, info.dilationWidth],
          dilations: [info.strideHeight, info.strideWidth],
          pad: [
            [0, 0],
            [rows.before, rows.after],
            [cols.before, cols.after],
            [0, 0],
          ],
          dataFormat: 'NHWC',
          dimRoundingMode: undefined,
        },
      ),
    );
    const perSample = keep(reshape(backend, corr, [kh, kw, n, c * mult]));
    const summed = keep(runWasmKernel('Sum', backend, { x: perSample }, { axis: [2], keepDims: false }));
    return reshape(backend, summed, filterShape);
  });
}

/** G[mh, mw, c*M + m, ph*Pw + pw] = f[tapOf_h[ph][mh], tapOf_w[pw][mw], c, m]. */
function depthwiseGradientFilter(
  f: Float32Array,
  kw: number,
  channels: number,
  h: AxisPlan,
  w: AxisPlan,
): Float32Array {
  const phases = h.phases * w.phases;
  const g = new Float32Array(h.taps * w.taps * channels * phases);
  for (let ph = 0; ph < h.phases; ph++)
    for (let pw = 0; pw < w.phases; pw++)
      for (let mh = 0; mh < h.taps; mh++) {
        const a = h.tapOf[ph][mh];
        if (a < 0) continue;
        for (let mw = 0; mw < w.taps; mw++) {
          const b = w.tapOf[pw][mw];
          if (b < 0) continue;
          const src = (a * kw + b) * channels;
          const dst = (mh * w.taps + mw) * channels * phases + ph * w.phases + pw;
          for (let k = 0; k < channels; k++) g[dst + k * phases] = f[src + k];
        }
      }
  return g;
}

function depthwiseBackpropInput(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: BackendWasm;
  attrs: Attrs & { inputShape: [number, number, number, number] };
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs;
  const info = conv2dInfo(inputShape, inputs.filter.shape, strides, dilations, pad, dimRoundingMode, true, 'NHWC');
  const [kh, kw, c, mult] = inputs.filter.shape;
  const planH = transposedConvAxis(
    info.inHeight,
    info.outHeight,
    kh,
    info.strideHeight,
    info.dilationHeight,
    info.padInfo.top,
  );
  const planW = transposedConvAxis(
    info.inWidth,
    info.outWidth,
    kw,
    info.strideWidth,
    info.dilationWidth,
    info.padInfo.left,
  );
  const phases = planH.phases * planW.phases;
  return withIntermediates(backend, (keep) => {
    const dy = cropForPlan(backend, inputs.dy, planH, planW, keep);
    const g = depthwiseGradientFilter(heapF32(backend, inputs.filter), kw, c * mult, planH, planW);
    const filter = keep(backend.makeOutput([planH.taps, planW.taps, c * mult, phases], 'float32', undefined, g));
    const y = keep(runWasmKernel('DepthwiseConv2dNative', backend, { x: dy, filter }, convAttrsForPlan(planH, planW)));
    const [n, uh, uw] = y.shape;
    // Channels (c, m, phase) -> sum over m -> (phase, c) for the interleave.
    let byPhase = keep(reshape(backend, y, [n, uh, uw, c, mult, phases]));
    if (mult > 1) byPhase = keep(runWasmKernel('Sum', backend, { x: byPhase }, { axis: [4], keepDims: false }));
    else byPhase = keep(reshape(backend, byPhase, [n, uh, uw, c, phases]));
    const phaseFirst = phases > 1 ? keep(transpose(backend, byPhase, [0, 1, 2, 4, 3])) : byPhase;
    const stacked = keep(reshape(backend, phaseFirst, [n, uh, uw, phases * c]));
    return interleavePhases(backend, stacked, planH, planW, info.inHeight, info.inWidth, keep);
  });
}

export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter as unknown as KernelFunc,
};

export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInput as unknown as KernelFunc,
};
