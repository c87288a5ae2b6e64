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
  type Bytes, uleb, vec, section, I32, F32, V128, get, set, i32, f32Load, f32Store, vLoadAt, vStoreAt,
  SPLAT, V_ADD, V_MUL, V_MADD, ZERO4, forUp, add, mul, hsum,
  instantiateSimd, relaxedSimdAvailable,
  type WasmMemory,
} from './wasm-simd-encoder.js';
import type { HeapDft } from './fft2.js';

const V_SUB = [0xfd, 0xe5, 0x01];

// Parameters: m, R, C, q, y, w. Locals: i32 r, c, C and R*C in bytes, two rows' pointers, R rounded down to even;
// then v128 registers: q entries of a row, two rows' matrix lanes, y lanes, and 8 accumulators.
const [M, R, C, Q, Y, WO] = [0, 1, 2, 3, 4, 5];
const [RR, CC, CB, IM, P0, I0, P1, I1, RE, YIP] = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
const [A0, B0, XR0, XI0, XR1, XI1, S, T, YR, YI] = [16, 17, 18, 19, 20, 21, 22, 23, 24, 25];
const ACC = [26, 27, 28, 29, 30, 31, 32, 33];
const I32_LOCALS = 10;
const V128_LOCALS = 18;
const I32_LT_U = [0x49];

const v = (ptr: Bytes, off: Bytes): Bytes => [...add(ptr, off), ...vLoadAt(0)];
const V_NMADD = [0xfd, 0x86, 0x02]; // f32x4.relaxed_nmadd: c - a * b

/**
 * Whether the module being assembled fuses its multiply-adds (relaxed SIMD, see wasm-simd-encoder.ts): set by
 * moduleBytes for the duration of one build, read by the helpers below.
 */
let fused = false;

/** acc (op)= x * y on float32 lanes (op: V_ADD or V_SUB). */
const fma = (acc: number, x: number, y: number, op: Bytes = V_ADD): Bytes =>
  fused
    ? [...get(x), ...get(y), ...get(acc), ...(op === V_SUB ? V_NMADD : V_MADD), ...set(acc)]
    : [...get(acc), ...get(x), ...get(y), ...V_MUL, ...op, ...set(acc)];

/**
 * The lane type of the Gram product: float32 x 4 for the screening, float64 x 2 for the float64 confirmation
 * (same loops; the element size sets the strides, a v128 always holds 16 bytes).
 */
interface Lane {
  bytes: number;
  add: Bytes;
  sub: Bytes;
  mul: Bytes;
  /** relaxed_madd (a * b + c) and relaxed_nmadd (c - a * b). */
  madd: Bytes;
  nmadd: Bytes;
  splat: Bytes;
  load: Bytes;
  store: Bytes;
  hsum: (acc: number) => Bytes;
}
const F32X4: Lane = { bytes: 4, add: V_ADD, sub: V_SUB, mul: V_MUL, madd: V_MADD, nmadd: V_NMADD, splat: SPLAT, load: f32Load, store: f32Store, hsum };
const F64X2: Lane = {
  bytes: 8, add: [0xfd, 0xf0, 0x01], sub: [0xfd, 0xf1, 0x01], mul: [0xfd, 0xf2, 0x01], splat: [0xfd, 0x14],
  madd: [0xfd, 0x87, 0x02], nmadd: [0xfd, 0x88, 0x02],
  load: [0x2b, 3, 0], store: [0x39, 3, 0],
  hsum: (acc) => [...get(acc), 0xfd, 0x21, 0, ...get(acc), 0xfd, 0x21, 1, 0xa0],
};
const fmaL = (L: Lane, acc: number, x: number, y: number, sub = false): Bytes =>
  fused
    ? [...get(x), ...get(y), ...get(acc), ...(sub ? L.nmadd : L.madd), ...set(acc)]
    : [...get(acc), ...get(x), ...get(y), ...L.mul, ...(sub ? L.sub : L.add), ...set(acc)];
/** The value on the stack (op)= x * y, as fmaL does for a local (S is free during the sweeps that use it). */
const fmaTop = (L: Lane, x: number, y: number, sub = false): Bytes =>
  fused ? [...set(S), ...get(x), ...get(y), ...get(S), ...(sub ? L.nmadd : L.madd)] : [...get(x), ...get(y), ...L.mul, ...(sub ? L.sub : L.add)];
const qAt = (L: Lane, row: Bytes): Bytes => [...add(get(Q), mul(row, i32(L.bytes))), ...L.load, ...L.splat];

