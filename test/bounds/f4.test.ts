import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { F4_MATRICES, KernelError, type F4Matrix, type F4Report, type KernelHWIO } from '../../src/shared/bounds.js';
import {
  argminEstimate,
  createF4State,
  disposeF4State,
  f4Bound,
  f4BoundTensor,
  f4MatrixNorms,
  f4PolyphaseBound,
  f4PowerIterate,
  type F4Engine,
  type F4PowerState,
} from '../../src/main/engine/bounds/methods/f4.js';
import {
  dilateKernel,
  polyphaseKernelHost,
  polyphaseKernelTensor,
  splitGroups,
} from '../../src/main/engine/bounds/methods/reshapes.js';
import { spectralNorm64 } from '../../src/main/engine/bounds/numerics/linalg64.js';
import { caseKernel, loadVectorCases, type F4Reference, type VectorCase } from './f4-vectors.js';

const cases = loadVectorCases();
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** argmin agrees with the reference, or the two reshapes tie (equal norms up to rounding). */
function expectArgmin(got: F4Matrix, ref: F4Reference, tol: number, label: string): void {
  if (got !== ref.argmin)
    expect(
      rel(ref.matrix_norms[got], ref.min_bound / ref.constant_sqrt_hw),
      `${label} argmin ${got} vs ${ref.argmin}`,
    ).toBeLessThan(tol);
}

function expectReport(r: F4Report, ref: F4Reference, label: string): void {
  expect(r.sqrtHW, label).toBeCloseTo(ref.constant_sqrt_hw, 12);
  for (const X of F4_MATRICES) {
    // Guaranteed upper bounds: never below the float64 SVD value, and within 1e-9 of it.
    expect(r.matrixNorms[X], `${label} ${X}`).toBeGreaterThanOrEqual(ref.matrix_norms[X]);
    expect(rel(r.matrixNorms[X], ref.matrix_norms[X]), `${label} ${X}`).toBeLessThan(1e-9);
  }
  expect(r.minBound).toBe(r.value);
  expect(r.value, label).toBeGreaterThanOrEqual(ref.min_bound);
  expect(rel(r.value, ref.min_bound), label).toBeLessThan(1e-9);
  expectArgmin(r.argmin, ref, 1e-12, label);
  expect(r.kind).toBe('upper bound');
}

describe('f4Bound (certified float64) on every reference case', () => {
  it.each(cases.map((c) => [c.id, c] as [string, VectorCase]))('%s', (id, c) => {
    const k = caseKernel(c);
    const r = f4Bound(k, { stride: 2 });
    expect(r.method).toBe('f4');
    expect(r.validFor).toEqual({ padding: 'any', stride: 2 });
    expectReport(r, c.f4, id);
    const p = r.polyphase!;
    expect(p.method).toBe('f4-polyphase');
    expect(p.validFor).toEqual({ padding: 'any', stride: 2 });
    expectReport(p, c.f4_polyphase_stride2, `${id} polyphase`);
    const [co, ci2, hq, wq] = c.f4_polyphase_stride2.kernel_shape_oihw;
    expect(polyphaseKernelHost(k, 2).shape).toEqual([hq, wq, ci2, co]);
    expect(f4PolyphaseBound(k, 2).value).toBe(p.value);

    // Never below any exact norm it bounds: stride 1 (every padding) and, for the strided values, both bounds.
    const s1 = f4Bound(k).value;
    expect(s1).toBe(r.value);
    expect(s1).toBeGreaterThanOrEqual(c.circular_s1_exact_n256);
    for (const e of c.evaluations) {
      for (const exact of [e.circular_s1_exact_fft, e.zero_same_s1_exact, e.zero_valid_s1_exact]) {
        expect(s1, `${id} n=${e.n}`).toBeGreaterThanOrEqual(exact);
      }
      for (const exact of [e.circular_s2_exact, e.zero_same_tf_s2_exact, e.zero_sym_pad_s2_exact]) {
        if (exact === null) continue;
        expect(p.value, `${id} n=${e.n} polyphase`).toBeGreaterThanOrEqual(exact);
        expect(r.value, `${id} n=${e.n}`).toBeGreaterThanOrEqual(exact);
      }
    }
  });
});

