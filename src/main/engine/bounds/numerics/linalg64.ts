/**
 * Small float64 host linear algebra for certificates: Gram matrices, symmetric eigenvalues, the largest singular
 * value to float64 precision, and a GUARANTEED upper bound on ||M||_2 that accounts for every rounding error.
 *
 * The guarantee (spectralNorm64): with G~ = fl(M M^T) and an estimate lambda^ of lambda_max(G~) (Lanczos),
 * a floating-point Cholesky factorisation of fl(mu I - G~), mu slightly above lambda^, that runs to completion
 * proves mu I - G~ + D + dA >= 0 with ||dA||_2 <= gamma_{n+1}/(1-gamma_{n+1}) tr (Demmel 1989; Higham,
 * "Accuracy and Stability of Numerical Algorithms", Thm 10.3 and the argument of Rump, BIT 46 (2006) 433-452)
 * and ||D||_2 <= u (mu + max g~_ii) for the rounding of the shifted diagonal. The Gram error is
 * |G~ - M M^T| <= gamma_m |M||M|^T, so ||G~ - M M^T||_2 <= gamma_m ||M||_F^2 (Higham Sec. 3.5). Hence
 * lambda_max(M M^T) <= mu + errors; all terms are relative ~n^2 u, i.e. ~1e-10 for n = 1536.
 */

import { choleskyInPlace, gram64, transpose64 } from './blas64.js';
import { shiftedCholeskySucceeds, type ResidentGram } from './cholesky-simd.js';
import { tridiagonalEigen } from './hermitian-eig.js';
import { Lanczos } from './lanczos.js';
import { gamma, U64 } from './rounding.js';

export { gram64, transpose64 } from './blas64.js';

const U = U64;
/** Absolute slack for underflow in products (|fl(xy) - xy| <= u|xy| + 2^-1075): far below any scaled value. */
const UNDERFLOW_SLACK = 1e-280;

/**
 * Eigenvalues (ascending) of the symmetric tridiagonal matrix with diagonal `diag` and off-diagonal `off`
 * (off[j] couples j and j+1): the shared implicit QL of hermitian-eig.ts, sorted.
 */
export function tridiagonalEigenvalues(diag: ArrayLike<number>, off: ArrayLike<number>): Float64Array {
  const n = diag.length;
  const d = Float64Array.from(diag);
  const e = new Float64Array(n);
  for (let j = 0; j + 1 < n; j++) e[j] = off[j];
  tridiagonalEigen(d, e, n);
  return d.sort();
}

/** Eigenvalues (ascending) of a dense symmetric n x n matrix: Householder tridiagonalisation, then QL. O(n^3). */
export function symmetricEigenvalues(A: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(A);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  for (let i = n - 1; i > 0; i--) {
    const l = i - 1;
    let h = 0;
    if (l > 0) {
      let scale = 0;
      for (let k = 0; k <= l; k++) scale += Math.abs(a[i * n + k]);
      if (scale === 0) e[i] = a[i * n + l];
      else {
        for (let k = 0; k <= l; k++) {
          a[i * n + k] /= scale;
          h += a[i * n + k] * a[i * n + k];
        }
        let f = a[i * n + l];
        let g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
        e[i] = scale * g;
        h -= f * g;
        a[i * n + l] = f - g;
        f = 0;
        for (let j = 0; j <= l; j++) {
          g = 0;
          for (let k = 0; k <= j; k++) g += a[j * n + k] * a[i * n + k];
          for (let k = j + 1; k <= l; k++) g += a[k * n + j] * a[i * n + k];
          e[j] = g / h;
          f += e[j] * a[i * n + j];
        }
        const hh = f / (h + h);
        for (let j = 0; j <= l; j++) {
          f = a[i * n + j];
          g = e[j] - hh * f;
          e[j] = g;
          for (let k = 0; k <= j; k++) a[j * n + k] -= f * e[k] + g * a[i * n + k];
        }
      }
    } else e[i] = a[i * n + l];
    d[i] = h;
  }
  for (let i = 0; i < n; i++) d[i] = a[i * n + i];
  return tridiagonalEigenvalues(d, e.subarray(1));
}

/** y = A x for a dense symmetric n x n A, reading only the lower triangle (the matvec is memory-bound). */
function symMatVec(A: Float64Array, n: number, x: Float64Array, y: Float64Array): void {
  y.fill(0);
  for (let i = 0; i < n; i++) {
    const o = i * n;
    const xi = x[i];
    let s = 0;
    for (let k = 0; k < i; k++) {
      const a = A[o + k];
      s += a * x[k];
      y[k] += a * xi;
    }
    y[i] += s + A[o + i] * xi;
  }
}

