/**
 * The reference fields the spectral methods check (Gram iteration, Toeplitz bound, zero-padding pads), on top
 * of the shared loader in f4-vectors.ts. The JSON is read in place from ../shared/.
 */
import type { KernelHWIO } from '../../src/shared/bounds.js';
import { loadVectorCases, type Evaluation, type VectorCase } from './f4-vectors.js';

export { caseKernel } from './f4-vectors.js';

export type SpectralEvaluation = Evaluation & {
  gram_iteration_circular_s1: Record<'1' | '2' | '4' | '6', number>;
  zero_same_s1_pad_top_left: [number, number];
  zero_same_tf_s2_pad_top_left: [number, number];
  zero_sym_pad_s2_pad: [number, number];
};

export type SpectralCase = Omit<VectorCase, 'evaluations'> & {
  evaluations: SpectralEvaluation[];
  toeplitz_gram_bound_delattre2024: Record<'1' | '2' | '3' | '4', number>;
};

export function loadSpectralCases(): SpectralCase[] {
  return loadVectorCases() as unknown as SpectralCase[];
}

/** Every exact norm the file gives for a case (zero and circular padding, strides 1 and 2, every n, n = 256). */
export function exactValues(c: SpectralCase): number[] {
  const out = [c.circular_s1_exact_n256];
  for (const e of c.evaluations) {
    out.push(
      e.circular_s1_exact_fft,
      e.zero_same_s1_exact,
      e.zero_valid_s1_exact,
      e.zero_same_tf_s2_exact,
      e.zero_sym_pad_s2_exact,
    );
    if (e.circular_s2_exact !== null) out.push(e.circular_s2_exact);
  }
  return out;
}

export const relErr = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

/** A reproducible kernel with entries uniform in [-0.5, 0.5) (an LCG, so every test file sees the same one). */
export function randomKernel(shape: [number, number, number, number], seed: number): KernelHWIO {
  let a = seed >>> 0;
  const data = new Float64Array(shape.reduce((x, y) => x * y, 1));
  for (let i = 0; i < data.length; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    data[i] = a / 2 ** 32 - 0.5;
  }
  return { shape, data };
}
