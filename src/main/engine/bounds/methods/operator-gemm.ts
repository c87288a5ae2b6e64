/**
 * The products of the operator estimate (operator-power.ts) without tfjs: the layer's convolution A and its adjoint
 * A^T as float32 matrix products in WebAssembly SIMD (kernels/operator-gemm.wat).
 *
 * With X the gathered input (im2col: row r = output position, column t ci + i = input channel i at tap t, zero where
 * the tap falls into zero padding, wrapped for circular padding) and B the kernel as a (taps ci) x co matrix,
 *   A x = X B                       (one row per output position),
 *   A^T y = scatter(Y B^T),         (row r of Y B^T, column t ci + i, added onto the input position tap t of r read),
 * since A = S^T-gather: A^T y (q) = sum_{r, t : src(r, t) = q} W[t] y(r). Any stride and padding use the same
 * gather map src(r, t), so the adjoint needs neither conv2dTranspose nor a flipped kernel.
 *
 * Why: each Lanczos step of the estimate is one A^T A product, and on one core tfjs-wasm's convolutions (XNNPACK,
 * unfused multiply and add) plus its per-call tensors were ~25-29 ms per product on the 512-channel layers; the
 * fused 6 x 8 tiles here do the same multiply-adds at ~17-24 GMAC/s on one core (the report of issue 14).
 */
import { instantiateFastest, tryGrowMemoryTo, type WasmMemory } from '../../kernels/index.js';
import type { KernelHWIO } from '../../../../shared/bounds.js';
import type { LayerProducts } from './operator-tfjs.js';
import { lanczosPasses, ritzNorms } from './operator-gemm-lanczos.js';

export interface GemmGeometry {
  nh: number;
  nw: number;
  /** Output size. */
  oh: number;
  ow: number;
  stride: number;
  /** Pads before the first row and column. */
  top: number;
  left: number;
  circular: boolean;
}

/** A and A^T A on float64 host vectors (NHWC, batch 1), the products in float32, in the kernel's memory. */
export interface GemmOperator extends LayerProducts {
  /** Hands the memory to this thread's next operator: this one (and every view it gave) is done. */
  release(): void;
}

type Gemm = (
  a: number,
  lda: number,
  bp: number,
  ldp: number,
  c: number,
  ldc: number,
  m: number,
  kc: number,
  nb: number,
  accum: number,
) => void;

/** gather(v, x, src, m, taps, seg, ld) and scatter(g, out, src, m, taps, ci, ld) of operator-gemm.wat. */
type Gather = (a: number, b: number, src: number, m: number, taps: number, c: number, ld: number) => void;

/**
 * Cache blocking of the products: a chunk of KC columns of X (and the matching KC rows of each 8-column panel of B,
 * 16 KiB, kept in L1 while all the chunk's rows pass) and at most MC rows of X per call (MC KC float32 ~ 512 KiB,
 * kept in L2 while every panel passes over it; MC a multiple of the kernel's 6-row tiles).
 */
const KC = 512;
const MC = 252;

/** More than this many bytes of operands: the tfjs path instead (it computes the products without im2col copies). */
const MAX_BYTES = 1 << 30;
/** A larger Lanczos basis stays in numerics/lanczos.ts's own arrays, which grow only as steps are taken. */
const MAX_BASIS_BYTES = 1 << 29;
/**
 * Most bytes of kept forward outputs A q_j (ritzNorms): 25 MB on a 56 x 56 x 64 layer at 31 vectors, 100 MB on the
 * 7 x 7 stem. Only the slots of the steps taken are touched (4 on the stem), the rest is address space.
 */
const KEEP_FORWARD_BYTES = 1 << 27;

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/**
 * A released operator's memory is kept (up to KEEP_BYTES) for the thread's next operator: a fresh memory costs a page
 * fault per 4 KiB first touched, ~45 MB on a 56 x 56 x 64 layer (the im2col matrices and the Lanczos basis). The
 * kernels are instantiated anew on it: an instance kept from the layer before ran its products 1.3-1.45x slower
 * (measured, interleaved, on the 14 x 14 and 7 x 7 layers; V8 11.3), a fresh one on the kept memory does not.
 */
