/**
 * The Lanczos process (Golub & Van Loan, Matrix Computations, Sec. 10.1) for the top eigenvalue of a Hermitian
 * positive semi-definite operator A, on real or complex vectors: the one implementation behind every Lanczos run
 * of the bounds — the dense Gram matrices of the certificates (linalg64.ts), A^T A of the layer as it runs
 * (methods/operator-power.ts) and the per-frequency Gram matrices M_f M_f^H of the exact circular norm
 * (methods/frequency-lanczos.ts). Its float32 twin for the screening race is `step` in engine/kernels/frequency.wat.
 *
 * The caller owns the product: it computes w = A q_k for the current vector q_k (`vectorAt`) and hands w to
 * step(), which appends alpha_k = Re q_k^H w to T_k, orthogonalises w against the basis, and stores
 * q_{k+1} = w / beta_{k+1}. T_k has alpha_0..k-1 on its diagonal and beta_1..k-1 beside it; beta_k, the norm of
 * the last residual, gives the Ritz residual rho = beta_k |z_k| of a Ritz pair (theta, z).
 *
 * Orthogonalisation: 'full' against every basis vector (classical Gram-Schmidt, repeated when it removed more than
 * half of w: the Daniel-Gragg-Kaufman-Stewart criterion, "twice is enough"), or 'local' against the last two only
 * (the three-term recurrence, for short runs: Paige, loss of orthogonality grows only along converged Ritz
 * vectors). 'full-residual' (real runs): the three-term part first, then full classical Gram-Schmidt passes
 * four basis vectors per sweep, the DGKS test measured from that residual (see the option).
 */
import { topRitz, tridiagonalEigen, type RitzSummary } from './hermitian-eig.js';

export interface LanczosOptions {
  /** Complex vectors (re and im parts stored apart); default real. */
  complex?: boolean;
  /**
   * 'full-residual' (real vectors): w -= alpha_k q_k + beta_k q_{k-1} first, then full passes against the basis, a
   * second one only when the first removed more than half of that residual. 'full' measures the DGKS test from
   * A q_k itself, which the three-term part always more than halves, so it always sweeps the basis twice: 4 (k + 1)
   * passes over n values per step where this takes about 2 (k + 1), four vectors at a time (the cost that dominates
   * long runs on large n, e.g. the operator estimate's A^T A). The same Krylov space and T_k up to rounding.
   */
  reorthogonalize?: 'full' | 'local' | 'full-residual';
  /** With 'full-residual': the basis storage and its Gram-Schmidt pass from elsewhere (e.g. WebAssembly SIMD). */
  orthogonalizer?: Orthogonalizer;
  /** Basis vectors kept at most (the caller restarts before k reaches maxBasis - 1); default n + 1. */
  maxBasis?: number;
  /** Basis vectors allocated up front (the basis doubles when it runs out); default maxBasis. */
  initialBasis?: number;
  /** The Krylov space counts as invariant once beta <= invariantTol * max(|alpha|, beta) seen. Default 1e-12. */
  invariantTol?: number;
}

/**
 * Where 'full-residual' keeps its basis and how it projects: `basis` holds maxBasis vectors of n values (never
 * grown); project(count, w) is one classical Gram-Schmidt pass, w -= sum_{j < count} (q_j . w) q_j.
 */
export interface Orthogonalizer {
  basis: Float64Array;
  project(count: number, w: Float64Array): void;
  /** Optional: every other vector pass of a step too, so the step itself loops over no vector. */
  passes?: LanczosPasses;
}

/**
 * The vector passes of a 'full-residual' step where the basis lives (e.g. WebAssembly SIMD: operator-gemm.ts), each
 * returning the squared norm it leaves, so no pass is spent on norms alone. The same step as the JavaScript loops,
 * up to the order of float64 sums.
 */
