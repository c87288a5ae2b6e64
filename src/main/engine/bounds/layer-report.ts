/**
 * All bounds of one layer side by side, with the consistency check that makes the project's central promise
 * testable at run time: no upper bound may ever fall below a value it bounds (exact or lower estimate).
 */
import type * as tf from '@tensorflow/tfjs';
import type { KernelHWIO, LayerBoundsReport, LayerGeometry } from '../../../shared/bounds.js';
import { KernelError, reportResults, validateKernel } from '../../../shared/bounds.js';
import { BOUND_METHODS, boundViolations } from '../../../shared/bound-methods.js';
import { f4Bound, f4PolyphaseBound } from './methods/f4.js';
import { sedghiExactNorm } from './methods/sedghi.js';
import { gramIterationBound } from './methods/gram-iteration.js';
import { toeplitzBound } from './methods/toeplitz.js';
import { operatorNormEstimate } from './methods/operator-power.js';
import { kernelToHost } from './numerics/host-kernel.js';
import type { LayerBoundMethod, LayerBoundsOptions } from './layer-options.js';

const ALL_METHODS: LayerBoundMethod[] = ['exact', 'gram', 'toeplitz', 'operator'];

export function computeLayerBounds(
  name: string,
  kernel: KernelHWIO | tf.Tensor4D,
  geometry: LayerGeometry,
  opts: LayerBoundsOptions = {},
): LayerBoundsReport {
  const host = kernelToHost(kernel);
  validateKernel(host, name);
  const methods = new Set(opts.methods ?? ALL_METHODS);
  const n = geometry.n;
  const report: LayerBoundsReport = {
    name,
    shapeHWIO: [...host.shape] as LayerBoundsReport['shapeHWIO'],
    geometry,
    f4: f4Bound(host),
    consistent: true,
    violations: [],
    skipped: [],
  };
  if (geometry.stride > 1) report.f4Polyphase = f4PolyphaseBound(host, geometry.stride);
  // Optional methods never sink the whole report: a method that refuses (e.g. too much memory) is listed as skipped.
  const attempt = <T>(method: string, f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      report.skipped.push({ method, reason: e.message });
      return undefined;
    }
  };
  // Where the exact circular norm is attained: the operator estimate starts from there (stride 1).
  let topFrequency: [number, number] | undefined;
  if (methods.has('exact')) {
    let spectrum = opts.spectrum === true;
    if (spectrum && !spectrumAffordable(host.shape, n)) {
      spectrum = false;
      report.skipped.push({
        method: 'spectrum',
        reason:
          `every singular value of a ${host.shape.join('x')} kernel at n = ${Array.isArray(n) ? n.join('x') : n} needs a dense eigen-solve per frequency ` +
          '(several times the exact norm alone), so only the norm was computed. sedghiExactNorm(kernel, n, { spectrum: true }) takes it offline.',
      });
    }
    const exact = attempt('exact', () => sedghiExactNorm(host, n, { spectrum }));
    if (exact) {
      // The spectrum travels on the report, not inside the BoundResult (which is serialised as it is).
      const { spectrum, ...result } = exact;
      report.exactCircular = result;
      topFrequency = exact.frequency;
      if (spectrum) report.spectrum = spectrum;
    }
  }
  if (methods.has('gram')) {
    const t = opts.gramIterations ?? GRAM_ITERATIONS;
    report.gram = attempt('gram', () => gramIterationBound(host, n, t));
  }
  if (methods.has('toeplitz') && applies('toeplitz-norm2toep', geometry)) {
    const t = opts.toeplitzIterations ?? toeplitzIterationsFor(host.shape, geometry);
    report.toeplitz = attempt('toeplitz', () => toeplitzBound(host, t));
  }
  if (methods.has('operator')) {
    report.operator = attempt('operator', () =>
      operatorNormEstimate(host, {
        n,
        padding: geometry.padding,
        stride: geometry.stride,
        iterations: opts.operatorIterations ?? 100,
        // Start from the circular operator's top singular vector where it is close to the layer's (large maps; the
        // exact method's frequency saves the search at stride 1), and stop once a product adds < operatorStallTol if
        // given: the value is still ||A y|| / ||y|| of an actual y, a lower value up to float32 rounding.
        start: 'auto',
        topFrequency: geometry.stride === 1 ? topFrequency : undefined,
        stallTol: opts.operatorStallTol,
      }),
    );
  }
  checkConsistency(report, opts.tolerance ?? 1e-5);
  return report;
}

