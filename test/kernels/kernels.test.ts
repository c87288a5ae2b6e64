/**
 * The WebAssembly kernels as text (src/main/engine/kernels/*.wat): every variant compiles with wabt and validates,
 * the plain variant is the fused one with its multiply-adds lowered, both variants of the frequency kernel agree
 * with a float64 reference, and no TypeScript source holds WebAssembly opcode bytes any more.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  instantiateKernel,
  kernelBytes,
  relaxedSimdAvailable,
  unfuse,
  variantText,
  type KernelName,
  type WasmMemory,
} from '../../src/main/engine/kernels/index.js';

/** The project's TS lib has no WebAssembly typings. */
const wasmApi = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;

const KERNELS: Array<[KernelName, { fused: boolean; shared?: boolean }[]]> = [
  ['f4', [{ fused: true }, { fused: false }]],
  ['frequency', [{ fused: true }, { fused: false }]],
  ['heap', [{ fused: false }, { fused: false, shared: true }]],
  ['filter-grad', [true, false].flatMap((fused) => [{ fused }, { fused, shared: true }])],
  ['dft64', [true, false].flatMap((fused) => [{ fused }, { fused, shared: true }])],
];

describe('kernels as WebAssembly text', () => {
  it.each(KERNELS)('%s compiles and validates in every variant', (name, variants) => {
    for (const v of variants) {
      const bytes = kernelBytes(name, v);
      expect(wasmApi.validate(bytes)).toBe(v.fused ? relaxedSimdAvailable() : true);
      const text = variantText(name, v);
      // Instructions, not the comments that name them: only fused variants of kernels that multiply-add keep them.
      expect(/\((f32x4|f64x2)\.relaxed_/.test(text)).toBe(v.fused && name !== 'heap');
      expect(text.includes('shared))')).toBe(!!v.shared);
    }
  });

  it('the plain variant lowers relaxed multiply-adds to their unfused definitions (nested, with comments)', () => {
    const src =
      '(f32x4.relaxed_madd (local.get $a) ;; a\n (local.get $b) (f32x4.relaxed_nmadd (local.get $c) (local.get $d) (local.get $e)))';
    expect(unfuse(src)).toBe(
      '(f32x4.add (f32x4.sub (local.get $e) (f32x4.mul (local.get $c) (local.get $d))) (f32x4.mul (local.get $a) (local.get $b)))',
    );
    expect(unfuse('(f64x2.relaxed_madd (local.get 0) (local.get 1) (local.get 2))')).toBe(
      '(f64x2.add (local.get 2) (f64x2.mul (local.get 0) (local.get 1)))',
    );
    expect(() => unfuse('(f32x4.relaxed_madd $a (local.get $b) (local.get $c))')).toThrow(/folded expression/);
  });

  it('the relaxed SIMD probe validates here (the test runner starts with --experimental-wasm-relaxed-simd)', () => {
    expect(relaxedSimdAvailable()).toBe(true);
  });

  // w = M M^H q for a 3 x 8 complex M (odd rows: the pair loop and the last row), fused and plain.
  it.each([true, false])('frequency.wat gram (fused %s) and gram64 match a float64 reference', (fused) => {
    const k = instantiateKernel('frequency', { fused })!;
    const mem = k.exports.mem as WasmMemory;
    const [R, C] = [3, 8];
    const re = Array.from({ length: R * C }, (_, j) => Math.sin(j * 1.3));
    const im = Array.from({ length: R * C }, (_, j) => Math.cos(j * 0.7));
    const q = Array.from({ length: 2 * R }, (_, j) => 0.5 - j / 7);
    const expected = new Float64Array(2 * R);
    for (let r = 0; r < R; r++) {
      for (let s = 0; s < R; s++) {
        // (M M^H)[r, s] = sum_c M[r, c] conj(M[s, c])
        let gr = 0;
        let gi = 0;
        for (let c = 0; c < C; c++) {
          const [ar, ai, br, bi] = [re[r * C + c], im[r * C + c], re[s * C + c], -im[s * C + c]];
          gr += ar * br - ai * bi;
          gi += ar * bi + ai * br;
        }
        expected[r] += gr * q[s] - gi * q[R + s];
        expected[R + r] += gr * q[R + s] + gi * q[s];
      }
    }
    for (const [fn, Arr] of [
      ['gram', Float32Array],
      ['gram64', Float64Array],
    ] as const) {
      const b = Arr.BYTES_PER_ELEMENT;
      const heap = new Arr(mem.buffer);
      const [m, qAt, y, w] = [0, 2 * R * C, 2 * R * C + 2 * R, 2 * R * C + 2 * R + 2 * C];
      heap.set([...re, ...im], m);
      heap.set(q, qAt);
      (k.exports[fn] as (...a: number[]) => void)(m * b, R, C, qAt * b, y * b, w * b);
      const got = Array.from(heap.subarray(w, w + 2 * R));
      got.forEach((v, j) => expect(v).toBeCloseTo(expected[j], fn === 'gram' ? 4 : 10));
    }
  });

  it('no TypeScript source holds WebAssembly opcode bytes (the kernels are .wat text)', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)],
      );
    const root = path.join(import.meta.dirname, '../../src');
    // The SIMD prefix byte followed by an opcode, or the module header's magic number.
    const opcodes = /0xfd,\s*0x[0-9a-f]{2}|0x00,\s*0x61,\s*0x73,\s*0x6d/i;
    const offenders = files(root).filter((f) => /\.(ts|vue)$/.test(f) && opcodes.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
