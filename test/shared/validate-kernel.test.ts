import { describe, expect, it } from 'vitest';
import { KernelError, validateKernel, type KernelHWIO } from '../../src/shared/bounds.js';

const kernel = (data: ArrayLike<number>): KernelHWIO => ({ shape: [2, 3, 4, 5], data }) as KernelHWIO;

describe('validateKernel', () => {
  it.each([
    ['Float32Array', (n: number) => new Float32Array(n)],
    ['Float64Array', (n: number) => new Float64Array(n)],
    ['plain array', (n: number) => Array.from({ length: n }, () => 0)],
  ] as const)('names the first non-finite weight of a %s by its HWIO index', (_, make) => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const data = make(120).map((_, j) => Math.sin(j));
      validateKernel(kernel(data));
      // W[1][2][3][4] is the last element; W[0][1][2][3] = ((0*3 + 1)*4 + 2)*5 + 3 = 33.
      data[119] = bad;
      data[33] = bad;
      expect(() => validateKernel(kernel(data))).toThrow(new RegExp(`W\\[0\\]\\[1\\]\\[2\\]\\[3\\] is ${String(bad)}`));
      expect(() => validateKernel(kernel(data))).toThrow(KernelError);
    }
  });

  it('rejects null and strings in a plain array (weights read from JSON)', () => {
    const data: unknown[] = Array.from({ length: 120 }, () => 0.5);
    data[7] = null;
    expect(() => validateKernel(kernel(data as number[]))).toThrow(/W\[0\]\[0\]\[1\]\[2\] is null/);
    data[7] = '1';
    expect(() => validateKernel(kernel(data as number[]))).toThrow(/is 1; bounds need finite weights/);
  });
});
