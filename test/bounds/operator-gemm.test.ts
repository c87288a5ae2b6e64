/**
 * The operator estimate's WebAssembly products (operator-gemm.ts, kernels/operator-gemm.wat) against tfjs's own
 * convolution and its gradient, on every padding and stride the estimate takes, and the 'full-residual' Lanczos they
 * feed (numerics/lanczos.ts) against 'full'.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { KernelHWIO } from '../../src/shared/bounds.js';
import { gemmLayerOperator, type GemmGeometry } from '../../src/main/engine/bounds/methods/operator-gemm.js';
import { operatorNormEstimate } from '../../src/main/engine/bounds/methods/operator-power.js';
import { instantiateKernel, relaxedSimdAvailable, type WasmMemory } from '../../src/main/engine/kernels/index.js';
import { Lanczos } from '../../src/main/engine/bounds/numerics/lanczos.js';
import { ritzCoefficients, ritzVector } from '../../src/main/engine/bounds/methods/operator-warm-start.js';
import { symmetricEigenvalues } from '../../src/main/engine/bounds/numerics/linalg64.js';
import { randomKernel } from './spectral-vectors.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const relNorm = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
};

/** A v and A^T A v by tfjs: conv2d with explicit pads (circular: wrapped by hand) and its gradient w.r.t. the input. */
function tfjsProducts(kernel: KernelHWIO, g: GemmGeometry, pads: [number, number, number, number], v: Float64Array) {
  const [h, w, ci] = kernel.shape;
  const W = tf.tensor4d(Float32Array.from(kernel.data), kernel.shape);
  const x = tf.tensor4d(Float32Array.from(v), [1, g.nh, g.nw, ci]);
  const [pt, pb, pl, pr] = pads;
  const forward = (t: tf.Tensor4D) => {
    if (!g.circular)
      return tf.conv2d(t, W, g.stride, [
        [0, 0],
        [pt, pb],
        [pl, pr],
        [0, 0],
      ]);
    const rows = tf.concat(
      [t.slice([0, g.nh - pt, 0, 0], [-1, pt, -1, -1]), t, t.slice([0, 0, 0, 0], [-1, pb, -1, -1])],
      1,
    );
    const both = tf.concat(
      [rows.slice([0, 0, g.nw - pl, 0], [-1, -1, pl, -1]), rows, rows.slice([0, 0, 0, 0], [-1, -1, pr, -1])],
      2,
    ) as tf.Tensor4D;
    return tf.conv2d(both, W, g.stride, 'valid');
  };
  const y = forward(x);
  expect(y.shape.slice(1, 3), `output size for ${h}x${w}`).toEqual([g.oh, g.ow]);
  // A^T A v = gradient of ||A x||^2 / 2 at v.
  const grad = tf.grad((t: tf.Tensor) => tf.mul(0.5, tf.sum(tf.square(forward(t as tf.Tensor4D)))))(x);
  const out = { apply: y.dataSync() as Float32Array, normal: grad.dataSync() as Float32Array };
  tf.dispose([W, x, y, grad]);
  return out;
}

interface Case {
  label: string;
  shape: [number, number, number, number];
  n: [number, number];
  stride: number;
  /** [top, bottom, left, right] */
  pads: [number, number, number, number];
  circular?: boolean;
}