export interface LanczosPasses {
  /** alpha_k = q_k . w, then w -= alpha_k q_k + beta_k q_{k-1} (beta_0 = 0): returns [alpha_k, ||w||^2]. */
  residual(k: number, beta: number, w: Float64Array): [number, number];
  /** project() of the orthogonalizer, returning ||w||^2 after the pass. */
  project(count: number, w: Float64Array): number;
  /** q_j = w / b. */
  store(j: number, w: Float64Array, b: number): void;
}

export class Lanczos {
  readonly n: number;
  readonly complex: boolean;
  /** Basis vectors, vector j at j * n (imaginary parts in qi for complex runs). */
  qr: Float64Array;
  qi: Float64Array;
  readonly alpha: Float64Array;
  readonly beta: Float64Array;
  /** Steps since the last start (the size of T_k). */
  k = 0;
  /** Steps since the first start, across restarts. */
  steps = 0;
  /** An invariant subspace was reached (or the whole space): the Ritz values are eigenvalues. */
  exhausted = false;
  private scale = 0;
  private readonly maxBasis: number;
  private readonly local: boolean;
  private readonly residualFirst: boolean;
  private readonly orthogonalizer?: Orthogonalizer;
  private readonly tol: number;

  constructor(n: number, opts: LanczosOptions = {}) {
    this.n = n;
    this.complex = opts.complex ?? false;
    this.maxBasis = Math.max(2, opts.maxBasis ?? n + 1);
    const slots = Math.min(this.maxBasis, opts.initialBasis ?? this.maxBasis);
    this.orthogonalizer = opts.reorthogonalize === 'full-residual' ? opts.orthogonalizer : undefined;
    if (this.orthogonalizer && this.orthogonalizer.basis.length < this.maxBasis * n) {
      throw new Error(`Lanczos: the orthogonalizer's basis holds fewer than maxBasis = ${this.maxBasis} vectors.`);
    }
    this.qr = this.orthogonalizer
      ? this.orthogonalizer.basis.subarray(0, this.maxBasis * n)
      : new Float64Array(slots * n);
    this.qi = new Float64Array(this.complex ? slots * n : 0);
    this.alpha = new Float64Array(this.maxBasis);
    this.beta = new Float64Array(this.maxBasis + 1);
    this.local = opts.reorthogonalize === 'local';
    this.residualFirst = opts.reorthogonalize === 'full-residual' && !this.complex;
    this.tol = opts.invariantTol ?? 1e-12;
  }

  /** (Re)start from x (re[n], then im[n] for complex runs), normalised; T_k is emptied, `steps` kept. */
  start(x: ArrayLike<number>): void {
    const { n } = this;
    let norm = 0;
    for (let i = 0; i < (this.complex ? 2 * n : n); i++) norm += x[i] * x[i];
    norm = Math.sqrt(norm);
    // A basis from an orthogonalizer is left as it is: only q_0..q_k are ever read, and clearing all maxBasis vectors
    // of a large n (first touch of fresh memory) costs more than the short runs that use a few of them.
    if (!this.orthogonalizer) this.qr.fill(0);
    this.qi.fill(0);
    for (let i = 0; i < n; i++) this.qr[i] = x[i] / norm;
    if (this.complex) for (let i = 0; i < n; i++) this.qi[i] = x[n + i] / norm;
    this.k = 0;
    this.exhausted = false;
  }

  /** Offset of q_k, the vector whose product A q_k the next step() takes, in qr (and qi). */
  get offset(): number {
    return this.k * this.n;
  }

  /** q_k as a view (real runs). */
  current(): Float64Array {
    return this.qr.subarray(this.offset, this.offset + this.n);
  }

