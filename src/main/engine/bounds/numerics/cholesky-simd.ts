/**
 * Whether floating-point Cholesky of mu I - G succeeds, in float64 WebAssembly SIMD (kernels/cholesky.wat) with
 * the panel updates split over two threads: the certificate of linalg64.certifyLambdaMax, the same algorithm as
 * blas64.choleskyInPlace (same products, other summation order; the .wat header says why the bound still holds).
 * Why: after the Gram, this factorisation (n^3 / 6 multiply-adds) is the largest cost of a certified F4 norm.
 */
import { awaitCommand, sendCommand, startKernelHelper, type CommandThread } from '../../command-thread.js';
import { growMemoryTo, instantiateOnOwnMemory, type WasmMemory } from '../../kernels/index.js';

/** Columns per panel: the panel factorisation costs ~N^2 PANEL / 4 multiply-adds on one thread, the update the rest. */
const PANEL = 64;
/** Below this size the factorisation takes a few ms: no thread hand-off. */
const SPLIT_MIN = 256;

/**
 * cholesky.wat's update: C -= X_rows X_rows^T on rows [r0, r1) x columns [J, J1), inner length K (byte strides);
 * fresh = 1: C = -X_rows X_rows^T whatever C held (a Gram's formation).
 */
type Update = (
  c: number,
  ldc: number,
  x: number,
  ldx: number,
  J: number,
  J1: number,
  r0: number,
  r1: number,
  K: number,
  fresh: number,
) => void;
interface CholeskyKernel {
  update: Update;
  panel: (a: number, N: number, J: number, J1: number, rEnd: number) => number;
  solveRows: (a: number, N: number, J: number, J1: number, r0: number, r1: number) => void;
  /** cholesky.wat's widen (byte offsets; the last argument is scale). */
  widen: (...args: number[]) => void;
  scan: (src: number, n: number, dst: number) => void;
  memory: WasmMemory;
  helper: { thread: CommandThread | null; args: Int32Array };
}

/** args[READY] is set by the helper once it has started: until then its share of the rows runs here. */
const READY = 11;
const SETUP = `
const ex = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } }).exports;
const args = new Int32Array(workerData.args);
Atomics.store(args, ${READY}, 1);
`;
const BODY = `
if (arg === 0) ex.update(args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7], args[8], args[9]);
else if (arg === 1) ex.solveRows(args[0], args[1], args[2], args[3], args[4], args[5]);
else ex.widen(args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7], args[8], args[9], 2 ** args[10]);
`;

let kernel: CholeskyKernel | null | undefined;

/** The compiled kernel (on shared memory with a helper thread where possible), or null without WebAssembly SIMD. */
function choleskyKernel(): CholeskyKernel | null {
  if (kernel !== undefined) return kernel;
  const wasm = instantiateOnOwnMemory('cholesky');
  if (!wasm) return (kernel = null);
  const { memory, shared } = wasm;
  const args = new Int32Array(new SharedArrayBuffer(48));
  const thread = shared ? startKernelHelper(SETUP, BODY, { module: wasm.module, memory, args: args.buffer }) : null;
  return (kernel = {
    update: wasm.exports.update as Update,
    panel: wasm.exports.panel as CholeskyKernel['panel'],
    solveRows: wasm.exports.solveRows as CholeskyKernel['solveRows'],
    widen: wasm.exports.widen as CholeskyKernel['widen'],
    scan: wasm.exports.scan as CholeskyKernel['scan'],
    memory,
    helper: { thread, args },
  });
}

/**
 * True iff Cholesky of fl(mu I - G) (G symmetric n x n, row-major; diagonal entries fl(mu - g_ii), off-diagonal
 * -g_ij, exactly as certifyLambdaMax forms them) runs to completion with positive pivots; null where WebAssembly
 * SIMD is unavailable (the caller factors in JS). The matrix is padded to a multiple of 4 with an identity block:
 * its rows factor exactly (zero products, unit pivots) and leave the leading n x n factorisation unchanged.
 */
export function shiftedCholeskySucceeds(G: Float64Array, n: number, mu: number): boolean | null {
  const k = choleskyKernel();
  if (!k) return null;
  generation++;
  const N = Math.ceil(n / 4) * 4;
  const A = kernelHeap(k, N * N);
  for (let i = 0; i < n; i++) {
    // Only the lower triangle is read: copy and negate row i up to the diagonal.
    const r = i * N;
    const g = i * n;
    for (let j = 0; j < i; j++) A[r + j] = -G[g + j];
    A[r + i] = mu - G[g + i];
  }
  padWithIdentity(A, 0, n, N);
  return factorInPlace(k, 0, N) ?? shiftedCholeskySucceeds(G, n, mu);
}

