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
  V_MUL, V_MADD, ZERO4, forUp, add, mul, hsum, ADD,
  instantiateSimd, relaxedSimdAvailable,
  type WasmMemory,
} from './wasm-simd-encoder.js';

// Parameters (byte offsets and sizes): W h w ci co, in_T in_R in_S in_U, out_T out_R out_S out_U.
// (A c_out block read in place from the whole kernel, rows 4 c_out bytes apart, was 1.7x slower on 3x3x512x512
// than the contiguous copy that f4-host.ts makes: a 2 KB stride uses 1/32 of L2's sets.)
const PARAMS = 13;
const [W, H, WD, CI, CO, IT, IR, IS, IU, OT, OR, OS, OU] = Array.from({ length: PARAMS }, (_, j) => j);
// Locals: i32 loop state and pointers, then v128 registers.
const [K, L, I, OFF, ROW, KL, WP, PR, PS, PU, PT, END] = Array.from({ length: 12 }, (_, j) => PARAMS + j);
const I32_LOCALS = 12;
const V0 = PARAMS + I32_LOCALS;
const V128_LOCALS = 13;
/** apply's running sum between rows when it multiply-adds with relaxed_madd (whose addend is on top). */
const TMP = V0 + 12;
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
function applyRows(R: 1 | 2, U: Unroll, fma: boolean): Bytes {
  const a = (t: number, r: number) => V0 + 4 * r + t;
  const x = (r: number, j: number) => V0 + 8 + r * U + j;
  const ptrs = [OT, PR, PS, PU];
  const y = (t: number, j: number): Bytes => [...add(get(ptrs[t]), get(OFF)), ...vLoadAt(16 * j)];
  const sum = (t: number, j: number): Bytes =>
    fma
      ? Array.from({ length: R }, (_, r) => [...(r ? set(TMP) : []), ...get(a(t, r)), ...get(x(r, j)), ...(r ? get(TMP) : y(t, j)), ...V_MADD]).flat()
      : [...y(t, j), ...Array.from({ length: R }, (_, r) => [...get(a(t, r)), ...get(x(r, j)), ...V_MUL, ...V_ADD]).flat()];
  const update = (t: number, j: number): Bytes => [...add(get(ptrs[t]), get(OFF)), ...sum(t, j), ...vStoreAt(16 * j)];
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

function applyBody(U: Unroll, fma: boolean): Bytes {
  return overRowPairs([OR, OS, OU], (R) => applyRows(R, U, fma));
}

/**
 * applyT: z_T[col] += W[k,l,i,:] . u_T, z_R[l ci + i] += W[k,l,i,:] . u_R[k,:], z_S[k ci + i] += . u_S[l,:],
 * z_U[i] += . u_U[k,l,:], two rows i at a time (R rows: 1 or 2), each u vector loaded once for both rows.
 * T accumulates too, so a kernel split into c_out blocks (f4-host.ts) sums its partial products in place.
 */
function applyTRows(R: 1 | 2, fma: boolean): Bytes {
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
        ...Array.from({ length: R }, (_, r) =>
          fma
            ? [...get(a), ...get(x(r)), ...get(acc(t, r)), ...V_MADD, ...set(acc(t, r))]
            : [...get(acc(t, r)), ...get(a), ...get(x(r)), ...V_MUL, ...V_ADD, ...set(acc(t, r))],
        ).flat(),
      ]),
    ]),
    ...Array.from({ length: R }, (_, r) => [0, 1, 2, 3].flatMap((t) => accumulateTo(target(t, r), t, r))).flat(),
  ];
}

function applyTBody(fma: boolean): Bytes {
  return overRowPairs([IR, IS, IU], (R) => applyTRows(R, fma));
}

/**
 * blockCopy(src, dst, np, co, bw): the kernel at byte src (np rows of co floats) into c_out blocks at byte dst, as
 * f4-blocks.copyBlocked lays them out (block o0 at np o0 floats, its rows min(bw, co - o0) floats). Row by row with
 * memory.copy: the source is read once in order, ~5x faster than the same copy from JavaScript.
 */
