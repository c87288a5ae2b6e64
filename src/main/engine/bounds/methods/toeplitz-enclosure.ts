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
 * bound by ~1e-13 to 1e-10 relative.
 */
import { ENCLOSURE_SLACK, UNDERFLOW64, gamma, sumUpper } from '../numerics/rounding.js';
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
 *    step).
 */
export function correlationError(s: Taps, norms: StepNorms, yFro: number, rescaleShift: number | null): number {
  const { nh, nw, nv, m } = norms.grid;
  const N = nh * nw;
  const D = 16 * gamma(2 * (s.sh + s.sw) + 20) * Math.sqrt(s.sh * s.sw) * yFro;
  const gGram = Math.sqrt(10) * gamma(s.C / 2 + 5);
  let [h2, gSum] = [0, 0];
  norms.m2.forEach((sq, f) => {
    const M2 = sumUpper(sq, 2 * m);
    const Mf = Math.sqrt(M2);
    const H = D * (2 * Mf + D) + gGram * M2;
    h2 += norms.weight[f] * H * H;
    gSum += norms.weight[f] * M2 * (1 + gGram);
  });
  const ops = 4 * (s.sh + s.sw + nh + nv + s.C) + 64;
  const underflow = UNDERFLOW64 * ops * N * N * s.P * (1 + (rescaleShift === null ? 0 : 2 ** rescaleShift));
  const fromH = Math.SQRT2 * Math.sqrt(sumUpper(h2, norms.m2.length)) * ENCLOSURE_SLACK;
  const fromR = 16 * gamma(2 * (nh + nv) + 20) * sumUpper(gSum, norms.m2.length);
  return (fromH + fromR + underflow) * ENCLOSURE_SLACK;
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