/** Whether the helper thread has started and takes its share of the rows (false where there is none). */
export function choleskyHelperStarted(): boolean {
  const k = choleskyKernel();
  return !!k?.helper.thread && Atomics.load(k.helper.args, READY) === 1;
}

/** A float64 view of the kernel's first `floats` floats, the memory grown to hold them. */
function kernelHeap(k: CholeskyKernel, floats: number): Float64Array {
  if (staged && floats * 8 > staged.at) staged = null; // its user may write over the staged kernel
  growMemoryTo(k.memory, floats * 8);
  return new Float64Array(k.memory.buffer, 0, floats);
}

/** Rows [n, N) of the N x N matrix at float offset `at`: zero left of the diagonal, 1 on it. */
function padWithIdentity(A: Float64Array, at: number, n: number, N: number): void {
  for (let i = n; i < N; i++) {
    A.fill(0, at + i * N, at + i * N + i);
    A[at + i * N + i] = 1;
  }
}

/**
 * Cholesky in place of the N x N lower triangle at float offset `at` of the kernel's memory: true if every pivot is
 * positive, false at the first that is not, null if the helper thread failed mid-way (it is dropped; the matrix is
 * then in an unknown state and the caller forms it again).
 */
function factorInPlace(k: CholeskyKernel, at: number, N: number): boolean | null {
  const a = 8 * at;
  for (let J = 0; J < N; J += PANEL) {
    const J1 = Math.min(N, J + PANEL);
    if (J > 0 && !update(k, { c: a, ldc: 8 * N, x: a, ldx: 8 * N, K: J, fresh: 0 }, N, J, J1)) return null;
    if (!k.panel(a, N, J, J1, J1)) return false;
    // The rows below the diagonal block: independent triangular solves, split like the update.
    const rows = (r0: number, r1: number) => [a, N, J, J1, r0, r1];
    if (J1 < N && !onTwoThreads(k, 1, rows, J1, N, J1 + Math.round((N - J1) / 4) * 2, N)) return null;
  }
  return true;
}

/** Where update reads and writes (byte offsets and strides), the inner length, and whether C is formed afresh. */
interface Operands {
  c: number;
  ldc: number;
  x: number;
  ldx: number;
  K: number;
  fresh: 0 | 1;
}

/**
 * Rows [J, N) of columns [J, J1) updated: the second half of the rows on the helper. False if the helper failed or
 * stalled (then it is dropped, and its rows are in an unknown state).
 */
function update(k: CholeskyKernel, o: Operands, N: number, J: number, J1: number): boolean {
  const args = (r0: number, r1: number) => [o.c, o.ldc, o.x, o.ldx, J, J1, r0, r1, o.K, o.fresh];
  return onTwoThreads(k, 0, args, J, N, balancedSplit(N, J, J1), N);
}

/**
 * The row s splitting update's rows [J, N) into two halves of equal cost (s - J even: update takes rows in pairs).
 * Each row below the diagonal block costs the same D = J1 - J columns of products, a row i of the block only the
 * i - J + 2 left of the diagonal, D / 2 on average: halving the rows instead left the first thread (which gets the
 * block) up to a quarter less work than the helper on the last panels. The block's cost to row J + x is ~x^2 / 2.
 */
function balancedSplit(N: number, J: number, J1: number): number {
  const D = J1 - J;
  const half = D / 4 + (N - J1) / 2; // half of D (D / 2) + (N - J1) D, in units of D products
  const x = half >= D / 2 ? D + (half - D / 2) : Math.sqrt(2 * D * half);
  return Math.min(N, J + Math.round(x / 2) * 2);
}

/**
 * Command `which` of BODY (0 update, 1 solveRows, 2 widen) with args(r0, s) here while the helper runs args(s, r1); all of
 * [r0, r1) here when there is no helper (or it has not started yet) or the matrix is small. False if the helper
 * failed or stalled (it is dropped; its rows are in an unknown state, so the caller starts over).
 */
