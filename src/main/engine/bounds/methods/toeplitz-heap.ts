/**
 * The arithmetic of the Toeplitz bound's self-correlations (toeplitz-step.ts) on one float64 heap: the DFT stages
 * (kernels/toeplitz.wat forward, toeplitz-inverse.wat back: out[f][j] = sum_k tw[f][k] in[k][j] over long rows of
 * channel pairs) and the per-frequency Grams A A^H (toeplitz-gram.wat gauss), in WebAssembly SIMD on two cores where
 * it runs, else the same sums in JavaScript.
 * Both compute in float64 with the same chains of multiply-adds, so toeplitz-enclosure.ts's error bounds hold for
 * either; the SIMD heap also has float32 Grams (gauss32, for the last step; their own allowance). All offsets are in
 * bytes.
 */
import { awaitCommand, sendCommand, startKernelHelper, type CommandThread } from '../../command-thread.js';
import { growMemoryTo, instantiateKernel, instantiateOnOwnMemory, type WasmMemory } from '../../kernels/index.js';
import { makeJsHeap } from './toeplitz-heap-js.js';

export interface CorrelationHeap {
  /** 'simd' (toeplitz.wat, float64) or 'js' (float64 JavaScript). */
  path: 'simd' | 'js';
  /** The heap as float64 (re-read after ensure, which may replace it). */
  f64: Float64Array;
  /** Threads sharing the work: 2 with a helper thread, else 1. */
  readonly threads: number;
  ensure(bytes: number): void;
  /**
   * Real input rows, complex output: out[f] = sum_k tw[f][k] in[k], lanes [0, n) in doubles. Each stage takes
   * stageScratchBytes(K) of scratch at `scratch` (the helper thread takes the next as many).
   */
  rmix(...args: [...RealStageArgs, scratch: number]): void;
  /**
   * The forward DFT along u from real cos / sin tables tw[u][k] (u < F): rows u and (nh - u) mod nh of
   * out = sum_k in[k] e^{-2 pi i u k / nh} at once (toeplitz.wat cmixpm).
   */
  cmixPair(...args: [...PairStageArgs, scratch: number]): void;
  /**
   * The inverse DFT along u from the pairs (u, -u), u < K, of the nh input rows: out[x] = sum_u c[x][u] (in[u] +
   * in[-u]) + i s[x][u] (in[u] - in[-u]) for x < F (toeplitz-inverse.wat cmixpminv).
   */
  cmixPairInv(...args: [...PairStageArgs, scratch: number]): void;
  /** Complex input, the real part of the output only. */
  cmixr(...args: [...RealPartStageArgs, scratch: number]): void;
  /**
   * For each pair (src, dst) of `pairs` (flat): Z = A A^H (P x P, both triangles) of the complex P x C matrix A
   * (P, C even), A's real part at src and imaginary part P C doubles on, Z likewise at dst; by Gauss's three real
   * products (toeplitz.wat gauss), with 4 P C doubles of scratch at `scratch` (2 P C per thread).
   */
  grams(pairs: number[], P: number, C: number, scratch: number): void;
  /**
   * grams with A rounded to float32 and the products in float32 (toeplitz-gram.wat gauss32), Z still float64; 16 P C4
   * bytes of scratch per thread (C4 = C rounded up to a multiple of 4). Absent where only float64 runs (JavaScript).
   */
  grams32?: (pairs: number[], P: number, C: number, scratch: number) => void;
  /** The float64 sum of the squares of n doubles at p (n even). */
  sumsq(p: number, n: number): number;
  /** Multiply n doubles at p (n even) by s. */
  scale(p: number, n: number, s: number): void;
  /** rows[a] += sum_b |Z[a][b]|, cols[b] += |Z[a][b]| for the P x P block Z at p (rows, cols: P doubles each). */
  abssum(p: number, P: number, rows: number, cols: number): void;
  /** to[a][b] = from[b][a] for a P x P block of doubles (P even). */
  transpose(from: number, to: number, P: number): void;
  /** Stop the helper thread; the heap is not used again. */
  release(): void;
}

