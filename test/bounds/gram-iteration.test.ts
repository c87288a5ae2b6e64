import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { KernelError, type KernelHWIO } from '../../src/shared/bounds.js';
import { gramIterationBound, gramLeadingFrequencies } from '../../src/main/engine/bounds/methods/gram-iteration.js';
import { gramIterationBoundTensor } from '../../src/main/engine/bounds/methods/gram-tensor.js';
import { gramValueAndGradient } from '../../src/main/engine/bounds/methods/gram-gradient.js';
import { halfSpectrumFrequencies } from '../../src/main/engine/bounds/numerics/frequency-set.js';
import { caseKernel, loadSpectralCases, randomKernel, relErr } from './spectral-vectors.js';

const cases = loadSpectralCases();
const T = ['1', '2', '4', '6'] as const;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('gramIterationBound against the reference (every case, every n, t = 1, 2, 4, 6)', () => {
  for (const c of cases) {
    it(`${c.id}`, () => {
      const k = caseKernel(c);
      for (const e of c.evaluations) {
        const r = gramIterationBound(k, e.n, 6);
        expect(r.kind).toBe('upper bound');
        expect(r.validFor).toEqual({ padding: 'circular', stride: 1, n: e.n });
        expect(r.value).toBe(r.perIteration[5]);
        for (const t of T) {
          const ours = r.perIteration[Number(t) - 1];
          expect(Number.isFinite(ours)).toBe(true);
          expect(relErr(ours, e.gram_iteration_circular_s1[t]), `n=${e.n} t=${t}`).toBeLessThan(1e-5);
          // An upper bound on the circular norm at the same n (float64 rounding allowance only).
          expect(ours).toBeGreaterThanOrEqual(e.circular_s1_exact_fft * (1 - 1e-12));
        }
        for (let t = 1; t < 6; t++) expect(r.perIteration[t]).toBeLessThanOrEqual(r.perIteration[t - 1] * (1 + 1e-12));
        // Asking for t iterations gives the t-th value directly.
        expect(relErr(gramIterationBound(k, e.n, 2).value, e.gram_iteration_circular_s1['2'])).toBeLessThan(1e-5);
      }
    });
  }

  it('gives 0 for a zero kernel and handles zero frequencies (difference kernel DC) without NaN', () => {
    const zero: KernelHWIO = { shape: [3, 3, 2, 2], data: new Float64Array(36) };
    expect(gramIterationBound(zero, 8).value).toBe(0);
    const diff = cases.find((c) => c.id === 'diff_1x2_ci1_co1')!;
    const r = gramIterationBound(caseKernel(diff), 4, 6);
    expect(r.perIteration.every(Number.isFinite)).toBe(true);
  });
});

describe('gramIterationBoundTensor (differentiable, float32)', () => {
  it('matches the float64 bound and the reference', () => {
    for (const c of cases) {
      const e = c.evaluations[0];
      const t = tf.tensor4d(Float32Array.from(caseKernel(c).data), c.shape_hwio);
      const b = gramIterationBoundTensor(t, e.n, 4);
      expect(relErr(b.dataSync()[0], e.gram_iteration_circular_s1['4']), c.id).toBeLessThan(1e-5);
      tf.dispose([t, b]);
    }
  });

  it('has a finite gradient that matches a finite difference', () => {
    const c = cases[0];
    const w = tf.tensor4d(Float32Array.from(caseKernel(c).data), c.shape_hwio);
    const f = (x: tf.Tensor) => gramIterationBoundTensor(x as tf.Tensor4D, 8, 4);
    const g = tf.grad(f)(w);
    expect(g.isFinite().all().dataSync()[0]).toBe(1);
    // Directional derivative along the gradient vs a central difference (float32: loose tolerance).
    const dir = tf.div(g, g.norm());
    const h = 1e-2;
    const fd = (f(tf.add(w, tf.mul(dir, h))).dataSync()[0] - f(tf.sub(w, tf.mul(dir, h))).dataSync()[0]) / (2 * h);
    expect(relErr(fd, g.norm().dataSync()[0])).toBeLessThan(2e-2);
    tf.dispose([w, g, dir]);
  });

  it('stays finite (value and gradient) with zero frequencies and a zero kernel', () => {
    const diff = cases.find((c) => c.id === 'diff_1x2_ci1_co1')!;
    for (const data of [Float32Array.from(caseKernel(diff).data), new Float32Array(2)]) {
      const w = tf.tensor4d(data, [1, 2, 1, 1]);
      const value = gramIterationBoundTensor(w, 4, 6);
      const g = tf.grad((x: tf.Tensor) => gramIterationBoundTensor(x as tf.Tensor4D, 4, 6))(w);
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      expect(g.isFinite().all().dataSync()[0]).toBe(1);
      tf.dispose([w, value, g]);
    }
  });
});

