import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  createMatrixPowerVectors,
  disposePowerVectors,
  matrixOperator,
  powerIterate,
  rayleighSigma,
} from '../../src/main/engine/bounds/numerics/power-iteration.js';
import { gram64, symmetricEigenvalues } from '../../src/main/engine/bounds/numerics/linalg64.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function sigmaMax(M: Float64Array, r: number, c: number): number {
  return Math.sqrt(symmetricEigenvalues(gram64(M, r, c), r)[r - 1]);
}

describe('shared power iteration', () => {
  it('converges on a batch of matrices, each normalised on its own, warm starts persist', () => {
    const [n, r, c] = [3, 6, 9];
    const data = Float64Array.from({ length: n * r * c }, (_, j) => Math.sin(j * 1.7) * (1 + Math.floor(j / (r * c))));
    const M = tf.tensor3d(Array.from(data), [n, r, c]);
    const vecs = createMatrixPowerVectors([n, r, c], { seed: 4 });
    const op = matrixOperator(M);
    powerIterate(op, vecs, 150);
    expect(vecs.iterations).toBe(150);
    const sig = rayleighSigma(op, vecs);
    expect(sig.shape).toEqual([n]);
    const got = sig.dataSync();
    const est = vecs.sigma.dataSync();
    for (let b = 0; b < n; b++) {
      const exact = sigmaMax(data.subarray(b * r * c, (b + 1) * r * c), r, c);
      expect(Math.abs(got[b] - exact) / exact).toBeLessThan(1e-5);
      expect(Math.abs(est[b] - exact) / exact).toBeLessThan(1e-5);
    }
    tf.dispose([M, sig]);
    disposePowerVectors(vecs);
  });

  it('sigma = u^T M v has gradient u v^T and leaves u, v untouched by optimisers', () => {
    const M = tf.variable(
      tf.tensor2d([
        [3, 1],
        [0, 2],
        [1, 1],
      ]),
    );
    const vecs = createMatrixPowerVectors([3, 2], { seed: 1 });
    const op = () => matrixOperator(M);
    powerIterate(op(), vecs, 50);
    const u = vecs.u.dataSync().slice();
    const v = vecs.v.dataSync().slice();
    const { grads } = tf.variableGrads(() => rayleighSigma(op(), vecs) as tf.Scalar);
    const g = grads[M.name].dataSync();
    for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) expect(g[i * 2 + j]).toBeCloseTo(u[i] * v[j], 5);
    expect(Object.keys(grads)).toEqual([M.name]);
    tf.dispose(grads);
    disposePowerVectors(vecs);
    M.dispose();
  });

  it('a zero matrix gives sigma 0 without NaN, and the vectors recover when it becomes nonzero', () => {
    const Z = tf.zeros([4, 3]);
    const vecs = createMatrixPowerVectors([4, 3]);
    powerIterate(matrixOperator(Z), vecs, 3);
    expect(vecs.sigma.dataSync()[0]).toBe(0);
    expect(Array.from(vecs.u.dataSync()).every(Number.isFinite)).toBe(true);
    // A difference operator: a uniform restart would be orthogonal to its top singular vector.
    const A = tf.tensor2d([
      [1, -1, 0],
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    powerIterate(matrixOperator(A), vecs, 30);
    expect(vecs.sigma.dataSync()[0]).toBeCloseTo(Math.SQRT2, 5);
    tf.dispose([Z, A]);
    disposePowerVectors(vecs);
  });

  it('rejects a negative iteration count', () => {
    const vecs = createMatrixPowerVectors([2, 2]);
    const M = tf.eye(2);
    expect(() => powerIterate(matrixOperator(M), vecs, -1)).toThrow(/iterations must be an integer >= 0/);
    M.dispose();
    disposePowerVectors(vecs);
  });
});
