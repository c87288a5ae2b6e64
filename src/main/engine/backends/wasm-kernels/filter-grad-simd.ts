/**
 * The convolution filter gradient as one register-blocked SIMD loop on the WASM heap, with no patch matrix:
 *
 *   dW[r, o] += sum_{n,p,q} xPad[n, p*sh + a, q*sw + b, i] * dy[n, p, q, o]      r = (a*kw + b)*Ci + i
 *
 * Why: the im2col + GEMM formulation (conv2d-backprop-filter.ts) writes and re-reads a patch matrix kh*kw times
 * the size of x (14 MB for the MNIST CNN's second layer at batch 128) and XNNPACK repacks all of dy as GEMM
 * weights on every call. Here each image's x and dy (tens of KB) stay in L1/L2 while every tile of dW passes over
 * them: a tile is 4 rows r x 8 columns o (eight f32x4 accumulators); per output pixel it loads the 4 x values
 * (load32_splat at the rows' offsets into the padded image) and 2 vectors of dy, and does 8 multiply-adds, fused
 * (relaxed_madd) where relaxed SIMD is available. x comes zero-padded (the caller copies it), so no tap needs a
 * border test; the last row tile repeats row R - 1 (same loads, same sums, same stores), so any R works. Needs
 * c_out % 8 == 0.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  add, forUp, get, i32, I32, mul, relaxedSimdAvailable, section, set, uleb, V128, V_ADD, V_MADD, V_MUL, vec, vLoadAt,
  vStoreAt, type Bytes,
} from '../../bounds/wasm-simd-encoder.js';
import { backendMemory, instantiateOnHeap } from './heap-simd.js';

export interface FilterGradSimd {
  /**
   * dW [R, co] += the sums above, for images of IMG bytes (padded, NHWC) at x and dy [N, HO, WO, co] at dy.
   * `offsets` holds R int32 byte offsets of row r's tap and channel inside a padded image; PROW / PCOL are the
   * bytes between the x positions of consecutive output rows / columns (stride included). All pointers in bytes.
   */
  filterGrad(x: number, dy: number, dW: number, offsets: number, n: number, img: number, ho: number, wo: number, prow: number, pcol: number, r: number, co: number): void;
  /** Whether the multiply-adds are fused. */
  fma: boolean;
  /** The compiled module (for heap-helper.ts). */
  module: object;
}

const LT_S = [0x48];
const SELECT = [0x1b];
const I32_LOAD = [0x28, 2, 0];
const LOAD32_SPLAT = [0xfd, 0x09, 2, 0];

function filterGradBody(fma: boolean): Bytes {
  const [X, DY, DW, OFFS, N, IMG, HO, WO, PROW, PCOL, R, CO] = Array.from({ length: 12 }, (_, j) => j);
  const [n, r0, c, p, q, xImg, dyImg, xp, dyp, rowBytes] = Array.from({ length: 10 }, (_, j) => 12 + j);
  const off = [22, 23, 24, 25];
  const wRow = [26, 27, 28, 29];
  const I32_LOCALS = 18;
  const V = 12 + I32_LOCALS;
  const acc = (j: number, k: number) => V + 2 * j + k;
  const [S, D0, D1] = [V + 8, V + 9, V + 10];
  // Row r0 + j, or R - 1 past the end (the repeated last row).
  const rowOf = (j: number): Bytes => {
    const a = add(get(r0), i32(j));
    const last = [...get(R), ...i32(1), 0x6b];
    return [...a, ...last, ...a, ...last, ...LT_S, ...SELECT];
  };
  const madd = (s: number, d: number, t: number): Bytes =>
    fma ? [...get(s), ...get(d), ...get(t), ...V_MADD, ...set(t)] : [...get(t), ...get(s), ...get(d), ...V_MUL, ...V_ADD, ...set(t)];
  const pixel: Bytes = [
    ...get(dyp), ...vLoadAt(0), ...set(D0),
    ...get(dyp), ...vLoadAt(16), ...set(D1),
    ...[0, 1, 2, 3].flatMap((j) => [...add(get(xp), get(off[j])), ...LOAD32_SPLAT, ...set(S), ...madd(S, D0, acc(j, 0)), ...madd(S, D1, acc(j, 1))]),
    ...add(get(xp), get(PCOL)), ...set(xp),
    ...add(get(dyp), get(rowBytes)), ...set(dyp),
  ];
  const tile: Bytes = [
    ...[0, 1, 2, 3].flatMap((j) => [0, 1].flatMap((k) => [...add(get(wRow[j]), get(c)), ...vLoadAt(16 * k), ...set(acc(j, k))])),
    ...forUp(p, get(HO), i32(1), [
      ...add(get(xImg), mul(get(p), get(PROW))), ...set(xp),
      ...add(get(dyImg), mul(mul(get(p), get(WO)), get(rowBytes)), get(c)), ...set(dyp),
      ...forUp(q, get(WO), i32(1), pixel),
    ]),
    ...[0, 1, 2, 3].flatMap((j) => [0, 1].flatMap((k) => [...add(get(wRow[j]), get(c)), ...get(acc(j, k)), ...vStoreAt(16 * k)])),
  ];
  const rowTile: Bytes = [
    ...[0, 1, 2, 3].flatMap((j) => [
      ...add(get(OFFS), mul(rowOf(j), i32(4))), ...I32_LOAD, ...set(off[j]),
      ...add(get(DW), mul(rowOf(j), get(rowBytes))), ...set(wRow[j]),
    ]),
    ...tile,
  ];
  const body: Bytes = [
    ...mul(get(CO), i32(4)), ...set(rowBytes),
    ...forUp(n, get(N), i32(1), [
      ...add(get(X), mul(get(n), get(IMG))), ...set(xImg),
      ...add(get(DY), mul(mul(mul(get(n), get(HO)), get(WO)), get(rowBytes))), ...set(dyImg),
      ...forUp(c, get(rowBytes), i32(32), forUp(r0, get(R), i32(4), rowTile)),
    ]),
  ];
  const b = [...vec([[...uleb(I32_LOCALS), I32], [...uleb(11), V128]]), ...body, 0x0b];
  return [...uleb(b.length), ...b];
}

function moduleBytes(shared: boolean, fma: boolean): Uint8Array {
  const name = (s: string): Bytes => vec([...s].map((ch) => [ch.charCodeAt(0)]));
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec(Array.from({ length: 12 }, () => [I32])), 0]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...(shared ? [0x03, 0x00, ...uleb(65536)] : [0x00, 0x00])]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name('filterGrad'), 0x00, 0]])),
    ...section(10, vec([filterGradBody(fma)])),
  ]);
}

const instances = new WeakMap<object, FilterGradSimd | null>();

/** The module bound to `backend`'s heap (fused where relaxed SIMD is available), or null where it cannot run. */
export function filterGradSimd(backend: BackendWasm): FilterGradSimd | null {
  const memory = backendMemory(backend);
  if (!memory) return null;
  if (instances.has(memory)) return instances.get(memory) ?? null;
  const shared = !(memory.buffer instanceof ArrayBuffer);
  const build = (fma: boolean): FilterGradSimd | null => {
    const made = instantiateOnHeap(memory, moduleBytes(shared, fma));
    return made ? { filterGrad: made.exports.filterGrad as FilterGradSimd['filterGrad'], fma, module: made.module } : null;
  };
  const api = (relaxedSimdAvailable() ? build(true) : null) ?? build(false);
  instances.set(memory, api);
  return api;
}
