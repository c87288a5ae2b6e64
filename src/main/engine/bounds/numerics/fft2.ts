/**
 * The per-frequency matrices of a circular convolution (Sedghi, Gupta & Long 2019, Theorem 6): on n_h x n_w
 * inputs with circular padding, the layer is block-diagonalised by the 2-D DFT, and frequency (u, v) carries the
 * c_in x c_out matrix K(u,v) = sum_{k,l} W[k,l,:,:] exp(-2 pi i (u k / n_h + v l / n_w)).
 *
 * A real kernel has K(-u,-v) = conj(K(u,v)), whose singular values are the same, so only one frequency of each
 * conjugate pair is computed (`multiplicity` says whether its partner exists). Each matrix is stored with the
 * smaller channel side as rows, so every method iterates on the smaller Gram matrix K K^H.
 */
import type { KernelHWIO } from '../../../../shared/bounds.js';
import { KernelError, validateInputSize } from '../../../../shared/bounds.js';
import { heapDft64, ownDftMemory, type HeapOut } from './fft2-heap.js';
import { distinctColumns, halfSpectrumFrequencies, twiddles, uPartners, type FrequencySet } from './frequency-set.js';

export type InputSize = number | [number, number];
export type { HeapOut } from './fft2-heap.js';

/** Checks n against the kernel (both sides for a rectangular input) and returns [n_h, n_w]. */
export function resolveInputSize(kernel: KernelHWIO, n: InputSize, label = 'kernel'): [number, number] {
  if (typeof n === 'number') {
    validateInputSize(kernel, n, label);
    return [n, n];
  }
  if (!Array.isArray(n) || n.length !== 2) {
    throw new KernelError(`${label}: input size must be a number or [height, width], got ${JSON.stringify(n)}.`);
  }
  const [nh, nw] = n;
  for (const d of [nh, nw]) {
    if (!Number.isInteger(d) || d < 1)
      throw new KernelError(`${label}: input size must be positive integers, got [${nh}, ${nw}].`);
  }
  const [h, w] = kernel.shape;
  if (nh < h || nw < w) {
    throw new KernelError(
      `${label}: input size ${nh}x${nw} is smaller than the ${h}x${w} kernel; use at least ${Math.max(nh, h)}x${Math.max(nw, w)}.`,
    );
  }
  return [nh, nw];
}

/**
 * Frequency matrices on the host, float64. Frequency f's matrix M_f (rows x cols, rows = min(c_in, c_out)) is
 * stored split: real part at data[f*2*rows*cols + r*cols + c], imaginary part `rows*cols` further on.
 */
export interface FrequencyMatrices extends FrequencySet {
  nh: number;
  nw: number;
  rows: number;
  cols: number;
  /** true when rows are output channels (c_in > c_out): M_f = K(u,v)^T, same singular values. */
  transposed: boolean;
  count: number;
  data: Float64Array;
  /** ||M_f||_F^2 per frequency, the squares of `data` summed in float64 in some order (rounding.ts sumUpper), if known. */
  sumSquares?: Float64Array;
}

/**
 * The DFT is done separably (along w for the needed v, then along h per frequency), which costs
 * O(count * h * c_in * c_out) — about the size of the output, like an FFT for these small kernels. The channel
 * pairs are processed in blocks small enough to stay in cache, and both stages are fused per block. If `out` is
 * large enough, the matrices are written into it (and alias it); an `out` in a WebAssembly memory (HeapOut) has
 * them computed there in float64 SIMD (fft2-heap.ts, the same operations), else in JavaScript: use the returned
 * `data` (growing a memory that is not shared detaches its earlier views).
 */
export function frequencyMatrices(
  kernel: KernelHWIO,
  nh: number,
  nw: number,
  freqs?: FrequencySet,
  out?: Float64Array | HeapOut,
): FrequencyMatrices {
  const heap = out && !(out instanceof Float64Array) ? out : undefined;
  const fits = (n: number) => heap && heap.at + 8 * n <= heap.memory.buffer.byteLength;
  return fillFrequencyMatrices(
    kernel,
    nh,
    nw,
    freqs,
    (n) =>
      out instanceof Float64Array && out.length >= n
        ? out.subarray(0, n)
        : fits(n)
          ? new Float64Array(heap!.memory.buffer, heap!.at, n)
          : new Float64Array(n),
    undefined,
    heap,
  );
}

/**
 * Stage 2 of the DFT in a WebAssembly heap (frequency-simd.ts): `heap` is the float32 view of the module's memory,
 * the matrices go to byte offset `data`, the stage-1 buffers and twiddles to `scratch` (dftScratchFloats(h, n_w)
 * floats), and `combine` does the loop over channel pairs with the same operands as the JS loop, in bytes.
 */
