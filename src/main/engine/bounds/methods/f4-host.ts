/**
 * The host engine of F4's power iteration: all four reshapes advanced in two fused passes over the kernel.
 *
 * Why: on the tfjs CPU and WASM backends the kernel lives in host memory anyway, and their matrix-vector
 * products are slow except for one layout (WASM: row vector x matrix), so eight products per iteration cost
 * ~50 ms for a 3x3x256x256 kernel. Here each weight W[k,l,i,o] is loaded once per pass and feeds all four
 * products: ~0.5 ms per iteration with the WebAssembly SIMD passes (f4-simd.ts, c_out % 4 == 0, float32),
 * ~3 ms with the JS passes below (any shape, float64 accumulation). Long runs (8 iterations or more) take the
 * kernel in L2-sized c_out blocks, and for kernels of 2 MB and more a helper thread runs the second half of the
 * blocks (f4-blocks.ts, f4-parallel.ts).
 *
 * Vector layouts are those of the block view (reshapes.f4BlockView), so both engines agree index for index:
 *   R: u (k,o), v (l,i)     S: u (l,o), v (k,i)     T: u o, v (k,l,i)     U: u (k,l,o), v i.
 */
import type { F4Matrix } from '../../../../shared/bounds.js';
import { F4_MATRICES } from '../../../../shared/bounds.js';
import { streamSeed } from '../../data/rng.js';
import { f4HelperAvailable } from './f4-parallel.js';
import { f4SimdPasses, type F4SimdPasses } from './f4-simd.js';
import {
  copyBlocked,
  PARALLEL_MIN_BYTES,
  PARALLEL_MIN_ITERATIONS,
  simdBlocks,
  simdBlockWidth,
  simdLayout,
  startHelper,
  type SimdBlock,
  type SimdLayout,
} from './f4-blocks.js';

import { randomUnitVector } from '../numerics/linalg64.js';
import type { Shape4 } from './reshapes.js';

export { PARALLEL_MIN_BYTES, PARALLEL_MIN_ITERATIONS, simdBlockWidth } from './f4-blocks.js';

type Vecs = Record<F4Matrix, Float64Array>;

export interface F4HostVectors {
  u: Vecs;
  v: Vecs;
  /** ||X^T u|| after the last iteration (= u^T X v for the stored u, v and that kernel). */
  sigma: Record<F4Matrix, number>;
}

/** Lengths of u and v for each reshape. */
export function hostVectorLengths([h, w, ci, co]: Shape4): {
  u: Record<F4Matrix, number>;
  v: Record<F4Matrix, number>;
} {
  return {
    u: { R: h * co, S: w * co, T: co, U: h * w * co },
    v: { R: w * ci, S: h * ci, T: h * w * ci, U: ci },
  };
}

export function createHostVectors(shape: Shape4, seed: number): F4HostVectors {
  const len = hostVectorLengths(shape);
  const u = {} as Vecs;
  const v = {} as Vecs;
  F4_MATRICES.forEach((X, j) => {
    u[X] = randomUnitVector(len.u[X], streamSeed(seed, 'f4HostVectors', 2 * j));
    v[X] = randomUnitVector(len.v[X], streamSeed(seed, 'f4HostVectors', 2 * j + 1));
  });
  return { u, v, sigma: { R: 0, S: 0, T: 0, U: 0 } };
}

type Weights = ArrayLike<number>;