/** Row pointers of rows RR (and RR + 1): real part at P, imaginary part IM bytes further. */
const rowPointers: Bytes = [
  ...add(get(M), mul(get(RR), get(CB))), ...set(P0), ...add(get(P0), get(IM)), ...set(I0),
  ...add(get(P0), get(CB)), ...set(P1), ...add(get(I0), get(CB)), ...set(I1),
];

/** for (CC = 0; CC < CB; CC += 16) body — (unrolling two groups per iteration measured no faster here). */
const columns = (body: (off: number) => Bytes): Bytes => forUp(CC, get(CB), i32(16), body(0));
const at = (ptr: number, off: number): Bytes => [...add(get(ptr), get(CC)), ...vLoadAt(off)];

/** y += M_r^H q_r for row r = RR: yr += Mr qr + Mi qi, yi += Mr qi - Mi qr. */
function conjugateSweep(L: Lane): Bytes {
  return [
    ...qAt(L, get(RR)), ...set(A0), ...qAt(L, add(get(RR), get(R))), ...set(B0),
    ...rowPointers,
    ...columns((off) => [
      ...at(P0, off), ...set(XR0), ...at(I0, off), ...set(XI0),
      ...add(get(Y), get(CC)), ...at(Y, off), ...fmaTop(L, XR0, A0), ...fmaTop(L, XI0, B0),
      ...vStoreAt(off),
      ...add(get(YIP), get(CC)), ...at(YIP, off), ...fmaTop(L, XR0, B0), ...fmaTop(L, XI0, A0, true),
      ...vStoreAt(off),
    ]),
  ];
}

/**
 * w_r = M_r y for `rows` (1 or 2) rows r = RR..: wr = sum Mr yr - Mi yi, wi = sum Mr yi + Mi yr. Each product
 * has its own accumulator, so the sweep is not bound by the latency of one dependent chain of adds.
 */
function rowSweep(L: Lane, rows: 1 | 2): Bytes {
  const two = rows === 2;
  const out = (row: number, acc: number[]): Bytes => [
    ...add(get(WO), mul(add(get(RR), i32(row)), i32(L.bytes))), ...get(acc[0]), ...get(acc[1]), ...L.sub, ...set(S), ...L.hsum(S), ...L.store,
    ...add(get(WO), mul(add(get(RR), get(R), i32(row)), i32(L.bytes))), ...get(acc[2]), ...get(acc[3]), ...L.add, ...set(T), ...L.hsum(T), ...L.store,
  ];
  return [
    ...rowPointers,
    ...ACC.slice(0, 4 * rows).flatMap((x) => [...ZERO4, ...set(x)]),
    ...columns((off) => [
      ...at(Y, off), ...set(YR), ...at(YIP, off), ...set(YI),
      ...at(P0, off), ...set(XR0), ...at(I0, off), ...set(XI0),
      ...fmaL(L, ACC[0], XR0, YR), ...fmaL(L, ACC[1], XI0, YI), ...fmaL(L, ACC[2], XR0, YI), ...fmaL(L, ACC[3], XI0, YR),
      ...(two ? [
        ...at(P1, off), ...set(XR1), ...at(I1, off), ...set(XI1),
        ...fmaL(L, ACC[4], XR1, YR), ...fmaL(L, ACC[5], XI1, YI), ...fmaL(L, ACC[6], XR1, YI), ...fmaL(L, ACC[7], XI1, YR),
      ] : []),
    ]),
    ...out(0, ACC.slice(0, 4)),
    ...(two ? out(1, ACC.slice(4, 8)) : []),
  ];
}

/** if (RR < R) body — the odd last row. */
const ifLastRow = (body: Bytes): Bytes => [...get(RR), ...get(R), ...I32_LT_U, 0x04, 0x40, ...body, 0x0b];

