/**
 * The Gram product w = M M^H q of one frequency matrix (frequency-lanczos.ts), the two DFT stages (fft2.ts) and
 * the screening Lanczos steps (frequency-screen.ts) as WebAssembly SIMD: the kernel text is kernels/frequency.wat
 * (layout and math there). Why: the racing phase runs ~10 Gram products at every one of the n^2/2 frequencies;
 * 4-wide float32 lanes do several times more than V8's scalar float64 loop and read half the bytes. Float32 only
 * screens frequencies: the survivors are confirmed in float64 (gram64, sedghi.ts).
 */
import { growMemoryTo, instantiateFastest, type WasmMemory } from '../../kernels/index.js';
import type { HeapDft } from '../numerics/fft2.js';

export interface GramSimd {
  /** gram(m, R, C, q, y, w): byte offsets as in frequency.wat's header. */
  gram: (m: number, R: number, C: number, q: number, y: number, w: number) => void;
  /** Stage 2 of the DFT, see combine in frequency.wat and fft2.ts HeapDft. */
  combine: HeapDft['combine'];
  /** Stage 1 of the DFT, see taps in frequency.wat and fft2.ts HeapDft. */
  taps: HeapDft['taps'];
  /** The same product on float64 data (M, q, y, w all float64; C even), for the float64 confirmation. */
  gram64: (m: number, R: number, C: number, q: number, y: number, w: number) => void;
  /** step(m, R, C, qc, qp, y, w, first, out): one screening Lanczos step, see step in frequency.wat (byte offsets). */
  step: (
    m: number,
    R: number,
    C: number,
    qc: number,
    qp: number,
    y: number,
    w: number,
    first: number,
    out: number,
  ) => void;
  /** steps(m, R, C, q0, q1, y, w, first, out, n): n steps in a row, see steps in frequency.wat (byte offsets). */
  steps: (
    m: number,
    R: number,
    C: number,
    q0: number,
    q1: number,
    y: number,
    w: number,
    first: number,
    out: number,
    n: number,
  ) => void;
  memory: WasmMemory;
}

let kernel: GramSimd | null | undefined;

/** The compiled kernel, or null where WebAssembly SIMD is unavailable (then the float64 JS path is used). */
export function gramSimd(): GramSimd | null {
  if (kernel !== undefined) return kernel;
  const wasm = instantiateFastest('frequency', false);
  if (!wasm) return (kernel = null);
  const ex = wasm.exports;
  kernel = {
    gram: ex.gram as GramSimd['gram'],
    combine: ex.combine as GramSimd['combine'],
    taps: ex.taps as GramSimd['taps'],
    step: ex.step as GramSimd['step'],
    steps: ex.steps as GramSimd['steps'],
    gram64: ex.gram64 as GramSimd['gram64'],
    memory: ex.mem as WasmMemory,
  };
  return kernel;
}

/** Grow the module's memory to at least `bytes` and return a float32 view of all of it. */
export function gramHeap(k: GramSimd, bytes: number): Float32Array {
  growMemoryTo(k.memory, bytes);
  return new Float32Array(k.memory.buffer);
}
