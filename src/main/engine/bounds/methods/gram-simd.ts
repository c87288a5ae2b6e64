/**
 * The squaring step of Gram iteration on float32 data in WebAssembly SIMD (kernels/gram.wat): a GramSquarer for
 * gram-iteration.ts whose matrices live in the kernel's memory. Why: each step is 1.5 P^2 C real multiply-adds per
 * frequency (C = P after the first); 4-wide float32 lanes do several times more per second than V8's scalar
 * float64 loop. Every float32 rounding is accounted for by gramEnclosure (gram-iteration.ts), so the bound stays
 * guaranteed.
 */
import { awaitCommand, sendCommand, startKernelHelper, type CommandThread } from '../../command-thread.js';
import { growMemoryTo, instantiateOnOwnMemory, tryGrowMemoryTo, type WasmMemory } from '../../kernels/index.js';
import { U32 } from '../numerics/rounding.js';
import type { FrequencyMatrices, HeapOut } from '../numerics/fft2.js';
import type { GramSquarer } from './gram-iteration.js';

/** Z = A A^H on float64 data (gram.wat's gram64, row-major, byte offsets, C even), all P rows. */
type Product = (re: number, im: number, P: number, C: number, outRe: number, outIm: number) => void;

interface GramKernel {
  gram64: Product;
  /**
   * The Gauss form's three real products of X = re + i im (float32 P x C, P and C multiples of 4; s = re + im,
   * d = re - im at s, d): t1 = re re^T, t2 = im im^T, t3 = s d^T, rows on and below the diagonal, the columns summed
   * in chunks of `chunkBytes` (gram.wat's xgram).
   */
  xgram3: (
    re: number,
    im: number,
    s: number,
    d: number,
    P: number,
    C: number,
    chunkBytes: number,
    t1: number,
    t2: number,
    t3: number,
  ) => void;
  /** a and b times scale (a power of two) in place, then s = a + b, d = a - b, for n float32 values. */
  sumdiff: (a: number, b: number, s: number, d: number, n: number, scale: number) => void;
  /** Z = A A^H from the Gauss form's three products (gram.wat's gcombine). */
  gcombine: (t1: number, t2: number, t3: number, P: number, outRe: number, outIm: number) => void;
  /** Sum of squares in float64 of n float32 values (n a multiple of 4) at byte offset p. */
  sumsq: (p: number, n: number) => number;
  /** The same of n float64 values (n even). */
  sumsq64: (p: number, n: number) => number;
  /** The R x C float64 matrix at src times scale, rounded to float32, into the panels of R x C4 ones at dst. */
  load64: (src: number, scale: number, R: number, C: number, C4: number, dst: number) => void;
  /** Multiply n float32 values at p by a power of two. */
  scale: (p: number, n: number, s: number) => void;
  memory: WasmMemory;
}

let kernel: GramKernel | null | undefined;

/**
 * A second core for the products: a helper thread with its own instance of the module on the same shared memory
 * computes the rows [s, P) while the caller computes [0, s) (command-thread.ts; the caller stays synchronous).
 * Row a costs ~a, so s = P / sqrt(2) halves the work. The args travel in a shared Int32Array.
 */
const SETUP = `
const ex = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } }).exports;
const args = new Int32Array(workerData.args);
`;
const BODY = `
if (arg === 2) {
  const [re, im, s, d, P, C, q, t1, t2, t3, a0, a1] = args;
  ex.xgram(re, re, P, C, q, t1, a0, a1);
  ex.xgram(im, im, P, C, q, t2, a0, a1);
  ex.xgram(s, d, P, C, q, t3, a0, a1);
}
else ex.gram64(args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7]);
`;
/**
 * A product splits only from 64 rows and this many multiply-adds (P^2 C, the Hermitian half of a complex product):
 * below, it takes ~0.1 ms or less on one core, no more than waking the helper and waiting for it costs on a loaded
 * machine (measured: on the 64-channel ResNet-18 layers the hand-off took more main-thread time than the products
 * themselves). Square products split from 128 rows.
 */
const SPLIT_WORK = 2 ** 20;

/** A kernel export taking its operands, then the row range [a0, a1). */
type RowProduct = (...operandsThenRows: number[]) => void;

/**
 * Run fn(...operands, 0, P) as two row ranges, the second on the helper (command `which` of BODY); the split row is a
 * multiple of `rows` (the kernel's block height); `workPerEntry` scales P^2 C to the complex product's work.
 */
