import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { F4_MATRICES, KernelError, type F4Matrix, type KernelHWIO } from '../../src/shared/bounds.js';
import {
  depthwiseToGrouped,
  dilateKernel,
  f4BlockView,
  f4MatrixShape,
  f4ReshapeHost,
  f4ReshapeTensor,
  f4VectorShapes,
  polyphaseKernelHost,
  polyphaseKernelTensor,
  splitGroups,
  type Shape4,
} from '../../src/main/engine/bounds/methods/reshapes.js';
import { f4Operator } from '../../src/main/engine/bounds/methods/f4.js';
import { applyAll, applyTAll, hostVectorLengths } from '../../src/main/engine/bounds/methods/f4-host.js';
import { gram64, symmetricEigenvalues } from '../../src/main/engine/bounds/numerics/linalg64.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A kernel with distinct, exactly representable weights. */
function testKernel(shape: Shape4, seed = 1): KernelHWIO {
  const n = shape.reduce((a, b) => a * b);
  const data = new Float64Array(n);
  let s = seed;
  for (let j = 0; j < n; j++) {
    s = (s * 16807) % 2147483647;
    data[j] = Math.round((s / 2147483647 - 0.5) * 4096) / 4096;
  }
  return { shape, data };
}

const at = (k: KernelHWIO, kk: number, l: number, i: number, o: number) => {
  const [, w, ci, co] = k.shape;
  return k.data[((kk * w + l) * ci + i) * co + o];
};

/** The paper's definition, entry by entry: L[o,i,k,l] = W[k,l,i,o]. */
function paperEntry(X: F4Matrix, k: KernelHWIO, r: number, c: number): number {
  const [h, w, ci] = k.shape;
  switch (X) {
    case 'R': // rows (o,k), cols (i,l)
      return at(k, r % h, c % w, Math.floor(c / w), Math.floor(r / h));
    case 'S': // rows (o,l), cols (i,k)
      return at(k, c % h, r % w, Math.floor(c / h), Math.floor(r / w));
    case 'T': // rows o, cols (i,k,l)
      return at(k, Math.floor(c / w) % h, c % w, Math.floor(c / (h * w)), r);
    case 'U': // rows (o,k,l), cols i
      return at(k, Math.floor(r / w) % h, r % w, c, Math.floor(r / (h * w)));
  }
  void ci;
}

describe('F4 reshapes R, S, T, U', () => {
  const k = testKernel([3, 2, 4, 5]);

  it('host and tfjs reshapes equal the paper definition entry by entry', () => {
    const W = tf.tensor4d(Array.from(k.data), k.shape);
    for (const X of F4_MATRICES) {
      const [rows, cols] = f4MatrixShape(X, k.shape);
      const host = f4ReshapeHost(k, X);
      const dev = f4ReshapeTensor(W, X);
      expect([host.rows, host.cols]).toEqual([rows, cols]);
      expect(dev.shape).toEqual([rows, cols]);
      const d = dev.dataSync();
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const want = paperEntry(X, k, r, c);
          expect(host.data[r * cols + c]).toBe(want);
          expect(d[r * cols + c]).toBe(want);
        }
      }
      dev.dispose();
    }
    W.dispose();
  });

  it('the transpose-free block view and the fused host passes compute X v and X^T u', () => {
    const W = tf.tensor4d(Array.from(k.data), k.shape);
    const len = hostVectorLengths(k.shape);
    const vs = {} as Record<F4Matrix, Float64Array>;
    const us = {} as Record<F4Matrix, Float64Array>;
    for (const X of F4_MATRICES) {
      vs[X] = Float64Array.from({ length: len.v[X] }, (_, j) => Math.sin(j + 1));
      us[X] = Float64Array.from({ length: len.u[X] }, (_, j) => Math.cos(j + 2));
    }
    const xs = {} as Record<F4Matrix, Float64Array>;
    const zs = {} as Record<F4Matrix, Float64Array>;
    for (const X of F4_MATRICES) {
      xs[X] = new Float64Array(len.u[X]);
      zs[X] = new Float64Array(len.v[X]);
    }
    applyAll(k.data, k.shape, vs, xs);
    applyTAll(k.data, k.shape, us, zs);
    for (const X of F4_MATRICES) {
      const [A, B, m, co] = f4BlockView(X, k.shape);
      // The block view's matrix: rows (b, o), cols (a, j), entry W4[a, b, j, o].
      const W4 = k.data;
      const xWant = new Float64Array(B * co);
      const zWant = new Float64Array(A * m);
      for (let a = 0; a < A; a++) {
        for (let b = 0; b < B; b++) {
          for (let j = 0; j < m; j++) {
            for (let o = 0; o < co; o++) {
              const wv = W4[((a * B + b) * m + j) * co + o];
              xWant[b * co + o] += wv * vs[X][a * m + j];
              zWant[a * m + j] += wv * us[X][b * co + o];
            }
          }
        }
      }
      const op = f4Operator(W, X);
      const shapes = f4VectorShapes(X, k.shape);
      const xDev = tf.tidy(() => op.apply(tf.tensor(Array.from(vs[X]), shapes.v)));
      const zDev = tf.tidy(() => op.applyT(tf.tensor(Array.from(us[X]), shapes.u)));
      expect(xDev.shape).toEqual(shapes.u);
      expect(zDev.shape).toEqual(shapes.v);
      const xd = xDev.dataSync();
      const zd = zDev.dataSync();
      for (let j = 0; j < xWant.length; j++) {
        expect(xs[X][j]).toBeCloseTo(xWant[j], 12);
        expect(xd[j]).toBeCloseTo(xWant[j], 4);
      }
      for (let j = 0; j < zWant.length; j++) {
        expect(zs[X][j]).toBeCloseTo(zWant[j], 12);
        expect(zd[j]).toBeCloseTo(zWant[j], 4);
      }
      tf.dispose([xDev, zDev]);
    }
    W.dispose();
  });

  it('the block view is the paper matrix up to row and column permutations (same singular values)', () => {
    for (const X of F4_MATRICES) {
      const [A, B, m, co] = f4BlockView(X, k.shape);
      const rows = B * co;
      const cols = A * m;
      const block = new Float64Array(rows * cols);
      for (let a = 0; a < A; a++) {
        for (let b = 0; b < B; b++) {
          for (let j = 0; j < m; j++) {
            for (let o = 0; o < co; o++)
              block[(b * co + o) * cols + a * m + j] = k.data[((a * B + b) * m + j) * co + o];
          }
        }
      }
      const paper = f4ReshapeHost(k, X);
      expect([paper.rows, paper.cols]).toEqual([rows, cols]);
      const eig = (M: Float64Array) => symmetricEigenvalues(gram64(M, rows, cols), rows);
      const a = eig(block);
      const b = eig(paper.data);
      for (let j = 0; j < rows; j++) expect(a[j]).toBeCloseTo(b[j], 12);
    }
  });
});