/** A DFT stage with real input rows (stride inStride, K of them) and complex output rows; n lanes in doubles. */
export type RealStageArgs = [
  inp: number,
  inStride: number,
  K: number,
  tw: Twiddles,
  out: number,
  outIm: number,
  outStride: number,
  n: number,
];
/** A DFT stage along u of nh rows with complex input and output rows (cmixPair, cmixPairInv). */
export type PairStageArgs = [
  inp: number,
  inIm: number,
  inStride: number,
  K: number,
  tw: Twiddles,
  nh: number,
  out: number,
  outIm: number,
  outStride: number,
  n: number,
];
/** A DFT stage with complex input rows of which only the real part of the output is kept (cmixr). */
export type RealPartStageArgs = [
  inp: number,
  inIm: number,
  inStride: number,
  K: number,
  tw: Twiddles,
  out: number,
  outStride: number,
  n: number,
];

/**
 * Scratch bytes per thread of a DFT stage over K input rows: the most, cmixPairInv's, the pairs' sums and differences
 * for a block of 8 KB of lanes (32 KB per pair) and four rows' twiddles (64 bytes per pair), toeplitz-inverse.wat
 * cmixpminv; cmixr's four rows' twiddles (64 bytes per row), and from K = 7 rows the other stages' copy of a block of
 * their K rows (8 or 16 KB per row), lane by lane (toeplitz.wat, gather: rows a multiple of 4 KB apart, read in place,
 * all fall in the same L1 set).
 */
export const stageScratchBytes = (K: number): number => K * STAGE_SCRATCH_PER_K;
const STAGE_SCRATCH_PER_K = 32768 + 64;

/** C4: the float32 Grams' row length (gauss32 pads the rows of C columns, C even, with zeros to a multiple of 4). */
export const columns4 = (C: number): number => C + (C % 4);

/** A table of F x K complex twiddles placed in the heap: real parts at re, imaginary parts at im. */
export interface Twiddles {
  re: number;
  im: number;
  F: number;
}

/** Below this many bytes per row a stage is not worth a thread hand-off. */
const SPLIT_BYTES = 32 * 1024;

let cached: CorrelationHeap | null | undefined;
let idle: ReturnType<typeof setTimeout> | undefined;
/**
 * A WebAssembly memory never shrinks, and a 512-channel layer grows it to ~340 MB: a long-lived process (the app's
 * engine thread) lets the heap and its helper thread go after this long unused; the next call makes a new one.
 */
const RELEASE_AFTER_MS = 10_000;

/** The SIMD heap where WebAssembly SIMD runs, else a JavaScript one. */
export function correlationHeap(prefer: 'simd' | 'js' = 'simd'): CorrelationHeap {
  if (prefer === 'simd') {
    if (cached === undefined) cached = makeSimdHeap();
    if (cached) {
      // (a synchronous caller finishes before the timer can fire)
      clearTimeout(idle);
      idle = setTimeout(() => {
        cached?.release();
        cached = undefined;
      }, RELEASE_AFTER_MS);
      idle.unref?.();
      return cached;
    }
  }
  return makeJsHeap();
}

type Mix = (...args: number[]) => void;

/** Pairs handed to the helper per command (the list lives in a shared Int32Array). */
const LIST = 8192;

/**
 * The helper thread holds its own instances of the three kernels on the same shared memory. Commands (control word 3):
 * 0 rmix, 1 cmixpm, 2 cmixr, 4 cmixpminv over chunks of lanes, 3 the Grams of the list's pairs (5 in float32). Both
 * threads claim the next chunk or pair from a shared counter (args[COUNTER]) until none is left, so a helper that gets
 * its core late (a loaded machine) or an odd number of Grams costs no idle time here. Every item writes its own
 * outputs, so a failed helper's items are simply computed again.
 */
