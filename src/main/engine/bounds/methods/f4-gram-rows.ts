/**
 * The Gram of one F4 reshape for its certificate, formed straight from the HWIO kernel: the scaled rows of the
 * smaller side are written into the SIMD kernel's memory in one pass and multiplied there, where the certificate
 * then factors it (cholesky-simd.residentGram), with no reshaped, scaled and transposed copies in between (for a
 * 3x3x512x512 layer those cost as much as a third of the Gram itself in V8).
 *
 * Rows and columns are taken in whatever order is convenient: a permuted P X Q has the Gram P (X X^T) P^T, with the
 * same eigenvalues, and the certificate (linalg64.normFromGram) holds for whichever matrix it factors. The entry
 * W[k][l][i][o] of the kernel goes to row a.(k, l, i, o) and column b.(k, l, i, o) for the index vectors below.
 */
import type { F4Matrix, KernelHWIO } from '../../../../shared/bounds.js';
import { residentGram, stageKernel } from '../numerics/cholesky-simd.js';
import { frobeniusSquaredUpper, powerOfTwoScale, sumOfSquaresUpper, type ScaledGram } from '../numerics/linalg64.js';

type Index = [k: number, l: number, i: number, o: number];

/** Row and column index vectors of each reshape's rows and columns (reshapes.f4MatrixShape, permuted). */
function indexVectors(
  X: F4Matrix,
  [h, w, ci, co]: KernelHWIO['shape'],
): { rows: [Index, number]; cols: [Index, number] } {
  switch (X) {
    case 'R': // rows (k, o), cols (l, i)
      return { rows: [[co, 0, 0, 1], h * co], cols: [[0, ci, 1, 0], w * ci] };
    case 'S': // rows (l, o), cols (k, i)
      return { rows: [[0, co, 0, 1], w * co], cols: [[ci, 0, 1, 0], h * ci] };
    case 'T': // rows o, cols (k, l, i)
      return { rows: [[0, 0, 0, 1], co], cols: [[w * ci, ci, 1, 0], h * w * ci] };
    case 'U': // rows (k, l, o), cols i
      return { rows: [[w * co, co, 0, 1], h * w * co], cols: [[0, 0, 1, 0], ci] };
  }
}

/**
 * linalg64's powerOfTwoScale(W) and frobeniusSquaredUpper(W, scale) of a kernel in one read where W is float32 (each
 * pass over a 9 MB kernel from memory costs ~5 ms on 3x3x512x512). Bit for bit the same: squares of float32 values
 * are exact in float64 and every partial sum stays in its normal range (2^-298 .. 2^256 n), so scaling by the power
 * of two s commutes with each rounding, and s^2 sum_j x_j^2 summed in linalg64's sumSquares order is sum_j (s x_j)^2.
 */
export function kernelScale(
  W: KernelHWIO['data'],
  /** Called (it must throw) where W holds NaN or Inf; by default powerOfTwoScale's error is thrown. */
  nonFinite?: () => never,
): { scale: number; frobUp: number } {
  if (!(W instanceof Float32Array)) {
    let scale: number;
    try {
      scale = powerOfTwoScale(W); // throws only on NaN or Inf
    } catch (e) {
      nonFinite?.();
      throw e;
    }
    return { scale, frobUp: frobeniusSquaredUpper(W, scale) };
  }
  let m0 = 0, m1 = 0, m2 = 0, m3 = 0, a = 0, b = 0, c = 0, e = 0; // prettier-ignore
  let j = 0;
  // The running maxima by comparisons, not Math.max (2-3x faster in V8 here): a NaN never enters them, but it makes
  // the sum of squares NaN, which is checked below.
  for (; j + 3 < W.length; j += 4) {
    const x = W[j], y = W[j + 1], z = W[j + 2], w = W[j + 3]; // prettier-ignore
    const ax = Math.abs(x), ay = Math.abs(y), az = Math.abs(z), aw = Math.abs(w); // prettier-ignore
    if (ax > m0) m0 = ax;
    if (ay > m1) m1 = ay;
    if (az > m2) m2 = az;
    if (aw > m3) m3 = aw;
    a += x * x;
    b += y * y;
    c += z * z;
    e += w * w;
  }
  for (; j < W.length; j++) {
    if (Math.abs(W[j]) > m0) m0 = Math.abs(W[j]);
    a += W[j] * W[j];
  }
  const maxAbs = Math.max(m0, m1, m2, m3);
  const sum = a + b + (c + e);
  if (!Number.isFinite(maxAbs) || Number.isNaN(sum)) return nonFinite?.() ?? { scale: powerOfTwoScale(W), frobUp: NaN }; // it throws
  const scale = maxAbs === 0 ? 1 : 2 ** -Math.ceil(Math.log2(maxAbs));
  return { scale, frobUp: sumOfSquaresUpper(sum * scale * scale, W.length) };
}

