/**
 * Gram matrices of complex matrices stored split (real part, then imaginary part): M M^H or M^H M of one host
 * frequency matrix of fft2.ts (frequencyGram), and A A^H of any such matrix (rowGram: also the squares of Gram
 * iteration and the Toeplitz bound's Grams).
 */
import type { FrequencyMatrices } from './fft2.js';

/**
 * The Gram matrix of frequency f as a full Hermitian matrix (re, im row-major): side 'rows' gives M M^H
 * (rows x rows, the smaller one), side 'cols' gives M^H M (cols x cols).
 */
export function frequencyGram(
  fm: FrequencyMatrices,
  f: number,
  side: 'rows' | 'cols',
  re: Float64Array,
  im: Float64Array,
): void {
  const { rows: R, cols: C, data } = fm;
  const off = f * 2 * R * C;
  const offIm = off + R * C;
  if (side === 'rows') {
    rowGram(data, off, offIm, R, C, re, im);
    return;
  }
  re.fill(0, 0, C * C);
  im.fill(0, 0, C * C);
  for (let r = 0; r < R; r++) {
    const pr = off + r * C;
    const pi = offIm + r * C;
    for (let c1 = 0; c1 < C; c1++) {
      const a = data[pr + c1];
      const b = data[pi + c1];
      const g = c1 * C;
      for (let c2 = c1; c2 < C; c2++) {
        const x = data[pr + c2];
        const y = data[pi + c2];
        re[g + c2] += a * x + b * y;
        im[g + c2] += a * y - b * x;
      }
    }
  }
  for (let c1 = 0; c1 < C; c1++) {
    for (let c2 = 0; c2 < c1; c2++) {
      re[c1 * C + c2] = re[c2 * C + c1];
      im[c1 * C + c2] = -im[c2 * C + c1];
    }
  }
}

/**
 * A A^H (R x R, full Hermitian) of the complex R x C matrix A stored split in `data` (real part at offRe,
 * imaginary part at offIm, both row-major): entry (a, b) is the dot product of row a with conj(row b).
 */
export function rowGram(
  data: Float64Array,
  offRe: number,
  offIm: number,
  R: number,
  C: number,
  re: Float64Array,
  im: Float64Array,
): void {
  for (let a = 0; a < R; a++) {
    const pa = a * C;
    for (let b = 0; b <= a; b++) {
      let sr = 0;
      let si = 0;
      const pb = b * C;
      for (let c = 0; c < C; c++) {
        const xr = data[offRe + pa + c];
        const xi = data[offIm + pa + c];
        const yr = data[offRe + pb + c];
        const yi = data[offIm + pb + c];
        sr += xr * yr + xi * yi;
        si += xi * yr - xr * yi;
      }
      re[a * R + b] = sr;
      im[a * R + b] = si;
      re[b * R + a] = sr;
      im[b * R + a] = -si;
    }
  }
}