const KEEP_BYTES = 1 << 28;
let idle: WasmMemory | null = null;

/** A memory of at least `bytes`, and whether it was used before (then not all zeros). */
function memoryFor(bytes: number): { memory: WasmMemory; used: boolean } | null {
  const pages = Math.ceil(bytes / 65536) + 1;
  const kept = idle;
  idle = null;
  // No room to grow a kept memory: a fresh one below, or null.
  if (kept && tryGrowMemoryTo(kept, pages * 65536)) return { memory: kept, used: true };
  const memory = newMemory(pages);
  return memory && { memory, used: false };
}

/** Sizes of the products (all counts of float32 values); the memory holds `floats`, in order (see gemmLayerOperator). */
interface GemmLayout {
  taps: number;
  ci: number;
  co: number;
  /** Output positions (rows of X), padded to 6-row tiles; rows of X and G held at once (one block). */
  M: number;
  Mp: number;
  rows: number;
  /** Forward: X (Mp x Kfp) . Bf (Kfp x Nf); adjoint: Y (Mp x Nf, its first Kap columns read) . Ba (Kap x Na). */
  Kf: number;
  Kfp: number;
  Nf: number;
  Kap: number;
  Na: number;
  /** Input values (nh nw ci) and Lanczos basis vectors kept in the memory (0: none). */
  size: number;
  basis: number;
  /** M = 6 q + 1 or 6 q + 2 rows (the 7 x 7 layers: 49): the last rows one by one (gemm1), not padded to a tile. */
  singles: number;
  floats: number[];
}

function gemmLayout(kernel: KernelHWIO, g: GemmGeometry, basisVectors: number | undefined): GemmLayout {
  const [h, w, ci, co] = kernel.shape;
  const taps = h * w;
  const M = g.oh * g.ow;
  // gemm's tiles are 6 rows high.
  const Mp = roundUp(M, 6);
  const Kf = taps * ci;
  const [Kfp, Nf, Kap, Na] = [roundUp(Kf, 4), roundUp(co, 8), roundUp(co, 4), roundUp(Kf, 8)];
  const size = g.nh * g.nw * ci;
  // cgs takes two float64 lanes at a time.
  const basis = basisVectors && size % 2 === 0 && 8 * size * basisVectors <= MAX_BASIS_BYTES ? basisVectors : 0;
  // X and G hold one block of MC rows at a time (see rowBlocks).
  const rows = Math.min(Mp, MC);
  const singles = M % 6 <= 2 && (Nf / 8) % 4 === 0 && (Na / 8) % 4 === 0 ? M % 6 : 0;
  // B, B^T, X, Y, G, the gather map, the input v and A^T y in float32, then (float64) A^T y, h and the basis.
  const floats = [
    Kfp * Nf,
    Kap * Na,
    rows * Kfp,
    Mp * Nf,
    rows * Na,
    M * taps,
    size,
    size,
    2 * size,
    2 * (basis + 4),
    2 * basis * size,
    // The forward outputs A q_j of the run (operator-gemm-lanczos.ts ritzNorms), where they fit in KEEP_FORWARD_BYTES.
    basis && 4 * basis * M * Nf <= KEEP_FORWARD_BYTES ? basis * M * Nf : 0,
    // The kernel as float32, for the pack into panels.
    Kf * co,
  ];
  return { taps, ci, co, M, Mp, rows, Kf, Kfp, Nf, Kap, Na, size, basis, singles, floats };
}

/**
 * The products by blocks of MC output rows: a block's im2col rows are gathered, multiplied, and (adjoint) its rows
 * of G = Y B^T multiplied and scattered while they are still in L2, instead of passes over the whole X and G
 * (7 MB each on a 56 x 56 x 64 layer) between the steps. Rows scatter in the same order, so the sums are unchanged.
 * blocks(adjoint): Y = A v32 (all rows), and with adjoint out32 += A^T Y.
 */
