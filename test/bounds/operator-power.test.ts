import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { KernelError, type KernelHWIO } from '../../src/shared/bounds.js';
import { operatorNormEstimate, type OperatorPadding } from '../../src/main/engine/bounds/methods/operator-power.js';
import { caseKernel, loadSpectralCases, relErr } from './spectral-vectors.js';

const cases = loadSpectralCases();

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A lower estimate may exceed the exact value only by float32 rounding of the convolutions. */
const F32_SLACK = 1e-6;

describe('operatorNormEstimate against the exact zero-padded norms (every case, every n)', () => {
  for (const c of cases) {
    it(`${c.id}: 'same' and 'valid' at stride 1, TF 'SAME' and symmetric pads at stride 2`, () => {
      const k = caseKernel(c);
      for (const e of c.evaluations) {
        const [sp, sq] = e.zero_sym_pad_s2_pad;
        const runs: [string, OperatorPadding, number, number, [number, number] | null][] = [
          ['same s1', 'same', 1, e.zero_same_s1_exact, e.zero_same_s1_pad_top_left],
          ['valid s1', 'valid', 1, e.zero_valid_s1_exact, [0, 0]],
          ['TF same s2', 'same', 2, e.zero_same_tf_s2_exact, e.zero_same_tf_s2_pad_top_left],
          ['symmetric s2', { top: sp, bottom: sp, left: sq, right: sq }, 2, e.zero_sym_pad_s2_exact, [sp, sq]],
        ];
        for (const [label, padding, stride, exact, topLeft] of runs) {
          const r = operatorNormEstimate(k, { n: e.n, padding, stride, tol: 5e-6 });
          expect(relErr(r.value, exact), `${label} n=${e.n}`).toBeLessThan(1e-5);
          expect(r.value).toBeLessThanOrEqual(exact * (1 + F32_SLACK));
          expect(r.kind).toBe('estimate (lower)');
          expect(r.converged).toBe(true);
          if (topLeft) expect([r.pads[0], r.pads[1]], label).toEqual(topLeft);
        }
      }
    });
  }
});

describe('operatorNormEstimate with circular padding', () => {
  it('matches the circular exact norms at stride 1 and 2 (smallest n of each case)', () => {
    for (const c of cases) {
      const e = c.evaluations[0];
      const k = caseKernel(c);
      const s1 = operatorNormEstimate(k, { n: e.n, padding: 'circular', tol: 5e-6 });
      expect(relErr(s1.value, e.circular_s1_exact_fft), `${c.id} s1`).toBeLessThan(1e-5);
      expect(s1.validFor.padding).toBe('circular');
      if (e.circular_s2_exact !== null) {
        const s2 = operatorNormEstimate(k, { n: e.n, padding: 'circular', stride: 2, tol: 5e-6 });
        expect(relErr(s2.value, e.circular_s2_exact), `${c.id} s2`).toBeLessThan(1e-5);
      }
    }
  });
});

describe('operatorNormEstimate details', () => {
  it('plain power iteration approaches the same value from below', () => {
    const c = cases[0];
    const e = c.evaluations[0];
    const r = operatorNormEstimate(caseKernel(c), { n: e.n, padding: 'same', method: 'power', iterations: 300 });
    expect(r.value).toBeLessThanOrEqual(e.zero_same_s1_exact * (1 + F32_SLACK));
    expect(relErr(r.value, e.zero_same_s1_exact)).toBeLessThan(1e-3);
  });

  it('accepts a tf.Tensor4D kernel and rectangular inputs', () => {
    const c = cases[0];
    const t = tf.tensor4d(Float32Array.from(caseKernel(c).data), c.shape_hwio);
    const r = operatorNormEstimate(t, { n: [8, 8], padding: 'same' });
    expect(relErr(r.value, c.evaluations[0].zero_same_s1_exact)).toBeLessThan(1e-5);
    const rect = operatorNormEstimate(t, { n: [6, 10], padding: 'valid', stride: 2 });
    expect(rect.outputSize).toEqual([2, 4]);
    expect(rect.value).toBeGreaterThan(0);
    t.dispose();
  });

  it('gives 0 for a zero kernel', () => {
    const zero: KernelHWIO = { shape: [3, 3, 2, 2], data: new Float64Array(36) };
    expect(operatorNormEstimate(zero, { n: 6, padding: 'same' }).value).toBe(0);
  });
});

describe('operatorNormEstimate rejects bad input with a KernelError', () => {
  const k = caseKernel(cases[0]);
  it('n smaller than the kernel, NaN weights, non-4-D kernels, bad stride or pads', () => {
    expect(() => operatorNormEstimate(k, { n: 2, padding: 'same' })).toThrow(/smaller than the 3x3 kernel/);
    const bad = { shape: k.shape, data: Float64Array.from(k.data) } as KernelHWIO;
    bad.data[7] = NaN;
    expect(() => operatorNormEstimate(bad, { n: 8, padding: 'same' })).toThrow(/finite weights/);
    expect(() =>
      operatorNormEstimate({ shape: [3, 3, 3], data: new Float64Array(27) } as unknown as KernelHWIO, {
        n: 8,
        padding: 'same',
      }),
    ).toThrow(/4-D kernel/);
    expect(() => operatorNormEstimate(k, { n: 8, padding: 'same', stride: 0 })).toThrow(KernelError);
    expect(() => operatorNormEstimate(k, { n: 8, padding: { top: -1, left: 0, bottom: 0, right: 0 } })).toThrow(
      /pads must be integers/,
    );
    expect(() => operatorNormEstimate(k, { n: 9, padding: 'circular', stride: 2 })).toThrow(/divisible by 2/);
    expect(() => operatorNormEstimate(k, { n: 8, padding: 'SAME' as 'same' })).toThrow(
      /padding must be 'same', 'valid', 'circular'/,
    );
  });
});
