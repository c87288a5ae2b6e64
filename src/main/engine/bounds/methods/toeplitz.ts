/**
 * Delattre, Barthélemy & Allauzen 2024, "Spectral Norm of Convolutional Layers with Circular and Zero Paddings"
 * (lip4conv `compute_spectral_rescaling_conv`): a bound on the Toeplitz (infinite-domain) norm of the layer, hence
 * on every n and on zero or circular padding at stride 1.
 *
 * With K the kernel oriented [larger channel side, smaller side, h, w] (the reference transposes when
 * c_in > c_out), t times: r <- 2 (r + log ||K||_F), K <- K/||K||_F, K <- K * K^T (full 2-D self-correlation over
 * the smaller side: support (2h-1) x (2w-1), padding h-1 and w-1). Then
 *   bound = max_a ( sum_{b,x,y} |K[a,b,x,y]| )^(2^-t) * exp(r 2^-t)
 * — the max absolute row sum bounds the norm of the Gram-iterated (self-adjoint) operator, and the 2^t-th root
 * undoes the t squarings.
 *
 * Here the normalisations are powers of two and every rounding is accounted for (toeplitz-enclosure.ts), so each
 * value is a guaranteed upper bound on the Toeplitz norm; it exceeds the exact-arithmetic bound above by
 * ~1e-13 to 1e-10 relative with float64 Grams throughout, and ~3e-6 to 4e-5 (ResNet-18's layers) with the last
 * step's Grams in float32 (lastStep below). Each self-correlation runs in the frequency domain on a (2h-1) x (2w-1)
 * grid, which holds the linear correlation exactly (toeplitz-step.ts), in WebAssembly SIMD on two cores where it runs
 * (toeplitz-heap.ts). Cost: the last step dominates, ~ (2^t (k-1))^2 / 2 frequencies x 1.5 P^3 real multiply-adds (each Gram's lower
 * half by Gauss's three real products, kernels/toeplitz-gram.wat), P = max(c_in, c_out). Those Grams go twice as many
 * per instruction in float32 (lastStep, the default where the SIMD heap runs: ~0.55x their float64 time): only the
 * last step's eps_t grows (float32 allowance, toeplitz-enclosure.ts), and the 2^t-th root divides its relative share
 * of the value by 2^t.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BoundResult, KernelHWIO } from '../../../../shared/bounds.js';
import { KernelError, validateKernel } from '../../../../shared/bounds.js';
import { kernelToHost } from '../numerics/host-kernel.js';
import { UNDERFLOW64, sumUpper } from '../numerics/rounding.js';
import { correlationError, enclosedBound } from './toeplitz-enclosure.js';
import { correlationHeap, type CorrelationHeap } from './toeplitz-heap.js';
import {
  absSums,
  heapLayout,
  mirror,
  rescale,
  selfCorrelate,
  type GramPrecision,
  type HeapLayout,
  type Taps,
} from './toeplitz-step.js';

/** Refuse work that would need more than this many bytes of heap (the grid grows as 4^t). */
const MAX_BYTES = 2 ** 31;

export interface ToeplitzOptions {
  /** 'simd' (default: float64 WebAssembly SIMD where it runs, else JavaScript) or 'js' (float64 JavaScript). */
  path?: 'simd' | 'js';
  /** Skip the Gram of a frequency whose matrix is exactly zero (default true; the value is the same). */
  prune?: boolean;
  /**
   * The last self-correlation's Grams: 'float32' (default; SIMD only: the JavaScript path is float64 throughout) or
   * 'float64'. The earlier steps are float64 either way.
   */
  lastStep?: GramPrecision;
}

export type ToeplitzResult = BoundResult & {
  /** The bound after 1, 2, ..., t self-correlations (each is valid; the last is `value`). */
  perIteration: number[];
  /** Where the arithmetic ran (float64 but for the last step's Grams, lastStepPrecision). */
  path: 'simd' | 'js';
  /** The last self-correlation's Grams: float32 products (with their own allowance) or float64. */
  lastStepPrecision: GramPrecision;
  /** Frequency Grams computed over the t steps, and what they would be without pruning. */
  gramsRun: number;
  gramsFull: number;
};

