/**
 * Every bound of one imported weight layer at its real geometry (input size, zero pads, stride, dilation,
 * groups), from the bounds core; which value is certified and which must dominate which comes from the registry
 * (shared/bound-methods.ts). In short, for a zero-padded layer:
 *  - F4 (Singla & Feizi 2021, Thm 1) for every padding and stride; dilation and groups as in f4-certified.ts;
 *  - F4 polyphase for the layer's stride (strided layers);
 *  - the Toeplitz bound (Delattre et al. 2024) for zero padding at every n: it bounds the 'full' convolution,
 *    of which any zero-padded, strided layer is a row subset;
 *  - Gram iteration and Sedghi's exact norm are for circular padding: the exact circular norm is reported (stride
 *    1) for comparison, Gram iteration is not a bound here and is left out with the reason.
 * A grouped conv is block-diagonal over groups, so each group is run separately and the largest value taken.
 */
import { KernelError, type F4Report, type KernelHWIO } from '../../../../shared/bounds.js';
import type { ImportedF4, ImportedLayer } from '../../../../shared/model-analysis.js';
import {
  boundViolations,
  certifiedChoice,
  type BoundMethod,
  type MethodGeometry,
  type MethodValue,
} from '../../../../shared/bound-methods.js';
import { f4Bound, sedghiExactNorm, toeplitzBound, operatorNormEstimate } from '../../bounds/index.js';
import { dilateKernel, splitGroups } from '../../bounds/methods/reshapes.js';
import { spectralNorm64 } from '../../bounds/numerics/linalg64.js';
import { affordableToeplitzIterations } from '../../bounds/layer-report.js';
import type { ConvNode, DenseNode, Pads4 } from './graph.js';
import type { ShapedGraph } from './shapes.js';

export interface LayerBoundOptions {
  /** Lanczos steps of the operator estimate (default 100; it stops earlier once within 1e-6). */
  operatorIterations?: number;
  toeplitzIterations?: number;
}

const f4Json = (r: F4Report): ImportedF4 => ({
  matrix_norms: r.matrixNorms,
  min_bound: r.minBound,
  argmin: r.argmin,
  constant_sqrt_hw: r.sqrtHW,
});

function timed<T>(times: Record<string, number>, key: string, f: () => T): T {
  const t0 = performance.now();
  try {
    return f();
  } finally {
    times[key] = performance.now() - t0;
  }
}

/** A computed value under its registry id (a BoundMethod: the compiler rejects an id the registry lacks); none when not computed. */
const valueOf = (method: BoundMethod, value: number | undefined): MethodValue[] =>
  value === undefined ? [] : [{ method, value }];

/** The largest value over the groups (block-diagonal operator), or undefined with the reason recorded. */
function perGroup(
  parts: KernelHWIO[],
  method: string,
  skipped: ImportedLayer['skipped'],
  f: (k: KernelHWIO) => number,
): number | undefined {
  try {
    return Math.max(...parts.map(f));
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    skipped.push({ method, reason: e.message });
    return undefined;
  }
}

/** The layer's kernel, dilated, one per group; none when the dilation differs per axis (reason recorded). */
function groupKernels(node: ConvNode, skipped: ImportedLayer['skipped']): KernelHWIO[] {
  const [dh, dw] = node.dilations;
  if (dh !== dw) {
    skipped.push({
      method: 'exact, toeplitz, operator',
      reason: `dilation ${dh}x${dw} differs per axis; only F4 (dilation-free) is computed.`,
    });
    return [];
  }
  const dilated = dh > 1 ? dilateKernel(node.kernel, dh) : node.kernel;
  return node.group > 1 ? splitGroups(dilated, node.group) : [dilated];
}

/**
 * Sedghi's exact circular norm (stride 1), the Toeplitz bound and the operator estimate (one stride for both
 * axes), each the largest over the groups' kernels `parts`; none without kernels.
 */
function zeroPadValues(
  node: ConvNode,
  parts: KernelHWIO[],
  n: [number, number],
  pads: Pads4,
  opts: LayerBoundOptions,
  times: Record<string, number>,
  skipped: ImportedLayer['skipped'],
): { exact?: number; toeplitz?: number; operator?: number } {
  if (!parts.length) return {};
  const [sh, sw] = node.strides;
  const exact =
    sh === 1 && sw === 1
      ? timed(times, 'exact', () => perGroup(parts, 'exact', skipped, (k) => sedghiExactNorm(k, n).value))
      : undefined;
  const toeplitz = timed(times, 'toeplitz', () =>
    perGroup(
      parts,
      'toeplitz',
      skipped,
      (k) => toeplitzBound(k, opts.toeplitzIterations ?? affordableToeplitzIterations(k.shape, 4)).value,
    ),
  );
  const padding = { top: pads[0], left: pads[1], bottom: pads[2], right: pads[3] };
  const operator =
    sh === sw
      ? timed(times, 'operator', () =>
          perGroup(
            parts,
            'operator',
            skipped,
            (k) =>
              operatorNormEstimate(k, { n, padding, stride: sh, iterations: opts.operatorIterations ?? 100, tol: 1e-6 })
                .value,
          ),
        )
      : undefined;
  return { exact, toeplitz, operator };
}