function gramBody(L: Lane): Bytes {
  return [
    ...mul(get(C), i32(L.bytes)), ...set(CB),
    ...mul(get(CB), get(R)), ...set(IM),
    ...get(R), ...i32(-2), 0x71, ...set(RE), // R & ~1
    ...add(get(Y), get(CB)), ...set(YIP),
    // y = 0
    ...forUp(CC, get(CB), i32(16), [...add(get(Y), get(CC)), ...ZERO4, ...vStoreAt(0), ...add(get(Y), get(CB), get(CC)), ...ZERO4, ...vStoreAt(0)]),
    // y = M^H q, then w = M y, two rows at a time (forUp leaves RR = RE for the odd row).
    // y = M^H q one row at a time (measured: two rows per sweep were slower here, though they load y once),
    // then w = M y two rows at a time, which shares the y loads and runs 8 independent accumulators.
    ...forUp(RR, get(R), i32(1), conjugateSweep(L)),
    ...forUp(RR, get(RE), i32(2), rowSweep(L, 2)),
    ...ifLastRow(rowSweep(L, 1)),
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

/**
 * Stage 1 of the DFT (fft2.ts): tre += c x, tim += s x over n bytes of float32 lanes (x, tre, tim in bytes) — one
 * tap l of T[k][v] = sum_l W[k,l] e^{-2 pi i v l / n_w} for a block of channel pairs.
 */
const [TX, TC, TSN, TRE, TIM, TN, TJ] = [0, 1, 2, 3, 4, 5, 6];
const [VC, VS, VX, VT] = [7, 8, 9, 10];
function tapsBody(): Bytes {
  const rmw = (ptr: number, coef: number): Bytes => [
    ...add(get(ptr), get(TJ)), ...v(get(ptr), get(TJ)),
    ...(fused ? [...set(VT), ...get(coef), ...get(VX), ...get(VT), ...V_MADD] : [...get(coef), ...get(VX), ...V_MUL, ...V_ADD]),
    ...vStoreAt(0),
  ];
  return [
    ...get(TC), ...SPLAT, ...set(VC),
    ...get(TSN), ...SPLAT, ...set(VS),
    ...forUp(TJ, get(TN), i32(16), [...v(get(TX), get(TJ)), ...set(VX), ...rmw(TRE, VC), ...rmw(TIM, VS)]),
  ];
}

/**
 * One Lanczos step of the screening race (frequency-screen.ts) on float32 vectors of R rows (R a multiple of 4),
 * each stored re[R] then im[R]: w = G_f q_k (the gram function), alpha = Re q_k^H w, w -= (q_{k-1}^H w) q_{k-1}
 * (unless `first`) and w -= (q_k^H w) q_k, then out = [alpha, |w|^2] and q_{k-1} is overwritten by w / |w|.
 * Moving this O(R) work next to the product saves the ~5 us per step it took in JavaScript at R = 64.
 */
const [SM, SR, SC, SQC, SQP, SY, SW, SFIRST, SOUT] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const [SJ, SRB] = [9, 10];
const [SX, SXI, SU, SV, S1, S2, CR, CI] = [11, 12, 13, 14, 15, 16, 17, 18];
const F32_SQRT = [0x91];
const F32_DIV = [0x95];
const f32One: Bytes = [0x43, 0x00, 0x00, 0x80, 0x3f];

function stepBody(): Bytes {
  const ld = (base: number, imag: boolean): Bytes => v(imag ? add(get(base), get(SRB)) : get(base), get(SJ));
  const st = (base: number, imag: boolean, value: Bytes): Bytes => [...add(get(base), ...(imag ? [get(SRB)] : []), get(SJ)), ...value, ...vStoreAt(0)];
  const loop = (body: Bytes): Bytes => forUp(SJ, get(SRB), i32(16), body);
  const loads = (q: number): Bytes => [...ld(q, false), ...set(SX), ...ld(q, true), ...set(SXI), ...ld(SW, false), ...set(SU), ...ld(SW, true), ...set(SV)];
  // h = q^H w = sum (x - i xi)(u + i v): re = x u + xi v, im = x v - xi u; then w -= h q.
  const project = (q: number): Bytes => [
    ...ZERO4, ...set(S1), ...ZERO4, ...set(S2),
    ...loop([...loads(q), ...fma(S1, SX, SU), ...fma(S1, SXI, SV), ...fma(S2, SX, SV), ...fma(S2, SXI, SU, V_SUB)]),
    ...hsum(S1), ...SPLAT, ...set(CR), ...hsum(S2), ...SPLAT, ...set(CI),
    ...loop([
      ...loads(q),
      // u -= hr x - hi xi; v -= hr xi + hi x
      ...fma(SU, CR, SX, V_SUB), ...fma(SU, CI, SXI), ...fma(SV, CR, SXI, V_SUB), ...fma(SV, CI, SX, V_SUB),
      ...st(SW, false, get(SU)), ...st(SW, true, get(SV)),
    ]),
  ];
  return [
    ...get(SM), ...get(SR), ...get(SC), ...get(SQC), ...get(SY), ...get(SW), 0x10, 0, // call gram
    ...mul(get(SR), i32(4)), ...set(SRB),
    ...ZERO4, ...set(S1),
    ...loop([...loads(SQC), ...fma(S1, SX, SU), ...fma(S1, SXI, SV)]),
    ...get(SOUT), ...hsum(S1), ...f32Store,
    ...get(SFIRST), 0x45, 0x04, 0x40, ...project(SQP), 0x0b, // if (!first)
    ...project(SQC),
    ...ZERO4, ...set(S1),
    ...loop([...ld(SW, false), ...set(SU), ...ld(SW, true), ...set(SV), ...fma(S1, SU, SU), ...fma(S1, SV, SV)]),
    ...add(get(SOUT), i32(4)), ...hsum(S1), ...f32Store,
    ...f32One, ...hsum(S1), ...F32_SQRT, ...F32_DIV, ...SPLAT, ...set(CR),
    ...loop([...st(SQP, false, [...ld(SW, false), ...get(CR), ...V_MUL]), ...st(SQP, true, [...ld(SW, true), ...get(CR), ...V_MUL])]),
  ];
}

/** The module; its multiply-adds fused (relaxed_madd / relaxed_nmadd) where `fma`. */
function moduleBytes(fma: boolean): Uint8Array {
  fused = fma;
  try {
    return assemble();
  } finally {
    fused = false;
  }
}

function assemble(): Uint8Array {
  const gramType = [0x60, ...vec(Array.from({ length: 6 }, () => [I32])), 0];
  const combineType = [0x60, ...vec(Array.from({ length: 11 }, () => [I32])), 0];
  const tapsType = [0x60, ...vec([[I32], [F32], [F32], [I32], [I32], [I32]]), 0];
  const stepType = [0x60, ...vec(Array.from({ length: 9 }, () => [I32])), 0];
  const fn = (code: Bytes, i32s: number, v128s: number): Bytes => {
    const b = [...vec([[...uleb(i32s), I32], [...uleb(v128s), V128]]), ...code, 0x0b];
    return [...uleb(b.length), ...b];
  };
  const name = (s: string): Bytes => vec([...s].map((c) => [c.charCodeAt(0)]));
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([gramType, combineType, tapsType, stepType])),
    ...section(3, vec([[0], [1], [2], [3], [0]])),
    ...section(5, vec([[0x00, ...uleb(1)]])),
    ...section(7, vec([[...name('gram'), 0x00, 0], [...name('combine'), 0x00, 1], [...name('taps'), 0x00, 2], [...name('step'), 0x00, 3], [...name('gram64'), 0x00, 4], [...name('mem'), 0x02, 0]])),
    ...section(10, vec([fn(gramBody(F32X4), I32_LOCALS, V128_LOCALS), fn(combineBody(), 4, 8), fn(tapsBody(), 1, 4), fn(stepBody(), 2, 8),
      fn(gramBody(F64X2), I32_LOCALS, V128_LOCALS)])),
  ]);
}