/**
 * Gram iteration's strength on every layer (issue 14): within ~0.3% of the circular norm at t = 6 (Delattre et al.
 * 2023). Affordable on wide layers thanks to float32 SIMD squares, the Hermitian half and pruning (gram-iteration.ts).
 */
export const GRAM_ITERATIONS = 6;

/**
 * The Toeplitz bound's strength (issue 14): each iteration doubles the kernel's support, so iteration t costs
 * ~4^t P^3 (P = max channels): on stride-1 layers 4 iterations up to 128 channels, 2 on wider ones; 0 where the
 * registry says the bound does not describe the layer (grouped convolutions).
 */
export function toeplitzIterationsFor(shape: readonly number[], geometry: LayerGeometry): number {
  if (!applies('toeplitz-norm2toep', geometry)) return 0;
  // A strided layer gets the stride-1 convolution's bound (striding keeps a subset of rows), which is looser there:
  // 2 iterations where they cost no more than a stride-1 layer's (ResNet-18's four strided layers all get 2).
  if (geometry.stride > 1) return affordableToeplitzIterations(shape, 2);
  return Math.max(shape[2], shape[3]) <= 128 ? 4 : 2;
}

/**
 * The spectrum takes a dense Hermitian eigen-solve of every Gram matrix: ~R^3 work (R = min channels) on half the
 * n_h n_w frequencies, against a few Lanczos steps for the norm alone. Measured: 256 channels at 8 x 8 (5.5e8 units)
 * ~4 s instead of 0.6 s; beyond that budget an evaluation would stall, so the spectrum is left out.
 */
export function spectrumAffordable(shape: readonly number[], n: number | readonly number[], budget = 6e8): boolean {
  const [nh, nw] = typeof n === 'number' ? [n, n] : [n[0], n[1]];
  const R = Math.min(shape[2], shape[3]);
  return (Math.floor((nh * nw) / 2) + 1) * R ** 3 <= budget;
}

/**
 * Real multiply-adds of `toeplitzBound` at t iterations (toeplitz.ts): step j correlates on a (2 s_j - 1)^2 grid
 * (s_0 = k, s_{j+1} = 2 s_j - 1) with one P x C_j Hermitian Gram per frequency of the half spectrum, ~2 P^2 C_j real
 * multiply-adds each (P = max channels, C_0 = min channels, then P); the DFTs are lower order. Checked against the
 * measured counts: 512->512 t=2 14.2 (model) vs 15.3 GMAC, 256->512 t=1 1.7 vs 1.8.
 */
export function toeplitzMultiplyAdds(shape: readonly number[], t: number): number {
  const [h, w, ci, co] = shape;
  const P = Math.max(ci, co);
  let [sh, sw, C] = [h, w, Math.min(ci, co)];
  let total = 0;
  for (let j = 0; j < t; j++) {
    total += (2 * sh - 1) * (2 * sw - 1) * P * P * C;
    [sh, sw, C] = [2 * sh - 1, 2 * sw - 1, P];
  }
  return total;
}

/**
 * Toeplitz iterations up to `wanted` while `toeplitzMultiplyAdds` stays within the budget. The default budget is what
 * the widest stride-1 ResNet-18 layer costs at its prescribed strength (512->512 at t = 2, 1.4e10; ~1.5-2 s of one
 * core at the 7-9 GMAC/s the float64 SIMD kernels reach), so no layer given this count costs more than that one: a
 * 7x7 stem at t = 4 is 3.3e9, 256->512 at t = 2 1.3e10, 512->1024 at t = 2 5.7e10 (-> 1).
 */
export function affordableToeplitzIterations(shape: readonly number[], wanted: number, budget = 1.5e10): number {
  let t = 1;
  while (t < wanted && toeplitzMultiplyAdds(shape, t + 1) <= budget) t++;
  return t;
}

/** Whether the registry says a method describes this layer (e.g. the Toeplitz bound is for ungrouped convolutions). */
function applies(id: (typeof BOUND_METHODS)[number]['id'], g: LayerGeometry): boolean {
  return BOUND_METHODS.find((m) => m.id === id)?.appliesTo({ kind: 'conv', ...g }) ?? false;
}

/**
 * No value may contradict another of the same operator: the registry (bound-methods.ts) says which operators each
 * method is at least / at most the norm of, so e.g. Gram iteration is checked against the circular stride-1 norm
 * only and F4 polyphase against the strided layer's operator estimate only.
 */
function checkConsistency(r: LayerBoundsReport, tol: number): void {
  const g = { kind: 'conv' as const, ...r.geometry };
  r.violations = boundViolations(reportResults(r), g, tol).map((v) => v.message);
  r.consistent = r.violations.length === 0;
}