/** out_X = X v_X for all four reshapes, one pass over W (rows i blocked by 4). */
export function applyAll(W: Weights, [h, w, ci, co]: Shape4, v: Vecs, out: Vecs): void {
  const yT = out.T,
    yR = out.R,
    yS = out.S,
    yU = out.U;
  const vT = v.T,
    vR = v.R,
    vS = v.S,
    vU = v.U;
  for (const X of F4_MATRICES) out[X].fill(0);
  for (let k = 0; k < h; k++) {
    for (let l = 0; l < w; l++) {
      const kl = k * w + l,
        rk = k * co,
        sl = l * co,
        ukl = kl * co;
      let i = 0;
      for (; i + 4 <= ci; i += 4) {
        const t = kl * ci + i,
          r = l * ci + i,
          s = k * ci + i;
        const aT0 = vT[t],
          aT1 = vT[t + 1],
          aT2 = vT[t + 2],
          aT3 = vT[t + 3];
        const aR0 = vR[r],
          aR1 = vR[r + 1],
          aR2 = vR[r + 2],
          aR3 = vR[r + 3];
        const aS0 = vS[s],
          aS1 = vS[s + 1],
          aS2 = vS[s + 2],
          aS3 = vS[s + 3];
        const aU0 = vU[i],
          aU1 = vU[i + 1],
          aU2 = vU[i + 2],
          aU3 = vU[i + 3];
        const b0 = t * co,
          b1 = b0 + co,
          b2 = b1 + co,
          b3 = b2 + co;
        for (let o = 0; o < co; o++) {
          const x0 = W[b0 + o],
            x1 = W[b1 + o],
            x2 = W[b2 + o],
            x3 = W[b3 + o];
          yT[o] += aT0 * x0 + aT1 * x1 + aT2 * x2 + aT3 * x3;
          yR[rk + o] += aR0 * x0 + aR1 * x1 + aR2 * x2 + aR3 * x3;
          yS[sl + o] += aS0 * x0 + aS1 * x1 + aS2 * x2 + aS3 * x3;
          yU[ukl + o] += aU0 * x0 + aU1 * x1 + aU2 * x2 + aU3 * x3;
        }
      }
      for (; i < ci; i++) {
        const t = kl * ci + i;
        const aT = vT[t],
          aR = vR[l * ci + i],
          aS = vS[k * ci + i],
          aU = vU[i];
        const b = t * co;
        for (let o = 0; o < co; o++) {
          const x = W[b + o];
          yT[o] += aT * x;
          yR[rk + o] += aR * x;
          yS[sl + o] += aS * x;
          yU[ukl + o] += aU * x;
        }
      }
    }
  }
}

/** out_X = X^T u_X for all four reshapes, one pass over W (rows i blocked by 2, sharing the u loads). */
export function applyTAll(W: Weights, [h, w, ci, co]: Shape4, u: Vecs, out: Vecs): void {
  const uT = u.T,
    uR = u.R,
    uS = u.S,
    uU = u.U;
  const zT = out.T,
    zR = out.R,
    zS = out.S,
    zU = out.U;
  zR.fill(0);
  zS.fill(0);
  zU.fill(0);
  for (let k = 0; k < h; k++) {
    for (let l = 0; l < w; l++) {
      const kl = k * w + l,
        rk = k * co,
        sl = l * co,
        ukl = kl * co;
      let i = 0;
      for (; i + 2 <= ci; i += 2) {
        const b0 = (kl * ci + i) * co,
          b1 = b0 + co;
        let t0 = 0,
          r0 = 0,
          s0 = 0,
          q0 = 0,
          t1 = 0,
          r1 = 0,
          s1 = 0,
          q1 = 0;
        for (let o = 0; o < co; o++) {
          const x0 = W[b0 + o],
            x1 = W[b1 + o];
          const a = uT[o],
            b = uR[rk + o],
            c = uS[sl + o],
            d = uU[ukl + o];
          t0 += x0 * a;
          r0 += x0 * b;
          s0 += x0 * c;
          q0 += x0 * d;
          t1 += x1 * a;
          r1 += x1 * b;
          s1 += x1 * c;
          q1 += x1 * d;
        }
        zT[kl * ci + i] = t0;
        zR[l * ci + i] += r0;
        zS[k * ci + i] += s0;
        zU[i] += q0;
        zT[kl * ci + i + 1] = t1;
        zR[l * ci + i + 1] += r1;
        zS[k * ci + i + 1] += s1;
        zU[i + 1] += q1;
      }
      for (; i < ci; i++) {
        const b = (kl * ci + i) * co;
        let t = 0,
          r = 0,
          s = 0,
          q = 0;
        for (let o = 0; o < co; o++) {
          const x = W[b + o];
          t += x * uT[o];
          r += x * uR[rk + o];
          s += x * uS[sl + o];
          q += x * uU[ukl + o];
        }
        zT[kl * ci + i] = t;
        zR[l * ci + i] += r;
        zS[k * ci + i] += s;
        zU[i] += q;
      }
    }
  }
}

function norm2(x: Float64Array): number {
  let s = 0;
  for (let j = 0; j < x.length; j++) s += x[j] * x[j];
  return Math.sqrt(s);
}

/** Overwrite `dst` with x / ||x||, unless ||x|| is 0 (zero kernel): then the previous direction is kept. */
function normalizeInto(x: Float64Array, dst: Float64Array): number {
  const n = norm2(x);
  if (n > 0) for (let j = 0; j < x.length; j++) dst[j] = x[j] / n;
  return n;
}

/** Passes in a row in which the helper thread was slower than this one before it is dropped (simdPowerIterate). */
const SLOW_PASSES = 4;