  /** One step, given w = A q_k (wr, and wi for complex runs; both overwritten with the residual). */
  step(wr: Float64Array, wi?: Float64Array): void {
    const passes = this.residualFirst ? this.orthogonalizer?.passes : undefined;
    if (passes) return this.stepWith(passes, wr);
    const { n, k, qr, qi } = this;
    const im = this.complex ? wi! : null;
    const o = k * n;
    let a = 0;
    for (let r = 0; r < n; r++) a += qr[o + r] * wr[r];
    if (im) for (let r = 0; r < n; r++) a += qi[o + r] * im[r];
    this.alpha[k] = a;
    if (this.residualFirst) this.orthogonalizeResidual(k, a, wr);
    const j0 = this.local ? Math.max(0, k - 1) : 0;
    let before = this.local || this.residualFirst ? 0 : normSquared(wr, im, n);
    for (let pass = 0; pass < (this.residualFirst ? 0 : 2); pass++) {
      for (let j = j0; j <= k; j++) this.subtractProjection(j, wr, im);
      if (this.local) break;
      const after = normSquared(wr, im, n);
      if (after > 0.5 * before) break;
      before = after;
    }
    const b = Math.sqrt(normSquared(wr, im, n));
    if (this.close(k, a, b)) return;
    const next = (k + 1) * n;
    if (next + n > this.qr.length) this.grow();
    for (let r = 0; r < n; r++) this.qr[next + r] = wr[r] / b;
    if (im) for (let r = 0; r < n; r++) this.qi[next + r] = im[r] / b;
  }

  /** The step of 'full-residual' with the orthogonalizer's passes: the same passes and DGKS test as below. */
  private stepWith(passes: LanczosPasses, w: Float64Array): void {
    const k = this.k;
    const [a, residual] = passes.residual(k, k > 0 ? this.beta[k] : 0, w);
    this.alpha[k] = a;
    let before = residual;
    let after = residual;
    for (let pass = 0; pass < 2; pass++) {
      after = passes.project(k + 1, w);
      if (after > 0.5 * before) break;
      before = after;
    }
    const b = Math.sqrt(after);
    if (!this.close(k, a, b)) passes.store(k + 1, w, b);
  }

  /** T_k gains alpha_k and beta_{k+1}; true when the Krylov space is exhausted (then no q_{k+1} is stored). */
  private close(k: number, a: number, b: number): boolean {
    this.k = k + 1;
    this.steps++;
    this.beta[k + 1] = b;
    this.scale = Math.max(this.scale, Math.abs(a), b);
    if (b <= this.tol * this.scale || this.k >= this.n) this.exhausted = true;
    return this.exhausted;
  }

  /**
   * 'full-residual' (real runs): w -= alpha_k q_k + beta_k q_{k-1} (the three-term recurrence), then classical
   * Gram-Schmidt passes against q_0..q_k while a pass removes more than half of what is left (DGKS).
   */
  private orthogonalizeResidual(k: number, a: number, w: Float64Array): void {
    const { n, qr } = this;
    const o = k * n;
    const b = k > 0 ? this.beta[k] : 0;
    const p = k > 0 ? o - n : o;
    for (let r = 0; r < n; r++) w[r] -= a * qr[o + r] + b * qr[p + r];
    let before = normSquared(w, null, n);
    for (let pass = 0; pass < 2; pass++) {
      if (this.orthogonalizer) this.orthogonalizer.project(k + 1, w);
      else this.projectClassical(k, w);
      const after = normSquared(w, null, n);
      if (after > 0.5 * before) break;
      before = after;
    }
  }