/** Iterate until the four sigmas agree with the certified norms to `tol` (chunks of `chunk`), at most `max`. */
function converge(
  kernel: tf.Tensor4D,
  st: F4PowerState,
  target: Record<F4Matrix, number>,
  chunk: number,
  max: number,
): number {
  let done = 0;
  while (done < max) {
    f4PowerIterate(kernel, st, chunk);
    done += chunk;
    const norms = f4MatrixNorms(kernel, st);
    const ok = F4_MATRICES.every((X) => rel(norms[X].dataSync()[0], target[X]) < 2e-6);
    tf.dispose(Object.values(norms));
    if (ok) break;
  }
  return done;
}

function checkPowerPath(engine: F4Engine, c: VectorCase, polyphase: boolean): void {
  const ref = polyphase ? c.f4_polyphase_stride2 : c.f4;
  const base = tf.tensor4d(c.weights_hwio.flat(3), c.shape_hwio);
  const kernel = polyphase ? polyphaseKernelTensor(base, 2) : base;
  const st = createF4State(kernel.shape as [number, number, number, number], { seed: 11, engine });
  expect(st.engine).toBe(engine);
  const certified = polyphase ? f4PolyphaseBound(caseKernel(c), 2) : f4Bound(caseKernel(c));
  const chunk = engine === 'host' ? 200 : 50;
  const iterations = converge(kernel, st, certified.matrixNorms, chunk, 1000);
  const label = `${c.id}${polyphase ? ' polyphase' : ''} (${engine}, ${iterations} it.)`;
  const norms = f4MatrixNorms(kernel, st);
  for (const X of F4_MATRICES) {
    const v = norms[X].dataSync()[0];
    expect(rel(v, ref.matrix_norms[X]), `${label} ${X}`).toBeLessThan(1e-5);
    // u^T X v with unit u, v is a lower estimate of ||X|| (float32 rounding aside).
    expect(v, `${label} ${X}`).toBeLessThanOrEqual(ref.matrix_norms[X] * (1 + 1e-6));
  }
  const bound = f4BoundTensor(kernel, st, 'min');
  expect(rel(bound.dataSync()[0], ref.min_bound), label).toBeLessThan(1e-5);
  expectArgmin(argminEstimate(st), ref, 1e-5, label);
  const t = f4BoundTensor(kernel, st, 'miyato-t');
  expect(rel(t.dataSync()[0], ref.constant_sqrt_hw * ref.matrix_norms.T), label).toBeLessThan(1e-5);
  tf.dispose([bound, t, ...Object.values(norms), base, kernel]);
  disposeF4State(st);
}

describe('power-iteration path (float32 tfjs) on every reference case', () => {
  it.each(cases.map((c) => [c.id, c] as [string, VectorCase]))('%s: host engine, F4 and polyphase', (_id, c) => {
    checkPowerPath('host', c, false);
    checkPowerPath('host', c, true);
  });
  it.each(cases.map((c) => [c.id, c] as [string, VectorCase]))('%s: tensor engine, F4 and polyphase', (_id, c) => {
    checkPowerPath('tensor', c, false);
    checkPowerPath('tensor', c, true);
  });
});

