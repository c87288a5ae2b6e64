/**
 * An independent, adversarial check of the float32 Grams of the Toeplitz bound's last step (kernels/toeplitz-gram.wat
 * gauss32) against what toeplitz-enclosure.ts charges for them (gram32Allowance, through correlationError).
 *
 * (a) Per Gram, on inputs built to maximise the error (a huge dynamic range within a row reaching float32's subnormals
 * and below, nearly parallel and anti-parallel rows, coherent half-ulp roundings to float32 of a rank-one matrix,
 * entries near float32's overflow, C around the 64-column flush and the 4-column padding, P across the 64-row bands),
 * in both kernel variants (relaxed_madd fused and lowered to mul + add): the computed Gram against the exact Gram of
 * the float64 M (not of M rounded to float32), ||fl(G) - M M^H||_F <= H and ||fl(G)||_F <= G, the two per-frequency
 * terms the enclosure charges (D = 0: M itself is the exact input), and entrywise against the bound the proof's
 * steps give (|Delta_a| |A_b| + |M_a| |Delta_b| + g m_ab, 3 g m_ab for Im, Delta = A - M, A = fl32(M)).
 * Measured (both variants): ||fl(G) - M M^H||_F reaches 0.27 of H (swamp), 0.125 (ties), 0.03 (halfway), 0.01 to 0.02
 * otherwise; entrywise 0.70 of the proof's bound (swamp: the 16-term chains are sharp), 0.2 (ties), <= 0.18 otherwise.
 * (b) End to end: the float32 value never below the true norm where the Delattre bound is exact (rank-one kernels
 * with a constant side, whose Schur test is tight at every step), nor below the float64 value's low end.
 */
import { describe, expect, it } from 'vitest';
import type { KernelHWIO } from '../../src/shared/bounds.js';
import { toeplitzBound } from '../../src/main/engine/bounds/methods/toeplitz.js';
import { correlationError } from '../../src/main/engine/bounds/methods/toeplitz-enclosure.js';
import { columns4 } from '../../src/main/engine/bounds/methods/toeplitz-heap.js';
import { gridOf, type StepNorms } from '../../src/main/engine/bounds/methods/toeplitz-step.js';
import { ENCLOSURE_SLACK, U32, UNDERFLOW64, gamma, sumUpper } from '../../src/main/engine/bounds/numerics/rounding.js';
import { instantiateKernel, relaxedSimdAvailable, type WasmMemory } from '../../src/main/engine/kernels/index.js';

const UNDERFLOW32 = 2 ** -149;

/**
 * gram32Allowance transcribed (it is not exported): H bounds ||fl(G) - M M^H||_F and G bounds ||fl(G)||_F, from the
 * computed trace sq of fl(G) and the forward DFT's D. Pinned to correlationError below, so it is what the engine charges.
 */
function charged(P: number, C: number, sq: number, D: number): { H: number; G: number } {
  const C4 = columns4(C);
  const g = (1 + gamma(64 / 4 + 5, U32)) * (1 + gamma(Math.ceil(C4 / 64) + 3)) - 1;
  const e0 = Math.sqrt(2 * P * C) * UNDERFLOW32;
  const A2 = (sumUpper(sq, P) + 4 * P * C4 * UNDERFLOW32) / (1 - g);
  const Af = Math.sqrt(A2);
  const D32 = D + (U32 * (Af + e0)) / (1 - U32) + e0;
  const F = Math.sqrt(10) * g * A2 + 8 * P * C4 * UNDERFLOW32;
  return { H: D32 * (2 * Af + D32) + F, G: A2 + F };
}

/** correlationError of a 1 x 1-tap step with one frequency of weight 1, from the transcription above. */
function correlationFromCharged(P: number, C: number, sq: number, yFro: number): number {
  const D = 16 * gamma(2 * 2 + 20) * yFro;
  const { H, G } = charged(P, C, sq, D);
  const underflow = UNDERFLOW64 * (4 * (4 + C) + 64) * P;
  const fromH = Math.SQRT2 * Math.sqrt(sumUpper(H * H, 1)) * ENCLOSURE_SLACK;
  return (fromH + 16 * gamma(2 * 2 + 20) * sumUpper(G, 1) + underflow) * ENCLOSURE_SLACK;
}

/** A seeded uniform [0, 1) generator (LCG), and a standard normal from it. */
function rng(seed: number): { u: () => number; n: () => number } {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
  return { u, n: () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()) };
}

type Complex = { re: Float64Array; im: Float64Array };

