/**
 * The shared reference vectors (../shared/bounds-vectors.json, made by make_vectors.py in float64 with SVD),
 * read in place — never copied — and turned into HWIO kernels.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { F4Matrix, KernelHWIO } from '../../src/shared/bounds.js';

export interface F4Reference {
  constant_sqrt_hw: number;
  matrix_norms: Record<F4Matrix, number>;
  min_bound: number;
  argmin: F4Matrix;
}

export interface Evaluation {
  n: number;
  circular_s1_exact_fft: number;
  zero_same_s1_exact: number;
  zero_valid_s1_exact: number;
  circular_s2_exact: number | null;
  zero_same_tf_s2_exact: number;
  zero_sym_pad_s2_exact: number;
}

export interface VectorCase {
  id: string;
  shape_hwio: [number, number, number, number];
  weights_hwio: number[][][][];
  f4: F4Reference;
  f4_polyphase_stride2: F4Reference & { kernel_shape_oihw: [number, number, number, number] };
  circular_s1_exact_n256: number;
  evaluations: Evaluation[];
}

export const VECTORS_PATH = fileURLToPath(new URL('../../../shared/bounds-vectors.json', import.meta.url));

export function loadVectorCases(): VectorCase[] {
  return JSON.parse(readFileSync(VECTORS_PATH, 'utf8')).cases as VectorCase[];
}

export function caseKernel(c: VectorCase): KernelHWIO {
  return { shape: c.shape_hwio, data: new Float64Array(c.weights_hwio.flat(3)) };
}