const CASES: Case[] = [
  {
    label: '3x3 same, channels not multiples of 4 or 8',
    shape: [3, 3, 3, 5],
    n: [9, 7],
    stride: 1,
    pads: [1, 1, 1, 1],
  },
  {
    label: '3x3 stride 2, TF SAME split (pad after)',
    shape: [3, 3, 8, 12],
    n: [10, 10],
    stride: 2,
    pads: [0, 1, 0, 1],
  },
  { label: '7x7 stride 2 stem shape', shape: [7, 7, 3, 16], n: [20, 20], stride: 2, pads: [2, 3, 2, 3] },
  { label: '5x5 valid, stride 3', shape: [5, 5, 4, 6], n: [14, 11], stride: 3, pads: [0, 0, 0, 0] },
  {
    label: 'asymmetric explicit pads beyond the kernel',
    shape: [3, 2, 6, 4],
    n: [6, 8],
    stride: 1,
    pads: [3, 0, 1, 2],
  },
  { label: '1x1', shape: [1, 1, 16, 9], n: [5, 5], stride: 1, pads: [0, 0, 0, 0] },
  // 323 output rows: two row blocks of the products, the second 71 rows and one padding row.
  { label: 'more rows than one block', shape: [3, 3, 2, 3], n: [19, 17], stride: 1, pads: [1, 1, 1, 1] },
  // 49 and 32 output rows (6 q + 1, 6 q + 2) with whole groups of four panels: the last rows by gemm1, unpadded;
  // 3 x 3 x 64 = 576 columns: gemm1 accumulating over two chunks of k too.
  { label: '7 x 7 output, the last row alone', shape: [3, 3, 3, 32], n: [7, 7], stride: 1, pads: [1, 1, 1, 1] },
  { label: '8 x 4 output, the last two rows alone', shape: [3, 3, 3, 32], n: [8, 4], stride: 1, pads: [1, 1, 1, 1] },
  { label: 'the last row alone, two chunks of k', shape: [3, 3, 64, 32], n: [7, 7], stride: 1, pads: [1, 1, 1, 1] },
  // 3 x 3 x 60 = 540 columns of X: two chunks of k, the second accumulating.
  { label: 'more columns than one chunk', shape: [3, 3, 60, 4], n: [5, 5], stride: 1, pads: [1, 1, 1, 1] },
  { label: 'circular stride 1', shape: [3, 3, 4, 8], n: [6, 6], stride: 1, pads: [1, 1, 1, 1], circular: true },
  { label: 'circular stride 2', shape: [3, 3, 8, 4], n: [8, 8], stride: 2, pads: [1, 1, 1, 1], circular: true },
];

describe('gemmLayerOperator against tfjs conv2d and its gradient', () => {
  it.each(CASES)('$label', ({ shape, n, stride, pads, circular }) => {
    const kernel = randomKernel(shape, 7);
    const [h, w, ci, co] = shape;
    const [nh, nw] = n;
    const [pt, pb, pl, pr] = pads;
    const oh = circular ? nh / stride : Math.floor((nh + pt + pb - h) / stride) + 1;
    const ow = circular ? nw / stride : Math.floor((nw + pl + pr - w) / stride) + 1;
    const g: GemmGeometry = { nh, nw, oh, ow, stride, top: pt, left: pl, circular: !!circular };
    const op = gemmLayerOperator(kernel, g);
    expect(op).not.toBeNull();
    const v = Float64Array.from({ length: nh * nw * ci }, (_, i) => Math.sin(1.7 * i + 0.3));
    const ref = tfjsProducts(kernel, g, pads, v);
    const av = op!.apply(v);
    expect(av.length).toBe(oh * ow * co);
    expect(relNorm(av, ref.apply)).toBeLessThan(1e-6);
    const w2 = op!.normalProduct(v);
    expect(w2.length).toBe(v.length);
    expect(relNorm(w2, ref.normal)).toBeLessThan(1e-6);
    // Repeated products reuse the operands: same input, same output (no state left from the last product).
    expect(Array.from(op!.normalProduct(v))).toEqual(Array.from(w2));
  });
});

describe('operator-gemm.wat gemm, fused and plain', () => {
  const variants = relaxedSimdAvailable() ? [true, false] : [false];
  it.each(variants)('fused %s: C = X B in 6 x 8 tiles, with accumulation over chunks of k', (fused) => {
    const W = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => WasmMemory } })
      .WebAssembly;
    const memory = new W.Memory({ initial: 4 });
    const made = instantiateKernel('operator-gemm', { fused }, { env: { memory } });
    expect(made).not.toBeNull();
    const gemm = made!.exports.gemm as (...a: number[]) => void;
    const [m, k, n] = [12, 12, 16];
    const heap = new Float32Array(memory.buffer);
    const X = Float32Array.from({ length: m * k }, (_, i) => Math.cos(i * 0.37));
    const B = Float32Array.from({ length: k * n }, (_, i) => Math.sin(i * 0.53));
    const [xOff, bOff, cOff] = [0, 4096, 8192];
    heap.set(X, xOff / 4);
    // Panels of 8 columns: panel j, row kk at 8 (j k + kk).
    for (let j = 0; j < n / 8; j++)
      for (let kk = 0; kk < k; kk++)
        for (let l = 0; l < 8; l++) heap[bOff / 4 + 8 * (j * k + kk) + l] = B[kk * n + 8 * j + l];
    // Two chunks of k (8 then 4): the second accumulates onto the first.
    gemm(xOff, 4 * k, bOff, 32 * k, cOff, 4 * n, m, 8, n / 8, 0);
    gemm(xOff + 32, 4 * k, bOff + 8 * 32, 32 * k, cOff, 4 * n, m, 4, n / 8, 1);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let kk = 0; kk < k; kk++) s += X[i * k + kk] * B[kk * n + j];
        expect(heap[cOff / 4 + i * n + j]).toBeCloseTo(s, 5);
      }
    }
  });
});

