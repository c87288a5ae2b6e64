import { describe, expect, it } from 'vitest';
import { columns4, correlationHeap } from '../../src/main/engine/bounds/methods/toeplitz-heap.js';
import { U32, gamma } from '../../src/main/engine/bounds/numerics/rounding.js';
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

/** P x C: P crosses gauss's 64-row bands and its 2 x 4 blocks' diagonal edge; C = 2 is a single column pair. */
const GRAM_SHAPES: [number, number][] = [
  [2, 2],
  [6, 4],
  [10, 30],
  [130, 8],
  [68, 66],
];

describe("the Toeplitz Grams (Gauss's three real products) within toeplitz-enclosure.ts's allowance, entrywise", () => {
  for (const path of ['simd', 'js'] as const) {
    for (const [P, C] of GRAM_SHAPES) {
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

/** The exact Z = A A^H's entry (a, b) of A = re + i im by dot2, and m_ab = sum_c |A_ac| |A_bc| (rounded up). */
function exactEntry(re: Float64Array, im: Float64Array, C: number, a: number, b: number) {
  const cols = Array.from({ length: C }, (_, c) => [a * C + c, b * C + c]);
  const pairs = (f: (i: number, j: number) => [number, number][]) => cols.flatMap(([i, j]) => f(i, j));
  const exRe = dot2(
    pairs((i, j) => [
      [re[i], re[j]],
      [im[i], im[j]],
    ]),
  );
  const exIm = dot2(
    pairs((i, j) => [
      [im[i], re[j]],
      [-re[i], im[j]],
    ]),
  );
  let m = 0;
  for (const [i, j] of cols) m += Math.hypot(re[i], im[i]) * Math.hypot(re[j], im[j]);
  return { exRe, exIm, m: m * (1 + 1e-12) };
}

describe('gauss32 (float32 Grams of the last step) within toeplitz-enclosure.ts gram32Allowance, entrywise', () => {
  // C4 = C rounded up to 4 (zero columns); blocks of 64 columns: C = 130 and 260 take 3 and 5 blocks
  for (const [P, C] of [...GRAM_SHAPES, [8, 260], [4, 130]]) {
    it(`P = ${P}, C = ${C}: against the exact Gram of the float32-rounded matrix`, () => {
      const heap = correlationHeap('simd');
      if (!heap.grams32) throw new Error('the SIMD heap has float32 Grams');
      const { re, im } = matrix(P, C, 7000 * P + C);
      const [src, dst, scratch] = [64, 64 + 16 * P * C, 64 + 16 * P * C + 16 * P * P];
      heap.ensure(scratch + 32 * P * (C + 2) + 64);
      const h = heap.f64;
      h.set(re, src / 8);
      h.set(im, src / 8 + P * C);
      heap.grams32([src, dst], P, C, scratch);
      const [re32, im32] = [re.map(Math.fround), im.map(Math.fround)];
      const C4 = columns4(C);
      const g = (1 + gamma(64 / 4 + 5, U32)) * (1 + gamma(Math.ceil(C4 / 64) + 3)) - 1;
      const under = 6 * C4 * 2 ** -149;
      let [worst, beyond64] = [0, false];
      for (let a = 0; a < P; a++) {
        for (let b = 0; b < P; b++) {
          const { exRe, exIm, m } = exactEntry(re32, im32, C, a, b);
          const errRe = Math.abs(h[dst / 8 + a * P + b] - exRe);
          const errIm = Math.abs(h[dst / 8 + P * P + a * P + b] - exIm);
          expect(errRe, `Re Z[${a}][${b}]`).toBeLessThanOrEqual(g * m + under);
          expect(errIm, `Im Z[${a}][${b}]`).toBeLessThanOrEqual(3 * g * m + under);
          worst = Math.max(worst, errRe / (g * m), errIm / (3 * g * m));
          beyond64 ||= errRe > gamma(C / 2 + 3) * m;
        }
      }
      // something to find, and float32 arithmetic indeed (errors beyond the float64 kernel's allowance)
      if (P * C > 4) expect(worst).toBeGreaterThan(0);
      if (P * C > 4) expect(beyond64).toBe(true);
    });
  }

  it('several Grams at once (the helper thread, where there is one, takes some) equal each computed alone', () => {
    const heap = correlationHeap('simd');
    const [P, C, n] = [34, 18, 5];
    const [inBytes, outBytes] = [16 * P * C, 16 * P * P];
    const scratch = 64 + n * (inBytes + 2 * outBytes);
    heap.ensure(scratch + 32 * P * (C + 2) + 64);
    const pairs = Array.from({ length: n }, (_, i) => [64 + i * inBytes, 64 + n * inBytes + i * outBytes]).flat();
    for (let i = 0; i < n; i++) {
      const { re, im } = matrix(P, C, 31 * i + 5);
      heap.f64.set(re, pairs[2 * i] / 8);
      heap.f64.set(im, pairs[2 * i] / 8 + P * C);
    }
    heap.grams32?.(pairs, P, C, scratch);
    const together = heap.f64.slice(pairs[1] / 8, pairs[1] / 8 + (n * outBytes) / 8);
    const alone = pairs.map((at, j) => (j % 2 ? at + n * outBytes : at));
    for (let i = 0; i < n; i++) heap.grams32?.([alone[2 * i], alone[2 * i + 1]], P, C, scratch);
    expect(heap.f64.slice(alone[1] / 8, alone[1] / 8 + (n * outBytes) / 8)).toEqual(together);
  });
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