export function toeplitzBound(
  kernel: KernelHWIO | tf.Tensor4D,
  iterations = 4,
  opts: ToeplitzOptions = {},
): ToeplitzResult {
  const t0 = performance.now();
  const host = kernelToHost(kernel);
  validateKernel(host, 'toeplitzBound');
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 30) {
    throw new KernelError(`toeplitzBound: iterations must be an integer in [1, 30], got ${iterations}.`);
  }
  for (const [key, value, allowed] of [
    ['path', opts.path, ['simd', 'js']],
    ['lastStep', opts.lastStep, ['float32', 'float64']],
  ] as const) {
    if (value !== undefined && !(allowed as readonly string[]).includes(value)) {
      throw new KernelError(`toeplitzBound: ${key} must be '${allowed.join("' or '")}', got '${String(value)}'.`);
    }
  }
  const steps = stepShapes(host, iterations);
  checkCost(host, iterations, heapLayout(steps, 2));
  const heap = correlationHeap(opts.path ?? 'simd');
  const layout = heapLayout(steps, heap.threads);
  heap.ensure(layout.bytes);
  const lastStep = (opts.lastStep ?? 'float32') === 'float32' && heap.grams32 ? 'float32' : 'float64';
  const { perIteration, gramsRun, gramsFull } = iterate(heap, layout, host, steps, {
    prune: opts.prune !== false,
    lastStep,
  });
  return {
    method: 'toeplitz-norm2toep',
    value: perIteration[iterations - 1],
    kind: 'upper bound',
    validFor: { padding: 'any', stride: 1 },
    iterations,
    timeMs: performance.now() - t0,
    perIteration,
    path: heap.path,
    lastStepPrecision: lastStep,
    gramsRun,
    gramsFull,
  };
}

const even = (n: number): number => n + (n % 2);

/** The kernel entering each step: the original (P x Q, both padded to even with zero channels), then P x P. */
function stepShapes(k: KernelHWIO, t: number): Taps[] {
  const [h, w, ci, co] = k.shape;
  const P = even(Math.max(ci, co));
  const steps: Taps[] = [{ sh: h, sw: w, P, C: even(Math.min(ci, co)) }];
  for (let j = 1; j < t; j++) {
    const s = steps[j - 1];
    steps.push({ sh: 2 * s.sh - 1, sw: 2 * s.sw - 1, P, C: P });
  }
  return steps;
}