/**
 * kernelScale of a float32 kernel read in WebAssembly SIMD from its copy in the Cholesky kernel's memory
 * (cholesky-simd.stageKernel), placed beyond the X and C of every reshape's Gram so reshapeGram's X is then
 * widened from it without a second copy; or null where that does not apply (then call kernelScale). The same scale;
 * frobUp from the same squares summed in another order (sumOfSquaresUpper holds for any). The caller unstages the
 * kernel (cholesky-simd.unstageKernel) when done.
 */
export function stagedScale(k: KernelHWIO, nonFinite: () => never): { scale: number; frobUp: number } | null {
  const W = k.data;
  if (!(W instanceof Float32Array)) return null;
  let floats = 0; // X and C of the largest Gram (residentGram's layout)
  for (const X of ['R', 'S', 'T', 'U'] as const) {
    const { rows, cols } = indexVectors(X, k.shape);
    const [n, m] = rows[1] <= cols[1] ? [rows[1], cols[1]] : [cols[1], rows[1]];
    const N = Math.ceil(n / 4) * 4;
    floats = Math.max(floats, N * Math.ceil(m / 2) * 2 + N * N);
  }
  const s = stageKernel(W, 8 * floats);
  if (!s) return null;
  if (!Number.isFinite(s.maxAbs) || !Number.isFinite(s.sumSquares)) nonFinite();
  const scale = s.maxAbs === 0 ? 1 : 2 ** -Math.ceil(Math.log2(s.maxAbs));
  return { scale, frobUp: sumOfSquaresUpper(s.sumSquares * scale * scale, W.length) };
}

/**
 * The ScaledGram (linalg64) of X = scale * reshape on its smaller side, or null where the SIMD kernel is
 * unavailable (the caller then takes linalg64.scaledGram). frobUp: frobeniusSquaredUpper(W, scale) if known.
 */
export function reshapeGram(k: KernelHWIO, X: F4Matrix, scale: number, frobUp?: number): ScaledGram | null {
  const [h, w, ci, co] = k.shape;
  const { rows, cols } = indexVectors(X, k.shape);
  // The smaller side; on a tie (R, S of square layers) the one whose columns hold o, so the copy runs contiguously.
  const oInColumns = (x: [Index, number]) => x[0][3] === 0;
  const rowsFirst = rows[1] < cols[1] || (rows[1] === cols[1] && oInColumns(rows));
  const [a, b] = rowsFirst ? [rows, cols] : [cols, rows];
  const [n, m] = [a[1], b[1]];
  const W = k.data;
  const resident = residentGram(n, m, (out, ld, widen) => {
    // Destination of W[k][l][i][o]: ld * a.(k,l,i,o) + b.(k,l,i,o), affine in each index.
    const [dk, dl, di, dO] = a[0].map((x, j) => ld * x + b[0][j]);
    // Where o indexes X's columns (R and S of square layers, U) each run of c_out weights lands contiguously: the
    // kernel's widen writes them (~8 ms of JavaScript for a 3x3x512x512 kernel, on one thread).
    if (dO === 1 && W instanceof Float32Array && widen(W, k.shape, [dk, dl, di], scale)) return;
    let p = 0;
    for (let kk = 0; kk < h; kk++) {
      for (let l = 0; l < w; l++) {
        for (let i = 0; i < ci; i++) {
          const base = kk * dk + l * dl + i * di;
          for (let o = 0; o < co; o++) out[base + o * dO] = W[p++] * scale;
        }
      }
    }
  });
  if (!resident) return null;
  let G: Float64Array | undefined;
  return {
    // Made only where the whole matrix is read; the certificate factors the resident Gram in place.
    get G() {
      return (G ??= resident.toArray());
    },
    n,
    m,
    frobUp: frobUp ?? frobeniusSquaredUpper(W, scale),
    scale,
    resident,
  };
}