const COUNTER = 15;
const SETUP = `
const imports = { env: { memory: workerData.memory } };
const tz = new WebAssembly.Instance(workerData.toeplitz, imports).exports;
const tg = new WebAssembly.Instance(workerData.gram, imports).exports;
const ti = new WebAssembly.Instance(workerData.inverse, imports).exports;
const args = new Int32Array(workerData.args);
const list = new Int32Array(workerData.list);
const claim = () => Atomics.add(args, ${COUNTER}, 1);
`;
const BODY = `
if (arg === 3 || arg === 5) {
  const [P, C, n, scratch, own] = args;
  const gauss = arg === 3 ? tg.gauss : tg.gauss32;
  for (let i = claim(); i < n; i = claim())
    gauss(list[2 * i], list[2 * i] + 8 * P * C, P, C, list[2 * i + 1], list[2 * i + 1] + 8 * P * P, scratch + own);
} else {
  const fn = [tz.rmix, tz.cmixpm, ti.cmixr, null, ti.cmixpminv][arg];
  const k = fn.length - 2;
  const ops = Array.from(args.subarray(0, k));
  // this thread's scratch is the one after the caller's (stageScratchBytes of K = ops[2] for rmix, else ops[3])
  ops[k - 1] += ops[arg === 0 ? 2 : 3] * ${STAGE_SCRATCH_PER_K};
  const [rowBytes, chunk] = [args[k], args[k + 1]];
  for (let c = claim(); c * chunk < rowBytes; c = claim()) fn(...ops, c * chunk, Math.min(rowBytes, (c + 1) * chunk));
}
`;
/** Lanes per claimed chunk of a DFT stage: two of the kernels' 8 KB blocks. */
const CHUNK_BYTES = 16 * 1024;

function makeSimdHeap(): CorrelationHeap | null {
  const tz = instantiateOnOwnMemory('toeplitz');
  if (!tz) return null;
  // the Grams and the inverse DFT on the same memory, in the same variant (fused or plain) as the forward stages
  const [gram, inverse] = (['toeplitz-gram', 'toeplitz-inverse'] as const).map((name) =>
    instantiateKernel(name, { fused: tz.fused, shared: tz.shared }, { env: { memory: tz.memory } }),
  );
  return gram && inverse && simdHeap(tz.memory, tz.shared, { forward: tz, gram, inverse });
}

type Instance = { module: object; exports: Record<string, unknown> };

function simdHeap(
  memory: WasmMemory,
  shared: boolean,
  { forward: tz, gram, inverse }: Record<'forward' | 'gram' | 'inverse', Instance>,
): CorrelationHeap {
  const ex = { ...tz.exports, ...inverse.exports } as Record<'rmix' | 'cmixpm' | 'cmixr' | 'cmixpminv', Mix>;
  const { sumsq, scale, abssum, transpose } = tz.exports as {
    sumsq: (p: number, n: number) => number;
    scale: Mix;
    abssum: Mix;
    transpose: Mix;
  };
  const { gauss, gauss32 } = gram.exports as Record<'gauss' | 'gauss32', Mix>;
  // shared with the helper thread (plain buffers where there is none: no SharedArrayBuffer, e.g. a renderer)
  const buffer = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const args = new Int32Array(buffer(64));
  const list = new Int32Array(buffer(8 * LIST));
  const helper: Helper = {
    thread: shared
      ? startKernelHelper(SETUP, BODY, {
          toeplitz: tz.module,
          gram: gram.module,
          inverse: inverse.module,
          memory,
          args: args.buffer,
          list: list.buffer,
        })
      : null,
    args,
  };
  /** fn(...operands, j0, j1) over lanes [0, rowBytes), in chunks shared with the helper when it pays. */
  const split = (which: 0 | 1 | 2 | 4, operands: number[], rowBytes: number): void => {
    const fn = [ex.rmix, ex.cmixpm, ex.cmixr, ex.cmixr, ex.cmixpminv][which];
    if (!helper.thread || rowBytes < SPLIT_BYTES) return fn(...operands, 0, rowBytes);
    args.set([...operands, rowBytes, CHUNK_BYTES]);
    shareWork(helper, which, (claim) => {
      for (let c = claim(); c * CHUNK_BYTES < rowBytes; c = claim())
        fn(...operands, c * CHUNK_BYTES, Math.min(rowBytes, (c + 1) * CHUNK_BYTES));
    });
  };
  const heap: CorrelationHeap = {
    path: 'simd',
    f64: new Float64Array(memory.buffer),
    get threads() {
      return helper.thread ? 2 : 1;
    },
    ensure(bytes) {
      growMemoryTo(memory, bytes);
      if (heap.f64.buffer !== memory.buffer || heap.f64.length * 8 !== memory.buffer.byteLength)
        heap.f64 = new Float64Array(memory.buffer);
    },
    rmix: (inp, inStride, K, tw, out, outIm, outStride, n, scratch) =>
      split(0, [inp, inStride, K, tw.re, tw.im, tw.F, out, outIm, outStride, scratch], n * 8),
    cmixPair: (inp, inIm, inStride, K, tw, nh, out, outIm, outStride, n, scratch) =>
      split(1, [inp, inIm, inStride, K, tw.re, tw.im, tw.F, nh, out, outIm, outStride, scratch], n * 8),
    cmixPairInv: (inp, inIm, inStride, K, tw, nh, out, outIm, outStride, n, scratch) =>
      split(4, [inp, inIm, inStride, K, tw.re, tw.im, tw.F, nh, out, outIm, outStride, scratch], n * 8),
    cmixr: (inp, inIm, inStride, K, tw, out, outStride, n, scratch) =>
      split(2, [inp, inIm, inStride, K, tw.re, tw.im, tw.F, out, outStride, scratch], n * 8),
    grams: (pairs, P, C, scratch) =>
      simdGrams(helper, list, { gauss, command: 3, own: 16 * P * C }, pairs, P, C, scratch),
    grams32: (pairs, P, C, scratch) =>
      simdGrams(helper, list, { gauss: gauss32, command: 5, own: 16 * P * columns4(C) }, pairs, P, C, scratch),
    sumsq,
    scale,
    abssum,
    transpose,
    release() {
      if (helper.thread) void helper.thread.worker.terminate();
      helper.thread = null;
    },
  };
  return heap;
}

