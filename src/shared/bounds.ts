/**
 * The bounds contract: what every spectral-norm method returns, in the words of the papers.
 * Pure types and checks — no Node, no tfjs, no DOM — so the engine, the store, the CLI and the
 * renderer all speak about a bound the same way.
 */

import { BOUND_METHODS, type BoundKind, type BoundMethod } from './bound-methods.js';

/** What each method is (kind, validity, label, colour) lives in the one registry, bound-methods.ts. */
export type { BoundKind, BoundMethod } from './bound-methods.js';

/** The padding a value is valid for. 'any' = every n and every padding (e.g. the Fantastic Four bound). */
export type PaddingMode = 'circular' | 'zero-same' | 'zero-valid' | 'zero' | 'any';

export interface BoundValidity {
  padding: PaddingMode;
  stride: number;
  /** Spatial input size the value was computed at, where the method depends on it. */
  n?: number | [number, number];
}

export interface BoundResult {
  method: BoundMethod;
  value: number;
  kind: BoundKind;
  validFor: BoundValidity;
  /** Iterations the method ran (power or Gram iterations); 0 for closed-form or SVD. */
  iterations: number;
  /** Wall time of the computation, milliseconds. */
  timeMs: number;
}

/** The paper's four reshapes of L[o,i,k,l] (Section 3, Theorem 1). */
export type F4Matrix = 'R' | 'S' | 'T' | 'U';
export const F4_MATRICES: readonly F4Matrix[] = ['R', 'S', 'T', 'U'] as const;

export interface F4Report extends BoundResult {
  method: 'f4' | 'f4-polyphase';
  /**
   * Spectral norms of R, S, T, U (not multiplied by sqrt(hw)): guaranteed upper bounds for the reshapes listed in
   * `certified`, float32 Lanczos estimates (accurate to ~1e-7, no guarantee) for the others.
   */
  matrixNorms: Record<F4Matrix, number>;
  /**
   * The reshapes whose norm is certified (always including argmin, so `value` is guaranteed). Only the smallest needs
   * a certificate; large layers certify only it and any other within 1e-5 of it. Absent: all four are certified.
   */
  certified?: F4Matrix[];
  /** sqrt(h*w) of the (possibly polyphase) kernel. */
  sqrtHW: number;
  /** sqrt(hw) * min over the four norms; equals `value`. */
  minBound: number;
  argmin: F4Matrix;
}

/**
 * A kernel on the host, in the tfjs layout HWIO: data[((k*w + l)*cin + i)*cout + o] = W[k][l][i][o].
 * The paper's tensor is L[o][i][k][l] = W[k][l][i][o].
 */
export interface KernelHWIO {
  shape: [number, number, number, number];
  data: Float64Array | Float32Array;
}

export class KernelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelError';
  }
}

/** Reject what no bound can be computed for, naming the problem and what to do next. */
export function validateKernel(k: KernelHWIO, label = 'kernel'): void {
  validateKernelShape(k, label);
  const s = k.shape;
  const j = firstNonFinite(k.data);
  if (j >= 0) {
    const [h, w, ci, co] = s;
    const o = j % co;
    const i = Math.floor(j / co) % ci;
    const l = Math.floor(j / (co * ci)) % w;
    const kk = Math.floor(j / (co * ci * w)) % h;
    throw new KernelError(
      `${label}: weight W[${kk}][${l}][${i}][${o}] is ${k.data[j]}; bounds need finite weights. ` +
        'Check the checkpoint or the training run that produced it (a diverged run yields NaN/Inf).',
    );
  }
}

/**
 * validateKernel's checks of the shape and the number of weights alone, for a caller whose own first read of the
 * weights finds any NaN or Inf (then it calls validateKernel for the message): one pass less over a large kernel.
 */
export function validateKernelShape(k: KernelHWIO, label = 'kernel'): void {
  const s = k.shape as unknown as number[];
  if (!Array.isArray(s) || s.length !== 4) {
    throw new KernelError(
      `${label}: expected a 4-D kernel [h, w, c_in, c_out] (HWIO), got shape [${String(s)}]. ` +
        'Reshape it to HWIO (a dense layer is [1, 1, in, out]).',
    );
  }
  for (const d of s) {
    if (!Number.isInteger(d) || d < 1) {
      throw new KernelError(`${label}: every dimension must be a positive integer, got shape [${s.join(', ')}].`);
    }
  }
  const size = s[0] * s[1] * s[2] * s[3];
  if (k.data.length !== size) {
    throw new KernelError(`${label}: shape [${s.join(', ')}] needs ${size} weights but ${k.data.length} were given.`);
  }
}