describe("Lanczos 'full-residual' against 'full'", () => {
  it('same Ritz values and an orthonormal basis on A = B B^T', () => {
    const n = 60;
    const B = Float64Array.from({ length: n * n }, (_, j) => Math.sin(j * 0.61) + (j % (n + 1) === 0 ? 1.5 : 0));
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) A[i * n + j] += B[i * n + k] * B[j * n + k];
    const work = (k: number) => ({ d: new Float64Array(k), e: new Float64Array(k), z: new Float64Array(k) });
    const runs = (['full', 'full-residual'] as const).map((reorthogonalize) => {
      const run = new Lanczos(n, { reorthogonalize, initialBasis: 4 });
      run.start(Float64Array.from({ length: n }, (_, i) => Math.cos(i)));
      const thetas: number[] = [];
      while (!run.exhausted && run.k < 25) {
        const q = run.current();
        const w = new Float64Array(n);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) w[i] += A[i * n + j] * q[j];
        run.step(w);
        thetas.push(run.topRitz(work(run.k)).theta1);
      }
      return { run, thetas };
    });
    const [full, residual] = runs;
    expect(residual.thetas.length).toBe(full.thetas.length);
    residual.thetas.forEach((t, i) => expect(Math.abs(t - full.thetas[i]) / full.thetas[i]).toBeLessThan(1e-12));
    const top = symmetricEigenvalues(A, n)[n - 1];
    expect(Math.abs(residual.thetas.at(-1)! - top) / top).toBeLessThan(1e-10);
    // Q^T Q = I to rounding.
    const { run } = residual;
    for (let a = 0; a < run.k; a++) {
      for (let b = 0; b <= a; b++) {
        let s = 0;
        for (let r = 0; r < n; r++) s += run.qr[a * n + r] * run.qr[b * n + r];
        expect(Math.abs(s - (a === b ? 1 : 0))).toBeLessThan(1e-12);
      }
    }
  });
});

describe('the GEMM operator as a Lanczos basis store (orthogonalizer)', () => {
  it('runs the same Lanczos on A^T A as the JavaScript passes, with the basis in the kernel memory', () => {
    const kernel = randomKernel([3, 3, 6, 8], 11);
    const g: GemmGeometry = { nh: 6, nw: 6, oh: 6, ow: 6, stride: 1, top: 1, left: 1, circular: false };
    const dim = g.nh * g.nw * 6;
    const work = (k: number) => ({ d: new Float64Array(k), e: new Float64Array(k), z: new Float64Array(k) });
    const thetas = [true, false].map((inKernel) => {
      const op = gemmLayerOperator(kernel, g, { basisVectors: 21 })!;
      expect(op.orthogonalizer).toBeDefined();
      const run = new Lanczos(dim, {
        maxBasis: 21,
        reorthogonalize: 'full-residual',
        orthogonalizer: inKernel ? op.orthogonalizer : undefined,
      });
      run.start(Float64Array.from({ length: dim }, (_, i) => Math.cos(0.7 * i)));
      const out: number[] = [];
      while (run.k < 20 && !run.exhausted) {
        run.step(op.normalProduct(run.current()));
        out.push(run.topRitz(work(run.k)).theta1);
      }
      if (inKernel) {
        expect(run.qr.buffer).toBe(op.orthogonalizer!.basis.buffer);
        // The Ritz vector's attained norm formed in the kernel memory, as operator-power.ts's attainedNorm would.
        const y = ritzVector(run, dim);
        const ay = op.apply(y);
        const y32 = Float32Array.from(y);
        const want = Math.sqrt(ay.reduce((s, x) => s + x * x, 0) / y32.reduce((s, x) => s + x * x, 0));
        expect(Math.abs(op.attainedNormOf!(ritzCoefficients(run)) - want) / want).toBeLessThan(1e-12);
      }
      return out;
    });
    expect(thetas[0].length).toBe(20);
    thetas[0].forEach((t, i) => expect(Math.abs(t - thetas[1][i]) / t).toBeLessThan(1e-12));
  });

  it('is not offered for an odd vector length (two float64 lanes per step) nor without basisVectors', () => {
    const kernel = randomKernel([3, 3, 3, 4], 5);
    const odd: GemmGeometry = { nh: 5, nw: 5, oh: 5, ow: 5, stride: 1, top: 1, left: 1, circular: false };
    expect(gemmLayerOperator(kernel, odd, { basisVectors: 8 })!.orthogonalizer).toBeUndefined();
    const even: GemmGeometry = { ...odd, nh: 4, nw: 4, oh: 4, ow: 4 };
    expect(gemmLayerOperator(kernel, even)!.orthogonalizer).toBeUndefined();
    expect(gemmLayerOperator(kernel, even, { basisVectors: 8 })!.orthogonalizer!.basis.length).toBe(8 * 48);
  });
});