function splitOverHelper(
  fn: RowProduct,
  which: 1 | 2,
  helper: { thread: CommandThread | null; args: Int32Array },
  rows = 2,
  workPerEntry = 1,
) {
  return (operands: number[], P: number, C: number): void => {
    const t = helper.thread;
    if (!t || P < 64 || P * P * C * workPerEntry < SPLIT_WORK) return fn(...operands, 0, P);
    const s = Math.round(P / Math.SQRT2 / rows) * rows;
    helper.args.set([...operands, s, P]);
    sendCommand(t, which);
    fn(...operands, 0, s);
    // The first command also waits for the thread to start (far longer on a loaded machine).
    if (awaitCommand(t, 60_000) !== 'done') {
      helper.thread = null; // a failed or stalled helper is not reused; its rows are computed here
      fn(...operands, s, P);
    }
  };
}

/** The compiled kernel, or null where WebAssembly SIMD is unavailable (the float64 JS path is used then). */
export function gramKernel(): GramKernel | null {
  if (kernel !== undefined) return kernel;
  const wasm = instantiateOnOwnMemory('gram');
  if (!wasm) return (kernel = null);
  const { memory, shared } = wasm;
  const ex = wasm.exports;
  const args = new Int32Array(new SharedArrayBuffer(64));
  const helper = {
    thread: shared ? startKernelHelper(SETUP, BODY, { module: wasm.module, memory, args: args.buffer }) : null,
    args,
  };
  const gram64 = splitOverHelper(ex.gram64 as RowProduct, 1, helper);
  const x = ex.xgram as RowProduct;
  // The three products in one hand-off: 1.5 P^2 C multiply-adds against the complex product's 2 P^2 C.
  const xgram3 = splitOverHelper(
    (re, im, s, d, P, C, q, t1, t2, t3, a0, a1) => {
      x(re, re, P, C, q, t1, a0, a1);
      x(im, im, P, C, q, t2, a0, a1);
      x(s, d, P, C, q, t3, a0, a1);
    },
    2,
    helper,
    4,
    0.75,
  );
  return (kernel = {
    gram64: (re, im, P, C, outRe, outIm) => gram64([re, im, P, C, outRe, outIm], P, C),
    xgram3: (re, im, s, d, P, C, q, t1, t2, t3) => xgram3([re, im, s, d, P, C, q, t1, t2, t3], P, C),
    sumdiff: ex.sumdiff as GramKernel['sumdiff'],
    gcombine: ex.gcombine as GramKernel['gcombine'],
    sumsq: ex.sumsq as GramKernel['sumsq'],
    sumsq64: ex.sumsq64 as GramKernel['sumsq64'],
    load64: ex.load64 as GramKernel['load64'],
    scale: ex.scale as GramKernel['scale'],
    memory,
  });
}

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/** Index (in floats) of the entry (r, c) of a float32 matrix of C columns in gram.wat's panels of 4 rows. */
export const panelAt = (r: number, c: number, C: number): number =>
  (r >> 2) * 4 * C + (c >> 2) * 16 + (r & 3) * 4 + (c & 3);

/**
 * Buffers in the kernel's memory: A (P x C4, the frequency matrix rounded to float32, zero-padded), two P x P
 * buffers the squares alternate between (these three in gram.wat's panels of 4 rows, see panelAt), and the Gauss
 * form's scratch: S = A_re + A_im, D = A_re - A_im and its three real products. P = rows rounded up to 4 (xgram's
 * block height, and the next step's column count).
 *
 * Each square is Z = X X^H in the Gauss (3-multiplication) form, 1.5 P^2 C real multiply-adds for the lower
 * triangle instead of 2 P^2 C: T1 = Xr Xr^T, T2 = Xi Xi^T, T3 = (Xr + Xi)(Xr - Xi)^T, Re Z = T1 + T2,
 * Im Z = T3 - T1 + T2 (= Xi Xr^T - Xr Xi^T).
 * Rounding, with k = xgramChain(C) and sum_c |x_ac| |x_bc| =: m_ab (complex moduli):
 *   |fl T1 - T1| + |fl T2 - T2| <= gamma_k m_ab                           (Cauchy-Schwarz on (re, im) pairs)
 *   |fl T3 - T3| <= gamma_{k+2} sum_c |Xr + Xi|_ac |Xr - Xi|_bc <= 2 gamma_{k+2} m_ab   (S and D rounded once)
 *   Re: one more rounding of |T1 + T2| <= m_ab; Im: two more of |T3 - T1| <= 3 m_ab and of that plus T2, <= 4 m_ab,
 * so |Re err| <= gamma_{k+1} m_ab and |Im err| <= (3 gamma_{k+2} + 7u) m_ab <= 3 gamma_{k+5} m_ab (as
 * 3 gamma_{k+5} - 3 gamma_{k+2} >= 9u), and sum_ab m_ab^2 <= ||X||_F^4:
 * ||fl(Z) - Z||_F <= sqrt(1 + 9) gamma_{k+5} ||X||_F^2 (GramSquarer.errorFactor, chain).
 */
