/**
 * The fused F4 passes of f4-host.ts as WebAssembly SIMD (f32x4): the kernel text is kernels/f4.wat (the math and
 * the measurements behind its loop order are there). Why: V8 compiles the JS passes to scalar code (~1.5 GMAC/s);
 * 4-wide float32 lanes do the same four products several times faster. Used for c_out % 4 == 0 (every ResNet/VGG
 * layer); otherwise the JS passes run.
 */
import { growMemoryTo, instantiateOnOwnMemory, relaxedSimdAvailable, type WasmMemory } from '../../kernels/index.js';

/** apply's unroll factors over o (exports apply2 and apply1 of f4.wat; the largest dividing c_out / 4 is used). */
export const UNROLLS = [2, 1] as const;
type Unroll = (typeof UNROLLS)[number];

type Pass = (...args: number[]) => void;
/** f4.wat's exports (parameters in its header: byte offsets and sizes). */
export interface F4SimdPasses {
  /** apply by unroll factor (see UNROLLS and applyFor). */
  apply: Record<Unroll, Pass>;
  applyT: Pass;
  /** apply2 and applyT for R and S alone (f4.wat: c_in even, c_out % 8 == 0; w h wd ci co inR inS outR outS). */
  applyRS: Pass;
  applyTRS: Pass;
  /** See blockCopy in f4.wat. */
  blockCopy: (src: number, dst: number, np: number, co: number, bw: number) => void;
  memory: WasmMemory;
  /** Whether the memory is shared (a helper thread can then run blocks in it). */
  shared: boolean;
  /** The compiled module, for instances in other threads (f4-parallel.ts). */
  module: object;
  /** Whether its multiply-adds are fused (relaxed SIMD; see relaxedSimdAvailable). */
  fma: boolean;
}

let passes: F4SimdPasses | null | undefined;

/**
 * The passes compiled with (fma) or without fused multiply-adds, on a memory of their own: shared where
 * SharedArrayBuffer exists (F4's helper thread then works in it, f4-parallel.ts), else plain; null where that
 * module does not compile here.
 */
export function createF4SimdPasses(fma: boolean): F4SimdPasses | null {
  if (fma && !relaxedSimdAvailable()) return null;
  const wasm = instantiateOnOwnMemory('f4', fma);
  if (!wasm) return null;
  const ex = wasm.exports;
  const apply = Object.fromEntries(UNROLLS.map((U) => [U, ex[`apply${U}`] as Pass])) as Record<Unroll, Pass>;
  return {
    apply,
    applyT: ex.applyT as Pass,
    applyRS: ex.applyRS as Pass,
    applyTRS: ex.applyTRS as Pass,
    blockCopy: ex.blockCopy as F4SimdPasses['blockCopy'],
    memory: wasm.memory,
    shared: wasm.shared,
    module: wasm.module,
    fma,
  };
}

/**
 * The compiled passes, fused where relaxed SIMD is available, or null where WebAssembly SIMD is unavailable (then
 * the JS passes are used).
 */
export function f4SimdPasses(): F4SimdPasses | null {
  if (passes !== undefined) return passes;
  return (passes = createF4SimdPasses(true) ?? createF4SimdPasses(false));
}

/** apply with the largest unroll whose 4U floats divide c_out (c_out must be a multiple of 4). */
export function applyFor(p: F4SimdPasses, co: number): Pass {
  return p.apply[UNROLLS.find((U) => co % (4 * U) === 0) ?? 1];
}

/** Grow the module's memory to at least `bytes` and return a float32 view of all of it. */
export function simdHeap(p: F4SimdPasses, bytes: number): Float32Array {
  growMemoryTo(p.memory, bytes);
  return new Float32Array(p.memory.buffer);
}
