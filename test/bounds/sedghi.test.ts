import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { KernelError, type KernelHWIO } from '../../src/shared/bounds.js';
import { sedghiExactNorm } from '../../src/main/engine/bounds/methods/sedghi.js';
import { caseKernel, loadSpectralCases, randomKernel, relErr } from './spectral-vectors.js';

const cases = loadSpectralCases();

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('sedghiExactNorm against the reference (every case, every n)', () => {
  for (const c of cases) {
    it(`${c.id}: circular_s1_exact_fft at every n, and n = 256`, () => {
      const k = caseKernel(c);
      for (const e of c.evaluations) {
        for (const algorithm of ['racing', 'dense'] as const) {
          const r = sedghiExactNorm(k, e.n, { algorithm });
          expect(relErr(r.value, e.circular_s1_exact_fft), `${algorithm} n=${e.n}`).toBeLessThan(1e-5);
          expect(r.kind).toBe('exact');
          expect(r.validFor).toEqual({ padding: 'circular', stride: 1, n: e.n });
          expect(r.bracket[0]).toBeLessThanOrEqual(r.bracket[1]);
        }
      }
      const r256 = sedghiExactNorm(k, 256);
      expect(relErr(r256.value, c.circular_s1_exact_n256)).toBeLessThan(1e-5);
    });
  }
});

describe('sedghiExactNorm spectrum', () => {
  it('returns every singular value, complete by Parseval, with the norm as its maximum', () => {
    for (const c of cases.slice(0, 6)) {
      const k = caseKernel(c);
      const e = c.evaluations[0];
      const r = sedghiExactNorm(k, e.n, { spectrum: true });
      const [, , ci, co] = c.shape_hwio;
      expect(r.spectrum!.length).toBe(e.n * e.n * Math.min(ci, co));
      expect(relErr(Math.max(...r.spectrum!), e.circular_s1_exact_fft)).toBeLessThan(1e-12);
      // sum over frequencies of ||K(u,v)||_F^2 = n^2 ||W||_F^2, and ||K||_F^2 = sum of sigma^2.
      let energy = 0;
      for (const x of r.spectrum!) energy += x * x;
      let w2 = 0;
      for (const x of k.data) w2 += x * x;
      expect(relErr(energy, e.n * e.n * w2)).toBeLessThan(1e-10);
    }
  });
});

describe('sedghiExactNorm racing on kernels with many competing frequencies', () => {
  it('agrees with dense eigenvalues at every frequency (square, wide, tall; rectangular input)', () => {
    const shapes: [[number, number, number, number], number | [number, number]][] = [
      [[3, 3, 24, 24], 12],
      [[3, 3, 12, 20], 10],
      [
        [3, 3, 20, 12],
        [8, 12],
      ],
      [
        [5, 3, 16, 16],
        [9, 7],
      ],
    ];
    shapes.forEach(([shape, n], j) => {
      const k = randomKernel(shape, 11 + j);
      const race = sedghiExactNorm(k, n, { algorithm: 'racing' });
      const dense = sedghiExactNorm(k, n, { algorithm: 'dense' });
      expect(relErr(race.value, dense.value), `${shape} n=${n}`).toBeLessThan(1e-6);
      expect(race.bracket[1] / race.bracket[0] - 1).toBeLessThan(1e-6);
      expect(race.validFor.n).toEqual(n);
    });
  });

  it('accepts a tf.Tensor4D and gives the same value as the host kernel', () => {
    const c = cases[0];
    const t = tf.tensor4d(Float32Array.from(caseKernel(c).data), c.shape_hwio);
    expect(relErr(sedghiExactNorm(t, 8).value, c.evaluations[0].circular_s1_exact_fft)).toBeLessThan(1e-6);
    t.dispose();
  });

  it('gives 0 (not NaN) for a zero kernel', () => {
    const k: KernelHWIO = { shape: [3, 3, 16, 16], data: new Float64Array(3 * 3 * 16 * 16) };
    expect(sedghiExactNorm(k, 8, { algorithm: 'racing' }).value).toBe(0);
    expect(sedghiExactNorm(k, 8, { algorithm: 'dense' }).value).toBe(0);
  });
});

describe('sedghiExactNorm rejects bad input with a KernelError that says what to do', () => {
  const k = caseKernel(cases[0]);
  it('n smaller than the kernel', () => {
    expect(() => sedghiExactNorm(k, 2)).toThrow(KernelError);
    expect(() => sedghiExactNorm(k, 2)).toThrow(/smaller than the 3x3 kernel; use n >= 3/);
    expect(() => sedghiExactNorm(k, [8, 2])).toThrow(KernelError);
  });
  it('NaN weights', () => {
    const bad = { shape: k.shape, data: Float64Array.from(k.data) } as KernelHWIO;
    bad.data[5] = NaN;
    expect(() => sedghiExactNorm(bad, 8)).toThrow(/finite weights/);
  });
  it('a kernel that is not 4-D', () => {
    const flat = { shape: [9, 24], data: new Float64Array(216) } as unknown as KernelHWIO;
    expect(() => sedghiExactNorm(flat, 8)).toThrow(/4-D kernel/);
    const t = tf.zeros([3, 3, 4]);
    expect(() => sedghiExactNorm(t as unknown as tf.Tensor4D, 8)).toThrow(KernelError);
    t.dispose();
  });
  it('a stride other than 1', () => {
    expect(() => sedghiExactNorm(k, 8, { stride: 2 as 1 })).toThrow(/stride 1 only/);
  });
});
