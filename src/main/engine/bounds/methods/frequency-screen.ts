/**
 * The float32 screening phase of the exact circular norm (sedghi.ts): the race of frequency-lanczos.ts — same
 * loop (raceRounds), same bracket (ritzBracket), later rounds in smaller chunks — but with its Lanczos vectors
 * kept in the WebAssembly heap beside the float32 frequency matrices, so the SIMD Gram product (or the fused
 * step, frequency-simd.ts) reads q and writes w in place.
 *
 * Why its own Lanczos steps (the loop is shared): with R = 64 the product takes ~5 us, and the generic race spent as much again per step on
 * copying vectors between JS and the heap and on a 10-vector basis per frequency (16 MB of fresh memory for the
 * 1570 frequencies of a 56x56 input). Screening needs only the three-term recurrence (reorthogonalize 'local',
 * see frequency-lanczos.ts), so each frequency keeps two vectors: q_{k-1} and q_k. No restarts: a frequency that
 * has not settled after `maxSteps` simply survives the screen and is decided in float64. With the fused steps the
 * vectors and their dot products are float32 too: rounding of ~1e-7 sqrt(R) relative, far below the screening
 * margin (1e-4 on sigma^2). By Paige's analysis of finite-precision Lanczos the Ritz values stay inside the
 * spectrum up to that rounding and the residual estimates beta_k |z_k| stay accurate until a Ritz value has
 * converged to that level, which is far finer than anything the margin has to resolve.
 */
import { mulberry32 } from '../../data/rng.js';
import { raceRounds, ritzBracket } from './frequency-lanczos.js';

export interface ScreenProblem {
  rows: number;
  count: number;
  /** float32 view of the heap. */
  heap: Float32Array;
  /** Byte offset of 2 * count * 2 * rows floats for the vectors (16-byte aligned), and of 2 * rows for w. */
  vectors: number;
  w: number;
  /** w (at byte offset `w`) = M_f M_f^H q for q at byte offset `q` (rows real parts, then rows imaginary parts). */
  product: (f: number, q: number, w: number) => void;
  /**
   * Optional: n whole steps in one call (frequency-simd.ts steps) — each the product, alpha, the two projections,
   * [alpha, |w|^2] written as float32 at byte offset `out` + 8 s for step s, and w / |w| written over q_{k-1} —
   * with q_k at byte offset q0 and q_{k-1} at q1 to begin with (they swap after every step); `first`: k = 0.
   */
  fusedSteps?: (f: number, q0: number, q1: number, first: boolean, n: number) => void;
  /** Byte offset of room for FUSED_STEPS_MAX pairs [alpha, |w|^2] (with fusedSteps). */
  out?: number;
}

/** Most steps per fusedSteps call (the room `out` needs). */
export const FUSED_STEPS_MAX = 8;

export interface ScreenOptions {
  seed: number;
  /** Relative slack on lambda = sigma^2 before a frequency is ruled out: upper * (1 + margin) < best lower. */
  margin: number;
  /** Stop refining once upper / lower - 1 < tol on sigma (as the race). */
  tol: number;
  kappa?: number;
  minSteps?: number;
  maxSteps?: number;
}

export interface ScreenResult {
  /** Frequencies whose upper estimate is within the margin of the best lower value, best first. */
  survivors: number[];
  /** sqrt of the best Ritz value (float32 data). */
  lower: number;
  products: number;
  maxSteps: number;
}

/** Heap floats screenRace needs at `vectors` for `count` frequencies of `rows` rows. */
export function screenVectorFloats(rows: number, count: number): number {
  return 4 * rows * count;
}

