/**
 * The fused F4 passes of f4-host.ts as a tiny WebAssembly SIMD module (f32x4), assembled here from readable
 * instructions. Why: V8 compiles the JS passes to scalar code (~1.5 GMAC/s); 4-wide float32 lanes do the same
 * four products several times faster, which decides whether 50 power iterations over ResNet-18 keep pace with a
 * BLAS (PyTorch) implementation. Used for c_out % 4 == 0 (every ResNet/VGG layer); otherwise the JS passes run.
 *
 * Layout and index conventions are exactly those of f4-host.ts (vectors of the block view), in float32:
 *   apply (v -> y):  y_T[o] += v_T[k,l,i] W, y_R[k,o] += v_R[l,i] W, y_S[l,o] += v_S[k,i] W, y_U[k,l,o] += v_U[i] W
 *   applyT (u -> z): z_T[k,l,i] += W . u_T, z_R[l,i] += W . u_R[k], z_S[k,i] += W . u_S[l], z_U[i] += W . u_U[k,l]
 * with W = W[k,l,i,:] a row of c_out weights, the inner loops over o in steps of 4.
 */

import {
  type Bytes, uleb, vec, section, I32, V128, get, set, i32, F32_ADD, f32Load, f32Store, vLoadAt, vStoreAt, SPLAT, V_ADD,
  V_MUL, ZERO4, forUp, add, mul, hsum, ADD,
  instantiateSimd,
  type WasmMemory,
} from './wasm-simd-encoder.js';

// Parameters (byte offsets and sizes): W h w ci co, in_T in_R in_S in_U, out_T out_R out_S out_U.
const [W, H, WD, CI, CO, IT, IR, IS, IU, OT, OR, OS, OU] = Array.from({ length: 13 }, (_, j) => j);
// Locals: i32 loop state and pointers, then v128 registers.
const [K, L, I, OFF, ROW, KL, WP, PR, PS, PU, PT, END] = Array.from({ length: 12 }, (_, j) => 13 + j);
const I32_LOCALS = 12;
const V0 = 13 + I32_LOCALS;
const V128_LOCALS = 12;
/**
 * apply's unroll factors over o (U vectors of 4 per loop turn; the largest dividing c_out / 4 is used).
 * Measured in V8 on 3x3x512x512: apply 1.15 ms at U = 1, 0.89 at U = 4; applyT gains nothing from unrolling
 * (its 4U accumulators spill the sixteen vector registers), but it does from taking two rows at a time, each u
 * vector load feeding both (applyTRows): 10-40% on 3x3x512x{256,512}. Keeping apply's outputs in registers
 * across rows instead (columns outer, rows inner) was slower for power-of-two c_out: rows 2^k bytes apart fall
 * into a few L1 sets.
 */
export const UNROLLS = [2, 1] as const;
type Unroll = (typeof UNROLLS)[number];
const SUB = [0x6b];

/** Loop nest over (k, l): ROW = 4 c_out bytes, KL = k w + l, and the R, S, U row pointers of `base`. */
function overKL(base: [number, number, number], inner: Bytes): Bytes {
  return [
    ...mul(get(CO), i32(4)), ...set(ROW),
    ...forUp(K, get(H), i32(1), forUp(L, get(WD), i32(1), [
      ...add(mul(get(K), get(WD)), get(L)), ...set(KL),
      ...add(get(base[0]), mul(get(K), get(ROW))), ...set(PR),
      ...add(get(base[1]), mul(get(L), get(ROW))), ...set(PS),
      ...add(get(base[2]), mul(get(KL), get(ROW))), ...set(PU),
      ...inner,
    ])),
  ];
}

const scalarAt = (base: number, index: Bytes): Bytes => add(get(base), mul(index, i32(4)));

/**
 * The byte address of v_X[col] (t = T, R, S, U) for row i + r of the current (k, l): col = kl ci + i, l ci + i,
 * k ci + i, i. applyT's outputs z_X have v_X's layout, so it passes its output bases.
 */
