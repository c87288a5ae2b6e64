/**
 * Rounding accounted: the Toeplitz bound (toeplitz.ts) as a guaranteed upper bound on ||T(K)||_2, the norm of the
 * layer's infinite-domain (Toeplitz) convolution operator, whatever the floating-point errors of its computation.
 *
 * toeplitzEnclosure. Let Y_0 = K 2^-k_0 and, for j >= 1, Z_j = fl(Y_{j-1} * Y_{j-1}^T) (the computed self-correlation,
 * toeplitz-step.ts) = Y_{j-1} * Y_{j-1}^T + E_j, Y_j = fl(Z_j 2^-k_j) (a power of two: exact but for underflow U_j).
 * T is linear and T(Y * Y^T) = T(Y) T(Y)^*, so ||T(Y)||^2 = ||T(Y * Y^T)||_2 and
 *   ||T(Y_{j-1})||_2^2 <= ||T(Z_j)||_2 + ||T(E_j)||_2 <= 2^k_j ||T(Y_j)||_2 + eps_j,
 * with eps_j >= ||T(E_j)||_2 + 2^k_j ||T(U_j)||_2 (correlationError below). At the last step, Schur's test gives
 * ||T(Z_t)||_2 <= sqrt(r c) with r, c the largest row and column sums of |Z_t| over all taps (Delattre et al.'s
 * l_inf bound; r = c in exact arithmetic since Z(-d) = Z(d)^T). Hence, from B = sqrt(r c + eps_t) down to
 * B <- sqrt(2^k_j B + eps_j) for j = t-1 .. 1, ||T(K)||_2 <= 2^k_0 B: each step's rounding enters once, added
 * before a square root, so the float64 errors (~1e-16 relative, times the generous constants below) move the
 * bound by ~1e-13 to 1e-10 relative; float32 Grams at the last step (~6e-8, gram32Allowance) by ~1e-6 to 1e-4.
 */
import { ENCLOSURE_SLACK, U32, UNDERFLOW64, gamma, sumUpper } from '../numerics/rounding.js';
import { columns4 } from './toeplitz-heap.js';
import type { StepNorms, Taps } from './toeplitz-step.js';