describe('f4BoundTensor gradient', () => {
  const c = cases.find((x) => x.id === 'rand_3x3_ci3_co8')!;
  const shape = c.shape_hwio;
  const direction = tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', 5)) as tf.Tensor4D;
  afterAll(() => direction.dispose());

  it.each(['host', 'tensor'] as F4Engine[])('%s engine: tf.grad matches finite differences and d||X||_2', (engine) => {
    const W = tf.tensor4d(c.weights_hwio.flat(3), shape);
    const st = createF4State(shape, { engine, seed: 2 });
    f4PowerIterate(W, st, 400);
    const grad = tf.grad((w: tf.Tensor) => f4BoundTensor(w as tf.Tensor4D, st))(W);
    const gD = tf.sum(tf.mul(grad, direction)).dataSync()[0];
    // With u, v fixed, the bound is linear in the kernel: a central difference is exact up to float32 rounding.
    const eps = 1e-2;
    const f = (s: number) =>
      tf.tidy(() => f4BoundTensor(tf.add(W, tf.mul(direction, s)) as tf.Tensor4D, st).dataSync()[0]);
    expect(rel((f(eps) - f(-eps)) / (2 * eps), gD)).toBeLessThan(2e-3);
    // Converged vectors: the gradient is that of the exact sqrt(hw) sigma_max of the minimising reshape.
    const host = (s: number): KernelHWIO => {
      const w = W.dataSync();
      const d = direction.dataSync();
      return { shape, data: Float64Array.from(w, (x, j) => x + s * d[j]) };
    };
    const h = 1e-5;
    const exactSlope = (f4Bound(host(h)).value - f4Bound(host(-h)).value) / (2 * h);
    expect(rel(exactSlope, gD)).toBeLessThan(1e-4);
    tf.dispose([W, grad]);
    disposeF4State(st);
  });

  it.each(['host', 'tensor'] as F4Engine[])(
    '%s engine: only the kernel is trained; a step lowers the bound',
    (engine) => {
      const W = tf.variable(tf.tensor4d(c.weights_hwio.flat(3), shape));
      const st = createF4State(shape, { engine, seed: 3 });
      f4PowerIterate(W, st, 200);
      const before = tf.tidy(() => f4BoundTensor(W, st).dataSync()[0]);
      const { value, grads } = tf.variableGrads(() => f4BoundTensor(W, st));
      expect(Object.keys(grads)).toEqual([W.name]);
      tf.dispose([value, grads[W.name]]);
      const numTensors = tf.memory().numTensors;
      const opt = tf.train.sgd(0.05);
      for (let step = 0; step < 3; step++) {
        f4PowerIterate(W, st, 1);
        opt.minimize(() => f4BoundTensor(W, st));
      }
      const after = tf.tidy(() => f4BoundTensor(W, st).dataSync()[0]);
      expect(after).toBeLessThan(before);
      expect(tf.memory().numTensors).toBeLessThanOrEqual(numTensors + 1); // + the optimiser's iteration counter
      opt.dispose();
      W.dispose();
      disposeF4State(st);
    },
  );
});

