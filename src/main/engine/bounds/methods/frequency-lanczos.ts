/**
 * max over frequencies f of sigma_max(M_f), the exact circular norm of Sedghi et al. 2019, without an SVD per
 * frequency: Lanczos (numerics/lanczos.ts) on every small Gram matrix M_f M_f^H at once, a few steps at a time,
 * dropping a frequency as soon as its upper estimate falls below the best lower value found anywhere ("racing").
 *
 * Bracket per frequency (lambda = sigma^2):
 *  - lower: the top Ritz value theta_1 of T_k — a Rayleigh quotient, so theta_1 <= lambda_max(M_f M_f^H) always;
 *  - upper (a-posteriori): theta_1 + kappa rho, with rho = beta_{k+1} |z_k| the residual norm of the Ritz pair
 *    (some eigenvalue lies within rho of theta_1) and a safety factor kappa = 3. It bounds the eigenvalue the
 *    Ritz pair converges to, which from a random start is the top one; it is not a certificate against an
 *    eigenvector the start vector nearly missed, hence kappa and the minimum of 6 steps before any frequency is
 *    ruled out. (Measured on He-initialised kernels, 8 to 128 channels: Temple's rho^2/gap from the start, or
 *    kappa = 1 after 4 steps, do drop winning frequencies; kappa >= 2 after 6 steps never did in ~600 kernels
 *    checked against dense eigenvalues.) Temple's rho^2/gap tightens the estimate only after 12 steps.
 * When the Krylov space is exhausted (k = rank), theta_1 is exact.
 */
import { mulberry32 } from '../../data/rng.js';
import type { FrequencyMatrices } from '../numerics/fft2.js';
import { topRitz } from '../numerics/hermitian-eig.js';
import { Lanczos } from '../numerics/lanczos.js';

export interface RacingOptions {
  /** Relative tolerance on sigma: stop when upper/lower - 1 < tol. */
  tol: number;
  seed: number;
  /** Lanczos steps before an explicit restart from the current Ritz vector. */
  restartLength?: number;
  /** Hard cap on the steps of any one frequency. */
  maxSteps?: number;
  /** Steps every frequency runs before it may be ruled out. */
  minSteps?: number;
  /** Safety factor on the Ritz residual in the upper estimate theta + kappa * rho. */
  kappa?: number;
  /**
   * w = M_f M_f^H q for q = (qr, qi)[qo .. qo + rows), replacing the float64 loop over `fm.data` — e.g. the
   * float32 SIMD kernel (frequency-simd.ts) for screening.
   */
  product?: (f: number, qr: Float64Array, qi: Float64Array, qo: number, wr: Float64Array, wi: Float64Array) => void;
  /**
   * Relative slack on lambda = sigma^2 before a frequency is ruled out (upper * (1 + margin) < best lower):
   * covers the rounding of a float32 screening, whose survivors are then confirmed in float64. Default 0.
   */
  margin?: number;
  /**
   * 'full' (default): every step is re-orthogonalised against the whole basis. 'local': against the last two
   * vectors only (the three-term recurrence, applied as Gram-Schmidt): for a screening phase, where the few
   * steps per frequency (~10-30) keep the loss of orthogonality near float64 rounding (Paige: it grows only
   * along Ritz vectors that have converged to that level), so the Ritz values and residuals are as accurate
   * as the margin needs, at O(R) instead of O(k R) per step.
   */
  reorthogonalize?: 'full' | 'local';
  /**
   * Start vectors (re[rows] then im[rows]) per frequency instead of random ones: sedghi.ts starts the float64
   * confirmation from the top Ritz vectors of a float32 race (which itself started at random), so it only has
   * to polish them.
   */
  startVectors?: Float64Array[];
  /** Return the top Ritz vector of every frequency (`ritz`), e.g. as start vectors of a later race. */
  ritzVectors?: boolean;
}