/**
 * u <- X v / ||X v||, v <- X^T u / ||X^T u|| for all four reshapes, `iterations` times: in WebAssembly SIMD when
 * c_out % 4 == 0 (f4-simd.ts), else in JS.
 */
export function hostPowerIterate(W: Weights, shape: Shape4, vecs: F4HostVectors, iterations: number): void {
  const simd = shape[3] % 4 === 0 ? f4SimdPasses() : null;
  if (simd) simdPowerIterate(simd, W, shape, vecs, iterations);
  else jsPowerIterate(W, shape, vecs, iterations);
}

export function jsPowerIterate(W: Weights, shape: Shape4, vecs: F4HostVectors, iterations: number): void {
  const len = hostVectorLengths(shape);
  const xs = {} as Vecs;
  const zs = {} as Vecs;
  for (const X of F4_MATRICES) {
    xs[X] = new Float64Array(len.u[X]);
    zs[X] = new Float64Array(len.v[X]);
  }
  for (let t = 0; t < iterations; t++) {
    applyAll(W, shape, vecs.v, xs);
    for (const X of F4_MATRICES) normalizeInto(xs[X], vecs.u[X]);
    applyTAll(W, shape, vecs.u, zs);
    for (const X of F4_MATRICES) vecs.sigma[X] = normalizeInto(zs[X], vecs.v[X]);
  }
}

/**
 * The same iteration with the SIMD passes, in float32 inside the module's memory. W is copied in once per call,
 * split into c_out blocks (simdBlockWidth) that are contiguous HWIO kernels of c_out = bw; every u is indexed by
 * (.., o), so block b alone gives u's block b: y_b = X_b v, then at once (W_b still in cache) z += X_b^T y_b.
 * The power step is scale-invariant, so z = ||y|| X^T u with u = y / ||y||, hence sigma = ||z|| / ||y||.
 * A zero y (v in X's null space, or a zero kernel) takes u from the call's start, as the JS path keeps its previous
 * one, and redoes applyT for that step; a zero z restores the start v likewise.
 */
export function simdPowerIterate(
  p: F4SimdPasses,
  W: Weights,
  shape: Shape4,
  vecs: F4HostVectors,
  iterations: number,
  opts: { split?: boolean; threads?: boolean } = {},
): void {
  const [h, w, ci, co] = shape;
  const hwci = h * w * ci;
  const split =
    opts.split ??
    (4 * hwci * co >= PARALLEL_MIN_BYTES &&
      iterations >= PARALLEL_MIN_ITERATIONS &&
      opts.threads !== false &&
      f4HelperAvailable(p));
  const width = simdBlockWidth(co, split, hwci, iterations);
  const L = simdLayout(p, W, shape, hostVectorLengths(shape), vecs, width);
  const { heap, uAt, vAt, len } = L;
  const blocks = simdBlocks(p, L, shape, width);
  const half = Math.ceil(blocks.length / 2);
  let helper = split && blocks.length >= 2 && opts.threads !== false ? startHelper(p, L, blocks.slice(half)) : null;
  let mine = helper ? blocks.slice(0, half) : blocks;
  // On a loaded machine the helper may wait for a core: once the main thread has waited for it longer than it
  // computed its own half in SLOW_PASSES passes in a row, it runs both halves itself for the rest of the call. Not
  // cumulative: the first passes may wait long once (the helper loads its kernel block during the first, wakes up
  // from sleep, and the first time starts), which dropped the helper on most 512-channel calls.
  let slow = 0;
  const yNorm = {} as Record<F4Matrix, number>;
  let s = 0; // v is in vAt[s]
  for (let t = 0; t < iterations; t++) {
    const vOut = vAt[1 - s];
    for (const X of F4_MATRICES) {
      heap.fill(0, uAt[X], uAt[X] + len.u[X]);
      heap.fill(0, vOut[X], vOut[X] + len.v[X]);
    }
    const t0 = performance.now();
    helper?.start(s as 0 | 1);
    for (const b of mine) {
      b.apply(...b.args[s][0]);
      p.applyT(...b.args[s][1]);
    }
    if (helper) {
      const t1 = performance.now();
      try {
        helper.finish(s as 0 | 1, heap);
      } catch {
        // The helper stalled or failed: start over on this thread (vecs.u, vecs.v are only written at the end).
        return simdPowerIterate(p, W, shape, vecs, iterations, { split, threads: false });
      }
      slow = performance.now() - t1 > t1 - t0 ? slow + 1 : 0;
      if (slow >= SLOW_PASSES && !opts.threads) {
        helper = null;
        mine = blocks;
      }
    }
    normaliseStep(p, L, blocks, s, vecs, yNorm, t === iterations - 1);
    s = 1 - s;
  }
  for (const X of F4_MATRICES) {
    const at = uAt[X],
      n = len.u[X];
    for (let j = at; j < at + n; j++) heap[j] /= yNorm[X];
    copyBlocked(vecs.u[X], heap, at, co, width, false);
    vecs.v[X].set(heap.subarray(vAt[s][X], vAt[s][X] + len.v[X]));
  }
}

