/**
 * Dense float64 kernels for the certificates in linalg64.ts: the Gram matrix and the Cholesky factorisation.
 * Both reduce to one cache-blocked kernel, C -= X Y^T over a range of k (row-major rows dotted with rows), with a
 * 2x4 register tile; in V8 that runs at ~1-1.5 GMAC/s instead of the ~0.1 of a naive triple loop, whose cost is
 * memory traffic, not arithmetic. Any summation order is allowed by the error bounds used (Higham, Thm 10.3 and
 * Sec. 3.5 hold for every ordering of the inner products), so blocking does not weaken the certificate.
 */

/** Rows of Y per block and k per panel: a 64 x 256 float64 panel of Y (128 KiB) stays in L2 while X streams. */
const BLOCK = 64;
const PANEL = 256;

/** M^T of a row-major rows x cols matrix. */
export function transpose64(M: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    for (let c0 = 0; c0 < cols; c0 += B) {
      const r1 = Math.min(rows, r0 + B);
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * rows + r] = M[r * cols + c];
    }
  }
  return out;
}

/**
 * C[c0 + a*ldc + b] += sign * sum_{k in [k0, k1)} X[(xr + a)*ldx + k] * Y[(yr + b)*ldy + k]
 * for a < na, b < nb. X and Y may be the same array (and C may alias it outside the rows/columns read).
 */
export function accumulateRowDots(
  C: Float64Array,
  ldc: number,
  c0: number,
  X: Float64Array,
  ldx: number,
  xr: number,
  na: number,
  Y: Float64Array,
  ldy: number,
  yr: number,
  nb: number,
  k0: number,
  k1: number,
  sign: 1 | -1,
): void {
  for (let p0 = k0; p0 < k1; p0 += PANEL) {
    const p1 = Math.min(k1, p0 + PANEL);
    for (let a = 0; a < na; a += 2) {
      const two = a + 1 < na;
      const x0 = (xr + a) * ldx;
      const x1 = two ? x0 + ldx : x0;
      const ca = c0 + a * ldc;
      let b = 0;
      for (; b + 4 <= nb; b += 4) {
        const y0 = (yr + b) * ldy,
          y1 = y0 + ldy,
          y2 = y1 + ldy,
          y3 = y2 + ldy;
        let s00 = 0,
          s01 = 0,
          s02 = 0,
          s03 = 0,
          s10 = 0,
          s11 = 0,
          s12 = 0,
          s13 = 0;
        for (let k = p0; k < p1; k++) {
          const u0 = X[x0 + k],
            u1 = X[x1 + k];
          const v0 = Y[y0 + k],
            v1 = Y[y1 + k],
            v2 = Y[y2 + k],
            v3 = Y[y3 + k];
          s00 += u0 * v0;
          s01 += u0 * v1;
          s02 += u0 * v2;
          s03 += u0 * v3;
          s10 += u1 * v0;
          s11 += u1 * v1;
          s12 += u1 * v2;
          s13 += u1 * v3;
        }
        const c = ca + b;
        C[c] += sign * s00;
        C[c + 1] += sign * s01;
        C[c + 2] += sign * s02;
        C[c + 3] += sign * s03;
        if (two) {
          const d = c + ldc;
          C[d] += sign * s10;
          C[d + 1] += sign * s11;
          C[d + 2] += sign * s12;
          C[d + 3] += sign * s13;
        }
      }
      for (; b < nb; b++) {
        const y0 = (yr + b) * ldy;
        let s0 = 0,
          s1 = 0;
        for (let k = p0; k < p1; k++) {
          s0 += X[x0 + k] * Y[y0 + k];
          s1 += X[x1 + k] * Y[y0 + k];
        }
        C[ca + b] += sign * s0;
        if (two) C[ca + ldc + b] += sign * s1;
      }
    }
  }
}

/** G = M M^T (rows x rows, both triangles filled) of a row-major rows x cols M. */
export function gram64(M: Float64Array, rows: number, cols: number): Float64Array {
  const n = rows;
  const G = new Float64Array(n * n);
  for (let J = 0; J < n; J += BLOCK) {
    const nb = Math.min(BLOCK, n - J);
    // Rows I >= J of the block column J: the lower triangle (diagonal blocks computed in full).
    accumulateRowDots(G, n, J * n + J, M, cols, J, n - J, M, cols, J, nb, 0, cols, 1);
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) G[i * n + j] = G[j * n + i];
  return G;
}

/**
 * In-place lower Cholesky factorisation of the symmetric n x n A (only the lower triangle is read; A is
 * destroyed). Left-looking by block columns: each panel is first updated by all previous columns with
 * accumulateRowDots, then factored column by column. Returns false as soon as a pivot is not positive
 * (the matrix is not numerically positive definite).
 */
export function choleskyInPlace(A: Float64Array, n: number): boolean {
  for (let J = 0; J < n; J += BLOCK) {
    const J1 = Math.min(n, J + BLOCK);
    const nb = J1 - J;
    if (J > 0) accumulateRowDots(A, n, J * n + J, A, n, J, n - J, A, n, J, nb, 0, J, -1);
    for (let j = J; j < J1; j++) {
      const rj = j * n;
      let s = A[rj + j];
      for (let k = J; k < j; k++) s -= A[rj + k] * A[rj + k];
      if (!(s > 0)) return false;
      const d = Math.sqrt(s);
      A[rj + j] = d;
      for (let i = j + 1; i < n; i++) {
        const ri = i * n;
        let t = A[ri + j];
        for (let k = J; k < j; k++) t -= A[ri + k] * A[rj + k];
        A[ri + j] = t / d;
      }
    }
  }
  return true;
}