export interface RacingResult {
  /** sqrt of the best Ritz value: a lower value of the norm. */
  lower: number;
  /** The largest upper estimate among frequencies not ruled out. */
  upper: number;
  /** Index (into the frequency set) of the maximising frequency. */
  argmax: number;
  /** Most Lanczos steps any frequency ran. */
  maxSteps: number;
  /** Products M_f M_f^H q over all frequencies (the cost unit). */
  products: number;
  converged: boolean;
  /** Indices of the frequencies not ruled out (within `margin` of the best), best first. */
  survivors: number[];
  /** With `ritzVectors`: per frequency, its top Ritz vector (re then im, unit norm). */
  ritz?: Float64Array[];
}

/**
 * w = M M^H q for frequency f; y (length cols) is scratch. Two rows per sweep: each pass over the row pair
 * reuses the loaded y entries, about 1.5x faster in V8 than one row at a time.
 */
function gramProduct(
  D: Float64Array,
  off: number,
  R: number,
  C: number,
  qr: Float64Array,
  qi: Float64Array,
  qo: number,
  yr: Float64Array,
  yi: Float64Array,
  wr: Float64Array,
  wi: Float64Array,
): void {
  adjointProduct(D, off, R, C, qr, qi, qo, yr, yi);
  matrixProduct(D, off, R, C, yr, yi, wr, wi);
}

/** y = M^H q (M: R x C at `off`, split re/im; q at qo in qr, qi), two rows of M per sweep. */
function adjointProduct(
  D: Float64Array,
  off: number,
  R: number,
  C: number,
  qr: Float64Array,
  qi: Float64Array,
  qo: number,
  yr: Float64Array,
  yi: Float64Array,
): void {
  const offIm = off + R * C;
  yr.fill(0, 0, C);
  yi.fill(0, 0, C);
  // y_c += conj(M_rc) q_r
  let r = 0;
  for (; r + 1 < R; r += 2) {
    const a0 = qr[qo + r];
    const b0 = qi[qo + r];
    const a1 = qr[qo + r + 1];
    const b1 = qi[qo + r + 1];
    const p0 = off + r * C;
    const i0 = offIm + r * C;
    const p1 = p0 + C;
    const i1 = i0 + C;
    for (let c = 0; c < C; c++) {
      const a = D[p0 + c];
      const b = D[i0 + c];
      const e = D[p1 + c];
      const f = D[i1 + c];
      yr[c] += a * a0 + b * b0 + e * a1 + f * b1;
      yi[c] += a * b0 - b * a0 + e * b1 - f * a1;
    }
  }
  if (r < R) {
    const a0 = qr[qo + r];
    const b0 = qi[qo + r];
    const p0 = off + r * C;
    const i0 = offIm + r * C;
    for (let c = 0; c < C; c++) {
      const a = D[p0 + c];
      const b = D[i0 + c];
      yr[c] += a * a0 + b * b0;
      yi[c] += a * b0 - b * a0;
    }
  }
}

/** w = M y (M: R x C at `off`, split re/im), two rows of M per sweep. */
function matrixProduct(
  D: Float64Array,
  off: number,
  R: number,
  C: number,
  yr: Float64Array,
  yi: Float64Array,
  wr: Float64Array,
  wi: Float64Array,
): void {
  const offIm = off + R * C;
  let r = 0;
  for (; r + 1 < R; r += 2) {
    const p0 = off + r * C;
    const i0 = offIm + r * C;
    const p1 = p0 + C;
    const i1 = i0 + C;
    let s0 = 0;
    let t0 = 0;
    let s1 = 0;
    let t1 = 0;
    for (let c = 0; c < C; c++) {
      const y1 = yr[c];
      const y2 = yi[c];
      const a = D[p0 + c];
      const b = D[i0 + c];
      const e = D[p1 + c];
      const f = D[i1 + c];
      s0 += a * y1 - b * y2;
      t0 += a * y2 + b * y1;
      s1 += e * y1 - f * y2;
      t1 += e * y2 + f * y1;
    }
    wr[r] = s0;
    wi[r] = t0;
    wr[r + 1] = s1;
    wi[r + 1] = t1;
  }
  if (r < R) {
    const p0 = off + r * C;
    const i0 = offIm + r * C;
    let s0 = 0;
    let t0 = 0;
    for (let c = 0; c < C; c++) {
      const a = D[p0 + c];
      const b = D[i0 + c];
      s0 += a * yr[c] - b * yi[c];
      t0 += a * yi[c] + b * yr[c];
    }
    wr[r] = s0;
    wi[r] = t0;
  }
}

