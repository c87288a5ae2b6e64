import { describe, expect, it } from 'vitest';
import { instantiateKernel, type WasmMemory } from '../../src/main/engine/kernels/index.js';
import { stageScratchBytes } from '../../src/main/engine/bounds/methods/toeplitz-heap.js';
import { toeplitzBound } from '../../src/main/engine/bounds/methods/toeplitz.js';
import type { KernelHWIO } from '../../src/shared/bounds.js';

/**
 * The Toeplitz bound's DFT stages (kernels/toeplitz.wat rmix, cmixpm; toeplitz-inverse.wat cmixpminv, cmixr) read
 * their input rows through a lane-by-lane copy in the scratch (stageScratchBytes): each output must still be the
 * same chain of multiply-adds, in the same order, as the formula of toeplitz-enclosure.ts's accounting. The plain
 * variant (each multiply-add a rounded product, then a rounded add, as JavaScript computes) is compared bit for bit
 * with that formula written out here; the fused variant is the same text with the multiply-adds fused.
 */
type Exports = Record<'rmix' | 'cmixpm' | 'cmixpminv' | 'cmixr', (...args: number[]) => void>;

const Memory = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => WasmMemory } }).WebAssembly.Memory;
const memory = new Memory({ initial: 256 }); // 16 MB
const h = new Float64Array(memory.buffer);
function instance(name: 'toeplitz' | 'toeplitz-inverse'): Exports {
  const made = instantiateKernel(name, { fused: false }, { env: { memory } });
  if (!made) throw new Error(`${name}.wat (plain) does not run here`);
  return made.exports as unknown as Exports;
}
const { rmix, cmixpm } = instance('toeplitz');
const { cmixpminv, cmixr } = instance('toeplitz-inverse');

// Regions in bytes: twiddles (cos / real part, then sin / imaginary part), scratch, input, output. The rows' strides
// are multiples of 4 KB, as in the Toeplitz heap.
const [TW_RE, TW_IM, SC, IN, OUT] = [0, 16384, 32768, 2 ** 21, 2 ** 23];
// lanes: two whole 8 KB blocks and a part of one (multiples of 32 bytes, as P C with P, C even)
const LANES = 2 * 1024 + 328;
const STRIDE = 65536; // the imaginary parts half a stride on

let seed = 7;
const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 31 - 1;
function fill(): void {
  for (let i = 0; i < IN / 8; i++) h[i] = random();
  for (let i = IN / 8; i < OUT / 8; i++) h[i] = random() * 2 ** Math.floor(8 * random());
  h.fill(NaN, OUT / 8, OUT / 8 + 2 ** 20);
}
const tw = (re: boolean, f: number, k: number, K: number) => h[(re ? TW_RE : TW_IM) / 8 + f * K + k];
const at = (base: number, row: number, j: number, stride = STRIDE) => (base + row * stride) / 8 + j;

/** Runs fn over the lanes in the chunks a split between two threads gives (16 KB each), then whole. */
function bothWays(fn: (j0: number, j1: number) => void, check: () => void): void {
  const bytes = LANES * 8;
  for (let j0 = 0; j0 < bytes; j0 += 16384) fn(j0, Math.min(bytes, j0 + 16384));
  check();
  h.fill(NaN, OUT / 8, OUT / 8 + 2 ** 20);
  fn(0, bytes);
  check();
}

/** The output (re at OUT + row STRIDE, im at half the stride on) against the formula's values, bit for bit. */
function expectRows(rows: number, formula: (row: number, j: number) => [number, number], complex = true): void {
  let mismatches = 0;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < LANES; j++) {
      const [re, im] = formula(r, j);
      if (!Object.is(h[at(OUT, r, j)], re)) mismatches++;
      if (complex && !Object.is(h[at(OUT + STRIDE / 2, r, j)], im)) mismatches++;
    }
  }
  expect(mismatches).toBe(0);
}