export function screenRace(pb: ScreenProblem, opts: ScreenOptions): ScreenResult {
  const { rows: R, count } = pb;
  const kappa = opts.kappa ?? 3;
  const minSteps = Math.min(R, opts.minSteps ?? 6);
  const K = Math.max(minSteps, Math.min(R, opts.maxSteps ?? 40));
  const slack = 1 + opts.margin;
  const lam = (1 + opts.tol) ** 2;
  const lz = new LanczosState(pb, K);
  randomStarts(pb, opts.seed);
  const theta = new Float64Array(count);
  const upper = new Float64Array(count).fill(Infinity);
  const work = { d: new Float64Array(K), e: new Float64Array(K), z: new Float64Array(K) };

  const race = raceRounds({
    count,
    firstChunk: minSteps,
    // Later rounds in small chunks rule frequencies out sooner (chunks of 1 instead of 3 save ~4% of the products
    // at R >= 128, ~11% at R = 64); at R = 64 a product costs about as much as the analysis, so 2 there.
    laterChunk: R >= 128 ? 1 : 2,
    lam,
    slack,
    theta,
    upper,
    exhausted: (f) => lz.exhausted[f] === 1,
    advance: (f, chunk) => {
      lz.run(f, chunk);
      [theta[f], upper[f]] = ritzBracket(
        lz.alpha,
        lz.beta,
        lz.steps[f],
        lz.steps[f],
        lz.exhausted[f] === 1,
        minSteps,
        kappa,
        work,
        f * K,
        f * (K + 1),
      );
      return lz.steps[f] >= K;
    },
  });
  let maxSteps = 0;
  for (let f = 0; f < count; f++) maxSteps = Math.max(maxSteps, lz.steps[f]);
  return {
    survivors: race.survivors,
    lower: Math.sqrt(race.lower),
    products: lz.products,
    maxSteps,
  };
}

/** A random unit start vector q_0 for every frequency, in its first slot. */
function randomStarts(pb: ScreenProblem, seed: number): void {
  const { rows: R, count, heap } = pb;
  const rng = mulberry32(seed);
  // one float64 scratch for all frequencies (a fresh array per frequency was ~1.5 MB of garbage per call at n = 56)
  const x = new Float64Array(2 * R);
  for (let f = 0; f < count; f++) {
    const o = pb.vectors / 4 + f * 4 * R;
    let nrm = 0;
    for (let r = 0; r < R; r++) {
      x[r] = rng() - 0.5;
      x[R + r] = rng() - 0.5;
      nrm += x[r] * x[r] + x[R + r] * x[R + r];
    }
    nrm = Math.sqrt(nrm);
    for (let j = 0; j < 2 * R; j++) heap[o + j] = x[j] / nrm;
  }
}

/** The Lanczos recurrences of every frequency: tridiagonal (alpha, beta) so far, and where its vectors are. */
class LanczosState {
  /** Frequency f's two slots start at v0 + f * 4R; cur[f] says which holds q_k (the other holds q_{k-1}). */
  readonly cur: Uint8Array;
  readonly steps: Int32Array;
  readonly exhausted: Uint8Array;
  readonly alpha: Float64Array;
  readonly beta: Float64Array;
  readonly scale: Float64Array;
  products = 0;
  private readonly R: number;
  private readonly v0: number;
  private readonly w0: number;
  private readonly out4: number;

  constructor(
    private readonly pb: ScreenProblem,
    private readonly K: number,
  ) {
    const count = pb.count;
    this.R = pb.rows;
    this.v0 = pb.vectors / 4;
    this.w0 = pb.w / 4;
    this.out4 = (pb.out ?? 0) / 4;
    this.cur = new Uint8Array(count);
    this.steps = new Int32Array(count);
    this.exhausted = new Uint8Array(count);
    this.alpha = new Float64Array(count * K);
    this.beta = new Float64Array(count * (K + 1));
    this.scale = new Float64Array(count);
  }

