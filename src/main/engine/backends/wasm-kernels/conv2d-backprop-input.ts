/**
 * Conv2DBackpropInput on WASM through XNNPACK. The native 4.22.0 kernel is a scalar loop
 * (~12x slower than the forward convolution on the MNIST net's second layer); the gradient is
 * recast as stride-1 convolutions of dy with rearranged filters, one per output phase of the
 * stride, interleaved back into space (transposed-conv-plan.ts).
 */
import { Conv2DBackpropInput, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapF32, runWasmKernel, withIntermediates } from './kernel-call.js';
import { conv2dInfo, NHWC_TO_NCHW, toNHWC, transpose, type ConvBackpropAttrs } from './conv-layout.js';
import { phaseAxis, transposedConvAxis, type AxisPlan } from './transposed-conv-plan.js';
import { convAttrsForPlan, cropForPlan, interleavePhases } from './transposed-conv.js';

interface Args {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: BackendWasm;
  attrs: ConvBackpropAttrs & { inputShape: [number, number, number, number] };
}

/** G[mh, mw, o, (ph*Pw + pw)*Ci + i] = W[tapOf_h[ph][mh], tapOf_w[pw][mw], i, o] (0 where no tap). */
export function gradientFilter(
  w: Float32Array,
  kw: number,
  ci: number,
  co: number,
  h: AxisPlan,
  wp: AxisPlan,
): Float32Array {
  const pc = h.phases * wp.phases * ci;
  const g = new Float32Array(h.taps * wp.taps * co * pc);
  for (let ph = 0; ph < h.phases; ph++)
    for (let pw = 0; pw < wp.phases; pw++)
      for (let mh = 0; mh < h.taps; mh++) {
        const a = h.tapOf[ph][mh];
        if (a < 0) continue;
        for (let mw = 0; mw < wp.taps; mw++) {
          const b = wp.tapOf[pw][mw];
          if (b < 0) continue;
          const chan0 = (ph * wp.phases + pw) * ci;
          for (let i = 0; i < ci; i++) {
            const src = ((a * kw + b) * ci + i) * co;
            let dst = (mh * wp.taps + mw) * co * pc + chan0 + i;
            for (let o = 0; o < co; o++, dst += pc) g[dst] = w[src + o];
          }
        }
      }
  return g;
}

export function conv2DBackpropInput({ inputs, backend, attrs }: Args): TensorInfo {
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
  const info = conv2dInfo(inputShape, inputs.filter.shape, strides, 1, pad, dimRoundingMode, false, dataFormat);
  const { inHeight, inWidth, inChannels: ci, outChannels: co, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const [pt, pl] = [info.padInfo.top, info.padInfo.left];
  const planH = transposedConvAxis(inHeight, info.outHeight, kh, sh, 1, pt);
  const planW = transposedConvAxis(inWidth, info.outWidth, kw, sw, 1, pl);
  return withIntermediates(backend, (keep) => {
    const dyNHWC = toNHWC(backend, inputs.dy, dataFormat, keep);
    const filterData = () => heapF32(backend, inputs.filter);
    /** dx of one stride-1 correlation plan (all phases stacked as channels when > 1). */
    const correlate = (h: AxisPlan, w: AxisPlan) => {
      const dy = cropForPlan(backend, dyNHWC, h, w, keep);
      const g = gradientFilter(filterData(), kw, ci, co, h, w);
      const filter = keep(backend.makeOutput([h.taps, w.taps, co, h.phases * w.phases * ci], 'float32', undefined, g));
      return keep(runWasmKernel('Conv2D', backend, { x: dy, filter }, convAttrsForPlan(h, w)));
    };
    let y: TensorInfo;
    if (planH.phases * planW.phases === 1) {
      y = correlate(planH, planW);
    } else {
      // One exact correlation per output phase: the stacked plan's common window multiplies
      // zero taps (16 tap-phases for 9 taps at k=3, s=2), measured ~1.5x slower overall.
      const parts: TensorInfo[] = [];
      for (let ph = 0; ph < sh; ph++) {
        for (let pw = 0; pw < sw; pw++) {
          const h = sh > 1 ? phaseAxis(inHeight, info.outHeight, kh, sh, pt, ph) : planH;
          const w = sw > 1 ? phaseAxis(inWidth, info.outWidth, kw, sw, pl, pw) : planW;
          parts.push(correlate(h, w));
        }
      }
      y = keep(runWasmKernel('Concat', backend, parts, { axis: 3 }));
    }
    const dx = interleavePhases(backend, y, planH, planW, inHeight, inWidth, keep);
    return dataFormat === 'NCHW' ? transpose(backend, dx, NHWC_TO_NCHW) : dx;
  });
}

export const conv2DBackpropInputKernel = conv2DBackpropInput as unknown as KernelFunc;
export const CONV2D_BACKPROP_INPUT = Conv2DBackpropInput;