describe('strides, dilation and groups against explicit convolution operators', () => {
  /** The layer's Jacobian as a dense matrix, rows (o, a, b), cols (i, x, y). */
  function convMatrix(
    k: KernelHWIO,
    n: number,
    o: { stride: number; dilation: number; groups: number; pad: 'circular' | 'zero' },
  ) {
    const [h, w, cig, co] = k.shape;
    const ci = cig * o.groups;
    const cog = co / o.groups;
    const p = Math.floor(((h - 1) * o.dilation) / 2);
    const m = o.pad === 'circular' ? n / o.stride : Math.floor((n + 2 * p - (h - 1) * o.dilation - 1) / o.stride) + 1;
    const rows = co * m * m;
    const cols = ci * n * n;
    const M = new Float64Array(rows * cols);
    for (let oc = 0; oc < co; oc++) {
      const g = Math.floor(oc / cog);
      for (let a = 0; a < m; a++) {
        for (let b = 0; b < m; b++) {
          for (let kk = 0; kk < h; kk++) {
            for (let l = 0; l < w; l++) {
              let x = a * o.stride + kk * o.dilation - p;
              let y = b * o.stride + l * o.dilation - p;
              if (o.pad === 'circular') {
                x = ((x % n) + n) % n;
                y = ((y % n) + n) % n;
              } else if (x < 0 || y < 0 || x >= n || y >= n) continue;
              for (let i = 0; i < cig; i++) {
                const wv = k.data[((kk * w + l) * cig + i) * co + oc];
                M[((oc * m + a) * m + b) * cols + ((g * cig + i) * n + x) * n + y] += wv;
              }
            }
          }
        }
      }
    }
    return spectralNorm64(M, rows, cols).upper;
  }

  const k = caseKernel(cases.find((x) => x.id === 'rand_3x3_ci8_co8')!);

  it('dilation: the bound of the undilated kernel holds (only the h x w nonzero taps count)', () => {
    const r = f4Bound(k, { dilation: 2 });
    expect(r.value).toBe(f4Bound(k).value);
    for (const pad of ['circular', 'zero'] as const) {
      expect(r.value).toBeGreaterThanOrEqual(convMatrix(k, 8, { stride: 1, dilation: 2, groups: 1, pad }));
    }
    const s2 = f4Bound(k, { dilation: 2, stride: 2 });
    expect(s2.polyphase!.value).toBe(f4PolyphaseBound(dilateKernel(k, 2), 2).value);
    expect(s2.polyphase!.value).toBeGreaterThanOrEqual(
      convMatrix(k, 8, { stride: 2, dilation: 2, groups: 1, pad: 'circular' }),
    );
  });

  it('groups: the max over the groups, and it bounds the grouped convolution', () => {
    const r = f4Bound(k, { groups: 2 });
    const parts = splitGroups(k, 2).map((g) => f4Bound(g).value);
    expect(r.groupBounds).toEqual(parts);
    expect(r.value).toBe(Math.max(...parts));
    for (const pad of ['circular', 'zero'] as const) {
      expect(r.value).toBeGreaterThanOrEqual(convMatrix(k, 6, { stride: 1, dilation: 1, groups: 2, pad }));
    }
    const p = f4Bound(k, { groups: 2, stride: 2 }).polyphase!;
    expect(p.value).toBeGreaterThanOrEqual(convMatrix(k, 6, { stride: 2, dilation: 1, groups: 2, pad: 'zero' }));
  });
});