/**
 * Index of the first weight that is not a finite number (NaN, Inf, or in a plain array also null or a string), or
 * -1. Typed arrays first take one branch-free pass (x - x is 0 for every finite x and NaN otherwise) with four
 * running sums, since one waits on its own add latency every element; plain arrays (small, from JSON) go straight
 * to the element test.
 */
function firstNonFinite(data: ArrayLike<number>): number {
  const z = data instanceof Float32Array || data instanceof Float64Array ? finiteProbe(data) : NaN;
  if (z === 0) return -1;
  for (let j = 0; j < data.length; j++) if (!Number.isFinite(data[j])) return j;
  return -1;
}
function finiteProbe(d: Float32Array | Float64Array): number {
  let a = 0, b = 0, c = 0, e = 0; // prettier-ignore
  let j = 0;
  for (; j + 3 < d.length; j += 4) {
    a += d[j] - d[j];
    b += d[j + 1] - d[j + 1];
    c += d[j + 2] - d[j + 2];
    e += d[j + 3] - d[j + 3];
  }
  for (; j < d.length; j++) a += d[j] - d[j];
  return a + b + c + e;
}

/** n must cover the kernel for a circular or zero-padded operator of size n x n. */
export function validateInputSize(k: KernelHWIO, n: number, label = 'kernel'): void {
  if (!Number.isInteger(n) || n < 1)
    throw new KernelError(`${label}: input size n must be a positive integer, got ${n}.`);
  const [h, w] = k.shape;
  if (n < h || n < w) {
    throw new KernelError(
      `${label}: input size n=${n} is smaller than the ${h}x${w} kernel; use n >= ${Math.max(h, w)}.`,
    );
  }
}

/** How a conv layer really runs, so each bound can say whether it applies. */
export interface LayerGeometry {
  /** Spatial input size (square n or [height, width]). */
  n: number | [number, number];
  stride: number;
  padding: 'same' | 'valid' | 'circular';
  /** Default 1. */
  dilation?: number;
  /** Default 1. */
  groups?: number;
}

/** Every bound of one layer, side by side: what the CLI table, the trainer's evaluation and the store share. */
export interface LayerBoundsReport {
  name: string;
  shapeHWIO: [number, number, number, number];
  geometry: LayerGeometry;
  f4: F4Report;
  /** F4 on the polyphase kernel, for strided layers. */
  f4Polyphase?: F4Report;
  /** Sedghi's exact norm of the stride-1 circular convolution at n (an upper bound for the strided one). */
  exactCircular?: BoundResult;
  gram?: BoundResult;
  toeplitz?: BoundResult;
  /** Power iteration on the layer as it runs (its padding and stride): a lower estimate. */
  operator?: BoundResult;
  /** Every singular value of the circular operator (only when asked for with `spectrum: true` and exact ran). */
  spectrum?: Float64Array;
  /** Whether every value is consistent with every other one of the same operator (boundViolations, bound-methods.ts). */
  consistent: boolean;
  violations: string[];
  /** Methods that refused this layer (e.g. a memory or time budget), with their reason. */
  skipped: { method: string; reason: string }[];
}

type ReportField = 'f4' | 'f4Polyphase' | 'gram' | 'toeplitz' | 'exactCircular' | 'operator';

/**
 * Where each method of the registry sits in a LayerBoundsReport (null: not computed per layer by the engine). A
 * method added to the registry is a compile error here until the engine gives it a place.
 */
export const REPORT_FIELDS = {
  f4: 'f4',
  'f4-polyphase': 'f4Polyphase',
  'gram-iteration': 'gram',
  'toeplitz-norm2toep': 'toeplitz',
  'miyato-t': null,
  'sedghi-exact': 'exactCircular',
  'dense-exact': null,
  'operator-power': 'operator',
} as const satisfies Record<BoundMethod, ReportField | null>;

/** Every value of a report, in the registry's display order. */
export function reportResults(r: LayerBoundsReport): BoundResult[] {
  return BOUND_METHODS.flatMap((m) => {
    const field = REPORT_FIELDS[m.id];
    const b = field === null ? undefined : r[field];
    return b === undefined ? [] : [b];
  });
}
