/**
 * The Gram product w = M M^H q of one frequency matrix (frequency-lanczos.ts) as a WebAssembly SIMD kernel on
 * float32 data. Why: the racing phase runs ~10 such products at every one of the n^2/2 frequencies; V8 compiles
 * the JS loop to scalar float64 code (~0.6 GMAC/s here), 4-wide float32 lanes do several times more and read
 * half the bytes. Float32 only screens frequencies: the survivors are confirmed in float64 (sedghi.ts).
 *
 * Layout (byte offsets into the module's memory, all float32): M real part (R x C, row-major) at m and its
 * imaginary part R*C floats further; q = (qr[R], qi[R]) at q; scratch y = (yr[C], yi[C]) at y; the result
 * (wr[R], wi[R]) at w. C must be a multiple of 4.
 */
import {
  type Bytes, uleb, vec, section, I32, V128, get, set, i32, f32Load, f32Store, vLoadAt, vStoreAt,
  SPLAT, V_ADD, V_MUL, ZERO4, forUp, add, mul, hsum,
  instantiateSimd,
  type WasmMemory,
} from './wasm-simd-encoder.js';
import type { HeapDft } from './fft2.js';

const V_SUB = [0xfd, 0xe5, 0x01];

// Parameters: m, R, C, q, y, w. Locals: i32 r, c, row pointers, C and R*C in bytes; then v128 registers.
const [M, R, C, Q, Y, WO] = [0, 1, 2, 3, 4, 5];
const [RR, CC, PM, PI, CB, IM] = [6, 7, 8, 9, 10, 11];
const [A, B, XR, XI, S, T, YR, YI] = [12, 13, 14, 15, 16, 17, 18, 19];
const I32_LOCALS = 6;
const V128_LOCALS = 8;

const v = (ptr: Bytes, off: Bytes): Bytes => [...add(ptr, off), ...vLoadAt(0)];
const fma = (acc: number, x: number, y: number, op: Bytes = V_ADD): Bytes => [...get(acc), ...get(x), ...get(y), ...V_MUL, ...op, ...set(acc)];

function gramBody(): Bytes {
  const yrAt = add(get(Y), get(CC));
  const yiAt = add(get(Y), get(CB), get(CC));
  return [
    ...mul(get(C), i32(4)), ...set(CB),
    ...mul(get(CB), get(R)), ...set(IM),
    // y = 0
    ...forUp(CC, get(CB), i32(16), [...yrAt, ...ZERO4, ...vStoreAt(0), ...yiAt, ...ZERO4, ...vStoreAt(0)]),
    // y = M^H q: yr += Mr qr + Mi qi, yi += Mr qi - Mi qr
    ...forUp(RR, get(R), i32(1), [
      ...add(get(Q), mul(get(RR), i32(4))), ...f32Load, ...SPLAT, ...set(A),
      ...add(get(Q), mul(add(get(RR), get(R)), i32(4))), ...f32Load, ...SPLAT, ...set(B),
      ...add(get(M), mul(get(RR), get(CB))), ...set(PM),
      ...add(get(PM), get(IM)), ...set(PI),
      ...forUp(CC, get(CB), i32(16), [
        ...v(get(PM), get(CC)), ...set(XR),
        ...v(get(PI), get(CC)), ...set(XI),
        ...v(get(Y), get(CC)), ...set(S),
        ...fma(S, XR, A), ...fma(S, XI, B),
        ...yrAt, ...get(S), ...vStoreAt(0),
        ...v(add(get(Y), get(CB)), get(CC)), ...set(T),
        ...fma(T, XR, B), ...fma(T, XI, A, V_SUB),
        ...yiAt, ...get(T), ...vStoreAt(0),
      ]),
    ]),
    // w = M y: wr = sum Mr yr - Mi yi, wi = sum Mr yi + Mi yr
    ...forUp(RR, get(R), i32(1), [
      ...add(get(M), mul(get(RR), get(CB))), ...set(PM),
      ...add(get(PM), get(IM)), ...set(PI),
      ...ZERO4, ...set(S), ...ZERO4, ...set(T),
      ...forUp(CC, get(CB), i32(16), [
        ...v(get(PM), get(CC)), ...set(XR),
        ...v(get(PI), get(CC)), ...set(XI),
        ...v(get(Y), get(CC)), ...set(YR),
        ...v(add(get(Y), get(CB)), get(CC)), ...set(YI),
        ...fma(S, XR, YR), ...fma(S, XI, YI, V_SUB),
        ...fma(T, XR, YI), ...fma(T, XI, YR),
      ]),
      ...add(get(WO), mul(get(RR), i32(4))), ...hsum(S), ...f32Store,
      ...add(get(WO), mul(add(get(RR), get(R)), i32(4))), ...hsum(T), ...f32Store,
    ]),
  ];
}