/** Deterministic pseudo-random unit vector (mulberry32), so results are reproducible run to run. */
export function randomUnitVector(n: number, seed: number): Float64Array {
  let a = seed >>> 0;
  const x = new Float64Array(n);
  let norm = 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    x[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
    norm += x[i] * x[i];
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < n; i++) x[i] /= norm;
  return x;
}

/**
 * Largest eigenvalue of a dense symmetric PSD matrix by Lanczos (lanczos.ts, full reorthogonalisation). Stops when
 * the top Ritz value is stable to 1e-13 or the Krylov space is invariant. A lower estimate (Ritz values never
 * exceed lambda_max); spectralNorm64 turns it into a guaranteed bound.
 */
export function lanczosLargestEigenvalue(
  A: Float64Array,
  n: number,
  opts: { maxIterations?: number; seed?: number } = {},
): { value: number; iterations: number } {
  if (n <= 48) return { value: Math.max(0, symmetricEigenvalues(A, n)[n - 1]), iterations: 0 };
  const kMax = Math.min(n, opts.maxIterations ?? 400);
  const run = new Lanczos(n, { maxBasis: kMax + 1, initialBasis: 16, invariantTol: 1e-14 });
  run.start(randomUnitVector(n, opts.seed ?? 12345));
  const w = new Float64Array(n);
  const work = { d: new Float64Array(kMax), e: new Float64Array(kMax), z: new Float64Array(kMax) };
  let theta = 0;
  let stable = 0;
  for (;;) {
    symMatVec(A, n, run.current(), w);
    run.step(w);
    const j = run.k - 1;
    if (run.exhausted || run.k >= kMax || (j >= 8 && j % 4 === 0)) {
      const next = run.topRitz(work).theta1;
      // 1e-13 is well inside the certificate's margin (~n^2 u); a low estimate only costs a wider retry.
      stable = Math.abs(next - theta) <= 1e-13 * Math.abs(next) ? stable + 1 : 0;
      theta = next;
      if (run.exhausted || stable >= 2 || run.k >= kMax) return { value: Math.max(0, theta), iterations: run.k };
    }
  }
}

/** True iff floating-point Cholesky of the symmetric n x n A runs to completion with positive pivots (A kept). */
export function choleskySucceeds(A: Float64Array, n: number): boolean {
  return choleskyInPlace(Float64Array.from(A), n);
}

export interface SpectralNorm64 {
  /** Largest singular value, float64 (Lanczos on the Gram matrix): accurate, but a lower estimate. */
  sigma: number;
  /** Guaranteed upper bound on ||M||_2 including all rounding errors; >= the true norm, ~1e-10 above sigma. */
  upper: number;
  lanczosIterations: number;
  /** Cholesky attempts the certificate took (1 normally; 0 for a zero matrix). */
  certificateAttempts: number;
}

/**
 * The Gram matrix of one side of a matrix M (rows x cols), computed on M scaled by a power of two (exact) so its
 * entries are <= 1: no overflow, and the underflow slack stays negligible. Carries what the certificate needs.
 */
export interface ScaledGram {
  /** n x n, G = X X^T (side 'rows') or X^T X (side 'cols'), X = scale * M. */
  G: Float64Array;
  n: number;
  /** Length of the inner products that formed each entry. */
  m: number;
  /** Upper bound on ||X||_F^2. */
  frobUp: number;
  scale: number;
  /**
   * Where G was left in the Cholesky kernel's memory (cholesky-simd.residentGram): its certificate is factored
   * there, and G above is only made (on first read) where the whole matrix is needed (Lanczos without an estimate,
   * Gershgorin).
   */
  resident?: Pick<ResidentGram, 'diag' | 'shiftedCholesky'>;
}

/**
 * The two passes over a whole kernel that every certified F4 norm makes (powerOfTwoScale, frobeniusSquaredUpper),
 * with four accumulators: one running max or sum waits on its own latency every element. max is exact in any order;
 * a sum of n terms in any order rounds by at most gamma_(n-1) of the sum of |terms|.
 */
