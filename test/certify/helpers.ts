/** Float64 reference linear algebra for the certify tests (independent of the code under test). */
import { mulberry32 } from '../../src/main/engine/data/rng.js';

export type Mat = number[][];

export function rng(seed: number): () => number {
  return mulberry32(seed);
}

/** Standard normal via Box–Muller. */
export function gauss(r: () => number): number {
  const u = Math.max(r(), 1e-300);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

export function randMat(rows: number, cols: number, r: () => number, scale = 1): Mat {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => scale * gauss(r)));
}

export function transpose(a: Mat): Mat {
  return a[0].map((_, j) => a.map((row) => row[j]));
}

export function matmul(a: Mat, b: Mat): Mat {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}

/** Eigenvalues of a symmetric matrix by cyclic Jacobi rotations. */
export function symEigenvalues(m: Mat): number[] {
  const n = m.length;
  const a = m.map((r) => [...r]);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] * a[p][q];
    if (off < 1e-26) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
      }
    }
  }
  return a.map((r, i) => r[i]);
}

/** ||A||_2 = sqrt(lambda_max(A^T A)). */
export function spectralNorm(a: Mat): number {
  const ata = matmul(transpose(a), a);
  return Math.sqrt(Math.max(0, ...symEigenvalues(ata)));
}

/** A random matrix with orthonormal columns (Gram–Schmidt), rows >= cols. */
export function orthonormalColumns(rows: number, cols: number, r: () => number): Mat {
  const cs: number[][] = [];
  while (cs.length < cols) {
    const v = Array.from({ length: rows }, () => gauss(r));
    for (const c of cs) {
      const d = v.reduce((s, x, i) => s + x * c[i], 0);
      for (let i = 0; i < rows; i++) v[i] -= d * c[i];
    }
    const nv = Math.hypot(...v);
    if (nv > 1e-6) cs.push(v.map((x) => x / nv));
  }
  return Array.from({ length: rows }, (_, i) => cs.map((c) => c[i]));
}

/** Row-major Float32Array of a [rows, cols] matrix (tfjs dense kernel layout [in, out]). */
export function flat32(a: Mat): Float32Array {
  return Float32Array.from(a.flat());
}

/** Float64 Hessian of f at x by central second differences. */
export function fdHessian(f: (x: number[]) => number, x: number[], h = 1e-4): Mat {
  const n = x.length;
  const H: Mat = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const at = (i: number, di: number, j: number, dj: number): number => {
    const y = [...x];
    y[i] += di;
    y[j] += dj;
    return f(y);
  };
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = (at(i, h, j, h) - at(i, h, j, -h) - at(i, -h, j, h) + at(i, -h, j, -h)) / (4 * h * h);
      H[i][j] = H[j][i] = v;
    }
  }
  return H;
}
