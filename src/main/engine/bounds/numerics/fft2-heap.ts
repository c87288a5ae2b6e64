/**
 * The float64 DFT of fft2.ts in WebAssembly SIMD (kernels/dft64.wat), written into a WebAssembly memory: the gram
 * kernel's (gram-simd.ts float32Squares, whose float32 squares read the matrices there) or a memory this thread
 * keeps for its next call (fft2.reusableFrequencyBuffer). Same two stages, same operations in the same order as
 * fft2.ts's JavaScript loops, on f64x2 lanes: ~0.1 s per ResNet-18 layer in JavaScript (its 100+ MB of matrices).
 */
import { instantiateFastest, instantiateOnOwnMemory, tryGrowMemoryTo, type WasmMemory } from '../../kernels/index.js';
import type { CombineArgs } from './fft2.js';

/** Where frequencyMatrices writes its float64 matrices: byte offset `at` (a multiple of 16) of `memory`. */
export interface HeapOut {
  memory: WasmMemory;
  at: number;
}

/** The tables of fft2.ts's DFT (frequency-set.ts) for one call, with W's channel pairs j < m in output order. */
export interface DftPlan {
  h: number;
  w: number;
  m: number;
  count: number;
  /** Column of each frequency in vList's order, T's second index. */
  column: (f: number) => number;
  nv: number;
  cosV: Float64Array;
  sinV: Float64Array;
  cosU: Float64Array;
  sinU: Float64Array;
  partner: Int32Array;
}

interface Dft64 {
  taps: (x: number, xStep: number, tw: number, w: number, tre: number, tim: number, n: number) => void;
  combine: (...args: [...CombineArgs, n: number, sqF: number, sqG: number]) => void;
}

const instances = new WeakMap<WasmMemory, Dft64 | null>();

function bind(exports: Record<string, unknown>): Dft64 {
  return { taps: exports.taps as Dft64['taps'], combine: exports.combine as Dft64['combine'] };
}

/** dft64.wat on `memory` (one instance per memory), or null where WebAssembly SIMD cannot run it. */
function kernelOn(memory: WasmMemory): Dft64 | null {
  const have = instances.get(memory);
  if (have !== undefined) return have;
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const made = instantiateFastest('dft64', shared, { env: { memory } });
  const k = made ? bind(made.exports) : null;
  instances.set(memory, k);
  return k;
}

let own: WasmMemory | null | undefined;

/** A memory of this thread's own with dft64.wat on it (shared where possible, so growing detaches no view). */
export function ownDftMemory(): WasmMemory | null {
  if (own !== undefined) return own;
  const made = instantiateOnOwnMemory('dft64');
  if (made) instances.set(made.memory, bind(made.exports));
  return (own = made ? made.memory : null);
}

/** The kernel memory is addressed with i32 offsets. */
const MAX_BYTES = 2 ** 31;
/**
 * Stage 1's T (re and im, h x n_v x B float64 each) in about this many bytes: stage 2 reads it once per frequency,
 * so it stays in the L2 cache. Measured on the ResNet-18 shapes: 2^18 up to 1.5x slower, 2^19 .. 2^21 the same
 * but for the 7 x 7 stem (many frequencies, few channel pairs: its blocks are small), best from 2^20.
 */
const T_BYTES = 2 ** 20;

const roundUp = (x: number, q: number) => Math.ceil(x / q) * q;

/**
 * The matrices of `plan` for kernel data W (h x w x m, channel pairs in output order) at out, in fft2.ts's layout,
 * and their ||M_f||_F^2 (FrequencyMatrices.sumSquares, summed as they are stored);
 * the stage-1 buffers, twiddles and a float64 copy of W go after them (the memory grows as needed, which detaches
 * earlier views of a memory that is not shared: use the returned view). Null where the kernel cannot run here, m
 * is odd, or the memory cannot hold it all (the caller computes in JavaScript then).
 */
export function heapDft64(
  W: ArrayLike<number>,
  plan: DftPlan,
  out: HeapOut,
): { data: Float64Array; sumSquares: Float64Array } | null {
  const { h, w, m, count, nv } = plan;
  if (m % 2 || out.at % 16) return null;
  const k = kernelOn(out.memory);
  if (!k) return null;
  const B = Math.min(roundUp(m, 2), 2 * Math.max(16, Math.min(1024, Math.floor(T_BYTES / (32 * h * nv)))));
  const tSize = h * nv * B;
  const n = count * 2 * m;
  const T = roundUp(out.at + 8 * n, 16);
  const twV = T + 16 * tSize;
  const twU = twV + 16 * nv * w;
  const sq = twU + 16 * count * h;
  const wAt = roundUp(sq + 8 * count, 16);
  const end = wAt + 8 * h * w * m;
  if (end > MAX_BYTES || !tryGrowMemoryTo(out.memory, end)) return null;
  const heap = new Float64Array(out.memory.buffer);
  writeTwiddles(heap, plan, twV / 8, twU / 8);
  heap.fill(0, sq / 8, sq / 8 + count);
  heap.set(W, wAt / 8);
  const blockBytes = 16 * m;
  for (let j0 = 0; j0 < m; j0 += B) {
    const jb = Math.min(B, m - j0);
    // Stage 1: T[k][v] = sum_l W[k,l] e^{-2 pi i v l / n_w} for this block of channel pairs.
    for (let kk = 0; kk < h; kk++) {
      for (let vi = 0; vi < nv; vi++) {
        const t = T + 8 * (kk * nv + vi) * B;
        k.taps(wAt + 8 * (kk * w * m + j0), 8 * m, twV + 16 * vi * w, w, t, t + 8 * tSize, 8 * jb);
      }
    }
    // Stage 2 (fft2.ts): K(u,v) and its (-u, v) partner from the same products with T.
    for (let f = 0; f < count; f++) {
      const g = plan.partner[f];
      if (g >= 0 && g < f) continue;
      const t0 = T + 8 * plan.column(f) * B;
      const oRe = out.at + f * blockBytes + 8 * j0;
      const gRe = g >= 0 ? out.at + g * blockBytes + 8 * j0 : -1;
      const cs = twU + 16 * f * h;
      const sqF = sq + 8 * f;
      k.combine(
        t0,
        t0 + 8 * tSize,
        8 * nv * B,
        cs,
        cs + 8 * h,
        h,
        oRe,
        oRe + 8 * m,
        gRe,
        gRe + 8 * m,
        8 * jb,
        sqF,
        sq + 8 * g,
      );
    }
  }
  const sumSquares = new Float64Array(out.memory.buffer, sq, count).slice();
  return { data: new Float64Array(out.memory.buffer, out.at, n), sumSquares };
}

/** Stage 1's twiddles per column (w cos, then w sin) at twV and stage 2's per frequency (h cos, h -sin) at twU. */
function writeTwiddles(heap: Float64Array, plan: DftPlan, twV: number, twU: number): void {
  const { h, w, nv, count } = plan;
  for (let vi = 0; vi < nv; vi++) {
    heap.set(plan.cosV.subarray(vi * w, vi * w + w), twV + 2 * vi * w);
    heap.set(plan.sinV.subarray(vi * w, vi * w + w), twV + 2 * vi * w + w);
  }
  for (let f = 0; f < count; f++) {
    for (let kk = 0; kk < h; kk++) {
      heap[twU + 2 * f * h + kk] = plan.cosU[f * h + kk];
      heap[twU + 2 * f * h + h + kk] = -plan.sinU[f * h + kk];
    }
  }
}
