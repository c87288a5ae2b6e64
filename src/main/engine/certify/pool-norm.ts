/**
 * The l2 operator norm of 2-D average pooling.
 *
 * Average pooling acts on each channel separately and its weights factor over the two axes
 * (w(a,b) = w_h(a) w_w(b), also for TF 'same' padding where a window divides by the number of valid
 * inputs, count_h * count_w). So per channel the operator is the Kronecker product P_h (x) P_w of two
 * 1-D poolings and ||A|| = ||P_h|| ||P_w||; the channel count does not change the norm.
 *
 * 1-D: P is (out x n), row i averages its window. ||P||^2 = lambda_max(P P^T), and G = P P^T is
 * non-negative with G_ij = overlap(i, j) w_i w_j. The Collatz–Wielandt bounds
 *   min_i (Gx)_i / x_i <= rho(G) <= max_i (Gx)_i / x_i   (x > 0)
 * bracket the norm at every power-iteration step, so the returned value is an upper bound, not an
 * estimate, whenever iteration stops.
 *
 * Closed forms: disjoint k-windows (s >= k) give ||P|| = 1/sqrt(k), so a k x k stride-k pool has norm
 * 1/k (2x2 stride 2 -> 1/2). With overlap, each input lies in up to c = ceil(k/s) windows and Schur's
 * test gives ||P|| <= sqrt(||P||_1 ||P||_inf) = sqrt(c/k); this is the n -> infinity limit when s divides k
 * (e.g. stride 1: norm -> 1), and strictly loose otherwise (k=3, s=2: sqrt(2/3) vs sqrt(5)/3).
 */
import { CertifyError } from '../../../shared/certify-math.js';

/** 'valid': no padding. 'same': TF/Keras semantics (output ceil(n/s), windows divide by the valid count). */
export type PoolPadding = 'valid' | 'same';

export interface AveragePoolSpec {
  poolSize: [number, number];
  strides: [number, number];
  /** Spatial input size [height, width]. */
  inputSize: [number, number];
  padding: PoolPadding;
}

export interface PoolWindow1D {
  /** First input index covered (inclusive) and last (exclusive), after clipping to [0, n). */
  start: number;
  end: number;
  /** The weight of every covered input: 1/k ('valid'), 1/(covered count) ('same'). */
  weight: number;
}

function checkPositiveInt(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 1)
    throw new CertifyError(`average pool: ${what} must be a positive integer, got ${v}.`);
}

/** The rows of the 1-D pooling matrix (exported so tests can build the explicit matrix). */
export function averagePoolWindows1D(n: number, k: number, s: number, padding: PoolPadding): PoolWindow1D[] {
  checkPositiveInt(n, 'input size');
  checkPositiveInt(k, 'pool size');
  checkPositiveInt(s, 'stride');
  const rows: PoolWindow1D[] = [];
  if (padding === 'valid') {
    if (n < k) {
      throw new CertifyError(
        `average pool: input size ${n} is smaller than the pool size ${k} with 'valid' padding; use 'same' or a larger input.`,
      );
    }
    const out = Math.floor((n - k) / s) + 1;
    for (let i = 0; i < out; i++) rows.push({ start: i * s, end: i * s + k, weight: 1 / k });
  } else if (padding === 'same') {
    // TF 'SAME': out = ceil(n/s), pad_total = max((out-1)s + k - n, 0), pad_before = floor(pad_total/2).
    const out = Math.ceil(n / s);
    const padBefore = Math.floor(Math.max((out - 1) * s + k - n, 0) / 2);
    for (let i = 0; i < out; i++) {
      const start = Math.max(0, i * s - padBefore);
      const end = Math.min(n, i * s - padBefore + k);
      rows.push({ start, end, weight: 1 / (end - start) });
    }
  } else {
    throw new CertifyError(`average pool: padding must be 'valid' or 'same', got "${String(padding)}".`);
  }
  return rows;
}