/**
 * The leading arguments of the DFT's second stage in both kernels (frequency.wat's float32 combine and dft64.wat's):
 * byte offsets of the stage-1 sums and their stride, the twiddles, the kernel height, and the two output matrices.
 */
export type CombineArgs = [
  tRe: number,
  tIm: number,
  tStep: number,
  cs: number,
  sn: number,
  h: number,
  oRe: number,
  oIm: number,
  gRe: number,
  gIm: number,
];

export interface HeapDft {
  heap: Float32Array;
  data: number;
  scratch: number;
  combine: (...args: [...CombineArgs, jb: number]) => void;
  /** Stage 1 over `n` bytes of lanes: tre += c x, tim += s x (the kernel is copied to the scratch as float32). */
  taps: (x: number, c: number, s: number, tre: number, tim: number, n: number) => void;
}

/**
 * Floats of scratch that frequencyMatrices32 needs for an h x w x c_in x c_out kernel on n_w columns: stage-1
 * buffers (an upper bound over the block sizes it picks), twiddles, and a float32 copy of the kernel.
 */
export function dftScratchFloats(shape: readonly number[], nw: number): number {
  const [h, w, ci, co] = shape;
  return kernelCopyAt(h, nw) + h * w * ci * co;
}
/** Where (in floats from `scratch`) the kernel copy starts: after T (re, im) and the twiddles, 16-byte aligned. */
function kernelCopyAt(h: number, nw: number): number {
  return 2 * Math.max(64 * h * nw, DFT_BLOCK) + 2 * h + 16;
}
const DFT_BLOCK = 65536;

/** The same matrices rounded to float32, computed and stored in a WebAssembly heap (`dft`), see sedghi.ts. */
export function frequencyMatrices32(kernel: KernelHWIO, nh: number, nw: number, dft: HeapDft): FrequencyMatrices32 {
  if (dft.data % 16 || dft.scratch % 16)
    throw new KernelError('frequencyMatrices32: heap offsets must be 16-byte aligned.');
  return fillFrequencyMatrices(
    kernel,
    nh,
    nw,
    undefined,
    (n) => dft.heap.subarray(dft.data / 4, dft.data / 4 + n),
    dft,
  );
}

export type FrequencyMatrices32 = Omit<FrequencyMatrices, 'data'> & { data: Float32Array };

/** At least the number of half-spectrum frequencies of an n_h x n_w input (for sizing buffers). */
export function frequencyMatrixCount(nh: number, nw: number): number {
  return Math.floor((nh * nw) / 2) + 2;
}

/** Buffers above this size are not kept by reusableFrequencyBuffer. */
const REUSABLE_MAX_BYTES = 2 ** 29;
let reusable: Float64Array | undefined;

/**
 * An `out` for frequencyMatrices that this thread keeps for its next call, for callers that drop the matrices before
 * they return: writing 100+ MB of fresh memory costs ~0.1 s of page faults (a ResNet-18 layer's matrices), a
 * sixth of its Gram iteration. In a WebAssembly memory of this thread's (the float64 SIMD DFT, fft2-heap.ts) where
 * WebAssembly SIMD runs, else a Float64Array; undefined (a fresh buffer) above 2^29 bytes.
 */
export function reusableFrequencyBuffer(
  kernel: KernelHWIO,
  nh: number,
  nw: number,
): Float64Array | HeapOut | undefined {
  const [, , ci, co] = kernel.shape;
  const need = frequencyMatrixCount(nh, nw) * 2 * ci * co;
  if (need * 8 > REUSABLE_MAX_BYTES) return undefined;
  // The SIMD DFT takes channel pairs two by two: an odd c_in c_out is computed in JavaScript, into the array.
  const memory = (ci * co) % 2 === 0 ? ownDftMemory() : null;
  if (memory) return { memory, at: 0 };
  if (!reusable || reusable.length < need) reusable = new Float64Array(need);
  return reusable;
}