export interface GramSimd {
  /** gram(m, R, C, q, y, w): byte offsets as in the header comment. */
  gram: (m: number, R: number, C: number, q: number, y: number, w: number) => void;
  /** Stage 2 of the DFT, see combineBody and fft2.ts HeapDft. */
  combine: HeapDft['combine'];
  /** Stage 1 of the DFT, see tapsBody and fft2.ts HeapDft. */
  taps: HeapDft['taps'];
  /** The same product on float64 data (M, q, y, w all float64; C even), for the float64 confirmation. */
  gram64: (m: number, R: number, C: number, q: number, y: number, w: number) => void;
  /** step(m, R, C, qc, qp, y, w, first, out): one screening Lanczos step, see stepBody (byte offsets). */
  step: (m: number, R: number, C: number, qc: number, qp: number, y: number, w: number, first: number, out: number) => void;
  memory: WasmMemory;
}

let kernel: GramSimd | null | undefined;

/** The compiled kernel, or null where WebAssembly SIMD is unavailable (then the float64 JS path is used). */
export function gramSimd(): GramSimd | null {
  if (kernel !== undefined) return kernel;
  const wasm = (relaxedSimdAvailable() ? instantiateSimd(moduleBytes(true)) : null) ?? instantiateSimd(moduleBytes(false));
  if (!wasm) return (kernel = null);
  const ex = wasm.exports;
  kernel = {
    gram: ex.gram as GramSimd['gram'], combine: ex.combine as GramSimd['combine'], taps: ex.taps as GramSimd['taps'],
    step: ex.step as GramSimd['step'], gram64: ex.gram64 as GramSimd['gram64'], memory: ex.mem as WasmMemory,
  };
  return kernel;
}

/** Grow the module's memory to at least `bytes` and return a float32 view of all of it. */
export function gramHeap(k: GramSimd, bytes: number): Float32Array {
  const have = k.memory.buffer.byteLength;
  if (have < bytes) k.memory.grow(Math.ceil((bytes - have) / 65536));
  return new Float32Array(k.memory.buffer);
}