export function raceTopSingularValue(
  fm: Pick<FrequencyMatrices, 'rows' | 'cols' | 'count'> & { data?: Float64Array },
  opts: RacingOptions,
): RacingResult {
  const R = fm.rows;
  const C = fm.cols;
  const D = fm.data;
  const block = 2 * R * C;
  const kmax = Math.max(1, Math.min(R, opts.restartLength ?? 40));
  const maxSteps = opts.maxSteps ?? 2000;
  const rng = mulberry32(opts.seed);
  const yr = new Float64Array(C);
  const yi = new Float64Array(C);
  const wr = new Float64Array(R);
  const wi = new Float64Array(R);
  const work = { d: new Float64Array(kmax), e: new Float64Array(kmax), z: new Float64Array(kmax) };
  const lam = (1 + opts.tol) ** 2;
  const kappa = opts.kappa ?? 3;
  const minSteps = Math.min(R, opts.minSteps ?? 6);
  const slack = 1 + (opts.margin ?? 0);
  const local = opts.reorthogonalize === 'local';
  const product =
    opts.product ??
    ((f: number, qr: Float64Array, qi: Float64Array, qo: number, wr: Float64Array, wi: Float64Array) => {
      if (!D) throw new Error('raceTopSingularValue: frequency matrices or a product function are required.');
      gramProduct(D, f * block, R, C, qr, qi, qo, yr, yi, wr, wi);
    });
  let products = 0;

  // Frequency f's Lanczos run on M_f M_f^H (complex vectors of R rows).
  const runs: Lanczos[] = [];
  for (let f = 0; f < fm.count; f++) {
    // Room for the screening steps and the first extra chunk, which most frequencies need.
    const run = new Lanczos(R, {
      complex: true,
      reorthogonalize: local ? 'local' : 'full',
      maxBasis: kmax + 1,
      initialBasis: minSteps + 4,
    });
    run.start(opts.startVectors?.[f] ?? randomStart(R, rng));
    runs.push(run);
  }
  const theta = new Float64Array(fm.count);
  const upper = new Float64Array(fm.count).fill(Infinity);
  const out = raceRounds({
    count: fm.count,
    firstChunk: minSteps,
    laterChunk: Math.min(kmax, 3),
    lam,
    slack,
    theta,
    upper,
    exhausted: (f) => runs[f].exhausted,
    advance: (f, chunk) => {
      const run = runs[f];
      for (let s = 0; s < chunk && !run.exhausted; s++) {
        // Explicit restart from the top Ritz vector (rare: only when kmax steps did not converge).
        if (run.k >= kmax) run.restart();
        product(f, run.qr, run.qi, run.offset, wr, wi);
        products++;
        run.step(wr, wi);
      }
      [theta[f], upper[f]] = ritzBracket(run.alpha, run.beta, run.k, run.steps, run.exhausted, minSteps, kappa, work);
      return run.steps >= maxSteps;
    },
  });
  return {
    lower: Math.sqrt(out.lower),
    upper: Math.sqrt(out.upper),
    argmax: out.best,
    maxSteps: runs.reduce((m, run) => Math.max(m, run.steps), 0),
    products,
    converged: out.upper <= out.lower * lam,
    survivors: out.survivors,
    ...(opts.ritzVectors ? { ritz: runs.map((run) => run.ritzVector()) } : {}),
  };
}