describe('kernel transforms', () => {
  it("polyphase kernel: L'[o,(i,r1,r2),q1,q2] = L[o,i,s q1 + r1, s q2 + r2], zero-padded", () => {
    for (const [shape, s] of [
      [[3, 3, 2, 3], 2],
      [[5, 4, 1, 2], 2],
      [[3, 5, 2, 2], 3],
      [[1, 1, 3, 2], 2],
    ] as [Shape4, number][]) {
      const k = testKernel(shape, 7);
      const p = polyphaseKernelHost(k, s);
      const [h, w, ci, co] = shape;
      expect(p.shape).toEqual([Math.ceil(h / s), Math.ceil(w / s), ci * s * s, co]);
      const [hq, wq, ci2] = p.shape;
      for (let q1 = 0; q1 < hq; q1++) {
        for (let q2 = 0; q2 < wq; q2++) {
          for (let i = 0; i < ci; i++) {
            for (let r1 = 0; r1 < s; r1++) {
              for (let r2 = 0; r2 < s; r2++) {
                for (let o = 0; o < co; o++) {
                  const kk = s * q1 + r1;
                  const ll = s * q2 + r2;
                  const want = kk < h && ll < w ? at(k, kk, ll, i, o) : 0;
                  expect(p.data[((q1 * wq + q2) * ci2 + (i * s + r1) * s + r2) * co + o]).toBe(want);
                }
              }
            }
          }
        }
      }
      const dev = polyphaseKernelTensor(tf.tensor4d(Array.from(k.data), shape), s);
      expect(dev.shape).toEqual(p.shape);
      expect(Array.from(dev.dataSync())).toEqual(Array.from(p.data));
      dev.dispose();
    }
  });

  it('dilation inserts zeros between taps', () => {
    const k = testKernel([2, 3, 2, 2], 3);
    const d = dilateKernel(k, 2);
    expect(d.shape).toEqual([3, 5, 2, 2]);
    for (let kk = 0; kk < 3; kk++) {
      for (let l = 0; l < 5; l++) {
        for (let i = 0; i < 2; i++) {
          for (let o = 0; o < 2; o++) {
            const want = kk % 2 === 0 && l % 2 === 0 ? at(k, kk / 2, l / 2, i, o) : 0;
            expect(at(d, kk, l, i, o)).toBe(want);
          }
        }
      }
    }
  });

  it('groups split the output channels; depthwise kernels become groups of one input channel', () => {
    const k = testKernel([3, 3, 2, 6], 5);
    const parts = splitGroups(k, 3);
    expect(parts).toHaveLength(3);
    parts.forEach((p, g) => {
      expect(p.shape).toEqual([3, 3, 2, 2]);
      for (let j = 0; j < 9 * 2; j++) {
        for (let o = 0; o < 2; o++) expect(p.data[j * 2 + o]).toBe(k.data[j * 6 + g * 2 + o]);
      }
    });
    expect(() => splitGroups(k, 4)).toThrow(KernelError);
    expect(() => splitGroups(k, 4)).toThrow(/does not divide c_out=6/);
    const dw = depthwiseToGrouped(testKernel([3, 3, 4, 2], 9));
    expect(dw.groups).toBe(4);
    expect(dw.kernel.shape).toEqual([3, 3, 1, 8]);
    // group i = input channel i, its outputs i*2, i*2+1 = multiplier 0, 1
    const g = splitGroups(dw.kernel, 4);
    expect(g[1].data[0]).toBe(testKernel([3, 3, 4, 2], 9).data[1 * 2]);
  });

  it('rejects non-integer stride, dilation and groups with a clear error', () => {
    const k = testKernel([3, 3, 1, 1]);
    expect(() => polyphaseKernelHost(k, 0)).toThrow(/stride must be a positive integer/);
    expect(() => dilateKernel(k, 1.5)).toThrow(/dilation must be a positive integer/);
    expect(() => splitGroups(k, -1)).toThrow(/groups must be a positive integer/);
  });
});