function fillFrequencyMatrices<D extends Float64Array | Float32Array>(
  kernel: KernelHWIO,
  nh: number,
  nw: number,
  freqs: FrequencySet | undefined,
  alloc: (n: number) => D,
  dft?: HeapDft,
  heap64?: HeapOut,
): Omit<FrequencyMatrices, 'data'> & { data: D } {
  const [h, w, ci, co] = kernel.shape;
  const set = freqs ?? halfSpectrumFrequencies(nh, nw);
  const count = set.u.length;
  const transposed = ci > co;
  const rows = Math.min(ci, co);
  const cols = Math.max(ci, co);
  const m = ci * co;
  // With the small side as rows, the channel index j = row * cols + col is the same in kernel and output.
  const W = transposed ? transposeChannels(kernel) : kernel.data;

  const { vIndex, vList } = distinctColumns(set, nw);
  const nv = vList.length;
  const { cos: cosV, sin: sinV } = twiddles(vList, nw, w);
  const { cos: cosU, sin: sinU } = twiddles(set.u, nh, h);
  const partner = uPartners(set, nh, nw);
  if (heap64) {
    const column = (f: number) => vIndex[set.v[f]];
    const plan = { h, w, m, count, column, nv, cosV, sinV, cosU, sinU, partner };
    const made = heapDft64(W, plan, heap64);
    if (made)
      return { ...set, nh, nw, rows, cols, transposed, count, data: made.data as D, sumSquares: made.sumSquares };
  }
  const { B, tSize, cs, sn, Tre, Tim, wAt } = dftBuffers(h, nw, nv, m, W, dft);
  const block = 2 * rows * cols;
  // Every entry is assigned below, so a reused buffer (`out`, e.g. a caller's scratch) needs no clearing; a
  // reused buffer also skips the page faults of first touch (~1 ms per MB here).
  const data = alloc(count * block);
  for (let j0 = 0; j0 < m; j0 += B) {
    const jb = Math.min(B, m - j0);
    // Stage 1: T[k][v] = sum_l W[k,l] e^{-2 pi i v l / n_w} for this block of channel pairs.
    Tre.fill(0);
    Tim.fill(0);
    if (dft) heapTaps(dft, { h, w, nv, m, B, tSize, wAt }, cosV, sinV, j0, jb);
    else jsTaps(W, Tre, Tim, { h, w, nv, m, B }, cosV, sinV, j0, jb);
    // Stage 2: K(u,v) = sum_k T[k][v] e^{-2 pi i u k / n_h}. (u,v) and (-u,v) share the products of T with
    // cos and sin: with P = sum a cos, Q = sum b sin, R = sum b cos, S = sum a sin (T = a + ib),
    // K(u,v) = (P + Q) + i(R - S) and K(-u,v) = (P - Q) + i(R + S); the sums over k stay in registers.
    for (let f = 0; f < count; f++) {
      const g = partner[f];
      if (g >= 0 && g < f) continue;
      const vi = vIndex[set.v[f]];
      for (let k = 0; k < h; k++) {
        cs[k] = cosU[f * h + k];
        sn[k] = -sinU[f * h + k];
      }
      const t0 = vi * B;
      const tStep = nv * B;
      const oRe = f * block + j0;
      const oIm = oRe + rows * cols;
      const gRe = g >= 0 ? g * block + j0 : -1;
      const gIm = gRe + rows * cols;
      if (dft) {
        heapCombine(dft, tSize, h, t0, tStep, oRe, oIm, gRe, gIm, jb);
        continue;
      }
      for (let jj = 0; jj < jb; jj++) {
        let P = 0;
        let Q = 0;
        let R = 0;
        let S = 0;
        for (let k = 0, t = t0 + jj; k < h; k++, t += tStep) {
          const a = Tre[t];
          const b = Tim[t];
          P += a * cs[k];
          Q += b * sn[k];
          R += b * cs[k];
          S += a * sn[k];
        }
        data[oRe + jj] = P + Q;
        data[oIm + jj] = R - S;
        if (gRe >= 0) {
          data[gRe + jj] = P - Q;
          data[gIm + jj] = R + S;
        }
      }
    }
  }
  return { ...set, nh, nw, rows, cols, transposed, count, data };
}

/**
 * The DFT's working buffers for blocks of B channel pairs: stage 1's T (re, im; h x n_v x B each) and stage 2's
 * twiddle row (cs, sn), float64 on the JS path; in the heap's scratch for `dft`, which also gets the kernel W as
 * float32 at `wAt` (floats from the heap's start).
 */