/** The adversarial families of P x C complex matrices M (row-major). */
const families: Record<string, (P: number, C: number, seed: number) => Complex> = {
  gaussian: (P, C, seed) => fill(P, C, seed, (r) => [r.n(), r.n()]),
  // magnitudes 2^-160 .. 2^20 in every row: float32 subnormals (< 2^-126), flushes to zero (< 2^-150), cancellation
  range: (P, C, seed) =>
    fill(P, C, seed, (r) => [2 ** (-160 + 180 * r.u()) * Math.sign(r.u() - 0.5), 2 ** (-160 + 180 * r.u()) * r.n()]),
  // |entries| ~2^-68 .. 2^-62: nearly every product a float32 subnormal (< 2^-126), whose gradual underflow (<= 2^-150
  // per product) is what the allowance charges: a flush to zero would err ~1e6 times more
  tiny: (P, C, seed) => fill(P, C, seed, (r) => [2 ** (-68 + 6 * r.u()) * r.n(), 2 ** (-68 + 6 * r.u()) * r.n()]),
  // every product exactly 2^-150, half the least subnormal: each rounds (to even) to 0, all errors of one sign
  ties: (P, C, seed) => fill(P, C, seed, () => [2 ** -75, 2 ** -75]),
  // each block of four rows: v, v (1 + 2^-30 noise), -v, i v (Re and Im of A A^H cancel to ~u32 of the terms)
  parallel: (P, C, seed) => {
    const M = fill(P, C, seed, (r) => [r.n(), r.n()]);
    const r = rng(seed + 1);
    for (let a = 0; a < P; a++) {
      const [k, b] = [a % 4, (a - (a % 4)) * C];
      for (let c = 0; k > 0 && c < C; c++) {
        const [x, y] = [M.re[b + c], M.im[b + c]];
        const e = 1 + 2 ** -30 * r.n();
        [M.re[a * C + c], M.im[a * C + c]] = k === 1 ? [x * e, y / e] : k === 2 ? [-x, -y] : [-y * e, x];
      }
    }
    return M;
  },
  // rank one, every entry just under half an ulp above a power of two: fl32 rounds each down by ~u32 (coherently),
  // so fl32(M) M^H errs by ~2 u32 ||M||_F^2 in Frobenius norm, the most the rounding of M can do
  halfway: (P, C, seed) => {
    const r = rng(seed);
    const row = Array.from({ length: 2 * C }, () => 2 ** Math.floor(-4 * r.u()) * (1 + 2 ** -24 * (1 - 2 ** -20)));
    return fill(P, C, seed, (_, c) => [row[2 * c], row[2 * c + 1]]);
  },
  // each lane's chain starts with 1 and then adds delta^2 just under half an ulp of 1, lost 15 times in a row (the
  // classic worst case of recursive summation): ~15 u32 of an allowed g ~ 21 u32 where the chains restart every 64
  // columns as claimed; without the flush a chain of C / 4 terms would lose ~(C / 4 - 1) u32, more than g from C = 96
  swamp: (P, C, seed) => {
    const delta = Math.fround(0.99 * 2 ** -12);
    return fill(P, C, seed, (r, c) => [c < 4 ? 1 : delta, c < 4 || r.u() < 0.5 ? 0 : delta]);
  },
  // |entries| ~ 2^55: products ~2^110, the Grams' sums up to ~2^122 < 2^128 for C <= 1026 (beyond anything the
  // engine passes: its M is a DFT of a kernel normalised to [1, 2), so |M| < 2 s_h s_w)
  huge: (P, C, seed) => fill(P, C, seed, (r) => [2 ** 55 * r.n(), 2 ** 55 * r.n()]),
};

function fill(P: number, C: number, seed: number, f: (r: ReturnType<typeof rng>, c: number) => [number, number]) {
  const r = rng(seed);
  const [re, im] = [new Float64Array(P * C), new Float64Array(P * C)];
  for (let i = 0; i < P * C; i++) [re[i], im[i]] = f(r, i % C);
  return { re, im };
}

interface W {
  Memory: new (d: { initial: number }) => WasmMemory;
}

/** gauss32 of one kernel variant on a memory of its own: fl(G) of M (Re at [0, P^2), Im after). */
function gauss32(fused: boolean): (M: Complex, P: number, C: number) => Float64Array {
  const memory = new (globalThis as unknown as { WebAssembly: W }).WebAssembly.Memory({ initial: 1 });
  const made = instantiateKernel('toeplitz-gram', { fused, shared: false }, { env: { memory } });
  if (!made) throw new Error('toeplitz-gram does not instantiate');
  const run = made.exports.gauss32 as (...args: number[]) => void;
  return (M, P, C) => {
    const [src, dst] = [0, 16 * P * C];
    const scratch = dst + 16 * P * P;
    const need = scratch + 16 * P * columns4(C) + 64;
    if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
    const h = new Float64Array(memory.buffer);
    h.set(M.re, 0);
    h.set(M.im, P * C);
    run(src, src + 8 * P * C, P, C, dst, dst + 8 * P * P, scratch);
    return h.slice(dst / 8, dst / 8 + 2 * P * P);
  };
}

