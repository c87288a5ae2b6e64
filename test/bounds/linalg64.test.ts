import { describe, expect, it } from 'vitest';
import {
  choleskySucceeds,
  gram64,
  lanczosLargestEigenvalue,
  partialTrace,
  randomUnitVector,
  scaledGram,
  spectralNorm64,
  symmetricEigenvalues,
  transpose64,
  tridiagonalEigenvalues,
} from '../../src/main/engine/bounds/numerics/linalg64.js';
import { f4ReshapeHost } from '../../src/main/engine/bounds/methods/reshapes.js';

function randomMatrix(rows: number, cols: number, seed: number): Float64Array {
  let s = seed;
  return Float64Array.from({ length: rows * cols }, () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647 - 0.5;
  });
}

function naiveGram(M: Float64Array, rows: number, cols: number): Float64Array {
  const G = new Float64Array(rows * rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < rows; j++) {
      let s = 0;
      for (let k = 0; k < cols; k++) s += M[i * cols + k] * M[j * cols + k];
      G[i * rows + j] = s;
    }
  }
  return G;
}

/** Sylvester's Hadamard matrix: entries +-1, H H^T = n I, so every singular value is exactly sqrt(n). */
function hadamard(n: number): Float64Array {
  const H = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let b = i & j;
      let parity = 0;
      while (b) {
        parity ^= b & 1;
        b >>= 1;
      }
      H[i * n + j] = parity ? -1 : 1;
    }
  }
  return H;
}

describe('float64 kernels', () => {
  it('gram64 equals the naive Gram for odd and blocked sizes', () => {
    for (const [r, c] of [
      [1, 1],
      [3, 7],
      [67, 130],
      [130, 300],
    ]) {
      const M = randomMatrix(r, c, r * 31 + c);
      const G = gram64(M, r, c);
      const N = naiveGram(M, r, c);
      let worst = 0;
      for (let j = 0; j < G.length; j++) worst = Math.max(worst, Math.abs(G[j] - N[j]) / (1 + Math.abs(N[j])));
      expect(worst).toBeLessThan(1e-12);
    }
  });

  it('transpose64 transposes', () => {
    const M = randomMatrix(37, 45, 2);
    const T = transpose64(M, 37, 45);
    let same = true;
    for (let r = 0; r < 37; r++) for (let c = 0; c < 45; c++) same &&= T[c * 37 + r] === M[r * 45 + c];
    expect(same).toBe(true);
  });

  it('symmetric and tridiagonal eigenvalues match closed forms', () => {
    // tridiag(-1, 2, -1) of size n: 2 - 2 cos(k pi / (n + 1)).
    const n = 40;
    const want = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1))).sort(
      (a, b) => a - b,
    );
    const tri = tridiagonalEigenvalues(new Float64Array(n).fill(2), new Float64Array(n - 1).fill(-1));
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      A[i * n + i] = 2;
      if (i + 1 < n) A[i * n + i + 1] = A[(i + 1) * n + i] = -1;
    }
    const dense = symmetricEigenvalues(A, n);
    for (let k = 0; k < n; k++) {
      expect(tri[k]).toBeCloseTo(want[k], 13);
      expect(dense[k]).toBeCloseTo(want[k], 13);
    }
  });

  it('Lanczos finds the largest eigenvalue of a PSD matrix to float64 precision', () => {
    const M = randomMatrix(120, 200, 9);
    const G = gram64(M, 120, 200);
    const exact = symmetricEigenvalues(G, 120)[119];
    const l = lanczosLargestEigenvalue(G, 120);
    expect(Math.abs(l.value - exact) / exact).toBeLessThan(1e-12);
    expect(l.iterations).toBeGreaterThan(0);
  });

  it('Cholesky succeeds exactly on positive definite matrices', () => {
    const n = 90;
    const G = gram64(randomMatrix(n, 2 * n, 4), n, 2 * n);
    const lmax = symmetricEigenvalues(G, n)[n - 1];
    const shifted = (mu: number) => {
      const A = G.map((x) => -x);
      for (let i = 0; i < n; i++) A[i * n + i] += mu;
      return A;
    };
    expect(choleskySucceeds(shifted(lmax * (1 + 1e-9)), n)).toBe(true);
    expect(choleskySucceeds(shifted(lmax * (1 - 1e-6)), n)).toBe(false);
    expect(choleskySucceeds(G, n)).toBe(true);
  });
});