export function convLayerBounds(node: ConvNode, sg: ShapedGraph, opts: LayerBoundOptions = {}): ImportedLayer {
  const input = sg.shapes.get(node.inputs[0]) as number[];
  const output = sg.shapes.get(node.output) as number[];
  const pads = sg.pads.get(node.name) as Pads4;
  const [sh, sw] = node.strides;
  const [dh, dw] = node.dilations;
  const n: [number, number] = [input[1], input[2]];
  const times: Record<string, number> = {};
  const skipped: ImportedLayer['skipped'] = [];
  const square = sh === sw;
  if (!square)
    skipped.push({
      method: 'f4-polyphase, operator',
      reason: `stride ${sh}x${sw} differs per axis; the polyphase kernel and the operator estimate need one stride.`,
    });
  const f4 = timed(times, 'f4', () =>
    f4Bound(node.kernel, { stride: square ? sh : 1, dilation: dh === dw ? dh : 1, groups: node.group }),
  );
  const parts = groupKernels(node, skipped);
  const { exact, toeplitz, operator } = zeroPadValues(node, parts, n, pads, opts, times, skipped);
  skipped.push({
    method: 'gram',
    reason:
      'Gram iteration (Delattre et al. 2023) bounds the circular convolution; this layer pads with zeros, where the Toeplitz bound applies instead.',
  });
  // The registry (shared/bound-methods.ts) says which values bound the layer as it runs and which must dominate
  // which. Per-group maxima are the layer's own values, so the registry sees an ungrouped layer.
  const geometry: MethodGeometry = {
    kind: 'conv',
    padding: 'same',
    stride: square ? sh : Math.max(sh, sw),
    dilation: Math.max(dh, dw),
    n,
  };
  const values: MethodValue[] = [
    ...valueOf('f4', f4.minBound),
    ...valueOf('f4-polyphase', f4.polyphase?.minBound),
    ...valueOf('toeplitz-norm2toep', toeplitz),
    ...valueOf('sedghi-exact', exact),
    ...valueOf('operator-power', operator),
  ];
  const choice = certifiedChoice(values, geometry) as MethodValue; // F4 always qualifies
  const certified = choice.value;
  const by = choice.method;
  return {
    name: node.name,
    op: node.op,
    kind: 'conv',
    weight_shape: node.weightShape,
    stride: [sh, sw],
    padding: pads,
    dilation: [dh, dw],
    groups: node.group,
    input_shape: input,
    output_shape: output,
    operator_estimate: operator ?? null,
    certified_upper_bound: certified,
    certified_by: by,
    f4: f4Json(f4),
    ...(f4.polyphase ? { f4_polyphase: f4Json(f4.polyphase) } : {}),
    ...(sh === 1 && sw === 1 ? { circular_s1_exact_fft: exact ?? null } : {}),
    toeplitz_bound: toeplitz ?? null,
    gram_iteration: null,
    log_sigma: Math.log(certified),
    times_ms: times,
    skipped,
    ...(node.foldedBatchNorm ? { folded_batchnorm: node.foldedBatchNorm } : {}),
    violations: boundViolations(values, geometry, 1e-5).map((v) => v.message),
  };
}

const DENSE_EXACT: BoundMethod = 'dense-exact';
const DENSE_GEOMETRY: MethodGeometry = { kind: 'dense', padding: 'same', stride: 1 };

/**
 * A dense layer's norm in float64: Lanczos estimate and the rounding-error-certified upper bound of sigma_max
 * (linalg64), checked against each other by the registry's rule (the estimate is a float32-rounded Rayleigh
 * quotient: it may exceed the norm by rounding only, 1e-5 relative).
 */
export function denseLayerBounds(node: DenseNode, sg: ShapedGraph): ImportedLayer {
  const times: Record<string, number> = {};
  const s = timed(times, DENSE_EXACT, () => spectralNorm64(node.weight, node.outDim, node.inDim));
  const values = [...valueOf(DENSE_EXACT, s.upper), ...valueOf('operator-power', s.sigma)];
  return {
    name: node.name,
    op: node.op,
    kind: 'dense',
    weight_shape: node.weightShape,
    stride: [1, 1],
    padding: [0, 0, 0, 0],
    dilation: [1, 1],
    groups: 1,
    input_shape: sg.shapes.get(node.inputs[0]) as number[],
    output_shape: sg.shapes.get(node.output) as number[],
    operator_estimate: s.sigma,
    certified_upper_bound: s.upper,
    certified_by: DENSE_EXACT,
    log_sigma: Math.log(s.upper),
    times_ms: times,
    skipped: [],
    ...(node.foldedBatchNorm ? { folded_batchnorm: node.foldedBatchNorm } : {}),
    violations: boundViolations(values, DENSE_GEOMETRY, 1e-5).map((v) => v.message),
  };
}