/** s + p in double-double, p = x y exactly (Dekker's product, Veltkamp's split; no subnormal products here). */
function ddAddProduct(acc: [number, number], x: number, y: number): void {
  const split = (v: number): [number, number] => {
    const c = 134217729 * v;
    const hi = c - (c - v);
    return [hi, v - hi];
  };
  const p = x * y;
  const [[xh, xl], [yh, yl]] = [split(x), split(y)];
  const e = xl * yl - (p - xh * yh - xl * yh - xh * yl);
  const t = acc[0] + p;
  const z = t - acc[0];
  acc[1] += acc[0] - (t - z) + (p - z) + e;
  acc[0] = t;
}

/** The exact M M^H (to ~1e-30 relative of its terms, double-double sums): [Re, Im] of entry (a, b). */
function exactGram(M: Complex, P: number, C: number): Float64Array {
  const out = new Float64Array(2 * P * P);
  for (let a = 0; a < P; a++) {
    for (let b = 0; b <= a; b++) {
      const [re, im]: [number, number][] = [
        [0, 0],
        [0, 0],
      ];
      for (let c = 0; c < C; c++) {
        const [i, j] = [a * C + c, b * C + c];
        ddAddProduct(re, M.re[i], M.re[j]);
        ddAddProduct(re, M.im[i], M.im[j]);
        ddAddProduct(im, M.im[i], M.re[j]);
        ddAddProduct(im, -M.re[i], M.im[j]);
      }
      [out[a * P + b], out[b * P + a]] = [re[0] + re[1], re[0] + re[1]];
      [out[P * P + a * P + b], out[P * P + b * P + a]] = [im[0] + im[1], -(im[0] + im[1])];
    }
  }
  return out;
}

/**
 * Every entry of fl(G) within the bound the proof's steps give (rounded up by 1e-12 for this float64 evaluation):
 * (A A^H - M M^H)_ab = Delta_a . A_b^* + M_a . Delta_b^*, plus the kernel's own g m_ab (Re) or 3 g m_ab (Im) and the
 * subnormal products' 5 C4 2^-149. Returns the worst error / bound ratio.
 */
function entrywiseRatio(M: Complex, Z: Float64Array, X: Float64Array, P: number, C: number): number {
  const g = (1 + gamma(21, U32)) * (1 + gamma(Math.ceil(columns4(C) / 64) + 3)) - 1;
  const norm = (f: (i: number) => number, a: number) => {
    let s = 0;
    for (let c = 0; c < C; c++) s += f(a * C + c) ** 2;
    return Math.sqrt(s);
  };
  const mod = (f: (v: number) => number) => (i: number) => Math.hypot(f(M.re[i]), f(M.im[i]));
  const [nA, nM, nD] = [mod(Math.fround), mod((v) => v), mod((v) => Math.fround(v) - v)];
  const rows = (f: (i: number) => number) => Array.from({ length: P }, (_, a) => norm(f, a));
  const [rA, rM, rD] = [rows(nA), rows(nM), rows(nD)];
  let worst = 0;
  for (let a = 0; a < P; a++) {
    for (let b = 0; b < P; b++) {
      let m = 0;
      for (let c = 0; c < C; c++) m += nA(a * C + c) * nA(b * C + c);
      const base = (rD[a] * rA[b] + rM[a] * rD[b]) * (1 + 1e-12) + 5 * columns4(C) * UNDERFLOW32;
      const k = a * P + b;
      for (const [err, bound] of [
        [Math.abs(Z[k] - X[k]), base + g * m * (1 + 1e-12)],
        [Math.abs(Z[P * P + k] - X[P * P + k]), base + 3 * g * m * (1 + 1e-12)],
      ]) {
        expect(err, `entry (${a}, ${b})`).toBeLessThanOrEqual(bound);
        worst = Math.max(worst, err / bound);
      }
    }
  }
  return worst;
}