function onTwoThreads(
  k: CholeskyKernel,
  which: 0 | 1 | 2,
  args: (r0: number, r1: number) => number[],
  r0: number,
  r1: number,
  s: number,
  N: number,
): boolean {
  const run = (a: number[]) => {
    if (which === 2) k.widen(...a.slice(0, 10), 2 ** a[10]);
    else (which === 0 ? (k.update as (...x: number[]) => void) : (k.solveRows as (...x: number[]) => void))(...a);
  };
  const t = k.helper.thread;
  // A helper still starting (a Node worker takes tens of ms, far more on a loaded machine) is not waited for.
  if (!t || N < SPLIT_MIN || r1 - r0 < 16 || Atomics.load(k.helper.args, READY) !== 1) {
    run(args(r0, r1));
    return true;
  }
  k.helper.args.set(args(s, r1));
  sendCommand(t, which);
  run(args(r0, s));
  if (awaitCommand(t, 60_000) === 'done') return true;
  k.helper.thread = null;
  return false;
}

/**
 * A Gram G = X X^T left where residentGram formed it, in the kernel's memory (as C = -G, lower triangle), so its
 * certificate factors it there: no n^2 copy out to JavaScript and back in (for a 1536 Gram, 19 MB each way, ~10% of
 * the Gram's own time). Valid until the kernel's memory is next used (by any Gram or factorisation): then every
 * method throws.
 */
export interface ResidentGram {
  n: number;
  /** g_ii, i < n. */
  diag: Float64Array;
  /**
   * shiftedCholeskySucceeds(G, n, mu) without the copy: the same matrix fl(mu I - G) (C's entries are -g_ij exactly,
   * and mu + c_ii = fl(mu - g_ii)), factored in place. A second call forms G again from X first (the factorisation
   * overwrote it): a retry costs a Gram, which is only needed when the estimate behind mu was low.
   */
  shiftedCholesky(mu: number): boolean;
  /** G as a JS array, both triangles (formed again first if a factorisation used it up). */
  toArray(): Float64Array;
}

/** Bumped by every use of the kernel's memory, so a ResidentGram knows when it has been overwritten. */
let generation = 0;

/**
 * G = X X^T (n x n) of the n x m matrix whose rows `fill` writes (row r at r * ld of the view it is given, ld >= m;
 * it must write all n m entries, the padding is zeroed here), in float64 WebAssembly SIMD on two threads, kept in
 * the kernel's memory (ResidentGram), or null where that is unavailable. Each entry is a sum of the same m products
 * in some order, so |fl(G) - X X^T| <= gamma_m |X| |X|^T as linalg64.scaledGram requires.
 */
export function residentGram(
  n: number,
  m: number,
  fill: (X: Float64Array, ld: number, widen: WidenRuns) => void,
): ResidentGram | null {
  const k = choleskyKernel();
  if (!k) return null;
  const mine = ++generation;
  const N = Math.ceil(n / 4) * 4;
  const M = Math.ceil(m / 2) * 2;
  const gAt = N * M; // float64 offsets: X, then C = -G
  let heap = kernelHeap(k, gAt + N * N);
  // fill writes every entry of the n x m block; the padding starts at zero. C is not zeroed: update's fresh mode
  // stores -sum over whatever it held (cholesky.wat), and only its lower triangle, which update writes, is read.
  for (let r = 0; r < n; r++) heap.fill(0, r * M + m, r * M + M);
  heap.fill(0, n * M, gAt);
  fill(heap.subarray(0, gAt), M, (W, shape, strides, scale) =>
    widenRuns(k, 8 * (gAt + N * N), N, W, shape, strides, scale),
  );
  heap = kernelHeap(k, gAt + N * N); // widen may have grown the memory
  const o: Operands = { c: 8 * gAt, ldc: 8 * N, x: 0, ldx: 8 * M, K: M, fresh: 1 };
  const form = () => {
    for (let J = 0; J < N; J += PANEL) {
      // A failed helper may have written part of its rows: form it again on this thread (the helper is dropped).
      if (!update(k, o, N, J, Math.min(N, J + PANEL))) return form();
    }
  };
  form();
  let formed = true; // C holds -G, not a factorisation of it
  /** Check the Gram is still there, and form it again if a factorisation used it up. */
  const formedAgain = () => {
    if (generation !== mine) {
      throw new Error(
        'cholesky-simd: this resident Gram was overwritten by a later Gram or factorisation; ' +
          'use it before forming the next.',
      );
    }
    if (!formed) form();
    formed = true;
  };
  const diag = new Float64Array(n);
  for (let i = 0; i < n; i++) diag[i] = -heap[gAt + i * N + i];
  const shiftedCholesky = (mu: number): boolean => {
    formedAgain();
    for (let i = 0; i < n; i++) heap[gAt + i * N + i] = mu - diag[i];
    padWithIdentity(heap, gAt, n, N);
    formed = false;
    return factorInPlace(k, gAt, N) ?? shiftedCholesky(mu);
  };
  return {
    n,
    diag,
    shiftedCholesky,
    toArray() {
      formedAgain();
      const G = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        const r = gAt + i * N;
        for (let j = 0; j <= i; j++) G[i * n + j] = -heap[r + j];
      }
      // The upper triangle by 32 x 32 tiles (a column-wise write of 19 MB would miss the cache on every entry).
      for (let i0 = 0; i0 < n; i0 += 32) {
        for (let j0 = 0; j0 <= i0; j0 += 32) {
          for (let i = i0; i < Math.min(n, i0 + 32); i++) {
            for (let j = j0; j < Math.min(i, j0 + 32); j++) G[j * n + i] = G[i * n + j];
          }
        }
      }
      return G;
    },
  };
}