function maxAbs(d: ArrayLike<number>): number {
  let a = 0, b = 0, c = 0, e = 0; // prettier-ignore
  let j = 0;
  for (; j + 3 < d.length; j += 4) {
    a = Math.max(a, Math.abs(d[j]));
    b = Math.max(b, Math.abs(d[j + 1]));
    c = Math.max(c, Math.abs(d[j + 2]));
    e = Math.max(e, Math.abs(d[j + 3]));
  }
  for (; j < d.length; j++) a = Math.max(a, Math.abs(d[j]));
  return Math.max(a, b, c, e);
}
/** sum_j (s d_j)^2 in the order of maxAbs (s a power of two: s d_j is exact, each square rounds once). */
function sumSquares(d: ArrayLike<number>, s: number): number {
  let a = 0, b = 0, c = 0, e = 0; // prettier-ignore
  let j = 0;
  for (; j + 3 < d.length; j += 4) {
    const x = d[j] * s, y = d[j + 1] * s, z = d[j + 2] * s, w = d[j + 3] * s; // prettier-ignore
    a += x * x;
    b += y * y;
    c += z * z;
    e += w * w;
  }
  for (; j < d.length; j++) a += d[j] * s * (d[j] * s);
  return a + b + (c + e);
}

/** Exact power-of-two scale making max |entry| <= 1 (1 for a zero matrix). */
export function powerOfTwoScale(data: ArrayLike<number>): number {
  const max = maxAbs(data);
  if (!Number.isFinite(max))
    throw new Error('linalg64: the matrix has NaN or Inf entries; bounds need finite weights.');
  return max === 0 ? 1 : 2 ** -Math.ceil(Math.log2(max));
}

export function scaledGram(
  M: Float64Array,
  rows: number,
  cols: number,
  side: 'rows' | 'cols' | 'smaller' = 'smaller',
  scale = powerOfTwoScale(M),
  /** X X^T of a row-major n x m X; any summation order keeps the gamma_m bound (e.g. a SIMD kernel). */
  product: (X: Float64Array, n: number, m: number) => Float64Array = gram64,
): ScaledGram {
  const useRows = side === 'rows' || (side === 'smaller' && rows <= cols);
  const X = useRows ? M.map((x) => x * scale) : transpose64(M, rows, cols).map((x) => x * scale);
  const n = useRows ? rows : cols;
  const m = useRows ? cols : rows;
  return { G: product(X, n, m), n, m, frobUp: frobeniusSquaredUpper(X, 1), scale };
}

/** Upper bound on sum_j (scale x_j)^2 (scale a power of two: exact products). */
export function frobeniusSquaredUpper(data: ArrayLike<number>, scale: number): number {
  return sumOfSquaresUpper(sumSquares(data, scale), data.length);
}

/** An upper bound on a sum of len squares from its computed value (scaled power-of-two products: exact inputs). */
export function sumOfSquaresUpper(computed: number, len: number): number {
  // The computed sum of squares may round low by at most gamma_{len+1} relative (one rounding per square, at most
  // len - 1 per sum whatever the order of the additions).
  return computed / (1 - gamma(len + 1));
}

/**
 * G'[a, b] = sum_k G[a*inner + k, b*inner + k]. For F4 this turns R R^T (rows (o,k)) into T T^T, and R^T R or
 * S^T S into U^T U: each entry is the same inner product over m*inner terms, summed in another order, so the
 * Gram error bound carries over with m*inner.
 */
export function partialTrace(g: ScaledGram, inner: number): ScaledGram {
  const n2 = g.n / inner;
  if (!Number.isInteger(n2)) throw new Error(`partialTrace: ${inner} does not divide the Gram size ${g.n}.`);
  const G = new Float64Array(n2 * n2);
  for (let a = 0; a < n2; a++) {
    for (let b = 0; b < n2; b++) {
      let s = 0;
      for (let k = 0; k < inner; k++) s += g.G[(a * inner + k) * g.n + b * inner + k];
      G[a * n2 + b] = s;
    }
  }
  return { G, n: n2, m: g.m * inner, frobUp: g.frobUp, scale: g.scale };
}

/** ||M||_2: float64 estimate and guaranteed upper bound, via the Gram matrix of the smaller side. */
export function spectralNorm64(M: Float64Array, rows: number, cols: number): SpectralNorm64 {
  return normFromGram(scaledGram(M, rows, cols));
}

