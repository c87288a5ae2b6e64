/** The one Lanczos implementation (numerics/lanczos.ts) against dense eigen-solvers, real and complex. */
import { describe, expect, it } from 'vitest';
import { Lanczos } from '../../src/main/engine/bounds/numerics/lanczos.js';
import { hermitianEigenvalues } from '../../src/main/engine/bounds/numerics/hermitian-eig.js';
import { symmetricEigenvalues } from '../../src/main/engine/bounds/numerics/linalg64.js';

const work = (k: number) => ({ d: new Float64Array(k), e: new Float64Array(k), z: new Float64Array(k) });

describe('Lanczos', () => {
  it.each(['full', 'local'] as const)(
    'real: top Ritz value of A = B B^T converges to lambda_max (%s)',
    (reorthogonalize) => {
      const n = 40;
      const B = Float64Array.from({ length: n * n }, (_, j) => Math.sin(j * 0.61) + (j % (n + 1) === 0 ? 2 : 0));
      const A = new Float64Array(n * n);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) A[i * n + j] += B[i * n + k] * B[j * n + k];
      const run = new Lanczos(n, { reorthogonalize, initialBasis: 2 });
      run.start(Float64Array.from({ length: n }, (_, i) => Math.cos(i)));
      const w = new Float64Array(n);
      while (!run.exhausted && run.k < 30) {
        const q = run.current();
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += A[i * n + j] * q[j];
          w[i] = s;
        }
        run.step(w);
      }
      const top = symmetricEigenvalues(A, n)[n - 1];
      // Local reorthogonalisation loses orthogonality along the converged Ritz vector (Paige): close, not exact.
      const tol = reorthogonalize === 'full' ? 1e-10 : 1e-6;
      expect(Math.abs(run.topRitz(work(run.k)).theta1 - top) / top).toBeLessThan(tol);
      // The Ritz vector is an eigenvector: ||A x - theta x|| small.
      const x = run.ritzVector();
      let r = 0;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += A[i * n + j] * x[j];
        r += (s - top * x[i]) ** 2;
      }
      expect(Math.sqrt(r) / top).toBeLessThan(1e-5);
    },
  );

  it('complex: a Hermitian matrix, run to exhaustion (k = n), gives its largest eigenvalue exactly', () => {
    const n = 12;
    const re = new Float64Array(n * n);
    const im = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        re[i * n + j] = re[j * n + i] = Math.sin(i * 3 + j) + (i === j ? 4 : 0);
        im[i * n + j] = i === j ? 0 : Math.cos(i * j + 1);
        im[j * n + i] = -im[i * n + j];
      }
    }
    const run = new Lanczos(n, { complex: true });
    run.start(Float64Array.from({ length: 2 * n }, (_, i) => 1 + (i % 3)));
    const [wr, wi] = [new Float64Array(n), new Float64Array(n)];
    while (!run.exhausted) {
      const o = run.offset;
      for (let i = 0; i < n; i++) {
        let [sr, si] = [0, 0];
        for (let j = 0; j < n; j++) {
          const [a, b, c, d] = [re[i * n + j], im[i * n + j], run.qr[o + j], run.qi[o + j]];
          sr += a * c - b * d;
          si += a * d + b * c;
        }
        [wr[i], wi[i]] = [sr, si];
      }
      run.step(wr, wi);
    }
    expect(run.k).toBeLessThanOrEqual(n);
    // hermitianEigenvalues reads the lower triangle: A[i][j] for j <= i.
    expect(run.topRitz(work(run.k)).theta1).toBeCloseTo(hermitianEigenvalues(re, im, n)[0], 9);
  });
});
