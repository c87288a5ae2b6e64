/**
 * How the SIMD path of F4's power iteration (f4-host.ts) lays the kernel out: in c_out blocks, each a contiguous
 * HWIO kernel of its own width, and when it hands half of them to a second thread (f4-parallel.ts).
 */
import type { F4Matrix } from '../../../../shared/bounds.js';
import { F4_MATRICES } from '../../../../shared/bounds.js';
import { f4Helper, type F4Helper, type HelperJob } from './f4-parallel.js';
import { applyFor, simdHeap, UNROLLS, type F4SimdPasses } from './f4-simd.js';
import type { Shape4 } from './reshapes.js';

type Vecs = Record<F4Matrix, Float64Array>;

/** Floats (80 bytes) between the SIMD path's heap regions; see simdLayout. */
const REGION_SKEW = 20;

/**
 * From this kernel size and iteration count on, the SIMD path splits the kernel between two threads
 * (f4-parallel.ts): below, an iteration (< 0.5 ms) is too short to repay the per-iteration hand-over (measured:
 * 3x3x128x128 no faster split, 3x3x128x256 1.2x), and a single iteration (a training step) could not repay waking
 * the sleeping helper (0.1-1 ms measured on this VM). The certified F4's estimates (f4-estimates.ts) split from the
 * same size: moving it would change the order of their float32 sums.
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
export function copyBlocked(
  full: ArrayLike<number>,
  blocked: Float32Array,
  at: number,
  co: number,
  width: number,
  toBlocked: boolean,
): void {
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

/** Where the SIMD path keeps W (in c_out blocks), u_X and the two v_X buffers in the module's memory (float offsets). */
export interface SimdLayout {
  heap: Float32Array;
  wAt: number;
  uAt: Record<F4Matrix, number>;
  /** v in and v out: they swap every iteration. */
  vAt: [Record<F4Matrix, number>, Record<F4Matrix, number>];
  /** Where a helper thread sums its part of each z (f4-parallel.ts). */
  zAt: Record<F4Matrix, number>;
  len: { u: Record<F4Matrix, number>; v: Record<F4Matrix, number> };
  /** The u vectors the call started from (taken again for a zero y). */
  u0: Vecs;
}

/** One c_out block's passes: apply then applyT, with their byte-offset arguments for v in vAt[0] and vAt[1]. */
export interface SimdBlock {
  apply: (...a: number[]) => void;
  applyName: string;
  args: [number[], number[]][];
  /** The arguments of applyRS and applyTRS (R and S alone), where the block allows them (see rsPasses). */
  rs: [number[], number[]][] | null;
}

/** Whether f4.wat's R-and-S passes run on a block: c_in even, c_out block a multiple of 8. */
const rsPasses = (ci: number, bw: number) => ci % 2 === 0 && bw % 8 === 0;

/** The module's parameter order: W h w ci co, then T R S U inputs, then T R S U outputs (byte offsets). */
const PARAM_ORDER: F4Matrix[] = ['T', 'R', 'S', 'U'];

/** W, u and v copied into the module's memory of the SIMD passes (W split into c_out blocks of `width`). */
export function simdLayout(
  p: F4SimdPasses,
  W: ArrayLike<number>,
  [h, w, ci, co]: Shape4,
  len: SimdLayout['len'],
  vecs: { u: Vecs; v: Vecs },
  width: number,
): SimdLayout {
  const hwci = h * w * ci;
  let top = 0;
  // 16-byte aligned regions, each followed by REGION_SKEW floats: ResNet vector lengths are multiples of 512 floats,
  // so unskewed regions (and the kernel before them) start at equal addresses mod 4096, and a load from one u row
  // right after a store to another is falsely held back as if it read that store ("4K aliasing").
  const alloc = (n: number) => {
    const at = top;
    top += Math.ceil(n / 4) * 4 + REGION_SKEW;
    return at;
  };
  const wAt = alloc(hwci * co);
  const uAt = {} as Record<F4Matrix, number>;
  const vAt: [Record<F4Matrix, number>, Record<F4Matrix, number>] = [
    {} as Record<F4Matrix, number>,
    {} as Record<F4Matrix, number>,
  ];
  const zAt = {} as Record<F4Matrix, number>;
  for (const X of F4_MATRICES) {
    uAt[X] = alloc(len.u[X]);
    vAt[0][X] = alloc(len.v[X]);
    vAt[1][X] = alloc(len.v[X]);
  }
  for (const X of F4_MATRICES) zAt[X] = alloc(len.v[X]);
  // Blocks are laid out from a plain copy of the kernel placed after everything else (memcpy, then blockCopy).
  const heap = simdHeap(p, (top + (width === co ? 0 : hwci * co)) * 4);
  if (width === co) heap.set(W, wAt);
  else {
    heap.set(W, top);
    p.blockCopy(4 * top, 4 * wAt, hwci, co, width);
  }
  const u0 = {} as Vecs;
  for (const X of F4_MATRICES) {
    heap.set(vecs.v[X], vAt[0][X]);
    u0[X] = new Float64Array(len.u[X]);
    copyBlocked(vecs.u[X], heap, uAt[X], co, width, true);
    u0[X].set(heap.subarray(uAt[X], uAt[X] + len.u[X]));
  }
  return { heap, wAt, uAt, vAt, zAt, len, u0 };
}