function rowBlocks(
  exports: Record<string, unknown>,
  heap: Float32Array,
  L: GemmLayout,
  at: { bf: number; ba: number; x: number; y: number; g: number; src: number; v: number; out: number },
): (adjoint: boolean) => void {
  const { M, Mp, taps, ci, Kfp, Nf, Kap, Na, singles } = L;
  const gemm = exports.gemm as Gemm;
  const gemm1 = exports.gemm1 as (...args: number[]) => void;
  const gather = exports.gather as Gather;
  const scatter = exports.scatter as Gather;
  // C (m rows at c) = A (m rows at a) . B, the k chunks in order: each entry's chain of multiply-adds is the same
  // whatever the blocking of the rows. The last `single` of the m rows by gemm1.
  const product = (a: number, lda: number, K: number, bp: number, N: number, c: number, m: number, single: number) => {
    for (let k0 = 0; k0 < K; k0 += KC) {
      const [kc, accum] = [Math.min(KC, K - k0), k0 > 0 ? 1 : 0];
      if (m > single) gemm(a + 4 * k0, lda, bp + 32 * k0, 32 * K, c, 4 * N, m - single, kc, N / 8, accum);
      for (let r = m - single; r < m; r++) {
        gemm1(a + r * lda + 4 * k0, bp + 32 * k0, 32 * K, c + r * 4 * N, kc, N / 8, accum);
      }
    }
  };
  return (adjoint) => {
    for (let m0 = 0; m0 < Mp; m0 += MC) {
      const real = Math.min(MC, M - m0);
      const single = real < MC ? singles : 0;
      const m = single ? real : Math.min(MC, Mp - m0);
      gather(at.v, at.x, at.src + 4 * m0 * taps, real, taps, 4 * ci, 4 * Kfp);
      // The padding rows of the last block (to whole 6-row tiles): zeros, whatever the block before left there.
      if (real < m) heap.fill(0, at.x / 4 + real * Kfp, at.x / 4 + m * Kfp);
      product(at.x, 4 * Kfp, Kfp, at.bf, Nf, at.y + 4 * m0 * Nf, m, single);
      if (!adjoint) continue;
      product(at.y + 4 * m0 * Nf, 4 * Nf, Kap, at.ba, Na, at.g, m, single);
      scatter(at.g, at.out, at.src + 4 * m0 * taps, real, taps, ci, 4 * Na);
    }
  };
}

/** The GEMM operator of this layer, or null where WebAssembly SIMD is unavailable or the operands are too large. */
export function gemmLayerOperator(
  kernel: KernelHWIO,
  g: GemmGeometry,
  opts: { basisVectors?: number } = {},
): GemmOperator | null {
  const L = gemmLayout(kernel, g, opts.basisVectors);
  const { M, Mp, rows, Kf, Kfp, Nf, Kap, Na, co, size, basis, floats } = L;
  const bytes = floats.reduce((a, b) => a + 4 * b, 0);
  if (bytes > MAX_BYTES) return null;
  const got = memoryFor(bytes);
  if (!got) return null;
  const { memory, used } = got;
  const made = instantiateFastest('operator-gemm', false, { env: { memory } });
  if (!made) return null;
  const passes = basis ? instantiateFastest('operator-lanczos', false, { env: { memory } }) : null;
  const [bf, ba, xOff, yOff, gOff, srcOff, vOff, outOff, wOff, hOff, qOff, ysOff, sOff] = offsets(floats);
  const heap = new Float32Array(memory.buffer);
  // The padding of B, B^T and X (rows and columns no pack or gather writes) must be zeros, as in a fresh memory;
  // X's padding rows are zeroed by each product (rowBlocks).
  if (used && (Kfp > Kf || Nf > co)) heap.fill(0, bf / 4, bf / 4 + Kfp * Nf);
  if (used && (Kap > co || Na > Kf)) heap.fill(0, ba / 4, ba / 4 + Kap * Na);
  if (used && Kfp > Kf) heap.fill(0, xOff / 4, xOff / 4 + rows * Kfp);
  // The kernel (HWIO) is the Kf x co matrix B, row t ci + i; B^T has row o, column t ci + i = W[t][i][o]: the kernel
  // copied in (rounded to float32 as any float32 array rounds it), packed into panels by the kernel.
  heap.set(kernel.data, sOff / 4);
  const pack = made.exports.pack as (s: number, dst: number, rows: number, cols: number, k: number, t: number) => void;
  pack(sOff, bf, Kf, co, Kfp, 0);
  pack(sOff, ba, Kf, co, Kap, 1);
  new Int32Array(memory.buffer, srcOff, M * L.taps).set(gatherMap(kernel.shape[0], kernel.shape[1], g));
  const Y = heap.subarray(yOff / 4, yOff / 4 + Mp * Nf);
  const v32 = heap.subarray(vOff / 4, vOff / 4 + size);
  const out32 = heap.subarray(outOff / 4, outOff / 4 + size);
  const w64 = new Float64Array(memory.buffer, wOff, size);
  const at = { bf, ba, x: xOff, y: yOff, g: gOff, src: srcOff, v: vOff, out: outOff };
  const blocks = rowBlocks(made.exports, heap, L, at);
  const forward = (v: Float64Array) => {
    v32.set(v);
    blocks(false);
  };
  let released = false;
  const live = () => {
    if (released) throw new Error('gemmLayerOperator: this operator was released; make a new one.');
  };
  return {
    apply(v) {
      live();
      forward(v);
      const out = new Float32Array(M * co);
      for (let r = 0; r < M; r++) out.set(Y.subarray(r * Nf, r * Nf + co), r * co);
      return out;
    },
    normalProduct(v) {
      live();
      v32.set(v);
      out32.fill(0);
      blocks(true);
      w64.set(out32);
      return w64;
    },
    orthogonalizer: passes
      ? lanczosPasses(passes.exports, memory, { q: qOff, vectors: basis, w: wOff, h: hOff, n: size })
      : undefined,
    ...(passes
      ? ritzNorms(passes.exports, memory, {
          ...{ q: qOff, w: wOff, h: hOff, n: size, y: yOff, ys: floats[11] ? ysOff : -1, outputs: M * Nf, live },
          forward: () => {
            forward(w64);
            return attainedRatio(Y, v32, L);
          },
        })
      : {}),
    release() {
      if (released) return;
      released = true;
      if (memory.buffer.byteLength <= KEEP_BYTES) idle = memory;
    },
  };
}

