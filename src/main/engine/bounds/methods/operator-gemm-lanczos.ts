/**
 * The Lanczos run of the operator estimate (operator-power.ts) where its vectors live: in the memory of the GEMM
 * operator (operator-gemm.ts), with the passes of kernels/operator-lanczos.wat. The basis and its passes
 * (lanczosPasses), and the attained norm ||A y|| / ||y|| of the top Ritz vector y = Q z (ritzNorms).
 */
import type { WasmMemory } from '../../kernels/index.js';
import type { LanczosPasses, Orthogonalizer } from '../numerics/lanczos.js';

type Pass = (q: number, count: number, n: number, w: number, h: number) => number;

/**
 * The basis (q) of the Lanczos run in the kernel's memory and the passes of operator-lanczos.wat on it. Each pass
 * works on the residual at w: a w from elsewhere is copied in and back.
 */
export function lanczosPasses(
  exports: Record<string, unknown>,
  memory: WasmMemory,
  at: { q: number; vectors: number; w: number; h: number; n: number },
): Orthogonalizer & { passes: LanczosPasses } {
  const { q, h, n } = at;
  const cgs = exports.cgs as (q: number, count: number, n: number, w: number, h: number) => number;
  const residual = exports.residual as (q: number, k: number, n: number, w: number, beta: number, out: number) => void;
  const scale = exports.scale as (dst: number, w: number, n: number, b: number) => void;
  const w64 = new Float64Array(memory.buffer, at.w, n);
  const out = new Float64Array(memory.buffer, h, 2);
  const inKernel = <T>(w: Float64Array, pass: () => T): T => {
    const inPlace = w.buffer === memory.buffer && w.byteOffset === at.w;
    if (!inPlace) w64.set(w);
    const result = pass();
    if (!inPlace) w.set(w64);
    return result;
  };
  const project = (count: number, w: Float64Array) => inKernel(w, () => cgs(q, count, n, at.w, h));
  return {
    basis: new Float64Array(memory.buffer, q, at.vectors * n),
    project,
    passes: {
      residual(k, beta, w) {
        inKernel(w, () => residual(q, k, n, at.w, beta, h));
        return [out[0], out[1]];
      },
      project,
      store(j, w, b) {
        inKernel(w, () => scale(q + 8 * j * n, at.w, n, b));
      },
    },
  };
}

/**
 * ||A y|| / ||y|| of y = Q z for the coefficients z of the top Ritz vector (operator-power.ts). Where the run kept
 * every product's forward output A fl(q_j) (fl: the float32 rounding each product applies; keepForward, at ys), A y is
 * their combination sum_j z_j A fl(q_j) = A (sum_j z_j fl(q_j)), so no further product: its squared norm summed in
 * float64 (combinedNorm), ||y||^2 from the same pass that forms y in float64 (update). Both the attained value of an
 * actual input (up to the float32 rounding of the products, as before) and ||y|| differs from that input's norm by
 * at most the float32 rounding of y (6e-8 relative). Without them (or ys < 0: too large to keep), y is formed and
 * `forward` computes ||A y|| / ||y|| by one more product. keepForward(j) right after the product of q_j, for each j of
 * one run (Lanczos only appends to its basis), ended by attainedNormOf.
 */
export function ritzNorms(
  exports: Record<string, unknown>,
  memory: WasmMemory,
  at: {
    q: number;
    w: number;
    h: number;
    n: number;
    /** The forward output of the last product (outputs float32 values), and room for the kept ones (-1: none). */
    y: number;
    ys: number;
    outputs: number;
    live: () => void;
    forward: () => number;
  },
): { attainedNormOf(z: Float64Array): number; keepForward(j: number): void } {
  const update = exports.update as Pass;
  const combinedNorm = exports.combinedNorm as (ys: number, count: number, len: number, h: number) => number;
  const heap = new Float32Array(memory.buffer);
  const kept: boolean[] = [];
  return {
    keepForward(j) {
      at.live();
      if (at.ys < 0) return;
      heap.copyWithin((at.ys >> 2) + j * at.outputs, at.y >> 2, (at.y >> 2) + at.outputs);
      kept[j] = true;
    },
    attainedNormOf(z) {
      at.live();
      // y = Q z in the residual's place (free after the run's last step): update of w = 0 by -z.
      const h64 = new Float64Array(memory.buffer, at.h, z.length);
      for (let j = 0; j < z.length; j++) h64[j] = -z[j];
      new Float64Array(memory.buffer, at.w, at.n).fill(0);
      const yy = update(at.q, z.length, at.n, at.w, at.h);
      // The kept outputs belong to one run: this call ends it.
      const all = at.ys >= 0 && z.every((_, j) => kept[j]);
      kept.length = 0;
      if (!all) return at.forward();
      // The signs of h cancel in the square.
      const ay = combinedNorm(at.ys, z.length, at.outputs, at.h);
      return yy > 0 ? Math.sqrt(ay / yy) : 0;
    },
  };
}