/**
 * What residentGram's fill may call to write X from a float32 HWIO kernel W = [h, w, c_in, c_out]: each c_out-long
 * run q = (k w + l) c_in + i of W goes, times scale, to X's float offset k dk + l dl + i di (strides in X's floats,
 * ld included), by cholesky.wat's widen on two threads. False, with nothing written, where it does not apply (c_out
 * not a multiple of 4, scale not a power of two): then fill writes X itself.
 */
export type WidenRuns = (
  W: Float32Array,
  shape: [number, number, number, number],
  strides: [dk: number, dl: number, di: number],
  scale: number,
) => boolean;

/** The float32 kernel stageKernel left at byte offset `at`, until a use of the memory reaches it (kernelHeap). */
let staged: { W: Float32Array; at: number } | null = null;

/**
 * Copy a float32 kernel into the kernel's memory at byte offset `at` and read it once there (cholesky.wat scan):
 * max |w| and the float64 sum of the squares (NaN or Inf if a weight is). The caller places it clear of the X and
 * C of the Grams it forms next, whose widenRuns then read it from there instead of copying it again. Null where the
 * kernel is unavailable, the length is not a multiple of 4 or the memory cannot hold it.
 */
export function stageKernel(W: Float32Array, at: number): { maxAbs: number; sumSquares: number } | null {
  const k = choleskyKernel();
  if (!k || W.length % 4 !== 0 || at % 16 !== 0) return null;
  const end = at + 4 * W.length;
  try {
    kernelHeap(k, end / 8 + 2);
  } catch {
    return null;
  }
  new Float32Array(k.memory.buffer, at, W.length).set(W);
  k.scan(at, W.length, end);
  const out = new Float64Array(k.memory.buffer, end, 2);
  staged = { W, at };
  return { maxAbs: out[0], sumSquares: out[1] };
}

/** Forget the staged kernel (its caller is done with it: the array may change after). */
export function unstageKernel(): void {
  staged = null;
}

/** WidenRuns with W's copy placed at byte offset wAt (after C), N the Gram's padded size (for onTwoThreads). */
function widenRuns(
  k: CholeskyKernel,
  wAt: number,
  N: number,
  W: Float32Array,
  [h, w, ci, co]: [number, number, number, number],
  [dk, dl, di]: [number, number, number],
  scale: number,
): boolean {
  const e = Math.log2(scale);
  if (co % 4 !== 0 || !Number.isInteger(e) || Math.abs(e) > 1000) return false;
  if (staged?.W === W && staged.at >= wAt)
    wAt = staged.at; // already there (stageKernel), clear of X and C
  else {
    try {
      kernelHeap(k, wAt / 8 + Math.ceil(W.length / 2));
    } catch {
      return false; // no room for W's copy beside X and C (the memory's 4 GiB): the caller's fill writes X
    }
    new Float32Array(k.memory.buffer, wAt, W.length).set(W);
  }
  const Q = h * w * ci;
  const args = (q0: number, q1: number) => [wAt, 0, w, ci, co, 8 * dk, 8 * dl, 8 * di, q0, q1, e];
  // A failed helper may have written part of its runs: write them all here (the helper is dropped).
  if (!onTwoThreads(k, 2, args, 0, Q, Q >> 1, N)) k.widen(...args(0, Q).slice(0, 10), scale);
  return true;
}

/** residentGram's G as a JS array (both triangles), or null where the SIMD kernel is unavailable. */
export function simdGram(n: number, m: number, fill: (X: Float64Array, ld: number) => void): Float64Array | null {
  return residentGram(n, m, fill)?.toArray() ?? null;
}