  /** Up to n more steps of frequency f (not past K, nor past its exhaustion). */
  run(f: number, n: number): void {
    if (!this.pb.fusedSteps) {
      for (let s = 0; s < n && !this.exhausted[f] && this.steps[f] < this.K; s++) this.step(f);
      return;
    }
    // A step with k + 1 = R exhausts the space: never more than R - k steps. Steps past an exhaustion that
    // |w| ~ 0 signals mid-call are computed and dropped (never recorded; the frequency steps no more).
    let left = Math.min(n, this.K - this.steps[f], this.R - this.steps[f]);
    while (left > 0 && !this.exhausted[f]) {
      const batch = Math.min(left, FUSED_STEPS_MAX);
      left -= batch;
      this.fusedRun(f, batch);
    }
  }

  /** `batch` fused steps in one call, then their [alpha, |w|^2] recorded in order (as `step` would). */
  private fusedRun(f: number, batch: number): void {
    const { pb, R, v0 } = this;
    const heap = pb.heap;
    const qc = v0 + f * 4 * R + this.cur[f] * 2 * R;
    const qp = v0 + f * 4 * R + (1 - this.cur[f]) * 2 * R;
    pb.fusedSteps!(f, 4 * qc, 4 * qp, this.steps[f] === 0, batch);
    for (let s = 0; s < batch; s++) {
      this.products++;
      if (!this.record(f, heap[this.out4 + 2 * s], Math.sqrt(heap[this.out4 + 2 * s + 1]))) return;
      this.cur[f] = 1 - this.cur[f];
    }
  }

  /** One unfused step: w = G q_k, alpha_k = Re q_k^H w, w -= (q_{k-1}^H w) q_{k-1} + (q_k^H w) q_k, q_{k+1} = w / |w|. */
  step(f: number): void {
    const { pb, R, v0, w0 } = this;
    const heap = pb.heap;
    const k = this.steps[f];
    const qc = v0 + f * 4 * R + this.cur[f] * 2 * R;
    const qp = v0 + f * 4 * R + (1 - this.cur[f]) * 2 * R;
    this.products++;
    pb.product(f, 4 * qc, pb.w);
    let a = 0;
    for (let r = 0; r < R; r++) a += heap[qc + r] * heap[w0 + r] + heap[qc + R + r] * heap[w0 + R + r];
    if (k > 0) subtractProjection(heap, qp, w0, R);
    subtractProjection(heap, qc, w0, R);
    let b = 0;
    for (let r = 0; r < 2 * R; r++) b += heap[w0 + r] * heap[w0 + r];
    b = Math.sqrt(b);
    if (!this.record(f, a, b)) return;
    // q_{k+1} overwrites q_{k-1}.
    for (let r = 0; r < 2 * R; r++) heap[qp + r] = heap[w0 + r] / b;
    this.cur[f] = 1 - this.cur[f];
  }

  /** Store alpha_k and beta_{k+1} of frequency f; false when its Krylov space is exhausted (|w| ~ 0, or k + 1 = R). */
  private record(f: number, a: number, b: number): boolean {
    const k = this.steps[f];
    this.alpha[f * this.K + k] = a;
    this.steps[f] = k + 1;
    this.beta[f * (this.K + 1) + k + 1] = b;
    this.scale[f] = Math.max(this.scale[f], Math.abs(a), b);
    if (b <= 1e-12 * this.scale[f] || k + 1 >= this.R) {
      this.exhausted[f] = 1;
      return false;
    }
    return true;
  }
}

/** w -= (q^H w) q for the complex vectors q at `q` and w at `w0` (R real parts, then R imaginary parts). */
function subtractProjection(heap: Float32Array, q: number, w0: number, R: number): void {
  let hr = 0;
  let hi = 0;
  for (let r = 0; r < R; r++) {
    const xr = heap[q + r];
    const xi = heap[q + R + r];
    hr += xr * heap[w0 + r] + xi * heap[w0 + R + r];
    hi += xr * heap[w0 + R + r] - xi * heap[w0 + r];
  }
  for (let r = 0; r < R; r++) {
    const xr = heap[q + r];
    const xi = heap[q + R + r];
    heap[w0 + r] -= hr * xr - hi * xi;
    heap[w0 + R + r] -= hr * xi + hi * xr;
  }
}
