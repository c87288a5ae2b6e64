import { describe, expect, it } from 'vitest';
import { correlationHeap } from '../../src/main/engine/bounds/methods/toeplitz-heap.js';
import { gamma } from '../../src/main/engine/bounds/numerics/rounding.js';
import { kernelBytes, relaxedSimdAvailable, variantText } from '../../src/main/engine/kernels/index.js';

/** x y exactly as hi + lo (Dekker's product, Veltkamp's split). */
function twoProduct(x: number, y: number): [number, number] {
  const split = (v: number): [number, number] => {
    const c = 134217729 * v;
    const hi = c - (c - v);
    return [hi, v - hi];
  };
  const p = x * y;
  const [xh, xl] = split(x);
  const [yh, yl] = split(y);
  return [p, xl * yl - (p - xh * yh - xl * yh - xh * yl)];
}

/** sum_i x_i y_i as if in twice the working precision (Ogita, Rump & Oishi's Dot2): error ~u^2, far below the allowance. */
function dot2(terms: [number, number][]): number {
  let [s, c] = [0, 0];
  for (const [x, y] of terms) {
    const [p, e] = twoProduct(x, y);
    const t = s + p;
    const z = t - s;
    c += s - (t - z) + (p - z) + e;
    s = t;
  }
  return s + c;
}

/** A random complex P x C matrix with rows of mixed scale, some nearly parallel (cancellation in Im A A^H). */
function matrix(P: number, C: number, seed: number): { re: Float64Array; im: Float64Array } {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648), s / 2147483648 - 0.5);
  const [re, im] = [new Float64Array(P * C), new Float64Array(P * C)];
  for (let a = 0; a < P; a++) {
    const scale = 2 ** Math.round(8 * rnd());
    for (let c = 0; c < C; c++) {
      const like = a > 0 && a % 3 === 0 ? (a - 1) * C + c : -1; // every third row ~ the one before
      re[a * C + c] = like >= 0 ? re[like] * (1 + 1e-9 * rnd()) : scale * rnd();
      im[a * C + c] = like >= 0 ? im[like] * (1 - 1e-9 * rnd()) : scale * rnd();
    }
  }
  return { re, im };
}

describe("the Toeplitz Grams (Gauss's three real products) within toeplitz-enclosure.ts's allowance, entrywise", () => {
  // P crosses gauss's 64-row bands and its 2 x 4 blocks' diagonal edge; C = 2 is a single column pair.
  for (const path of ['simd', 'js'] as const) {
    for (const [P, C] of [
      [2, 2],
      [6, 4],
      [10, 30],
      [130, 8],
      [68, 66],
    ]) {
      it(`${path}: P = ${P}, C = ${C}`, () => {
        const heap = correlationHeap(path);
        expect(heap.path).toBe(path);
        const { re, im } = matrix(P, C, 1000 * P + C);
        const [src, dst, scratch] = [64, 64 + 16 * P * C, 64 + 16 * P * C + 16 * P * P];
        heap.ensure(scratch + 32 * P * C + 64);
        const h = heap.f64;
        h.set(re, src / 8);
        h.set(im, src / 8 + P * C);
        heap.grams([src, dst], P, C, scratch);
        const zr = h.subarray(dst / 8, dst / 8 + P * P);
        const zi = h.subarray(dst / 8 + P * P, dst / 8 + 2 * P * P);
        let worst = 0;
        for (let a = 0; a < P; a++) {
          for (let b = 0; b < P; b++) {
            const cols = Array.from({ length: C }, (_, c) => [a * C + c, b * C + c]);
            // Z_ab = sum_c A_ac conj(A_bc) = (xa xb + ya yb) + i (ya xb - xa yb)
            const exRe = dot2(
              cols.flatMap(
                ([i, j]) =>
                  [
                    [re[i], re[j]],
                    [im[i], im[j]],
                  ] as [number, number][],
              ),
            );
            const exIm = dot2(
              cols.flatMap(
                ([i, j]) =>
                  [
                    [im[i], re[j]],
                    [-re[i], im[j]],
                  ] as [number, number][],
              ),
            );
            let m = 0;
            for (const [i, j] of cols) m += Math.hypot(re[i], im[i]) * Math.hypot(re[j], im[j]);
            m *= 1 + 1e-12;
            const [errRe, errIm] = [Math.abs(zr[a * P + b] - exRe), Math.abs(zi[a * P + b] - exIm)];
            expect(errRe, `Re Z[${a}][${b}]`).toBeLessThanOrEqual(gamma(C / 2 + 3) * m);
            expect(errIm, `Im Z[${a}][${b}]`).toBeLessThanOrEqual(3 * gamma(C / 2 + 5) * m);
            worst = Math.max(worst, errRe / (gamma(C / 2 + 3) * m), errIm / (3 * gamma(C / 2 + 5) * m));
            // conjugate symmetry off the computed 2 x 2 diagonal blocks (the mirror is exact)
            if (Math.floor(a / 2) !== Math.floor(b / 2)) {
              expect(zr[b * P + a]).toBe(zr[a * P + b]);
              expect(zi[b * P + a]).toBe(-zi[a * P + b]);
            }
          }
        }
        // the products are not all exact (a 2 x 2 of short columns can be): the check has something to find
        if (P * C > 4) expect(worst).toBeGreaterThan(0);
      });
    }
  }
});

describe('kernels/toeplitz-gram.wat and toeplitz-inverse.wat', () => {
  const validate = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly
    .validate;
  it('compiles and validates plain (no relaxed SIMD in its text) and, where relaxed SIMD runs, fused; own and shared memory', () => {
    for (const name of ['toeplitz-gram', 'toeplitz-inverse'] as const) {
      for (const shared of [false, true]) {
        expect(validate(kernelBytes(name, { fused: false, shared }))).toBe(true);
        expect(/\(f64x2\.relaxed_/.test(variantText(name, { fused: false, shared }))).toBe(false);
        if (relaxedSimdAvailable()) expect(validate(kernelBytes(name, { fused: true, shared }))).toBe(true);
      }
    }
  });
});