function coefAt(t: number, r: number, bases = [IT, IR, IS, IU]): Bytes {
  const i = r ? add(get(I), i32(1)) : get(I);
  const col = [add(mul(get(KL), get(CI)), i), add(mul(get(L), get(CI)), i), add(mul(get(K), get(CI)), i), i][t];
  return scalarAt(bases[t], col);
}

/** WP = row W[k,l,i,:], PT = row i + 1. */
const rowPointers: Bytes = [
  ...add(get(W), mul(add(mul(get(KL), get(CI)), get(I)), get(ROW))), ...set(WP),
  ...add(get(WP), get(ROW)), ...set(PT),
];

/**
 * apply: y_X[row + o] += a_X(i) W[k,l,i,o] (+ a_X(i+1) W[k,l,i+1,o]) for the four reshapes, R rows (1 or 2) and
 * U vectors of o per turn, a_X = v_X[col] splatted: with two rows each y vector is loaded and stored once for both.
 * The sum is taken in row order, as one row at a time would.
 */
function applyRows(R: 1 | 2, U: Unroll): Bytes {
  const a = (t: number, r: number) => V0 + 4 * r + t;
  const x = (r: number, j: number) => V0 + 8 + r * U + j;
  const ptrs = [OT, PR, PS, PU];
  const update = (t: number, j: number): Bytes => [
    ...add(get(ptrs[t]), get(OFF)),
    ...add(get(ptrs[t]), get(OFF)), ...vLoadAt(16 * j),
    ...Array.from({ length: R }, (_, r) => [...get(a(t, r)), ...get(x(r, j)), ...V_MUL, ...V_ADD]).flat(),
    ...vStoreAt(16 * j),
  ];
  return [
    ...Array.from({ length: R }, (_, r) => [0, 1, 2, 3].flatMap((t) => [...coefAt(t, r), ...f32Load, ...SPLAT, ...set(a(t, r))])).flat(),
    ...rowPointers,
    ...forUp(OFF, get(ROW), i32(16 * U), [
      ...Array.from({ length: R }, (_, r) => Array.from({ length: U }, (_, j) => [...add(get([WP, PT][r]), get(OFF)), ...vLoadAt(16 * j), ...set(x(r, j))]).flat()).flat(),
      ...Array.from({ length: U }, (_, j) => [0, 1, 2, 3].flatMap((t) => update(t, j))).flat(),
    ]),
  ];
}

/** Over (k, l), rows i in pairs (`rows(2)`), then an odd last row (`rows(1)`). */
function overRowPairs(base: [number, number, number], rows: (R: 1 | 2) => Bytes): Bytes {
  return overKL(base, [
    ...i32(0), ...set(I),
    ...get(CI), ...i32(1), ...SUB, ...set(END),
    0x02, 0x40, 0x03, 0x40,
    ...get(I), ...get(END), 0x4e, 0x0d, 1, // br_if (i >= ci - 1): no pair left
    ...rows(2),
    ...get(I), ...i32(2), ...ADD, ...set(I),
    0x0c, 0, 0x0b, 0x0b,
    ...get(I), ...get(CI), 0x48, 0x04, 0x40, // if (i < ci): the last row alone
    ...rows(1),
    0x0b,
  ]);
}

function applyBody(U: Unroll): Bytes {
  return overRowPairs([OR, OS, OU], (R) => applyRows(R, U));
}

/**
 * applyT: z_T[col] += W[k,l,i,:] . u_T, z_R[l ci + i] += W[k,l,i,:] . u_R[k,:], z_S[k ci + i] += . u_S[l,:],
 * z_U[i] += . u_U[k,l,:], two rows i at a time (R rows: 1 or 2), each u vector loaded once for both rows.
 * T accumulates too, so a kernel split into c_out blocks (f4-host.ts) sums its partial products in place.
 */