/** The t steps of toeplitzEnclosure (toeplitz-enclosure.ts): the guaranteed bound after each. */
function iterate(
  heap: CorrelationHeap,
  L: HeapLayout,
  k: KernelHWIO,
  steps: Taps[],
  { prune, lastStep }: { prune: boolean; lastStep: GramPrecision },
): { perIteration: number[]; gramsRun: number; gramsFull: number } {
  const t = steps.length;
  const maxAbs = loadKernel(heap, L, k, steps[0]);
  let [gramsRun, gramsFull] = [0, 0];
  for (const s of steps) gramsFull += (2 * s.sh - 1) * s.sw - (s.sh - 1);
  // the zero map (no frequency has a non-zero matrix: every Gram pruned)
  if (maxAbs === 0) return { perIteration: new Array<number>(t).fill(0), gramsRun: 0, gramsFull };
  // Y_0 = K 2^-k0 with its largest entry in [1, 2): no square of K is formed before (they could overflow or
  // underflow for weights beyond ~1e+-154). Scaling up is exact; scaling down may underflow, by at most one
  // subnormal per entry: h w P Q of them, added to each bound (loadSlack), with the final product's own underflow.
  const k0 = Math.floor(Math.log2(maxAbs));
  const s0 = steps[0];
  const count = s0.sh * s0.sw * s0.P * s0.C;
  for (let left = k0; left !== 0;) {
    const step = Math.max(-1000, Math.min(1000, left));
    rescale(heap, L.A, count, 2 ** -step);
    left -= step;
  }
  const loadSlack = 2 ** k0 * UNDERFLOW64 * k.data.length + 4 * UNDERFLOW64;
  let yFro = Math.sqrt(sumUpper(heap.sumsq(L.A, count), count));
  const [eps, shift, out] = [[] as number[], [] as number[], [] as number[]];
  for (let j = 0; j < t; j++) {
    const s = steps[j];
    const last = j + 1 === t;
    const norms = selfCorrelate(heap, L, s, prune, last, last ? lastStep : 'float64');
    gramsRun += norms.grams;
    const g = norms.grid;
    const cells = g.nh * g.nw * s.P;
    const { row, col } = norms.sums ?? absSums(heap, L, g, s.P);
    eps.push(correlationError(s, norms, yFro, null));
    out.push(enclosedBound(k0, Math.sqrt(sumUpper(row, cells) * sumUpper(col, cells)), eps, shift) + loadSlack);
    if (j + 1 === t) break;
    const z = Math.sqrt(sumUpper(mirror(heap, L.A, g, s.P), cells * s.P));
    if (z === 0) {
      // Only underflow can empty a correlation of a non-zero kernel: the bound cannot improve further.
      while (out.length < t) out.push(out[out.length - 1]);
      break;
    }
    const kj = Math.floor(Math.log2(z));
    rescale(heap, L.A, cells * s.P, 2 ** -kj);
    shift.push(kj);
    // the rescale's underflow (correlationError's 2^k_j N P UNDERFLOW64, counted with k_j now known)
    eps[j] = correlationError(s, norms, yFro, kj);
    yFro = z * 2 ** -kj;
  }
  return { perIteration: out, gramsRun, gramsFull };
}

/**
 * Writes K as [x][y][a][c] (a over the larger channel side, both sides zero-padded to the step's even sizes) at
 * L.A and returns its largest absolute entry.
 */
function loadKernel(heap: CorrelationHeap, L: HeapLayout, k: KernelHWIO, s: Taps): number {
  const [h, w, ci, co] = k.shape;
  const f = heap.f64;
  const base = L.A / 8;
  f.fill(0, base, base + h * w * s.P * s.C);
  // the reference's orientation: rows a are output channels unless c_in > c_out
  const [iStride, oStride] = co >= ci ? [1, s.C] : [s.C, 1];
  let maxAbs = 0;
  // in 32 x 32 tiles of (i, o): where the copy transposes (oStride = C), a tile's destination rows stay in cache
  for (let xy = 0; xy < h * w; xy++) {
    for (let i0 = 0; i0 < ci; i0 += 32) {
      for (let o0 = 0; o0 < co; o0 += 32) {
        const [i1, o1] = [Math.min(ci, i0 + 32), Math.min(co, o0 + 32)];
        for (let i = i0; i < i1; i++) {
          const src = (xy * ci + i) * co;
          const dst = base + xy * s.P * s.C + i * iStride;
          for (let o = o0; o < o1; o++) {
            const v = k.data[src + o];
            maxAbs = Math.max(maxAbs, Math.abs(v));
            f[dst + o * oStride] = v;
          }
        }
      }
    }
  }
  return maxAbs;
}

function checkCost(k: KernelHWIO, t: number, L: HeapLayout): void {
  if (L.bytes <= MAX_BYTES) return;
  const [h, w, ci, co] = k.shape;
  const side = (s: number) => 2 ** t * (s - 1) + 1;
  throw new KernelError(
    `toeplitzBound: ${t} iterations on a ${h}x${w} kernel with ${Math.max(ci, co)} channels need ` +
      `~${(L.bytes / 2 ** 30).toFixed(1)} GiB (the self-correlation grows to ${side(h)}x${side(w)} taps). ` +
      'Use fewer iterations.',
  );
}