/** The helper thread (null without one, or once it failed) and the shared argument words. */
interface Helper {
  thread: CommandThread | null;
  args: Int32Array;
}

/**
 * Command `which` on the helper while this thread claims items too (work(claim): until claim() passes the last
 * item); if the helper fails or stalls, all items are computed again here (each writes only its own outputs).
 */
function shareWork(helper: Helper, which: number, work: (claim: () => number) => void): void {
  const { args } = helper;
  Atomics.store(args, COUNTER, 0);
  if (!helper.thread) return work(() => Atomics.add(args, COUNTER, 1));
  sendCommand(helper.thread, which);
  work(() => Atomics.add(args, COUNTER, 1));
  if (awaitCommand(helper.thread, 60_000) !== 'done') {
    helper.thread = null; // a failed or stalled helper is not reused
    let next = 0;
    work(() => next++);
  }
}

/**
 * CorrelationHeap.grams in SIMD (gauss, helper command 3) or grams32 (gauss32, command 5), LIST pairs at a time,
 * shared with the helper from two pairs up (the helper's scratch is `own` bytes on: each thread's share).
 */
function simdGrams(
  helper: Helper,
  list: Int32Array,
  { gauss, command, own }: { gauss: Mix; command: 3 | 5; own: number },
  pairs: number[],
  P: number,
  C: number,
  scratch: number,
): void {
  for (let c0 = 0; c0 < pairs.length / 2; c0 += LIST) {
    const chunk = pairs.slice(2 * c0, 2 * Math.min(pairs.length / 2, c0 + LIST));
    const n = chunk.length / 2;
    const gram = (i: number) =>
      gauss(chunk[2 * i], chunk[2 * i] + 8 * P * C, P, C, chunk[2 * i + 1], chunk[2 * i + 1] + 8 * P * P, scratch);
    if (!helper.thread || n < 2) {
      for (let i = 0; i < n; i++) gram(i);
      continue;
    }
    list.set(chunk);
    helper.args.set([P, C, n, scratch, own]);
    shareWork(helper, command, (claim) => {
      for (let i = claim(); i < n; i = claim()) gram(i);
    });
  }
}