const GAUSS_ERROR_FACTOR = Math.sqrt(10);

/**
 * xgram sums the columns in this many chunks: 2 from 64 columns (C a multiple of 8), one more lane reduction per
 * block of 8 entries (xgram ~7 % slower at 64 columns, within the noise from 128, measured) for about half the
 * chain. Every square, the first included, takes the Gauss form (0.75x the multiply-adds of the direct complex
 * product): with 2 chunks its allowance sqrt(10) gamma_{C/8+8} is below the direct product's sqrt(2) gamma_{C/2+2}
 * from 128 columns (228u vs 365u at 512) and about equal at 64 (51u vs 48u), so the bounds got no looser (issue 14:
 * up to 7.5e-4 tighter at 512 channels).
 */
const xgramChunks = (C: number): number => (C >= 64 && C % 8 === 0 ? 2 : 1);
/** Roundings per product in xgram (gram.wat): C/(4q) multiply-adds per lane, two lane sums, q - 1 chunk sums. */
const xgramChain = (C: number): number => C / (4 * xgramChunks(C)) + 2 + xgramChunks(C) - 1;

/** Byte offsets of float32Squares' buffers for R x C frequency matrices (see above); `end` is where the data goes. */
function squaresLayout(R: number, C: number) {
  const P = roundUp(R, 4);
  const C4 = roundUp(C, 4);
  const wide = Math.max(C4, P);
  const bytesA = 2 * P * C4 * 4;
  const bytesZ = 2 * P * P * 4;
  const bytesSD = P * wide * 4;
  const bytesT = P * P * 4;
  const at = [0, bytesA, bytesA + bytesZ];
  const [S, D] = [bytesA + 2 * bytesZ, bytesA + 2 * bytesZ + bytesSD];
  const T = [0, 1, 2].map((j) => D + bytesSD + j * bytesT);
  return { P, C4, bytesA, at, S, D, T, end: roundUp(T[2] + bytesT, 16) };
}

/** The kernel's memory is addressed with i32 offsets: frequency matrices beyond 2^31 bytes stay in JavaScript. */
const MAX_KERNEL_BYTES = 2 ** 31;

/**
 * Float32 squares of up to `count` R x C frequency matrices: `data` (count * 2 R C float64) is where frequencyMatrices
 * must write them (its `out`): in the kernel's memory after the squares' buffers, so that their rounding to float32
 * and their Frobenius norms run in WebAssembly (~3x less time than JavaScript's loops over the 100+ MB of a ResNet-18
 * layer, measured), or, where they do not fit there (`residentBytes`, default 2^31), a JavaScript array that the
 * same steps read in JavaScript. squarer(fm) then squares those matrices. Null where WebAssembly SIMD is unavailable.
 */
export function float32Squares(
  R: number,
  C: number,
  count: number,
  residentBytes = MAX_KERNEL_BYTES,
): { data: Float64Array; heap?: HeapOut; squarer: (fm: FrequencyMatrices) => GramSquarer } | null {
  const k = gramKernel();
  if (!k) return null;
  const L = squaresLayout(R, C);
  const n = count * 2 * R * C;
  const resident = L.end + 8 * n <= residentBytes && tryGrowMemoryTo(k.memory, L.end + 8 * n);
  if (!resident && !tryGrowMemoryTo(k.memory, L.end)) return null;
  const data = resident ? new Float64Array(k.memory.buffer, L.end, n) : new Float64Array(n);
  // heap: frequencyMatrices computes them there in float64 SIMD (fft2-heap.ts).
  const heap = resident ? { memory: k.memory, at: L.end } : undefined;
  return { data, ...(heap ? { heap } : {}), squarer: (fm) => float32Squarer(k, L, fm, resident) };
}

/** ||M_f||_F^2 in float64 JavaScript, the n values of M_f from data[from] (the float64 squares use it too). */
export function hostSumSquares(data: Float64Array, from: number, n: number): number {
  let s = 0;
  for (let j = from; j < from + n; j++) s += data[j] * data[j];
  return s;
}