  /** w -= sum_{j <= k} (q_j . w) q_j, four basis vectors per sweep over w. */
  private projectClassical(k: number, w: Float64Array): void {
    const { n, qr } = this;
    const h = new Float64Array(k + 4);
    // Four independent sums per sweep (a single dot product waits on each addition).
    for (let j = 0; j <= k; j += 4) {
      const [o0, o1, o2, o3] = [j, j + 1, j + 2, j + 3].map((i) => Math.min(i, k) * n);
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let r = 0; r < n; r++) {
        const x = w[r];
        s0 += qr[o0 + r] * x;
        s1 += qr[o1 + r] * x;
        s2 += qr[o2 + r] * x;
        s3 += qr[o3 + r] * x;
      }
      // Past q_k the sums repeat q_k's: only the first of them counts.
      h.set([s0, j + 1 <= k ? s1 : 0, j + 2 <= k ? s2 : 0, j + 3 <= k ? s3 : 0], j);
    }
    for (let j = 0; j <= k; j += 4) {
      const [o0, o1, o2, o3] = [j, j + 1, j + 2, j + 3].map((i) => Math.min(i, k) * n);
      const [h0, h1, h2, h3] = [h[j], h[j + 1], h[j + 2], h[j + 3]];
      for (let r = 0; r < n; r++) w[r] -= h0 * qr[o0 + r] + h1 * qr[o1 + r] + h2 * qr[o2 + r] + h3 * qr[o3 + r];
    }
  }

  /** w -= (q_j^H w) q_j (loops split by kind: this is the hot part of every step). */
  private subtractProjection(j: number, wr: Float64Array, wi: Float64Array | null): void {
    const { n, qr, qi } = this;
    const o = j * n;
    if (!wi) {
      let h = 0;
      for (let r = 0; r < n; r++) h += qr[o + r] * wr[r];
      for (let r = 0; r < n; r++) wr[r] -= h * qr[o + r];
      return;
    }
    let hr = 0;
    let hi = 0;
    for (let r = 0; r < n; r++) {
      hr += qr[o + r] * wr[r] + qi[o + r] * wi[r];
      hi += qr[o + r] * wi[r] - qi[o + r] * wr[r];
    }
    for (let r = 0; r < n; r++) {
      wr[r] -= hr * qr[o + r] - hi * qi[o + r];
      wi[r] -= hr * qi[o + r] + hi * qr[o + r];
    }
  }

  /** Most runs stop after a few steps, so the basis may start small; it doubles up to maxBasis vectors. */
  private grow(): void {
    const slots = Math.min(this.maxBasis, 2 * (this.qr.length / this.n));
    const nr = new Float64Array(slots * this.n);
    nr.set(this.qr);
    this.qr = nr;
    if (this.complex) {
      const ni = new Float64Array(slots * this.n);
      ni.set(this.qi);
      this.qi = ni;
    }
  }

  /** The top two Ritz values of T_k and the last component of the top Ritz vector (for rho = beta_k |z_k|). */
  topRitz(work: { d: Float64Array; e: Float64Array; z: Float64Array }): RitzSummary {
    return topRitz(this.alpha, this.beta, this.k, work);
  }

  /** The top Ritz vector Q_k z_1 (re, then im for complex runs), unit norm. */
  ritzVector(): Float64Array {
    const { k, n } = this;
    const d = Float64Array.from(this.alpha.subarray(0, k));
    const e = new Float64Array(k);
    for (let i = 0; i + 1 < k; i++) e[i] = this.beta[i + 1];
    const z = new Float64Array(k * k);
    for (let i = 0; i < k; i++) z[i * k + i] = 1;
    tridiagonalEigen(d, e, k, z, k);
    let i1 = 0;
    for (let i = 1; i < k; i++) if (d[i] > d[i1]) i1 = i;
    const x = new Float64Array(this.complex ? 2 * n : n);
    for (let j = 0; j < k; j++) {
      const c = z[j * k + i1];
      for (let r = 0; r < n; r++) x[r] += c * this.qr[j * n + r];
      if (this.complex) for (let r = 0; r < n; r++) x[n + r] += c * this.qi[j * n + r];
    }
    let norm = 0;
    for (let r = 0; r < x.length; r++) norm += x[r] * x[r];
    norm = Math.sqrt(norm);
    for (let r = 0; r < x.length; r++) x[r] /= norm;
    return x;
  }

  /** Explicit restart from the top Ritz vector (when k steps did not converge and the basis is full). */
  restart(): void {
    this.start(this.ritzVector());
  }
}

function normSquared(wr: Float64Array, wi: Float64Array | null, n: number): number {
  let s = 0;
  for (let r = 0; r < n; r++) s += wr[r] * wr[r];
  if (wi) for (let r = 0; r < n; r++) s += wi[r] * wi[r];
  return s;
}