describe("a released operator's memory, reused by the next one", () => {
  it('gives the same products bit for bit as a fresh memory, whatever the layer before left in it', () => {
    const big = randomKernel([3, 3, 8, 16], 21);
    const small = randomKernel([3, 3, 5, 3], 22);
    const gBig: GemmGeometry = { nh: 9, nw: 9, oh: 9, ow: 9, stride: 1, top: 1, left: 1, circular: false };
    const gSmall: GemmGeometry = { nh: 7, nw: 6, oh: 4, ow: 3, stride: 2, top: 1, left: 1, circular: false };
    const v = Float64Array.from({ length: 7 * 6 * 5 }, (_, i) => Math.sin(1.3 * i));
    // Fresh: an operator left unreleased takes any memory an earlier test released.
    gemmLayerOperator(small, gSmall);
    const fresh = gemmLayerOperator(small, gSmall, { basisVectors: 4 })!;
    const want = Float64Array.from(fresh.normalProduct(v));
    const wantA = fresh.apply(v);
    // The larger layer fills the memory (and its padding regions) with other values, then hands it on.
    const before = gemmLayerOperator(big, gBig, { basisVectors: 6 })!;
    before.normalProduct(Float64Array.from({ length: 9 * 9 * 8 }, (_, i) => 1 + Math.cos(i)));
    before.release();
    const reused = gemmLayerOperator(small, gSmall, { basisVectors: 4 })!;
    expect(Array.from(reused.normalProduct(v))).toEqual(Array.from(want));
    expect(Array.from(reused.apply(v))).toEqual(Array.from(wantA));
    reused.release();
    expect(() => reused.normalProduct(v)).toThrow(/released; make a new one/);
    // And a larger layer after a smaller one grows the kept memory.
    const grown = gemmLayerOperator(big, gBig, { basisVectors: 6 })!;
    const vb = Float64Array.from({ length: 9 * 9 * 8 }, (_, i) => Math.cos(0.3 * i));
    const freshBig = gemmLayerOperator(big, gBig, { basisVectors: 6 })!;
    expect(Array.from(grown.normalProduct(vb))).toEqual(Array.from(freshBig.normalProduct(vb)));
  });
});

describe('operatorNormEstimate: WebAssembly products against tfjs products', () => {
  it.each([
    ['same, stride 1', { n: 10, padding: 'same' as const, stride: 1 }],
    ['same, stride 2', { n: 12, padding: 'same' as const, stride: 2 }],
    ['circular, stride 1', { n: 8, padding: 'circular' as const, stride: 1 }],
  ])('%s: the same Lanczos value to float32 rounding', (_, geometry) => {
    const kernel = randomKernel([3, 3, 8, 16], 3);
    const [wasm, tfjs] = (['auto', 'tfjs'] as const).map((products) =>
      operatorNormEstimate(kernel, { ...geometry, iterations: 40, tol: 1e-6, products }),
    );
    expect(wasm.iterations).toBe(tfjs.iterations);
    expect(relNorm([wasm.value], [tfjs.value])).toBeLessThan(1e-6);
  });
});