describe('the DFT stages read through the scratch compute the formula bit for bit (plain variant)', () => {
  it('has room: the scratch of K rows fits stageScratchBytes(K)', () => {
    // cmixpminv: 32 KB of pair sums and 64 bytes of twiddles per u (the largest)
    expect(stageScratchBytes(17)).toBe(17 * (32768 + 64));
  });

  for (const [K, F] of [
    [17, 17],
    [5, 5],
    [3, 3],
    [9, 6],
  ]) {
    it(`rmix (real rows, K = ${K}, F = ${F}): out[f] = sum_k (c + i s)[f][k] in[k]`, () => {
      fill();
      bothWays(
        (j0, j1) => rmix(IN, STRIDE, K, TW_RE, TW_IM, F, OUT, OUT + STRIDE / 2, STRIDE, SC, j0, j1),
        () =>
          expectRows(F, (f, j) => {
            let [re, im] = [0, 0];
            for (let k = 0; k < K; k++) {
              const x = h[at(IN, k, j)];
              [re, im] = [re + tw(true, f, k, K) * x, im + tw(false, f, k, K) * x];
            }
            return [re, im];
          }),
      );
    });

    it(`cmixpm (rows u, -u; K = ${K}, F = ${F}): out[+-u] = (A_r +- B_i) + i (A_i -+ B_r), A, B = sum_k (c, s) in[k]`, () => {
      fill();
      // sin 0 = 0 at u = 0, whose pair -u is itself (the row is written twice, alike)
      for (let k = 0; k < K; k++) h[TW_IM / 8 + k] = 0;
      const nh = 2 * F - 1;
      bothWays(
        (j0, j1) =>
          cmixpm(IN, IN + STRIDE / 2, STRIDE, K, TW_RE, TW_IM, F, nh, OUT, OUT + STRIDE / 2, STRIDE, SC, j0, j1),
        () =>
          expectRows(nh, (row, j) => {
            const u = row < F ? row : nh - row;
            let [ar, ai, br, bi] = [0, 0, 0, 0];
            for (let k = 0; k < K; k++) {
              const [c, s] = [tw(true, u, k, K), tw(false, u, k, K)];
              const [xr, xi] = [h[at(IN, k, j)], h[at(IN + STRIDE / 2, k, j)]];
              [ar, ai, br, bi] = [ar + c * xr, ai + c * xi, br + s * xr, bi + s * xi];
            }
            return row < F ? [ar + bi, ai - br] : [ar - bi, ai + br];
          }),
      );
    });

    it(`cmixpminv (from the pairs u, -u of 2K - 1 rows; K = ${K}, F = ${F}): the same chains`, () => {
      fill();
      const nh = 2 * K - 1;
      bothWays(
        (j0, j1) =>
          cmixpminv(IN, IN + STRIDE / 2, STRIDE, K, TW_RE, TW_IM, F, nh, OUT, OUT + STRIDE / 2, STRIDE, SC, j0, j1),
        () =>
          expectRows(F, (x, j) => {
            let [re, im] = [0, 0];
            for (let u = 0; u < K; u++) {
              const [c, s] = [tw(true, x, u, K), tw(false, x, u, K)];
              const [p, q] = [u, (nh - u) % nh];
              const [ar, ai] = [h[at(IN, p, j)], h[at(IN + STRIDE / 2, p, j)]];
              const [br, bi] = [h[at(IN, q, j)], h[at(IN + STRIDE / 2, q, j)]];
              re = re + c * (ar + br) - s * (ai - bi);
              im = im + c * (ai + bi) + s * (ar - br);
            }
            return [re, im];
          }),
      );
    });

    it(`cmixr (the real part only; K = ${K}, F = ${F}): re = sum_k c xr - s xi`, () => {
      fill();
      bothWays(
        (j0, j1) => cmixr(IN, IN + STRIDE / 2, STRIDE, K, TW_RE, TW_IM, F, OUT, STRIDE, SC, j0, j1),
        () =>
          expectRows(
            F,
            (f, j) => {
              let re = 0;
              for (let k = 0; k < K; k++)
                re = re + tw(true, f, k, K) * h[at(IN, k, j)] - tw(false, f, k, K) * h[at(IN + STRIDE / 2, k, j)];
              return [re, 0];
            },
            false,
          ),
      );
    });
  }
});

describe('toeplitzBound through the copied rows (K >= 7), in two threads where a helper runs', () => {
  it('SIMD and JavaScript (both float64) agree at t = 3 on 64 channels (the third step has 9 x 9 taps)', () => {
    // rows of 64 x 64 lanes (32 KB) reach toeplitz-heap.ts SPLIT_BYTES: the helper thread, where there is one,
    // computes some chunks of every stage, each with its own scratch
    let s = 99;
    const data = Float64Array.from({ length: 9 * 64 * 64 }, () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5);
    const k: KernelHWIO = { shape: [3, 3, 64, 64], data };
    const simd = toeplitzBound(k, 3, { path: 'simd', lastStep: 'float64' });
    const js = toeplitzBound(k, 3, { path: 'js' });
    expect(simd.path).toBe('simd');
    for (let j = 0; j < 3; j++)
      expect(Math.abs(simd.perIteration[j] / js.perIteration[j] - 1), `t=${j + 1}`).toBeLessThan(1e-12);
  });
});