/** ||fl(G) - M M^H||_F / H and ||fl(G)||_F / G, H and G as charged for this Gram (its computed trace, D = 0). */
function chargedRatios(Z: Float64Array, X: Float64Array, P: number, C: number): { h: number; g: number } {
  let [sq, e2, z2] = [0, 0, 0];
  for (let a = 0; a < P; a++) sq += Z[a * (P + 1)];
  for (let k = 0; k < 2 * P * P; k++) [e2, z2] = [e2 + (Z[k] - X[k]) ** 2, z2 + Z[k] ** 2];
  const { H, G } = charged(P, C, sq, 0);
  return { h: Math.sqrt(e2) / H, g: Math.sqrt(z2) / G };
}

const variants = relaxedSimdAvailable() ? [false, true] : [false];

describe('the transcription of gram32Allowance is what correlationError charges', () => {
  for (const [P, C, sq, yFro] of [
    [4, 6, 3.7, 0],
    [130, 66, 1234.5, 1.5],
    [512, 512, 2 ** -200, 1],
    [8, 2, 0, 0],
  ]) {
    it(`P = ${P}, C = ${C}, trace ${sq}, ||Y||_F ${yFro}`, () => {
      const s = { sh: 1, sw: 1, P, C };
      const norms: StepNorms = { grid: gridOf(s), gram: 'float32', m2: [sq], weight: [1], grams: 1 };
      const engine = correlationError(s, norms, yFro, null);
      expect(Math.abs(engine - correlationFromCharged(P, C, sq, yFro))).toBeLessThanOrEqual(1e-12 * engine);
    });
  }
});

describe('gauss32 against the exact Gram of the float64 M, within what the enclosure charges', () => {
  // C even (the engine pads channels to even); 62 .. 66 and 126 .. 130 around the 64-column flush (C4 pads 62, 66,
  // 126, 130 by two zero columns), 514 and 1026 with 9 and 17 blocks; P = 130 across the 64-row bands
  const shapes: [number, number][] = [
    [2, 2],
    [4, 62],
    [6, 64],
    [4, 66],
    [6, 126],
    [4, 128],
    [6, 130],
    [4, 514],
    [4, 1026],
    [130, 10],
  ];
  for (const fused of variants) {
    for (const [name, make] of Object.entries(families)) {
      it(`${fused ? 'fused' : 'plain'} multiply-adds, ${name} matrices`, () => {
        const gram = gauss32(fused);
        let [h, e] = [0, 0];
        for (const [P, C] of shapes) {
          const M = make(P, C, 97 * P + C);
          const [Z, X] = [gram(M, P, C), exactGram(M, P, C)];
          e = Math.max(e, entrywiseRatio(M, Z, X, P, C));
          const r = chargedRatios(Z, X, P, C);
          expect(r.h, `P = ${P}, C = ${C}: ||fl(G) - M M^H||_F / H`).toBeLessThanOrEqual(1);
          expect(r.g, `P = ${P}, C = ${C}: ||fl(G)||_F / G`).toBeLessThanOrEqual(1);
          h = Math.max(h, r.h);
        }
        // float32 errors indeed (a float64 Gram would be ~1e-9 of H): the check has something to find
        expect(h).toBeGreaterThan(name === 'halfway' ? 0.02 : 1e-4);
        expect(e).toBeGreaterThan(name === 'swamp' ? 0.5 : 1e-4);
      });
    }
  }
});

/**
 * K[x][y][i][o] = k_xy v_i for every output channel o (co >= ci: the rows of the bound's matrices are the constant
 * side), k >= 0: every tap is rank one with the same factors, so the Toeplitz norm is sum(k) sqrt(co) ||v|| (at
 * frequency 0) and the Schur test of every step is exact (Z = c 1 1^T): the bound in exact arithmetic IS the norm,
 * and only the enclosure's allowance keeps the computed value above it.
 */
function rankOne(k: number[][], v: number[], co: number): { kernel: KernelHWIO; norm: number } {
  const [h, w, ci] = [k.length, k[0].length, v.length];
  const data = new Float64Array(h * w * ci * co);
  for (let xy = 0; xy < h * w; xy++) {
    for (let i = 0; i < ci; i++)
      data.fill(k[Math.floor(xy / w)][xy % w] * v[i], (xy * ci + i) * co, (xy * ci + i + 1) * co);
  }
  const sum = k.flat().reduce((s, x) => s + x, 0);
  return { kernel: { shape: [h, w, ci, co], data }, norm: sum * Math.sqrt(co) * Math.hypot(...v) };
}

/** Under half an ulp above 1 in float32 (rounded down by ~u32), then delta (its square lost against 1: swamp above). */
const worstRow = (C: number): number[] =>
  Array.from({ length: C }, (_, c) => (c < 4 ? 1 + 2 ** -24 * (1 - 2 ** -20) : Math.fround(0.99 * 2 ** -12)));