export interface PoolNorm1D {
  /** Upper bound on ||P||_2 (Collatz–Wielandt), equal to it within `relativeGap`. */
  upper: number;
  /** Lower bound on ||P||_2. */
  lower: number;
  iterations: number;
}

/** ||P||_2 of a 1-D pooling, bracketed by Collatz–Wielandt bounds on lambda_max(P P^T). */
export function averagePoolNorm1D(
  n: number,
  k: number,
  s: number,
  padding: PoolPadding,
  relativeGap = 1e-10,
  maxIterations = 200_000,
): PoolNorm1D {
  const rows = averagePoolWindows1D(n, k, s, padding);
  const m = rows.length;
  // Banded Gram matrix: window i overlaps window j only if |i - j| * s < k (+ edge effects), kept as lists.
  const nbr: number[][] = [];
  const val: number[][] = [];
  for (let i = 0; i < m; i++) {
    nbr.push([]);
    val.push([]);
    for (let j = 0; j < m; j++) {
      const ov = Math.min(rows[i].end, rows[j].end) - Math.max(rows[i].start, rows[j].start);
      if (ov > 0) {
        nbr[i].push(j);
        val[i].push(ov * rows[i].weight * rows[j].weight);
      }
      if (rows[j].start >= rows[i].end && j > i) break;
    }
  }
  // Start near the Perron vector of a path-like Toeplitz matrix (a half sine), positive everywhere.
  let x = new Float64Array(m);
  for (let i = 0; i < m; i++) x[i] = Math.sin((Math.PI * (i + 1)) / (m + 1));
  let lo = 0;
  let hi = Infinity;
  let it = 0;
  for (; it < maxIterations; it++) {
    const y = new Float64Array(m);
    let stepLo = Infinity;
    let stepHi = 0;
    let norm = 0;
    for (let i = 0; i < m; i++) {
      let acc = 0;
      const ni = nbr[i];
      const vi = val[i];
      for (let t = 0; t < ni.length; t++) acc += vi[t] * x[ni[t]];
      y[i] = acc;
      const r = acc / x[i];
      if (r < stepLo) stepLo = r;
      if (r > stepHi) stepHi = r;
      norm = Math.max(norm, acc);
    }
    lo = Math.max(lo, stepLo);
    hi = Math.min(hi, stepHi);
    if (hi - lo <= relativeGap * hi) break;
    for (let i = 0; i < m; i++) y[i] /= norm;
    x = y;
  }
  return { upper: Math.sqrt(hi), lower: Math.sqrt(lo), iterations: it + 1 };
}

/** ||AvgPool||_2 on an input of the given size (upper bound, tight to ~1e-10 relative). */
export function averagePoolOperatorNorm(spec: AveragePoolSpec): number {
  const { poolSize, strides, inputSize, padding } = spec;
  const h = averagePoolNorm1D(inputSize[0], poolSize[0], strides[0], padding);
  const w = averagePoolNorm1D(inputSize[1], poolSize[1], strides[1], padding);
  return h.upper * w.upper;
}

/**
 * Input-size-free bound for 'valid' padding (or padding counted in the average): Schur's test per axis,
 * sqrt(ceil(k/s) / k), multiplied over the two axes. Not valid for TF 'same' padding, whose edge windows
 * divide by fewer than k inputs (a 2x2 stride-2 'same' pool on an odd input copies the corner pixel:
 * norm 1, not 1/2); use averagePoolOperatorNorm there.
 */
export function averagePoolSchurBound(poolSize: [number, number], strides: [number, number]): number {
  let b = 1;
  for (let a = 0; a < 2; a++) {
    checkPositiveInt(poolSize[a], 'pool size');
    checkPositiveInt(strides[a], 'stride');
    b *= Math.sqrt(Math.ceil(poolSize[a] / strides[a]) / poolSize[a]);
  }
  return b;
}
