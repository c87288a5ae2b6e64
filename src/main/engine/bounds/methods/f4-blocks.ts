/**
 * How the SIMD path of F4's power iteration (f4-host.ts) lays the kernel out: in c_out blocks, each a contiguous
 * HWIO kernel of its own width, and when it hands half of them to a second thread (f4-parallel.ts).
 */

/**
 * From this kernel size and iteration count on, the SIMD path splits the kernel between two threads
 * (f4-parallel.ts): below, an iteration (< 0.5 ms) is too short to repay the per-iteration hand-over, and a
 * single iteration (a training step) could not repay the copy of half the kernel to the helper.
 */
export const PARALLEL_MIN_BYTES = 2 * 1024 * 1024;
export const PARALLEL_MIN_ITERATIONS = 8;

/** Bytes of kernel per c_out block on long runs: about one core's L2 (see simdBlockWidth). */
const L2_BLOCK_BYTES = 1024 * 1024;
/** Columns per block at least: shorter rows leave the SIMD loops too few turns per row. */
const MIN_BLOCK_COLUMNS = 64;

/**
 * c_out columns per block. One block (all columns) for short runs (a training step: the kernel is copied in one
 * piece). For long runs, blocks of about L2_BLOCK_BYTES, each run through apply then at once applyT: the second pass
 * finds the block in L2, so the kernel crosses from L3 (or memory, when other tenants fill L3) once per iteration
 * instead of twice. A split between two threads needs at least two blocks.
 */
export function simdBlockWidth(co: number, split: boolean, hwci = 1, iterations = 1): number {
  if (co < 8) return co;
  const q = co >= 64 ? 16 : 4;
  let width = co;
  if (iterations >= PARALLEL_MIN_ITERATIONS) {
    const fit = Math.max(MIN_BLOCK_COLUMNS, Math.floor(L2_BLOCK_BYTES / (4 * hwci)));
    // The widest multiple of q that divides c_out and fits (equal blocks share one unrolled pass).
    for (let c = Math.min(co, fit); c >= q; c--) {
      if (co % c === 0 && c % q === 0) {
        width = c;
        break;
      }
    }
  }
  return split && width === co ? Math.ceil(co / 2 / q) * q : width;
}

/**
 * full[p * co + o] <-> blocked[n_p * o0 + p * bw + (o - o0)] for c_out blocks [o0, o0 + bw) of width `width`:
 * the layout of the kernel (n_p = h w c_in) and of every u (n_p = its length / c_out) on the blocked SIMD path.
 */
export function copyBlocked(full: ArrayLike<number>, blocked: Float32Array, at: number, co: number, width: number, toBlocked: boolean): void {
  const np = full.length / co;
  const out = full as Float64Array;
  const rows = full as Float32Array;
  if (toBlocked && typeof rows.subarray === 'function') {
    // Typed input (the kernel from dataSync): one native copy per row of a block.
    for (let o0 = 0, b = at; o0 < co; o0 += width) {
      const bw = Math.min(width, co - o0);
      for (let f = o0; f < full.length; f += co, b += bw) blocked.set(rows.subarray(f, f + bw), b);
    }
    return;
  }
  for (let o0 = 0; o0 < co; o0 += width) {
    const bw = Math.min(width, co - o0);
    let b = at + np * o0;
    for (let p = 0; p < np; p++) {
      const f = p * co + o0;
      if (toBlocked) for (let j = 0; j < bw; j++) blocked[b + j] = full[f + j];
      else for (let j = 0; j < bw; j++) out[f + j] = blocked[b + j];
      b += bw;
    }
  }
}