describe('toeplitzBound, float32 last step: never below the norm where the bound is exact', () => {
  const kernels: [string, { kernel: KernelHWIO; norm: number }, number[]][] = [
    [
      '1 x 1, 256 channels, each row rounded down and swamped (M = K exactly at t = 1)',
      rankOne([[1]], worstRow(256), 256),
      [1, 2],
    ],
    ['1 x 1, 63 -> 65 channels (padded to even)', rankOne([[1]], worstRow(63), 65), [1, 2, 3]],
    [
      '2 x 2, 16 channels, one dominant frequency',
      rankOne(
        [
          [1, 0.5],
          [0.25, 2],
        ],
        worstRow(16),
        16,
      ),
      [1, 2, 3],
    ],
    [
      '3 x 3 constant, 8 channels',
      rankOne(
        [
          [1, 1, 1],
          [1, 1, 1],
          [1, 1, 1],
        ],
        new Array(8).fill(1 + 2 ** -25),
        8,
      ),
      [1, 2],
    ],
  ];
  for (const [name, { kernel, norm }, ts] of kernels) {
    it(name, () => {
      for (const t of ts) {
        const r = toeplitzBound(kernel, t);
        expect(r.lastStepPrecision).toBe('float32');
        // the exact norm is computed in float64 to ~1e-15; the float32 roundings (uncovered) would take ~1e-7 off
        expect(r.value, `t = ${t}`).toBeGreaterThanOrEqual(norm * (1 - 1e-13));
        expect(r.value, `t = ${t}`).toBeLessThan(norm * (1 + 1e-4));
      }
    });
  }
});

/** Entries of random sign, magnitudes log-uniform over 10^lo .. 10^hi (or dense around a constant with `around`). */
function kernelOf(shape: [number, number, number, number], seed: number, draw: (r: ReturnType<typeof rng>) => number) {
  const r = rng(seed);
  const data = new Float64Array(shape.reduce((x, y) => x * y, 1)).map(() => draw(r));
  return { shape, data } as KernelHWIO;
}

describe('toeplitzBound, float32 last step: above the float64 value (its low end) on stressing kernels', () => {
  const spread = (r: ReturnType<typeof rng>) => 10 ** (-20 + 40 * r.u()) * Math.sign(r.u() - 0.5);
  const cases: [string, KernelHWIO, number[]][] = [
    ['weights of 1e-20 .. 1e+20, 3 x 3 x 8 x 8', kernelOf([3, 3, 8, 8], 11, spread), [1, 2, 3]],
    [
      'a dominant frequency (ones + 1e-6 noise), 3 x 3 x 16 x 16',
      kernelOf([3, 3, 16, 16], 12, (r) => 1 + 1e-6 * r.n()),
      [1, 2, 3],
    ],
    ['nearly rank one, 2 x 2 x 63 x 65', kernelOf([2, 2, 63, 65], 13, (r) => 0.5 + 2 ** -30 * r.n()), [1, 2]],
    ['random 1 x 2 x 512 x 512', kernelOf([1, 2, 512, 512], 14, (r) => r.n() / 32), [2]],
    ['random 3 x 3 x 64 x 512', kernelOf([3, 3, 64, 512], 15, (r) => r.n() / 24), [1]],
  ];
  for (const [name, kernel, ts] of cases) {
    it(name, () => {
      for (const t of ts) {
        const v32 = toeplitzBound(kernel, t).value;
        const v64 = toeplitzBound(kernel, t, { lastStep: 'float64' }).value;
        // v64 is within ~1e-10 of the exact-arithmetic bound: 1e-9 below it is under that value
        expect(v32, `t = ${t}`).toBeGreaterThanOrEqual(v64 * (1 - 1e-9));
        expect(v32, `t = ${t}`).toBeLessThanOrEqual(v64 * (1 + 1e-4));
      }
    });
  }

  it('scaled by 2^+-100 exactly as the kernel (the float32 rounding follows the power-of-two normalisation), 1e+-30 closely', () => {
    const k = kernelOf([3, 3, 8, 8], 16, (r) => r.n());
    const base = toeplitzBound(k, 2).value;
    for (const s of [2 ** 100, 2 ** -100]) {
      expect(toeplitzBound({ shape: k.shape, data: k.data.map((x) => x * s) }, 2).value).toBe(base * s);
    }
    for (const s of [1e30, 1e-30]) {
      const v = toeplitzBound({ shape: k.shape, data: k.data.map((x) => x * s) }, 2).value;
      expect(Math.abs(v - base * s)).toBeLessThanOrEqual(1e-6 * base * s);
    }
  });
});