/** ||Y|| / ||v|| as attainedNorm (operator-power.ts) sums them: in float64, of the float32 input and its image. */
function attainedRatio(Y: Float32Array, v32: Float32Array, { M, Nf, co }: GemmLayout): number {
  let num = 0;
  let den = 0;
  for (let r = 0; r < M; r++) {
    for (let o = r * Nf; o < r * Nf + co; o++) num += Y[o] * Y[o];
  }
  for (let i = 0; i < v32.length; i++) den += v32[i] * v32[i];
  return den > 0 ? Math.sqrt(num / den) : 0;
}

function newMemory(pages: number): WasmMemory | null {
  const W = (globalThis as unknown as { WebAssembly?: { Memory: new (d: { initial: number }) => WasmMemory } })
    .WebAssembly;
  try {
    return W ? new W.Memory({ initial: pages }) : null;
  } catch {
    return null;
  }
}

/** Byte offsets of consecutive float32 arrays, each 64-byte aligned. */
function offsets(floats: number[]): number[] {
  const out: number[] = [];
  let at = 0;
  for (const f of floats) {
    out.push(at);
    at = roundUp(at + 4 * f, 64);
  }
  return out;
}

/**
 * src[r taps + t]: the input position (row-major over nh x nw) that tap t of output r reads, or -1 in zero padding.
 * tf.conv2d's correlation: output (y, x) reads input (s y + a - top, s x + b - left) at tap (a, b).
 */
export function gatherMap(h: number, w: number, g: GemmGeometry): Int32Array {
  const src = new Int32Array(g.oh * g.ow * h * w);
  const wrap = (i: number, n: number) => ((i % n) + n) % n;
  let at = 0;
  for (let y = 0; y < g.oh; y++) {
    for (let x = 0; x < g.ow; x++) {
      for (let a = 0; a < h; a++) {
        for (let b = 0; b < w; b++) {
          let i = g.stride * y + a - g.top;
          let j = g.stride * x + b - g.left;
          if (g.circular) {
            i = wrap(i, g.nh);
            j = wrap(j, g.nw);
          }
          src[at++] = i < 0 || j < 0 || i >= g.nh || j >= g.nw ? -1 : i * g.nw + j;
        }
      }
    }
  }
  return src;
}
