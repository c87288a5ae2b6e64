/**
 * Small dense eigen-solvers in float64 for the spectral methods: the symmetric tridiagonal QL algorithm (for the
 * Lanczos matrices T_k) and complex Hermitian eigenvalues by Householder reduction to a real tridiagonal (for the
 * full singular-value spectrum of the per-frequency matrices, Sedghi et al. 2019).
 */

/**
 * Implicit QL with Wilkinson shifts on the symmetric tridiagonal with diagonal d[0..n) and off-diagonal
 * e[i] = T[i][i+1] (e[n-1] ignored). d receives the eigenvalues (unsorted); d and e are overwritten.
 * If z is given (nz rows x n, row-major), the same rotations are applied to it: start from the identity to get
 * eigenvectors as columns, or from a single row e_{n-1} to get only the last components (enough for Lanczos
 * residuals beta_k |z_{k,j}|).
 */
export function tridiagonalEigen(d: Float64Array, e: Float64Array, n: number, z?: Float64Array, nz = 0): void {
  if (n === 0) return;
  e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      if (++iter > 80) throw new Error('tridiagonalEigen: QL did not converge in 80 iterations (non-finite input?).');
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = pythag(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      let underflow = false;
      for (; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = pythag(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p;
          e[m] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        if (z) {
          for (let k = 0; k < nz; k++) {
            const row = k * n;
            const t = z[row + i + 1];
            z[row + i + 1] = s * z[row + i] + c * t;
            z[row + i] = c * z[row + i] - s * t;
          }
        }
      }
      if (underflow) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
}

/**
 * sqrt(a^2 + b^2): Math.hypot only where the squares could overflow or underflow — V8's Math.hypot (variadic,
 * scaled) cost more than the rest of QL for the small Lanczos matrices analysed thousands of times per call.
 */
function pythag(a: number, b: number): number {
  const s = a * a + b * b;
  return s > 1e-290 && s < 1e290 ? Math.sqrt(s) : Math.hypot(a, b);
}

/** Largest and second-largest eigenvalue of T_k, and the last component of the top eigenvector. */
export interface RitzSummary {
  theta1: number;
  theta2: number;
  lastComponent: number;
  index: number;
}

/** alpha and beta may be read from offsets aOff, bOff of larger arrays (one block per frequency). */
export function topRitz(
  alpha: Float64Array,
  beta: Float64Array,
  k: number,
  work: { d: Float64Array; e: Float64Array; z: Float64Array },
  aOff = 0,
  bOff = 0,
): RitzSummary {
  const { d, e, z } = work;
  for (let i = 0; i < k; i++) {
    d[i] = alpha[aOff + i];
    e[i] = i + 1 < k ? beta[bOff + i + 1] : 0;
    z[i] = i === k - 1 ? 1 : 0;
  }
  tridiagonalEigen(d, e, k, z, 1);
  let i1 = 0;
  for (let i = 1; i < k; i++) if (d[i] > d[i1]) i1 = i;
  let t2 = -Infinity;
  for (let i = 0; i < k; i++) if (i !== i1 && d[i] > t2) t2 = d[i];
  return { theta1: d[i1], theta2: t2, lastComponent: z[i1], index: i1 };
}

interface Scratch {
  n: number;
  ar: Float64Array;
  ai: Float64Array;
  e: Float64Array;
  vr: Float64Array;
  vi: Float64Array;
  pr: Float64Array;
  pi: Float64Array;
}
let scratch: Scratch | undefined;
function makeScratch(n: number): Scratch {
  const v = () => new Float64Array(n);
  return { n, ar: new Float64Array(n * n), ai: new Float64Array(n * n), e: v(), vr: v(), vi: v(), pr: v(), pi: v() };
}

/**
 * The unit Householder vector (vr, vi) for column k below the diagonal, x = A[k+1.., k]: v = x - alpha e1 with
 * alpha = -e^{i arg x0} ||x|| (no cancellation), normalised. Returns ||x|| (0: nothing to reflect).
 */
function householderVector(s: Scratch, k: number): number {
  const { n, ar, ai, vr, vi } = s;
  let norm2 = 0;
  for (let i = k + 1; i < n; i++) norm2 += ar[i * n + k] ** 2 + ai[i * n + k] ** 2;
  const norm = Math.sqrt(norm2);
  if (norm === 0) return 0;
  const x0r = ar[(k + 1) * n + k];
  const x0i = ai[(k + 1) * n + k];
  const x0abs = Math.hypot(x0r, x0i);
  const phr = x0abs > 0 ? x0r / x0abs : 1;
  const phi = x0abs > 0 ? x0i / x0abs : 0;
  for (let i = k + 1; i < n; i++) {
    vr[i] = ar[i * n + k];
    vi[i] = ai[i * n + k];
  }
  vr[k + 1] += phr * norm;
  vi[k + 1] += phi * norm;
  let vn = 0;
  for (let i = k + 1; i < n; i++) vn += vr[i] ** 2 + vi[i] ** 2;
  vn = Math.sqrt(vn);
  for (let i = k + 1; i < n; i++) {
    vr[i] /= vn;
    vi[i] /= vn;
  }
  return norm;
}

/** A <- H A H on the trailing block (rows and columns > k): A -= 2(v q^H + q v^H) with p = A v, q = p - (v^H p) v. */
function reflectTrailingBlock(s: Scratch, k: number): void {
  const { n, ar, ai, vr, vi, pr, pi } = s;
  // p = A v on the trailing block (Hermitian: use the lower triangle, A[j][i] = conj(A[i][j]))
  for (let i = k + 1; i < n; i++) {
    let sr = 0;
    let si = 0;
    for (let j = k + 1; j < n; j++) {
      let a;
      let b;
      if (j <= i) {
        a = ar[i * n + j];
        b = ai[i * n + j];
      } else {
        a = ar[j * n + i];
        b = -ai[j * n + i];
      }
      sr += a * vr[j] - b * vi[j];
      si += a * vi[j] + b * vr[j];
    }
    pr[i] = sr;
    pi[i] = si;
  }
  let c = 0; // v^H p is real for Hermitian A
  for (let i = k + 1; i < n; i++) c += vr[i] * pr[i] + vi[i] * pi[i];
  for (let i = k + 1; i < n; i++) {
    pr[i] -= c * vr[i];
    pi[i] -= c * vi[i];
  }
  // A[i][j] -= 2 (v_i conj(q_j) + q_i conj(v_j)), lower triangle only
  for (let i = k + 1; i < n; i++) {
    const vir = vr[i];
    const vii = vi[i];
    const qir = pr[i];
    const qii = pi[i];
    const row = i * n;
    for (let j = k + 1; j <= i; j++) {
      const qjr = pr[j];
      const qji = pi[j];
      const vjr = vr[j];
      const vji = vi[j];
      ar[row + j] -= 2 * (vir * qjr + vii * qji + qir * vjr + qii * vji);
      ai[row + j] -= 2 * (vii * qjr - vir * qji + qii * vjr - qir * vji);
    }
  }
}

/**
 * Eigenvalues (descending) of the n x n complex Hermitian matrix (re, im row-major; only the lower triangle is
 * read). Householder: H = I - 2 v v^H zeroes column k below the sub-diagonal, A <- A - 2(v q^H + q v^H) with
 * p = A v, q = p - (v^H p) v; the resulting complex tridiagonal has the eigenvalues of the real one with
 * off-diagonals |e_k| (a diagonal unitary similarity removes the phases).
 */
export function hermitianEigenvalues(re: Float64Array, im: Float64Array, n: number): Float64Array {
  // Scratch reused across calls of the same size: the spectrum calls this once per frequency.
  if (!scratch || scratch.n !== n) scratch = makeScratch(n);
  const { ar, ai, e } = scratch;
  ar.set(re.subarray(0, n * n));
  ai.set(im.subarray(0, n * n));
  const d = new Float64Array(n);
  e.fill(0);
  for (let k = 0; k < n - 2; k++) {
    // e[k] = ||x||: the sub-diagonal the reflection leaves, in modulus.
    e[k] = householderVector(scratch, k);
    if (e[k] === 0) continue;
    reflectTrailingBlock(scratch, k);
  }
  for (let k = 0; k < n; k++) d[k] = ar[k * n + k];
  if (n >= 2) e[n - 2] = Math.hypot(ar[(n - 1) * n + n - 2], ai[(n - 1) * n + n - 2]);
  tridiagonalEigen(d, e, n);
  return d.sort().reverse();
}