describe('bad input and edge cases', () => {
  const good = caseKernel(cases[0]);

  it('rejects malformed kernels with KernelError naming the problem', () => {
    expect(() => f4Bound({ shape: [3, 3, 2] as never, data: new Float64Array(18) })).toThrow(KernelError);
    expect(() => f4Bound({ shape: [3, 3, 2] as never, data: new Float64Array(18) })).toThrow(/4-D kernel/);
    expect(() => f4Bound({ shape: [3, 3, 2, 1], data: new Float64Array(17) })).toThrow(/needs 18 weights but 17/);
    const nan = Float64Array.from(good.data);
    nan[good.shape[3]] = NaN; // W[0][0][1][0]
    expect(() => f4Bound({ shape: good.shape, data: nan })).toThrow(/W\[0\]\[0\]\[1\]\[0\] is NaN/);
    const inf = Float64Array.from(good.data);
    inf[0] = Infinity;
    expect(() => f4PolyphaseBound({ shape: good.shape, data: inf }, 2)).toThrow(/is Infinity/);
    // Float32 kernels are checked by the certificate's own first read (kernelScale), small (all four certified) and
    // large (the minimum), through every path that copies the weights: groups, polyphase, dilation.
    for (const shape of [
      [3, 3, 2, 4],
      [3, 3, 64, 64],
    ] as [number, number, number, number][]) {
      const size = shape.reduce((a, b) => a * b);
      const [ci, co] = [shape[2], shape[3]];
      const at = ((2 * 3 + 2) * ci + ci - 2) * co + co - 3; // W[2][2][c_in - 2][c_out - 3]
      const where = `W\\[2\\]\\[2\\]\\[${ci - 2}\\]\\[${co - 3}\\]`;
      for (const bad of [NaN, -Infinity]) {
        const data = Float32Array.from({ length: size }, (_, j) => Math.sin(j));
        data[at] = bad;
        const k = { shape, data };
        const is = new RegExp(`${where} is ${bad}; bounds need finite weights`);
        expect(() => f4Bound(k), `${shape} ${bad}`).toThrow(KernelError);
        expect(() => f4Bound(k), `${shape} ${bad}`).toThrow(is);
        expect(() => f4Bound(k, { groups: 2 })).toThrow(is);
        expect(() => f4PolyphaseBound(k, 2)).toThrow(is);
        expect(() => f4PolyphaseBound(k, 2, { dilation: 2 })).toThrow(is);
      }
    }
    expect(() => f4Bound(good, { stride: 0 })).toThrow(/stride must be a positive integer/);
    expect(() => f4Bound(good, { groups: 3 })).toThrow(/does not divide c_out/);
    expect(() => f4PolyphaseBound(good, 1.5)).toThrow(/stride must be a positive integer/);
    const t3 = tf.zeros([3, 3, 2]);
    expect(() => f4Bound(t3 as unknown as tf.Tensor4D)).toThrow(/4-D kernel/);
    t3.dispose();
  });

  it('rejects bad shapes and mismatched states in the training API', () => {
    expect(() => createF4State([3, 3, 0, 1])).toThrow(/positive integers/);
    const st = createF4State([3, 3, 2, 3]);
    const W = tf.zeros([3, 3, 2, 2]) as tf.Tensor4D;
    expect(() => f4BoundTensor(W, st)).toThrow(/does not match the power-iteration state/);
    const t3 = tf.zeros([3, 3, 2]);
    expect(() => f4PowerIterate(t3 as unknown as tf.Tensor4D, st, 1)).toThrow(/4-D kernel tensor/);
    expect(() => f4PowerIterate(tf.zeros([3, 3, 2, 3]) as tf.Tensor4D, st, -2)).toThrow(
      /iterations must be an integer/,
    );
    tf.dispose([W, t3]);
    disposeF4State(st);
  });

  it.each(['host', 'tensor'] as F4Engine[])(
    'a zero kernel: certified 0, %s engine 0 without NaN, then recovers',
    (engine) => {
      const shape: [number, number, number, number] = [3, 3, 2, 2];
      const z = f4Bound({ shape, data: new Float64Array(36) });
      expect(z.value).toBe(0);
      expect(Object.values(z.matrixNorms)).toEqual([0, 0, 0, 0]);
      const Z = tf.zeros(shape) as tf.Tensor4D;
      const st = createF4State(shape, { engine });
      f4PowerIterate(Z, st, 3);
      const b = f4BoundTensor(Z, st);
      expect(b.dataSync()[0]).toBe(0);
      const c = cases.find((x) => x.id === 'const_3x3_ci4_co4')!;
      const K = tf.tensor4d(c.weights_hwio.flat(3), c.shape_hwio);
      const st2 = createF4State(c.shape_hwio, { engine });
      f4PowerIterate(tf.zeros(c.shape_hwio) as tf.Tensor4D, st2, 2);
      f4PowerIterate(K, st2, 100);
      const b2 = f4BoundTensor(K, st2);
      expect(rel(b2.dataSync()[0], c.f4.min_bound)).toBeLessThan(1e-5);
      tf.dispose([Z, b, K, b2]);
      disposeF4State(st);
      disposeF4State(st2);
    },
  );

  it('accepts a tf.Tensor4D for the certified path (float32 values are exact in float64)', () => {
    const c = cases[1];
    const T = tf.tensor4d(c.weights_hwio.flat(3), c.shape_hwio);
    expect(f4Bound(T).value).toBe(f4Bound(caseKernel(c)).value);
    T.dispose();
  });
});