/** A race over `count` frequencies (the header's rule), whatever runs each frequency's Lanczos steps. */
export interface RaceRounds {
  count: number;
  /** Steps of the first round (minSteps: every frequency runs them before any is ruled out), then of each later one. */
  firstChunk: number;
  laterChunk: number;
  /** (1 + tol)^2: a frequency is settled, and the race over, once upper <= lower * lam. */
  lam: number;
  /** 1 + margin: a frequency is ruled out once upper * slack < the best lower value. */
  slack: number;
  /** Each frequency's bracket on lambda = sigma^2, written by `advance` (start at 0 and Infinity). */
  theta: Float64Array;
  upper: Float64Array;
  /** Up to `chunk` more steps of frequency f and its new bracket; true when f may step no more (its cap). */
  advance: (f: number, chunk: number) => boolean;
  /** Frequency f's Krylov space is exhausted (theta is then exact). */
  exhausted: (f: number) => boolean;
}

/**
 * The racing loop shared by raceTopSingularValue and the float32 screening (frequency-screen.ts): rounds of
 * steps over the frequencies still in, each round dropping those whose upper estimate is below the best lower
 * value, until the best is within tol or every remaining frequency is settled. `lower`, `upper` on lambda.
 */
export function raceRounds(r: RaceRounds): { best: number; lower: number; upper: number; survivors: number[] } {
  const { theta, upper: up, lam, slack } = r;
  let active = Array.from({ length: r.count }, (_, f) => f);
  const done = new Uint8Array(r.count);
  let chunk = r.firstChunk;
  let best = 0;
  let lower = 0;
  let upper = Infinity;
  for (;;) {
    for (const f of active) {
      if (done[f] || r.exhausted(f)) continue;
      const capped = r.advance(f, chunk);
      if (up[f] <= theta[f] * lam || capped) done[f] = 1;
    }
    for (const f of active) {
      if (theta[f] > lower) {
        lower = theta[f];
        best = f;
      }
    }
    active = active.filter((f) => up[f] * slack >= lower || f === best);
    upper = 0;
    for (const f of active) upper = Math.max(upper, up[f]);
    if (upper <= lower * lam || active.every((f) => done[f] || r.exhausted(f))) break;
    chunk = r.laterChunk;
  }
  const survivors = active.filter((f) => up[f] * slack >= lower).sort((a, b) => theta[b] - theta[a]);
  return { best, lower, upper, survivors };
}

/** A random complex start (re then im), drawn re/im interleaved per row. */
function randomStart(R: number, rng: () => number): Float64Array {
  const x = new Float64Array(2 * R);
  for (let r = 0; r < R; r++) {
    x[r] = rng() - 0.5;
    x[R + r] = rng() - 0.5;
  }
  return x;
}

/**
 * [theta, upper] for a Lanczos run of k steps (alpha_0..k-1, beta_1..k; `steps` counted since the start, across
 * restarts): theta = the top Ritz value, upper = theta + kappa rho with rho = beta_k |z_k|, or Temple's
 * kappa rho^2 / gap once steps >= 2 minSteps and the top Ritz value stands clear of the next one (see the header).
 */
export function ritzBracket(
  alpha: Float64Array,
  beta: Float64Array,
  k: number,
  steps: number,
  exhausted: boolean,
  minSteps: number,
  kappa: number,
  work: { d: Float64Array; e: Float64Array; z: Float64Array },
  aOff = 0,
  bOff = 0,
): [number, number] {
  const rz = topRitz(alpha, beta, k, work, aOff, bOff);
  const theta = Math.max(rz.theta1, 0);
  if (exhausted) return [theta, theta];
  const rho = beta[bOff + k] * Math.abs(rz.lastComponent);
  let err = kappa * rho;
  const gap = rz.theta1 - rz.theta2;
  if (steps >= 2 * minSteps && gap > kappa * rho) err = Math.min(err, (kappa * rho * rho) / gap);
  return [theta, theta + err];
}