function applyTRows(R: 1 | 2): Bytes {
  const acc = (t: number, r: number) => V0 + 4 * r + t;
  const x = (r: number) => V0 + 8 + r;
  const a = V0 + 10;
  const uRow = [IT, PR, PS, PU];
  const accumulateTo = (ptr: Bytes, t: number, r: number): Bytes => [
    ...ptr, ...ptr, ...f32Load, ...hsum(acc(t, r)), ...F32_ADD, ...f32Store,
  ];
  const target = (t: number, r: number): Bytes => coefAt(t, r, [OT, OR, OS, OU]);
  return [
    ...Array.from({ length: 4 * R }, (_, j) => [...ZERO4, ...set(V0 + j)]).flat(),
    ...rowPointers,
    ...forUp(OFF, get(ROW), i32(16), [
      ...Array.from({ length: R }, (_, r) => [...add(get([WP, PT][r]), get(OFF)), ...vLoadAt(0), ...set(x(r))]).flat(),
      ...uRow.flatMap((p, t) => [
        ...add(get(p), get(OFF)), ...vLoadAt(0), ...set(a),
        ...Array.from({ length: R }, (_, r) => [...get(acc(t, r)), ...get(a), ...get(x(r)), ...V_MUL, ...V_ADD, ...set(acc(t, r))]).flat(),
      ]),
    ]),
    ...Array.from({ length: R }, (_, r) => [0, 1, 2, 3].flatMap((t) => accumulateTo(target(t, r), t, r))).flat(),
  ];
}

function applyTBody(): Bytes {
  return overRowPairs([IR, IS, IU], applyTRows);
}

function moduleBytes(): Uint8Array {
  const fnType = [0x60, ...vec(Array.from({ length: 13 }, () => [I32])), 0];
  const body = (code: Bytes): Bytes => {
    const b = [...vec([[...uleb(I32_LOCALS), I32], [...uleb(V128_LOCALS), V128]]), ...code, 0x0b];
    return [...uleb(b.length), ...b];
  };
  const name = (s: string): Bytes => vec([...s].map((c) => [c.charCodeAt(0)]));
  const bodies = [...UNROLLS.map((U) => body(applyBody(U))), body(applyTBody())];
  const exports = [
    ...UNROLLS.map((U, j) => [...name(`apply${U}`), 0x00, j]),
    [...name('applyT'), 0x00, UNROLLS.length],
    [...name('mem'), 0x02, 0],
  ];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([fnType])),
    ...section(3, vec(bodies.map(() => [0]))),
    ...section(5, vec([[0x00, ...uleb(1)]])),
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
  ]);
}

// --- the runtime ---------------------------------------------------------------------------------------------
type Pass = (...args: number[]) => void;
/** The slice of the WebAssembly API used here (the project's TS lib has no DOM typings). */
export interface F4SimdPasses {
  /** apply by unroll factor (see UNROLLS and applyFor). */
  apply: Record<Unroll, Pass>;
  applyT: Pass;
  memory: WasmMemory;
  /** The compiled module, for instances in other threads (f4-parallel.ts). */
  module: object;
}

let passes: F4SimdPasses | null | undefined;

/** The compiled passes, or null where WebAssembly SIMD is unavailable (then the JS passes are used). */
export function f4SimdPasses(): F4SimdPasses | null {
  if (passes !== undefined) return passes;
  const wasm = instantiateSimd(moduleBytes());
  if (!wasm) return (passes = null);
  const ex = wasm.exports;
  const apply = Object.fromEntries(UNROLLS.map((U) => [U, ex[`apply${U}`] as Pass])) as Record<Unroll, Pass>;
  return (passes = { apply, applyT: ex.applyT as Pass, memory: ex.mem as WasmMemory, module: wasm.module });
}

/** apply with the largest unroll whose 4U floats divide c_out (c_out must be a multiple of 4). */
export function applyFor(p: F4SimdPasses, co: number): Pass {
  return p.apply[UNROLLS.find((U) => co % (4 * U) === 0) ?? 1];
}

/** Grow the module's memory to at least `bytes` and return a float32 view of all of it. */
export function simdHeap(p: F4SimdPasses, bytes: number): Float32Array {
  const have = p.memory.buffer.byteLength;
  if (have < bytes) p.memory.grow(Math.ceil((bytes - have) / 65536));
  return new Float32Array(p.memory.buffer);
}