function dftBuffers(
  h: number,
  nw: number,
  nv: number,
  m: number,
  W: KernelHWIO['data'],
  dft?: HeapDft,
): {
  B: number;
  tSize: number;
  cs: Float64Array | Float32Array;
  sn: Float64Array | Float32Array;
  Tre: Float64Array | Float32Array;
  Tim: Float64Array | Float32Array;
  wAt: number;
} {
  // A multiple of 4 so that the SIMD stage 2 (dft) sees whole f32x4 lanes (m is then a multiple of 4 too).
  // The SIMD stage 2 is one call per (frequency, block): larger blocks (T up to 256 KB per part) amortise it.
  const B =
    4 * Math.floor(Math.max(64, Math.min(dft ? 2048 : 512, Math.floor((dft ? DFT_BLOCK : 16384) / (h * nv)))) / 4);
  const tSize = h * nv * B;
  const s4 = dft ? dft.scratch / 4 : 0;
  if (dft && (m % 4 || 2 * tSize + 2 * h > kernelCopyAt(h, nw))) {
    throw new KernelError('frequencyMatrices32: needs c_in * c_out divisible by 4 and dftScratchFloats() of scratch.');
  }
  const cs = dft ? dft.heap.subarray(s4 + 2 * tSize, s4 + 2 * tSize + h) : new Float64Array(h);
  const sn = dft ? dft.heap.subarray(s4 + 2 * tSize + h, s4 + 2 * tSize + 2 * h) : new Float64Array(h);
  const Tre = dft ? dft.heap.subarray(s4, s4 + tSize) : new Float64Array(tSize);
  const Tim = dft ? dft.heap.subarray(s4 + tSize, s4 + 2 * tSize) : new Float64Array(tSize);
  const wAt = s4 + kernelCopyAt(h, nw);
  if (dft) dft.heap.set(W, wAt);
  return { B, tSize, cs, sn, Tre, Tim, wAt };
}

/** Stage 1 in float64 JS for channel pairs j0 .. j0 + jb: T[k][v] += W[k,l] e^{-2 pi i v l / n_w} over l. */
function jsTaps(
  W: KernelHWIO['data'],
  Tre: Float64Array | Float32Array,
  Tim: Float64Array | Float32Array,
  g: { h: number; w: number; nv: number; m: number; B: number },
  cosV: Float64Array,
  sinV: Float64Array,
  j0: number,
  jb: number,
): void {
  const { h, w, nv, m, B } = g;
  for (let k = 0; k < h; k++) {
    for (let vi = 0; vi < nv; vi++) {
      const t = (k * nv + vi) * B;
      for (let l = 0; l < w; l++) {
        const c = cosV[vi * w + l];
        const s = sinV[vi * w + l];
        const src = (k * w + l) * m + j0;
        for (let jj = 0; jj < jb; jj++) {
          const x = W[src + jj];
          Tre[t + jj] += c * x;
          Tim[t + jj] += s * x;
        }
      }
    }
  }
}

/** Stage 1 in the heap (dft.taps, float32 lanes) for channel pairs j0 .. j0 + jb, on the kernel copy at wAt. */
function heapTaps(
  dft: HeapDft,
  g: { h: number; w: number; nv: number; m: number; B: number; tSize: number; wAt: number },
  cosV: Float64Array,
  sinV: Float64Array,
  j0: number,
  jb: number,
): void {
  const { h, w, nv, m, B, tSize, wAt } = g;
  const s4 = dft.scratch / 4;
  for (let k = 0; k < h; k++) {
    for (let vi = 0; vi < nv; vi++) {
      const t = 4 * (s4 + (k * nv + vi) * B);
      for (let l = 0; l < w; l++) {
        dft.taps(4 * (wAt + (k * w + l) * m + j0), cosV[vi * w + l], sinV[vi * w + l], t, t + 4 * tSize, 4 * jb);
      }
    }
  }
}

/**
 * Stage 2 in the heap (dft.combine) for one frequency and one block: the same operands as the JS loop, as byte
 * offsets (T at t0 with stride tStep, outputs oRe/oIm and the (-u, v) partner's gRe/gIm, -1 when none).
 */
function heapCombine(
  dft: HeapDft,
  tSize: number,
  h: number,
  t0: number,
  tStep: number,
  oRe: number,
  oIm: number,
  gRe: number,
  gIm: number,
  jb: number,
): void {
  // (No closure here: esbuild's keepNames wraps every closure created in this hot loop.)
  const d0 = dft.data;
  dft.combine(
    dft.scratch + 4 * t0,
    dft.scratch + 4 * (tSize + t0),
    4 * tStep,
    dft.scratch + 8 * tSize,
    dft.scratch + 8 * tSize + 4 * h,
    h,
    d0 + 4 * oRe,
    d0 + 4 * oIm,
    gRe >= 0 ? d0 + 4 * gRe : -1,
    gRe >= 0 ? d0 + 4 * gIm : -1,
    jb,
  );
}

/** W[k,l,i,o] -> W'[k,l,o,i], so that the smaller channel side comes first. */
function transposeChannels(kernel: KernelHWIO): Float64Array {
  const [h, w, ci, co] = kernel.shape;
  const out = new Float64Array(kernel.data.length);
  for (let p = 0; p < h * w; p++) {
    const base = p * ci * co;
    for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) out[base + o * ci + i] = kernel.data[base + i * co + o];
  }
  return out;
}