describe("the regulariser's leading frequencies and host gradient (gramLeadingFrequencies, gramValueAndGradient)", () => {
  it('give the value and gradient of the whole spectrum from a few frequencies (every case, random, dominant, transposed kernels)', () => {
    const dominant = randomKernel([3, 3, 6, 10], 5);
    for (let j = 0; j < 60; j++) for (let tap = 0; tap < 9; tap++) dominant.data[tap * 60 + j] += 2 * dominant.data[j];
    // [kernel, n, whether one frequency leads]: a single-tap or 1x1 kernel has the same singular values at every
    // frequency, so all of them lead (and the maximum has a kink there: no gradient to compare).
    const random = (c: (typeof cases)[number]) => c.id.startsWith('rand_') && c.shape_hwio[0] * c.shape_hwio[1] > 1;
    const kernels: [KernelHWIO, number, boolean][] = [
      ...cases.map((c) => [caseKernel(c), c.evaluations[0].n, random(c)] as [KernelHWIO, number, boolean]),
      [randomKernel([3, 3, 16, 32], 7), 14, true],
      [randomKernel([3, 3, 24, 8], 8), 7, true],
      [dominant, 8, true],
    ];
    for (const [k, n, few] of kernels) {
      const id = k.shape.join('x');
      const host = { shape: k.shape, data: Float32Array.from(k.data) };
      const set = gramLeadingFrequencies(host, n, 6, 1e-3);
      expect(set.u.length).toBeGreaterThan(0);
      if (few) expect(set.u.length, id).toBeLessThan(halfSpectrumFrequencies(n, n).u.length / 4);
      const ours = gramValueAndGradient(host, n, n, 6, set);
      const w = tf.tensor4d(host.data, k.shape);
      const full = gramIterationBoundTensor(w, n, 6);
      expect(relErr(ours.value, full.dataSync()[0]), id).toBeLessThan(2e-5);
      if (few) {
        const g = tf.grad((x) => gramIterationBoundTensor(x as tf.Tensor4D, n, 6))(w);
        const diff = tf.sub(g, tf.tensor4d(Float32Array.from(ours.gradient), k.shape));
        expect(diff.norm().dataSync()[0] / g.norm().dataSync()[0], id).toBeLessThan(1e-3);
        tf.dispose([g, diff]);
      }
      tf.dispose([w, full]);
    }
  });

  it('include every frequency within rel of the maximum, pruned or not; a zero kernel has value 0, gradient 0', () => {
    const zero: KernelHWIO = { shape: [3, 3, 2, 2], data: new Float64Array(36) };
    const all = gramLeadingFrequencies(zero, 6, 6, 1e-3);
    expect(all.u.length).toBe(halfSpectrumFrequencies(6, 6).u.length);
    const z = gramValueAndGradient(zero, 6, 6, 6, all);
    expect(z.value).toBe(0);
    expect(z.gradient.every((x) => x === 0)).toBe(true);
    const k = randomKernel([3, 3, 8, 8], 3);
    expect(gramLeadingFrequencies(k, 8, 6, 0.5).u.length).toBeGreaterThan(
      gramLeadingFrequencies(k, 8, 6, 1e-3).u.length,
    );
  });
});

describe('gram iteration rejects bad input with a KernelError', () => {
  const k = caseKernel(cases[0]);
  it('n smaller than the kernel, NaN weights, non-4-D kernels, bad iteration counts', () => {
    expect(() => gramIterationBound(k, 2)).toThrow(/smaller than the 3x3 kernel/);
    const bad = { shape: k.shape, data: Float64Array.from(k.data) } as KernelHWIO;
    bad.data[0] = NaN;
    expect(() => gramIterationBound(bad, 8)).toThrow(/finite weights/);
    expect(() =>
      gramIterationBound({ shape: [3, 3, 3], data: new Float64Array(27) } as unknown as KernelHWIO, 8),
    ).toThrow(/4-D kernel/);
    expect(() => gramIterationBound(k, 8, 0)).toThrow(KernelError);
    const t3 = tf.zeros([3, 3, 3]);
    expect(() => gramIterationBoundTensor(t3 as unknown as tf.Tensor4D, 8)).toThrow(/4-D kernel/);
    const t = tf.zeros([3, 3, 2, 2]) as tf.Tensor4D;
    expect(() => gramIterationBoundTensor(t, 2)).toThrow(/smaller than the 3x3 kernel/);
    tf.dispose([t3, t]);
  });
});