function float32Squarer(
  k: GramKernel,
  L: ReturnType<typeof squaresLayout>,
  fm: FrequencyMatrices,
  resident: boolean,
): GramSquarer {
  const { rows: R, cols: C } = fm;
  const { P, C4, bytesA, at, S, D, T, end } = L;
  if (resident && (fm.data.buffer !== k.memory.buffer || fm.data.byteOffset !== end)) {
    throw new Error('float32Squares: the frequency matrices must be written to its `data` (frequencyMatrices out).');
  }
  const heap = new Float32Array(k.memory.buffer);
  // A's padding (rows R..P, columns C..C4) stays 0: load() writes the R x C entries only, the squares elsewhere.
  heap.fill(0, 0, bytesA / 4);
  let cur = 0;
  let curCols = C4;
  // A rescale waits for the next square, whose sumdiff pass applies it (none after a frequency's last square).
  let pending = 1;
  const flush = () => {
    if (pending !== 1) k.scale(at[cur], 2 * P * curCols, pending);
    pending = 1;
  };
  const sq: GramSquarer = {
    unit: U32,
    // xgramChain (gram.wat's xgram), + 5 and c = sqrt(10) (see above).
    chain: (cols) => xgramChain(roundUp(cols, 4)) + 5,
    errorFactor: GAUSS_ERROR_FACTOR,
    // Each part of Z comes from up to three chains and two more roundings.
    underflowChains: 3,
    underflow: 2 ** -149,
    loadRounds: true,
    // Summed by the DFT where it ran in WebAssembly (fft2-heap.ts), else here.
    frequencySumSquares: (f) =>
      fm.sumSquares?.[f] ??
      (resident ? k.sumsq64(end + f * 2 * R * C * 8, 2 * R * C) : hostSumSquares(fm.data, f * 2 * R * C, 2 * R * C)),
    load(f, scale) {
      cur = 0;
      curCols = C4;
      pending = 1;
      if (resident) {
        const src = end + f * 2 * R * C * 8;
        k.load64(src, scale, R, C, C4, 0);
        k.load64(src + R * C * 8, scale, R, C, C4, P * C4 * 4);
        return;
      }
      // load64's rounding in JavaScript: x * scale stored to a Float32Array rounds to nearest, as f32.demote_f64
      const src = f * 2 * R * C;
      for (let r = 0; r < R; r++) {
        for (let c = 0; c < C; c++) {
          const to = panelAt(r, c, C4);
          heap[to] = fm.data[src + r * C + c] * scale;
          heap[P * C4 + to] = fm.data[src + R * C + r * C + c] * scale;
        }
      }
    },
    sumSquares() {
      flush();
      return k.sumsq(at[cur], 2 * P * curCols);
    },
    square() {
      const next = cur === 1 ? 2 : 1;
      const re = at[cur];
      const im = re + P * curCols * 4;
      k.sumdiff(re, im, S, D, P * curCols, pending);
      pending = 1;
      k.xgram3(re, im, S, D, P, curCols, (16 * curCols) / xgramChunks(curCols), T[0], T[1], T[2]);
      k.gcombine(T[0], T[1], T[2], P, at[next], at[next] + P * P * 4);
      cur = next;
      curCols = P;
    },
    rescale(s) {
      flush();
      pending = s;
    },
  };
  return sq;
}

/**
 * M_f^H M_f (cols x cols, full Hermitian, float64) of frequency f in float64 SIMD, as fft2.frequencyGram(fm, f,
 * 'cols', re, im) computes it in JavaScript (same sums, in another order): the rows of A = M_f^H are the conjugated
 * columns of M_f. Null where WebAssembly SIMD is unavailable.
 */
export function float64ColumnGram(
  fm: FrequencyMatrices,
): ((f: number, re: Float64Array, im: Float64Array) => void) | null {
  const k = gramKernel();
  if (!k) return null;
  const { rows: R, cols: C } = fm;
  const [P, R2] = [roundUp(C, 2), roundUp(R, 2)];
  const bytesA = 2 * P * R2 * 8;
  const need = bytesA + 2 * P * P * 8;
  growMemoryTo(k.memory, need);
  const heap = new Float64Array(k.memory.buffer);
  heap.fill(0, 0, bytesA / 8);
  const [aIm, zRe, zIm] = [P * R2, bytesA / 8, bytesA / 8 + P * P];
  return (f, re, im) => {
    const src = f * 2 * R * C;
    for (let r = 0; r < R; r++) {
      for (let c = 0; c < C; c++) {
        heap[c * R2 + r] = fm.data[src + r * C + c];
        heap[aIm + c * R2 + r] = -fm.data[src + R * C + r * C + c];
      }
    }
    k.gram64(0, aIm * 8, P, R2, zRe * 8, zIm * 8);
    for (let a = 0; a < C; a++) {
      re.set(heap.subarray(zRe + a * P, zRe + a * P + C), a * C);
      im.set(heap.subarray(zIm + a * P, zIm + a * P + C), a * C);
    }
  };
}