/**
 * After one pass: v_X = z_X / ||z_X|| in place (a zero z restores the start v); on the last pass also ||y_X|| into
 * yNorm and sigma_X = ||z_X|| / ||y_X||. A zero y takes u from the call's start and redoes applyT for this step.
 * Why ||y|| only then: it is needed for nothing else (u = y / ||y|| is formed once, at the end), and a zero y makes
 * z = X^T y zero, so it is looked for only behind a z that is not positive: one of the step's three passes over the
 * vectors in JS fewer (~8 us per step on the 512-channel layers); the same values.
 */
function normaliseStep(
  p: F4SimdPasses,
  L: SimdLayout,
  blocks: SimdBlock[],
  s: number,
  vecs: F4HostVectors,
  yNorm: Record<F4Matrix, number>,
  last: boolean,
): void {
  const { heap, uAt, vAt, len, u0 } = L;
  const vOut = vAt[1 - s];
  const zNorm = {} as Record<F4Matrix, number>;
  for (const X of F4_MATRICES) zNorm[X] = heapNorm(heap, vOut[X], len.v[X]);
  let dead = false;
  for (const X of F4_MATRICES) {
    if (!last && zNorm[X] > 0) continue;
    yNorm[X] = heapNorm(heap, uAt[X], len.u[X]);
    if (yNorm[X] === 0) {
      heap.set(u0[X], uAt[X]);
      yNorm[X] = 1;
      dead = true;
    }
  }
  if (dead) {
    for (const X of F4_MATRICES) heap.fill(0, vOut[X], vOut[X] + len.v[X]);
    for (const b of blocks) p.applyT(...b.args[s][1]);
    for (const X of F4_MATRICES) zNorm[X] = heapNorm(heap, vOut[X], len.v[X]);
  }
  for (const X of F4_MATRICES) {
    const at = vOut[X],
      n = len.v[X],
      z = zNorm[X];
    if (last) vecs.sigma[X] = z / yNorm[X];
    if (z > 0) for (let j = at; j < at + n; j++) heap[j] /= z;
    else heap.set(vecs.v[X], at);
  }
}

function heapNorm(heap: Float32Array, at: number, n: number): number {
  let s = 0;
  for (let j = at; j < at + n; j++) s += heap[j] * heap[j];
  return Math.sqrt(s);
}

/** u_X^T X v_X for all four reshapes with the stored vectors (one fused pass). */
export function hostSigmas(W: Weights, shape: Shape4, vecs: F4HostVectors): Record<F4Matrix, number> {
  const len = hostVectorLengths(shape);
  const zs = {} as Vecs;
  for (const X of F4_MATRICES) zs[X] = new Float64Array(len.v[X]);
  applyTAll(W, shape, vecs.u, zs);
  const out = {} as Record<F4Matrix, number>;
  for (const X of F4_MATRICES) {
    let s = 0;
    for (let j = 0; j < zs[X].length; j++) s += zs[X][j] * vecs.v[X][j];
    out[X] = s;
  }
  return out;
}

/** d(scale * u_X^T X v_X)/dW = scale * u_X v_X^T, laid out as the HWIO kernel. */
export function hostSigmaGradient(shape: Shape4, vecs: F4HostVectors, X: F4Matrix, scale: number): Float32Array {
  const [h, w, ci, co] = shape;
  const u = vecs.u[X];
  const v = vecs.v[X];
  const G = new Float32Array(h * w * ci * co);
  for (let k = 0; k < h; k++) {
    for (let l = 0; l < w; l++) {
      const kl = k * w + l;
      const rowOff = X === 'T' ? 0 : X === 'R' ? k * co : X === 'S' ? l * co : kl * co;
      for (let i = 0; i < ci; i++) {
        const col = X === 'T' ? kl * ci + i : X === 'R' ? l * ci + i : X === 'S' ? k * ci + i : i;
        const a = scale * v[col];
        const b = (kl * ci + i) * co;
        for (let o = 0; o < co; o++) G[b + o] = a * u[rowOff + o];
      }
    }
  }
  return G;
}
