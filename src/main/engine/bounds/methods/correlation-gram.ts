/**
 * The per-frequency Gram matrices of a circular convolution without forming the frequency matrices themselves
 * (used by sedghi.ts for the dense path when the smaller channel side is small, e.g. the 3-channel stem conv).
 *
 * With M(u,v)[a,c] = sum_{k,l} W'[k,l,a,c] e^{-2 pi i (u k / n_h + v l / n_w)} (a on the smaller side, fft2.ts),
 *   G(u,v)[a,b] = sum_c M[a,c] conj(M[b,c]) = sum_{dk,dl} g_ab[dk,dl] e^{-2 pi i (u dk / n_h + v dl / n_w)},
 *   g_ab[dk,dl] = sum_c sum_{k - k' = dk, l - l' = dl} W'[k,l,a,c] W'[k',l',b,c],
 * a real (2h-1) x (2w-1) cross-correlation of the kernel slices (taps beyond n wrap around by themselves, the
 * exponentials are periodic). So every G(u,v) is a tiny 2-D DFT of R(R+1)/2 real kernels (g_ba[d] = g_ab[-d]):
 * O(R^2 C h^2 w^2) once plus O(R^2 h) per frequency, instead of O(R C h) for M(u,v) and O(R^2 C) for M M^H.
 * Everything stays in float64 (sums of products; the dense path promises full float64 accuracy).
 */
import type { KernelHWIO } from '../../../../shared/bounds.js';
import { distinctColumns, type FrequencySet } from '../numerics/frequency-set.js';
import { unitRoots } from '../numerics/linalg64.js';

/** g_ab[dk, dl] for a <= b (pair p = b(b+1)/2 + a), taps (dk + h - 1) * (2w - 1) + (dl + w - 1). */
export interface CorrelationTaps {
  rows: number;
  cols: number;
  h: number;
  w: number;
  data: Float64Array;
}

/** Cost model (multiply-adds) of the correlation route, to compare with formGramCost. */
export function correlationGramCost(shape: readonly number[], count: number): number {
  const [h, w, ci, co] = shape;
  const R = Math.min(ci, co);
  const C = Math.max(ci, co);
  const pairs = (R * (R + 1)) / 2;
  return pairs * (h * h * w * w * C + count * 4 * (2 * h - 1) + (2 * h - 1) * (2 * w - 1) * 4);
}

/** Cost model of the direct route: the frequency matrices (separable DFT) and then M M^H at every frequency. */
export function formGramCost(shape: readonly number[], count: number): number {
  const [h, , ci, co] = shape;
  const R = Math.min(ci, co);
  const C = Math.max(ci, co);
  return count * (R * C * 4 * h + 2 * R * R * C);
}

export function correlationTaps(kernel: KernelHWIO): CorrelationTaps {
  const [h, w, ci, co] = kernel.shape;
  const R = Math.min(ci, co);
  const C = Math.max(ci, co);
  const H2 = 2 * h - 1;
  const W2 = 2 * w - 1;
  // slice[(k*w + l)][a][c] = W'[k,l,a,c], the smaller side first, as float64 rows of length C.
  const hw = h * w;
  const slices = new Float64Array(hw * R * C);
  const d = kernel.data;
  for (let p = 0; p < hw; p++) {
    for (let i = 0; i < ci; i++) {
      for (let o = 0; o < co; o++) {
        const x = d[(p * ci + i) * co + o];
        slices[ci <= co ? (p * R + i) * C + o : (p * R + o) * C + i] = x;
      }
    }
  }
  const pairs = (R * (R + 1)) / 2;
  const data = new Float64Array(pairs * H2 * W2);
  for (let b = 0; b < R; b++) {
    for (let a = 0; a <= b; a++) {
      const base = ((b * (b + 1)) / 2 + a) * H2 * W2;
      for (let p = 0; p < hw; p++) {
        const k = Math.floor(p / w);
        const l = p - k * w;
        const xa = (p * R + a) * C;
        for (let q = 0; q < hw; q++) {
          const k2 = Math.floor(q / w);
          const l2 = q - k2 * w;
          const xb = (q * R + b) * C;
          let s = 0;
          for (let c = 0; c < C; c++) s += slices[xa + c] * slices[xb + c];
          data[base + (k - k2 + h - 1) * W2 + (l - l2 + w - 1)] += s;
        }
      }
    }
  }
  return { rows: R, cols: C, h, w, data };
}

/**
 * Calls visit(f, re, im) with the full Hermitian G at every frequency f of `set` (re, im row-major R x R, reused
 * between calls). Separable: first along w for the needed v, then along h per frequency.
 */
export function forEachCorrelationGram(
  taps: CorrelationTaps,
  nh: number,
  nw: number,
  set: FrequencySet,
  visit: (f: number, re: Float64Array, im: Float64Array) => void,
): void {
  const { rows: R, h, w, data } = taps;
  const H2 = 2 * h - 1;
  const W2 = 2 * w - 1;
  const pairs = (R * (R + 1)) / 2;
  const count = set.u.length;
  const { vIndex, vList } = distinctColumns(set, nw);
  const nv = vList.length;
  // Every phase is a unit root: the exponent u*d taken mod n as u*(d + n) mod n (no -0 or float modulo).
  const [cosW, sinW] = unitRoots(nw);
  const [cosH, sinH] = unitRoots(nh);
  // S[vi][dk][p] = sum_dl g_p[dk,dl] e^{-2 pi i v dl / n_w} (dl from -(w-1)); pairs innermost, so that stage 2
  // runs long contiguous loops.
  const Sre = new Float64Array(nv * H2 * pairs);
  const Sim = new Float64Array(nv * H2 * pairs);
  const cs = new Float64Array(W2);
  const sn = new Float64Array(W2);
  for (let vi = 0; vi < nv; vi++) {
    for (let j = 0; j < W2; j++) {
      const t = (vList[vi] * (j + nw - w + 1)) % nw;
      cs[j] = cosW[t];
      sn[j] = -sinW[t];
    }
    for (let p = 0; p < pairs; p++) {
      for (let i = 0; i < H2; i++) {
        let sr = 0;
        let si = 0;
        const row = (p * H2 + i) * W2;
        for (let j = 0; j < W2; j++) {
          const g = data[row + j];
          sr += g * cs[j];
          si += g * sn[j];
        }
        Sre[(vi * H2 + i) * pairs + p] = sr;
        Sim[(vi * H2 + i) * pairs + p] = si;
      }
    }
  }
  const re = new Float64Array(R * R);
  const im = new Float64Array(R * R);
  const gr = new Float64Array(pairs);
  const gi = new Float64Array(pairs);
  for (let f = 0; f < count; f++) {
    const u = set.u[f];
    gr.fill(0);
    gi.fill(0);
    // G_p = sum_dk S[v][dk][p] e^{-2 pi i u dk / n_h}: (x + iy)(c - is).
    for (let i = 0; i < H2; i++) {
      const t = (u * (i + nh - h + 1)) % nh;
      const c = cosH[t];
      const sn = sinH[t];
      const o = (vIndex[set.v[f]] * H2 + i) * pairs;
      for (let p = 0; p < pairs; p++) {
        const x = Sre[o + p];
        const y = Sim[o + p];
        gr[p] += x * c + y * sn;
        gi[p] += y * c - x * sn;
      }
    }
    for (let b = 0, p = 0; b < R; b++) {
      for (let a = 0; a <= b; a++, p++) {
        re[a * R + b] = gr[p];
        im[a * R + b] = gi[p];
        re[b * R + a] = gr[p];
        im[b * R + a] = -gi[p];
      }
    }
    visit(f, re, im);
  }
}