/**
 * eps_j, an upper bound on ||T(E_j)||_2 for one step (toeplitz-step.ts), from Y's Frobenius norm (an upper bound)
 * and the computed ||M(w)||_F^2. The step's exact correlation is the inverse DFT of the Grams of the exact M(w) on a
 * grid that holds it without aliasing, so E_j = IDFT(H) + R with H(w) = fl(Gram of fl(M(w))) - M(w) M(w)^H and R
 * the inverse DFT's own rounding:
 *  - forward DFT (two stages of K = s_w, s_h complex multiply-adds, twiddles within a few ulps, |twiddle| = 1):
 *    |fl(M) - M| <= 16 gamma_{2(s_h+s_w)+20} sum_{x,y} |Y_xy| entrywise, so ||fl(M) - M||_F <= D =
 *    16 gamma_{..} sqrt(s_h s_w) ||Y||_F (Cauchy-Schwarz over the taps);
 *  - Gram (Gauss's three real products, toeplitz-gram.wat's gauss or its JavaScript copy: Re = T1 + T2 and
 *    Im = T3 - (T1 - T2) from dot products of C terms summed as two chains of C / 2 (even and odd columns), T3's
 *    operands X + Y and X - Y rounded once; each term meets at most C / 2 + 4 roundings): with
 *    m_ab = sum_c |A_ac| |A_bc| <= ||A_a|| ||A_b|| (A = fl(M), rows a, b), |F_ab| <= gamma_{C/2+3} m_ab (Re) and
 *    gamma_{C/2+5} (sum_c |X_a X_b| + |Y_a Y_b| + |X + Y|_a |X - Y|_b) <= 3 gamma_{C/2+5} m_ab (Im; |x| + |y| <=
 *    sqrt(2) |x + iy|), so ||F(w)||_F <= sqrt(1 + 9) gamma_{C/2+5} ||fl(M)||_F^2 and
 *    ||H(w)||_F <= D (2 ||fl(M)||_F + D) + ||F(w)||_F;
 *  - ||T(IDFT(H))||_2 <= sum_d ||IDFT(H)_d||_F <= sqrt(N) (sum_d ||IDFT(H)_d||_F^2)^(1/2) = (sum_w ||H(w)||_F^2)^(1/2)
 *    (Parseval on the N = n_h n_w grid; each half-spectrum frequency counts with its multiplicity), times sqrt(2):
 *    the taps x > h_c are mirrored transposes of computed ones, i.e. the inverse DFT of fl(G)^H (Z(d)^T = Re sum_w
 *    G(w)^H e^{-i w d} / N), whose distance to the exact (Hermitian) Gram is H^H, of the same norm, and the two sets
 *    of taps (N_1 + N_2 = N) give (sqrt(N_1) + sqrt(N_2)) / sqrt(N) <= sqrt(2) times the bound;
 *  - inverse DFT (stages of n_h and n_v terms, weights w_v / N <= 2 / N): |R_d| <= 16 gamma_{2(n_h+n_v)+20} / N
 *    sum_w |fl(G(w))| entrywise, so ||T(R)||_2 <= sum_d ||R_d||_F <= 16 gamma_{..} sum_w ||fl(G(w))||_F, with
 *    ||fl(G(w))||_F <= (1 + sqrt(10) gamma_{C/2+5}) ||fl(M)||_F^2;
 *  - underflow: every operation's absolute error allowance (UNDERFLOW64) times the operations per entry, the
 *    entries per row and the taps, and the rescale's 2^k_j N P UNDERFLOW64 (rescaleShift = k_j, or null at the last
 *    step);
 *  - float32 Grams (norms.gram, the last step where the SIMD heap runs): gram32Allowance below.
 */
export function correlationError(s: Taps, norms: StepNorms, yFro: number, rescaleShift: number | null): number {
  const { nh, nw, nv, m } = norms.grid;
  const N = nh * nw;
  const D = 16 * gamma(2 * (s.sh + s.sw) + 20) * Math.sqrt(s.sh * s.sw) * yFro;
  const gram = norms.gram === 'float32' ? gram32Allowance(s) : gram64Allowance(s, m);
  let [h2, gSum] = [0, 0];
  norms.m2.forEach((sq, f) => {
    const { H, G } = gram(sq, D);
    h2 += norms.weight[f] * H * H;
    gSum += norms.weight[f] * G;
  });
  const ops = 4 * (s.sh + s.sw + nh + nv + s.C) + 64;
  const underflow = UNDERFLOW64 * ops * N * N * s.P * (1 + (rescaleShift === null ? 0 : 2 ** rescaleShift));
  const fromH = Math.SQRT2 * Math.sqrt(sumUpper(h2, norms.m2.length)) * ENCLOSURE_SLACK;
  const fromR = 16 * gamma(2 * (nh + nv) + 20) * sumUpper(gSum, norms.m2.length);
  return (fromH + fromR + underflow) * ENCLOSURE_SLACK;
}

/**
 * Per frequency, from the computed ||fl(M)||_F^2 (`sq`, a float64 sum of 2 m squares) and D: the bounds H on ||H(w)||_F
 * and G on ||fl(G(w))||_F of correlationError's float64 Grams.
 */
function gram64Allowance(s: Taps, m: number): (sq: number, D: number) => { H: number; G: number } {
  const gGram = Math.sqrt(10) * gamma(s.C / 2 + 5);
  return (sq, D) => {
    const M2 = sumUpper(sq, 2 * m);
    return { H: D * (2 * Math.sqrt(M2) + D) + gGram * M2, G: M2 * (1 + gGram) };
  };
}

