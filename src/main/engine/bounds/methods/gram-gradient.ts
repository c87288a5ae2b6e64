/**
 * The Gram iteration bound of a few frequencies and its gradient with respect to the kernel, in float64 on the host:
 * what the Gram regulariser (engine/train/regularizer.ts) differentiates, instead of a tfjs graph of ~20 small ops
 * per iteration and their backward pass (gram-tensor.ts), whose per-op cost dominated the training step.
 *
 * After t iterations the bound of frequency f is S = ||M||_{S_p}, p = 2^(t+1) (gram-iteration.ts), and with
 * A = M M^H, q = p / 2:  S^p = tr(A^q),  d(S^p) = 2q Re tr(M^H A^(q-1) dM),  so
 *   dS = S^(1-p) Re sum_ac conj(G_ac) dM_ac,   G = A^(q-1) M = Y_1 Y_2 ... Y_t M   (Y_i = A^(2^(i-1)), the iterates).
 * S is 1-homogeneous in M (Euler: Re <M, grad S> = S), so for any positive multiple G~ of G the gradient is
 * grad_M S = S G~ / Re <M, G~>: no power of S, no overflow. With M = sum_{k,l} W[k,l] phi_kl,
 * phi_kl = e^{-2 pi i (u k / n_h + v l / n_w)}:  dS / dW[k,l]_ac = Re(conj(grad_ac) phi_kl).
 * The bound of several frequencies is their maximum; its gradient is its argmax's.
 */
import type { KernelHWIO } from '../../../../shared/bounds.js';
import type { FrequencySet } from '../numerics/frequency-set.js';
import { subsetFrequencyMatrices } from './frequency-subset.js';

export interface GramValueAndGradient {
  value: number;
  /** dvalue / dW, HWIO like the kernel. */
  gradient: Float64Array;
}

/** A complex matrix as its real and imaginary parts (row-major). */
type Complex = [Float64Array, Float64Array];
const EMPTY = new Float64Array(0);

/** C = A B or A B^H of complex matrices (separate real and imaginary parts), A m x k, B k x n (or n x k). */
function cmul(a: Complex, b: Complex, m: number, k: number, n: number, conjTransB: boolean): Complex {
  const [ar, ai] = a;
  const [br, bi] = b;
  const cr = new Float64Array(m * n);
  const ci = new Float64Array(m * n);
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < n; c++) {
      let sr = 0;
      let si = 0;
      // B^H[j][c] = conj(B[c][j]): walk B's row c, conjugated; else B's column c.
      const [step, sign] = conjTransB ? [1, -1] : [n, 1];
      for (let j = 0, x = r * k, y = conjTransB ? c * k : c; j < k; j++, x++, y += step) {
        const xr = ar[x];
        const xi = ai[x];
        const yr = br[y];
        const yi = sign * bi[y];
        sr += xr * yr - xi * yi;
        si += xr * yi + xi * yr;
      }
      cr[r * n + c] = sr;
      ci[r * n + c] = si;
    }
  }
  return [cr, ci];
}

const frobenius = ([re, im]: Complex): number => {
  let s = 0;
  for (let j = 0; j < re.length; j++) s += re[j] * re[j] + im[j] * im[j];
  return Math.sqrt(s);
};

const scaled = ([re, im]: Complex, s: number): Complex => [re.map((x) => x * s), im.map((x) => x * s)];

/**
 * S = ||M||_{S_p} (as gramIterationBoundTensor computes it: log-space, each iterate normalised) and grad_M S of one
 * R x C frequency matrix; a zero matrix has S = 0 and gradient 0.
 */
function schattenAndGradient(m: Complex, R: number, C: number, t: number) {
  let y = m;
  let cols = C;
  let r = 0;
  let product: Complex | null = null;
  for (let i = 1; i <= t; i++) {
    const norm = frobenius(y);
    if (norm === 0) return { value: 0, gradient: [new Float64Array(R * C), new Float64Array(R * C)] as Complex };
    const x = scaled(y, 1 / norm);
    r = 2 * (r + Math.log(norm));
    y = cmul(x, x, R, cols, R, true);
    cols = R;
    // The running product Y_1 ... Y_i, renormalised (only its direction matters).
    product = product ? cmul(product, y, R, R, R, false) : y;
    product = scaled(product, 1 / frobenius(product));
  }
  const value = Math.exp(2 ** -t * (Math.log(frobenius(y)) + r));
  const g = cmul(product!, m, R, R, C, false);
  let inner = 0;
  for (let j = 0; j < R * C; j++) inner += m[0][j] * g[0][j] + m[1][j] * g[1][j];
  return { value, gradient: scaled(g, value / inner) };
}

/** The bound max_f ||M_f||_{S_p} over `set` and its gradient with respect to the kernel (see the header). */
export function gramValueAndGradient(
  kernel: KernelHWIO,
  nh: number,
  nw: number,
  t: number,
  set: FrequencySet,
): GramValueAndGradient {
  const fm = subsetFrequencyMatrices(kernel, nh, nw, set);
  const { rows: R, cols: C } = fm;
  let best: { value: number; f: number; gradient: Complex } = { value: -1, f: 0, gradient: [EMPTY, EMPTY] };
  for (let f = 0; f < fm.count; f++) {
    const off = f * 2 * R * C;
    const m: Complex = [fm.data.slice(off, off + R * C), fm.data.slice(off + R * C, off + 2 * R * C)];
    const s = schattenAndGradient(m, R, C, t);
    if (s.value > best.value) best = { ...s, f };
  }
  const [h, w, ci, co] = kernel.shape;
  const gradient = new Float64Array(h * w * ci * co);
  const [gr, gi] = best.gradient;
  for (let k = 0; k < h; k++) {
    for (let l = 0; l < w; l++) {
      // The phase index taken mod n exactly, as in fft2.ts.
      const phi = 2 * Math.PI * (((set.u[best.f] * k) % nh) / nh + ((set.v[best.f] * l) % nw) / nw);
      const [c, s] = [Math.cos(phi), -Math.sin(phi)];
      const tap = (k * w + l) * ci * co;
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) {
          // Entry (a, c) of M is W[k,l,i,o] (rows = inputs), or W[k,l,o,i]^T when the rows are the outputs.
          const e = fm.transposed ? o * ci + i : i * co + o;
          gradient[tap + i * co + o] = gr[e] * c + gi[e] * s;
        }
      }
    }
  }
  return { value: Math.max(best.value, 0), gradient };
}