/**
 * sigma_max of the matrix behind a ScaledGram: Lanczos estimate plus the Cholesky certificate (header).
 * `estimate` (of sigma_max of the unscaled matrix, e.g. f4-estimates.ts) replaces the Lanczos run on G; the shift
 * then starts `slack` (relative, on lambda) above its square, so the estimate's own error must be below ~slack / 2.
 * It only decides where the certificate is tried: a low estimate costs a wider retry, never the guarantee.
 */
export function normFromGram(g: ScaledGram, hint: { estimate: number; slack: number } | null = null): SpectralNorm64 {
  const { n, m, frobUp, scale } = g;
  if (frobUp === 0) return { sigma: 0, upper: 0, lanczosIterations: 0, certificateAttempts: 0 };
  const gramErr = gamma(m) * frobUp + n * m * UNDERFLOW_SLACK;
  // A float32 estimate of a matrix beyond float32's range is Inf, NaN or 0: Lanczos in float64 then.
  const usable = hint !== null && Number.isFinite(hint.estimate) && hint.estimate > 0;
  const { value: lambdaHat, iterations } = usable
    ? { value: (hint.estimate * scale) ** 2, iterations: 0 }
    : lanczosLargestEigenvalue(g.G, n);
  const certified = certifyLambdaMax(g, lambdaHat, usable ? hint.slack : 0);
  const lambdaUp = (certified.mu + certified.err + gramErr) * (1 + 8 * U);
  return {
    sigma: Math.sqrt(lambdaHat) / scale,
    upper: (Math.sqrt(lambdaUp) * (1 + 2 * U)) / scale,
    lanczosIterations: iterations,
    certificateAttempts: certified.attempts,
  };
}

/**
 * Whether Cholesky of fl(mu I - G) succeeds: float64 WebAssembly SIMD on two threads where it runs
 * (cholesky-simd.ts), the blocked JS factorisation otherwise. Both factor the same matrix with the same products.
 */
export function shiftedCholesky(G: Float64Array, n: number, mu: number, opts: { simd?: boolean } = {}): boolean {
  const simd = (opts.simd ?? true) ? shiftedCholeskySucceeds(G, n, mu) : null;
  if (simd !== null) return simd;
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) A[i * n + j] = -G[i * n + j];
    A[i * n + i] = mu - G[i * n + i];
  }
  return choleskyInPlace(A, n);
}

/**
 * Find mu >= lambda^ with Cholesky(fl(mu I - G)) succeeding, and the rounding slack err such that
 * lambda_max(G) <= mu + err. Starts just above the Lanczos estimate; widens if the factorisation fails (the
 * estimate was low); as a last resort uses Gershgorin's bound, which needs no factorisation.
 */
function certifyLambdaMax(
  g: ScaledGram,
  lambdaHat: number,
  slack: number,
): { mu: number; err: number; attempts: number } {
  const n = g.n;
  const diag = g.resident?.diag ?? Float64Array.from({ length: n }, (_, i) => g.G[i * n + i]);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, diag[i]);
  const base = Math.max(lambdaHat, maxDiag);
  let delta = Math.max(gamma(n + 1) * n, 1e-13, slack);
  for (let attempt = 1; attempt <= 6; attempt++) {
    const mu = base * (1 + delta);
    let trace = 0;
    for (let i = 0; i < n; i++) trace += Math.max(mu - diag[i], 0);
    if (g.resident ? g.resident.shiftedCholesky(mu) : shiftedCholesky(g.G, n, mu)) {
      const traceUp = trace * (1 + gamma(n + 1));
      const cholErr = (gamma(n + 1) / (1 - gamma(n + 1))) * traceUp;
      const shiftErr = U * (mu + maxDiag);
      return { mu, err: cholErr + shiftErr + n * n * UNDERFLOW_SLACK, attempts: attempt };
    }
    delta *= 32;
  }
  // Gershgorin: lambda_max(G) <= max_i sum_j |g_ij|; the computed row sums may round low by gamma_n.
  const G = g.G;
  let rowMax = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.abs(G[i * n + j]);
    rowMax = Math.max(rowMax, s);
  }
  return { mu: rowMax * (1 + gamma(n + 1)), err: 0, attempts: 7 };
}

/** cos and sin of 2 pi j / n for j < n (the DFT's unit roots; callers reduce their exponents mod n). */
export function unitRoots(n: number): [Float64Array, Float64Array] {
  const c = new Float64Array(n);
  const s = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    c[j] = Math.cos((2 * Math.PI * j) / n);
    s[j] = Math.sin((2 * Math.PI * j) / n);
  }
  return [c, s];
}