function blockCopyBody(): Bytes {
  const [SRC, DST, NP, CO_, BW] = [0, 1, 2, 3, 4];
  const [P, O0, N] = [5, 6, 7];
  const MEMORY_COPY = [0xfc, 0x0a, 0x00, 0x00];
  const SELECT = [0x1b];
  const LT_S = [0x48];
  const SUB_ = [0x6b];
  const rest = [...get(CO_), ...get(O0), ...SUB_];
  const b = [
    ...vec([[...uleb(3), I32]]),
    ...forUp(P, get(NP), i32(1), forUp(O0, get(CO_), get(BW), [
      ...get(BW), ...rest, ...get(BW), ...rest, ...LT_S, ...SELECT, ...set(N),
      ...add(get(DST), mul(add(mul(get(NP), get(O0)), mul(get(P), get(N))), i32(4))),
      ...add(get(SRC), mul(add(mul(get(P), get(CO_)), get(O0)), i32(4))),
      ...mul(get(N), i32(4)),
      ...MEMORY_COPY,
    ])),
    0x0b,
  ];
  return [...uleb(b.length), ...b];
}

/** The module, its multiply-adds fused (relaxed_madd) where `fma`. */
function moduleBytes(fma: boolean): Uint8Array {
  const fnType = [0x60, ...vec(Array.from({ length: PARAMS }, () => [I32])), 0];
  const copyType = [0x60, ...vec(Array.from({ length: 5 }, () => [I32])), 0];
  const body = (code: Bytes): Bytes => {
    const b = [...vec([[...uleb(I32_LOCALS), I32], [...uleb(V128_LOCALS), V128]]), ...code, 0x0b];
    return [...uleb(b.length), ...b];
  };
  const name = (s: string): Bytes => vec([...s].map((c) => [c.charCodeAt(0)]));
  const bodies = [...UNROLLS.map((U) => body(applyBody(U, fma))), body(applyTBody(fma))];
  const exports = [
    ...UNROLLS.map((U, j) => [...name(`apply${U}`), 0x00, j]),
    [...name('applyT'), 0x00, UNROLLS.length],
    [...name('blockCopy'), 0x00, UNROLLS.length + 1],
    [...name('mem'), 0x02, 0],
  ];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([fnType, copyType])),
    ...section(3, vec([...bodies.map(() => [0]), [1]])),
    ...section(5, vec([[0x00, ...uleb(1)]])),
    ...section(7, vec(exports)),
    ...section(10, vec([...bodies, blockCopyBody()])),
  ]);
}

// --- the runtime ---------------------------------------------------------------------------------------------
type Pass = (...args: number[]) => void;
/** The slice of the WebAssembly API used here (the project's TS lib has no DOM typings). */
export interface F4SimdPasses {
  /** apply by unroll factor (see UNROLLS and applyFor). */
  apply: Record<Unroll, Pass>;
  applyT: Pass;
  /** See blockCopyBody. */
  blockCopy: (src: number, dst: number, np: number, co: number, bw: number) => void;
  memory: WasmMemory;
  /** The compiled module, for instances in other threads (f4-parallel.ts). */
  module: object;
  /** Whether its multiply-adds are fused (relaxed SIMD; see relaxedSimdAvailable). */
  fma: boolean;
}

let passes: F4SimdPasses | null | undefined;

/** The passes compiled with (fma) or without fused multiply-adds; null where that module does not compile here. */
export function createF4SimdPasses(fma: boolean): F4SimdPasses | null {
  if (fma && !relaxedSimdAvailable()) return null;
  const wasm = instantiateSimd(moduleBytes(fma));
  if (!wasm) return null;
  const ex = wasm.exports;
  const apply = Object.fromEntries(UNROLLS.map((U) => [U, ex[`apply${U}`] as Pass])) as Record<Unroll, Pass>;
  const blockCopy = ex.blockCopy as F4SimdPasses['blockCopy'];
  return { apply, applyT: ex.applyT as Pass, blockCopy, memory: ex.mem as WasmMemory, module: wasm.module, fma };
}

/**
 * The compiled passes, fused where relaxed SIMD is available, or null where WebAssembly SIMD is unavailable (then
 * the JS passes are used).
 */
export function f4SimdPasses(): F4SimdPasses | null {
  if (passes !== undefined) return passes;
  return (passes = createF4SimdPasses(true) ?? createF4SimdPasses(false));
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