/**
 * Stage 2 of the DFT (fft2.ts, same names): for jj < jb in lanes of 4, P = sum_k a cs_k, Q = sum_k b sn_k,
 * R = sum_k b cs_k, S = sum_k a sn_k with (a, b) = T at tRe/tIm + k tStep + jj; K(u,v) = (P + Q, R - S) and,
 * when gRe >= 0, K(-u,v) = (P - Q, R + S). All pointers in bytes.
 */
const [TR, TI, TS, CSP, SNP, H, ORE, OIM, GRE, GIM, JB] = Array.from({ length: 11 }, (_, j) => j);
const [JJ, KK, TP, JBB] = [11, 12, 13, 14];
const [P, QQ, RS, SS, DA, DB, DC, DS] = [15, 16, 17, 18, 19, 20, 21, 22];
const I32_GE_S = [0x4e];

function combineBody(): Bytes {
  const store = (ptr: number, x: number, y: number, op: Bytes): Bytes => [...add(get(ptr), get(JJ)), ...get(x), ...get(y), ...op, ...vStoreAt(0)];
  return [
    ...mul(get(JB), i32(4)), ...set(JBB),
    ...forUp(JJ, get(JBB), i32(16), [
      ...ZERO4, ...set(P), ...ZERO4, ...set(QQ), ...ZERO4, ...set(RS), ...ZERO4, ...set(SS),
      ...forUp(KK, get(H), i32(1), [
        ...add(mul(get(KK), get(TS)), get(JJ)), ...set(TP),
        ...v(get(TR), get(TP)), ...set(DA),
        ...v(get(TI), get(TP)), ...set(DB),
        ...add(get(CSP), mul(get(KK), i32(4))), ...f32Load, ...SPLAT, ...set(DC),
        ...add(get(SNP), mul(get(KK), i32(4))), ...f32Load, ...SPLAT, ...set(DS),
        ...fma(P, DA, DC), ...fma(QQ, DB, DS), ...fma(RS, DB, DC), ...fma(SS, DA, DS),
      ]),
      ...store(ORE, P, QQ, V_ADD), ...store(OIM, RS, SS, V_SUB),
      ...get(GRE), ...i32(0), ...I32_GE_S, 0x04, 0x40,
      ...store(GRE, P, QQ, V_SUB), ...store(GIM, RS, SS, V_ADD),
      0x0b,
    ]),
  ];
}

function moduleBytes(): Uint8Array {
  const gramType = [0x60, ...vec(Array.from({ length: 6 }, () => [I32])), 0];
  const combineType = [0x60, ...vec(Array.from({ length: 11 }, () => [I32])), 0];
  const fn = (code: Bytes, i32s: number, v128s: number): Bytes => {
    const b = [...vec([[...uleb(i32s), I32], [...uleb(v128s), V128]]), ...code, 0x0b];
    return [...uleb(b.length), ...b];
  };
  const name = (s: string): Bytes => vec([...s].map((c) => [c.charCodeAt(0)]));
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([gramType, combineType])),
    ...section(3, vec([[0], [1]])),
    ...section(5, vec([[0x00, ...uleb(1)]])),
    ...section(7, vec([[...name('gram'), 0x00, 0], [...name('combine'), 0x00, 1], [...name('mem'), 0x02, 0]])),
    ...section(10, vec([fn(gramBody(), I32_LOCALS, V128_LOCALS), fn(combineBody(), 4, 8)])),
  ]);
}

export interface GramSimd {
  /** gram(m, R, C, q, y, w): byte offsets as in the header comment. */
  gram: (m: number, R: number, C: number, q: number, y: number, w: number) => void;
  /** Stage 2 of the DFT, see combineBody and fft2.ts HeapDft. */
  combine: HeapDft['combine'];
  memory: WasmMemory;
}

let kernel: GramSimd | null | undefined;

/** The compiled kernel, or null where WebAssembly SIMD is unavailable (then the float64 JS path is used). */
export function gramSimd(): GramSimd | null {
  if (kernel !== undefined) return kernel;
  const wasm = instantiateSimd(moduleBytes());
  if (!wasm) return (kernel = null);
  const ex = wasm.exports;
  return (kernel = { gram: ex.gram as GramSimd['gram'], combine: ex.combine as GramSimd['combine'], memory: ex.mem as WasmMemory });
}

/** Grow the module's memory to at least `bytes` and return a float32 view of all of it. */
export function gramHeap(k: GramSimd, bytes: number): Float32Array {
  const have = k.memory.buffer.byteLength;
  if (have < bytes) k.memory.grow(Math.ceil((bytes - have) / 65536));
  return new Float32Array(k.memory.buffer);
}