export function simdBlocks(p: F4SimdPasses, L: SimdLayout, [h, w, ci, co]: Shape4, width: number): SimdBlock[] {
  const { uAt, vAt, len, wAt } = L;
  const hwci = h * w * ci;
  const blocks: SimdBlock[] = [];
  for (let o0 = 0; o0 < co; o0 += width) {
    const bw = Math.min(width, co - o0);
    const uB = PARAM_ORDER.map((X) => 4 * (uAt[X] + (len.u[X] / co) * o0));
    const head = [4 * (wAt + hwci * o0), h, w, ci, bw];
    const args = vAt.map((vIn, s) => {
      const vOut = vAt[1 - s];
      return [
        [...head, ...PARAM_ORDER.map((X) => 4 * vIn[X]), ...uB],
        [...head, ...uB, ...PARAM_ORDER.map((X) => 4 * vOut[X])],
      ];
    }) as [number[], number[]][];
    // The same offsets without T's and U's (PARAM_ORDER puts R and S second and third).
    const RS = (a: number[], at: number) => [...a.slice(0, 5), a[at + 1], a[at + 2], a[at + 5], a[at + 6]];
    const rs = rsPasses(ci, bw) ? args.map(([a, t]) => [RS(a, 5), RS(t, 5)] as [number[], number[]]) : null;
    blocks.push({
      apply: applyFor(p, bw),
      applyName: `apply${UNROLLS.find((U) => bw % (4 * U) === 0) ?? 1}`,
      args,
      rs,
    });
  }
  return blocks;
}

/**
 * Two threads: this one runs the first blocks, a helper the blocks `theirs`, in the same memory; null if none
 * starts. The helper's applyT passes sum z at zAt instead of at v's output region (f4-parallel.ts).
 */
export function startHelper(p: F4SimdPasses, L: SimdLayout, theirs: SimdBlock[]): F4Helper | null {
  const { vAt, zAt, len } = L;
  const parity = [0, 1] as const;
  // applyT's last 4 arguments (T R S U outputs), applyTRS's last 2 (R S): the helper's own sums
  const toZ = (a: number[], Xs: F4Matrix[]) => [...a.slice(0, a.length - Xs.length), ...Xs.map((X) => 4 * zAt[X])];
  try {
    return f4Helper(p, {
      calls: [
        ...parity.map((s) =>
          theirs.flatMap((b) => [
            [b.applyName, b.args[s][0]],
            ['applyT', toZ(b.args[s][1], PARAM_ORDER)],
          ]),
        ),
        // R and S alone (f4-estimates.ts), where every one of these blocks allows it
        ...(theirs.every((b) => b.rs)
          ? parity.map((s) =>
              theirs.flatMap((b) => [
                ['applyRS', b.rs![s][0]],
                ['applyTRS', toZ(b.rs![s][1], ['R', 'S'])],
              ]),
            )
          : []),
      ] as HelperJob['calls'],
      zero: PARAM_ORDER.map((X) => [zAt[X], len.v[X]]),
      sums: parity.map((s) => PARAM_ORDER.map((X) => [zAt[X], vAt[1 - s][X], len.v[X]])) as HelperJob['sums'],
    });
  } catch {
    return null;
  }
}