/** A float32 operation's absolute error allowance near underflow (2^-150 with gradual underflow, doubled). */
const UNDERFLOW32 = 2 ** -149;
/** Columns per float32 block of toeplitz-gram.wat gauss32 (chains of 16 multiply-adds per lane). */
const BLOCK32 = 64;

/**
 * The Gram terms of correlationError where the Grams are gauss32's (toeplitz-gram.wat): A = fl32(fl(M)) and the
 * three real products in float32 chains flushed to float64. Per frequency, from the computed trace `sq` of the
 * float32 Gram and the forward DFT's D:
 *  - every term of T1, T2, T3 meets at most BLOCK32 / 4 + 1 (chain, a product unfused) + 2 (lane sums) + 2 (X + Y,
 *    X - Y) float32 roundings and ceil(C4 / BLOCK32) + 2 float64 ones (the blocks' sum, then Re or Im), so with
 *    g = (1 + gamma32_{B/4+5})(1 + gamma64_{ceil(C4/B)+3}) - 1 gauss's argument gives |F_ab| <= g m_ab (Re) and
 *    3 g m_ab (Im), ||F||_F <= sqrt(10) g ||A||_F^2, plus underflow: each of the C4 products of a T errs by at most
 *    UNDERFLOW32 (sums of float32 values are exact there), <= 8 P C4 UNDERFLOW32 over Z (Re, Im);
 *  - the trace: each diagonal T1 + T2 sums non-negative terms, so ||A||_F^2 <= A2 = (sumUpper(sq, P) +
 *    4 P C4 UNDERFLOW32) / (1 - g);
 *  - the rounding of M: ||A - fl(M)||_F <= u32 ||fl(M)||_F + e0 (e0 = sqrt(2 P C) UNDERFLOW32, the subnormals), so
 *    ||fl(M)||_F <= (sqrt(A2) + e0) / (1 - u32) and ||A - M||_F <= D32 = D + u32 ||fl(M)||_F + e0;
 *  - H(w) = A A^H - M M^H + F = (A - M) A^H + M (A - M)^H + F: ||H||_F <= D32 (2 sqrt(A2) + D32) + ||F||_F, and
 *    ||fl(G)||_F <= (1 + sqrt(10) g) A2 + 8 P C4 UNDERFLOW32 for the inverse DFT's term (G).
 */
function gram32Allowance(s: Taps): (sq: number, D: number) => { H: number; G: number } {
  const C4 = columns4(s.C);
  const g = (1 + gamma(BLOCK32 / 4 + 5, U32)) * (1 + gamma(Math.ceil(C4 / BLOCK32) + 3)) - 1;
  const fUnder = 8 * s.P * C4 * UNDERFLOW32;
  const e0 = Math.sqrt(2 * s.P * s.C) * UNDERFLOW32;
  return (sq, D) => {
    const A2 = (sumUpper(sq, s.P) + 4 * s.P * C4 * UNDERFLOW32) / (1 - g);
    const Af = Math.sqrt(A2);
    const D32 = D + (U32 * (Af + e0)) / (1 - U32) + e0;
    const F = Math.sqrt(10) * g * A2 + fUnder;
    return { H: D32 * (2 * Af + D32) + F, G: A2 + F };
  };
}

/**
 * The bound 2^k_0 B of toeplitzEnclosure after step j: `last` = sqrt(r c) of Z_j (upper), `eps` = eps_1..eps_j,
 * `shift` = k_1..k_{j-1}.
 */
export function enclosedBound(k0: number, last: number, eps: number[], shift: number[]): number {
  const j = eps.length;
  let B = Math.sqrt(last + eps[j - 1]);
  for (let i = j - 2; i >= 0; i--) B = Math.sqrt(2 ** shift[i] * B + eps[i]);
  // 2^k0 in two halves: k0 may be below -1022 (2^k0 alone would round) for kernels of subnormal size
  return 2 ** Math.ceil(k0 / 2) * (2 ** Math.floor(k0 / 2) * B) * ENCLOSURE_SLACK;
}