describe('spectralNorm64: guaranteed upper bound', () => {
  it('is never below an exactly known norm and at most ~1e-9 above it', () => {
    const cases: [string, Float64Array, number, number, number][] = [
      // all singular values equal (64-fold degenerate top): the hardest case for the certificate's margin
      ['hadamard 64', hadamard(64), 64, 64, 8],
      ['hadamard 128 x 0.75', hadamard(128).map((x) => 0.75 * x), 128, 128, 0.75 * Math.sqrt(128)],
      // rank one, all ones 4 x 9: norm sqrt(36) = 6
      ['ones 4x9', new Float64Array(36).fill(1), 4, 9, 6],
      ['ones 9x4 (tall)', new Float64Array(36).fill(1), 9, 4, 6],
      // tiny and huge scales (exact power-of-two rescaling)
      ['hadamard 16 x 2^-60', hadamard(16).map((x) => x * 2 ** -60), 16, 16, 4 * 2 ** -60],
      ['hadamard 16 x 2^70', hadamard(16).map((x) => x * 2 ** 70), 16, 16, 4 * 2 ** 70],
    ];
    for (const [name, M, r, c, exact] of cases) {
      const res = spectralNorm64(M, r, c);
      expect(res.upper, name).toBeGreaterThanOrEqual(exact);
      expect((res.upper - exact) / exact, name).toBeLessThan(1e-9);
      expect(Math.abs(res.sigma - exact) / exact, name).toBeLessThan(1e-12);
      expect(res.certificateAttempts, name).toBe(1);
    }
  });

  it('returns exactly 0 for a zero matrix and rejects NaN', () => {
    expect(spectralNorm64(new Float64Array(12), 3, 4)).toMatchObject({ sigma: 0, upper: 0 });
    const bad = new Float64Array(4);
    bad[2] = NaN;
    expect(() => spectralNorm64(bad, 2, 2)).toThrow(/NaN or Inf/);
  });

  it('agrees with the dense eigen-decomposition on random matrices, wide and tall', () => {
    for (const [r, c] of [
      [50, 300],
      [300, 50],
      [160, 160],
    ]) {
      const M = randomMatrix(r, c, r + c);
      const n = Math.min(r, c);
      const G = r <= c ? gram64(M, r, c) : gram64(transpose64(M, r, c), c, r);
      const exact = Math.sqrt(symmetricEigenvalues(G, n)[n - 1]);
      const res = spectralNorm64(M, r, c);
      expect(res.upper).toBeGreaterThanOrEqual(exact);
      expect((res.upper - exact) / exact).toBeLessThan(1e-9);
    }
  });

  it('the partial trace of R R^T is T T^T (shared Gram for F4)', () => {
    const shape: [number, number, number, number] = [3, 2, 4, 5];
    const data = randomMatrix(1, 3 * 2 * 4 * 5, 77);
    const R = f4ReshapeHost({ shape, data }, 'R');
    const T = f4ReshapeHost({ shape, data }, 'T');
    const fromR = partialTrace(scaledGram(R.data, R.rows, R.cols, 'rows', 1), 3);
    const direct = scaledGram(T.data, T.rows, T.cols, 'rows', 1);
    expect(fromR.n).toBe(5);
    expect(fromR.m).toBe(T.cols);
    for (let j = 0; j < 25; j++) expect(fromR.G[j]).toBeCloseTo(direct.G[j], 13);
  });

  it('random unit vectors are unit and reproducible', () => {
    const a = randomUnitVector(33, 5);
    const b = randomUnitVector(33, 5);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(a.reduce((s, x) => s + x * x, 0)).toBeCloseTo(1, 14);
  });
});
