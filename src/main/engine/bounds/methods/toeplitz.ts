/**
 * Delattre, Barthélemy & Allauzen 2024, "Spectral Norm of Convolutional Layers with Circular and Zero Paddings"
 * (lip4conv `compute_spectral_rescaling_conv`): a bound on the Toeplitz (infinite-domain) norm of the layer, hence
 * on every n and on zero or circular padding at stride 1.
 *
 * With K the kernel oriented [larger channel side, smaller side, h, w] (the reference transposes when
 * c_in > c_out), t times: r <- 2 (r + log ||K||_F), K <- K/||K||_F, K <- K * K^T (full 2-D self-correlation over
 * the smaller side: support (2h-1) x (2w-1), padding h-1 and w-1). Then
 *   bound = max_a ( sum_{b,x,y} |K[a,b,x,y]| )^(2^-t) * exp(r 2^-t)
 * — the max absolute row sum bounds the norm of the Gram-iterated (self-adjoint) operator, and the 2^t-th root
 * undoes the t squarings.
 *
 * Each self-correlation is computed in the frequency domain on a (2h-1) x (2w-1) grid, which holds the linear
 * correlation exactly: per frequency X(w)^H X(w) (phases and spatial flips cancel in X^H X and in |.| sums).
 * Cost: the last step dominates, ~ (2^t (k-1))^2 / 2 frequencies x P^3 with P = max(c_in, c_out).
 */
import type * as tf from '@tensorflow/tfjs';
import type { BoundResult, KernelHWIO } from '../../../../shared/bounds.js';
import { KernelError, validateKernel } from '../../../../shared/bounds.js';
import { kernelToHost } from '../numerics/host-kernel.js';
import { frequencyGram, frequencyMatrices, type FrequencyMatrices } from '../numerics/fft2.js';
import { unitRoots } from '../numerics/linalg64.js';
import { float64ColumnGram } from './gram-simd.js';

/** Refuse work that would need more than this many bytes of spectra (the grid grows as 4^t). */
const MAX_BYTES = 2 ** 31;

export type ToeplitzResult = BoundResult & {
  /** The bound after 1, 2, ..., t self-correlations (each is valid; the last is `value`). */
  perIteration: number[];
};

export function toeplitzBound(kernel: KernelHWIO | tf.Tensor4D, iterations = 4): ToeplitzResult {
  const t0 = performance.now();
  const host = kernelToHost(kernel);
  validateKernel(host, 'toeplitzBound');
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new KernelError(`toeplitzBound: iterations must be an integer >= 1, got ${iterations}.`);
  }
  checkCost(host, iterations);
  let Z: KernelHWIO = host;
  let logNorm = 0;
  const perIteration: number[] = [];
  for (let j = 1; j <= iterations; j++) {
    let sq = 0;
    for (let i = 0; i < Z.data.length; i++) sq += Z.data[i] * Z.data[i];
    if (sq === 0) {
      // A zero kernel (or one that became zero): the layer is the zero map.
      while (perIteration.length < iterations) perIteration.push(0);
      break;
    }
    const nrm = Math.sqrt(sq);
    logNorm = 2 * (logNorm + Math.log(nrm));
    const scaled = new Float64Array(Z.data.length);
    for (let i = 0; i < scaled.length; i++) scaled[i] = Z.data[i] / nrm;
    const [h, w] = Z.shape;
    Z = selfCorrelation(frequencyMatrices({ shape: Z.shape, data: scaled }, 2 * h - 1, 2 * w - 1));
    const p = 2 ** -j;
    perIteration.push(maxAbsRowSum(Z) ** p * Math.exp(logNorm * p));
  }
  return {
    method: 'toeplitz-norm2toep',
    value: perIteration[iterations - 1],
    kind: 'upper bound',
    validFor: { padding: 'any', stride: 1 },
    iterations,
    timeMs: performance.now() - t0,
    perIteration,
  };
}

/** max_a sum_{x,y,b} |Z[x][y][a][b]|: the l_inf operator norm of the self-adjoint correlation operator. */
function maxAbsRowSum(Z: KernelHWIO): number {
  const [H, W, P] = Z.shape;
  let maxRow = 0;
  for (let a = 0; a < P; a++) {
    let s = 0;
    for (let xy = 0; xy < H * W; xy++) {
      const base = (xy * P + a) * P;
      for (let b = 0; b < P; b++) s += Math.abs(Z.data[base + b]);
    }
    maxRow = Math.max(maxRow, s);
  }
  return maxRow;
}

/**
 * The spatial self-correlation [2h-1, 2w-1, P, P] from the spectra: G(w) = M^H M at every frequency (conjugate
 * entries at the partner frequency of a real kernel), then an inverse DFT along v and along u, placing offset
 * (x - (h'-1), y - (w'-1)) at position (x, y) so the result is an ordinary kernel for the next step.
 */
function selfCorrelation(fm: FrequencyMatrices): KernelHWIO {
  const { nh, nw } = fm;
  const P = fm.cols;
  const m = P * P;
  const Gre = new Float64Array(nh * nw * m);
  const Gim = new Float64Array(nh * nw * m);
  const gr = new Float64Array(m);
  const gi = new Float64Array(m);
  // The Grams dominate the cost (half the grid x 2 P^3): float64 SIMD where it runs, the JS loop otherwise.
  const columnGram =
    float64ColumnGram(fm) ?? ((f: number, re: Float64Array, im: Float64Array) => frequencyGram(fm, f, 'cols', re, im));
  for (let f = 0; f < fm.count; f++) {
    columnGram(f, gr, gi);
    const u = fm.u[f];
    const v = fm.v[f];
    const o1 = (u * nw + v) * m;
    const o2 = (((nh - u) % nh) * nw + ((nw - v) % nw)) * m;
    Gre.set(gr, o1);
    Gim.set(gi, o1);
    if (o2 !== o1) {
      for (let j = 0; j < m; j++) {
        Gre[o2 + j] = gr[j];
        Gim[o2 + j] = -gi[j];
      }
    }
  }
  // nh, nw are odd (2h - 1), so the centre tap (hc, wc) is a grid point. The correlation of a real kernel with
  // itself satisfies Z(-d) = Z(d)^T, so only the columns y <= wc are transformed (half of both stages below) and
  // the others are their mirrored transposes.
  const hc = (nh - 1) / 2;
  const wc = (nw - 1) / 2;
  // Stage A: S[u][y] = sum_v w_v G[u][v] e^{+2 pi i v (y - wc) / nw} over half the v: the output is real, so
  // v and nw - v contribute conjugate terms, and Re is taken in stage B (w_v = 2 for the paired v, else 1).
  const [cw, sw] = unitRoots(nw);
  const [ch, sh] = unitRoots(nh);
  const vHalf = Math.floor(nw / 2);
  const Sre = new Float64Array(nh * nw * m);
  const Sim = new Float64Array(nh * nw * m);
  for (let u = 0; u < nh; u++) {
    for (let y = 0; y <= wc; y++) {
      const out = (u * nw + y) * m;
      const dy = y - wc;
      for (let v = 0; v <= vHalf; v++) {
        const r = (((v * dy) % nw) + nw) % nw;
        const weight = v === 0 || 2 * v === nw ? 1 : 2;
        const c = cw[r] * weight;
        const s = sw[r] * weight;
        const src = (u * nw + v) * m;
        for (let j = 0; j < m; j++) {
          const a = Gre[src + j];
          const b = Gim[src + j];
          Sre[out + j] += a * c - b * s;
          Sim[out + j] += a * s + b * c;
        }
      }
    }
  }
  // Stage B: Z[x][y] = Re sum_u S[u][y] e^{+2 pi i u (x - hc) / nh} / (nh nw)
  const Z = new Float64Array(nh * nw * m);
  const scale = 1 / (nh * nw);
  for (let x = 0; x < nh; x++) {
    for (let u = 0; u < nh; u++) {
      const r = (((u * (x - hc)) % nh) + nh) % nh;
      const c = ch[r] * scale;
      const s = sh[r] * scale;
      for (let y = 0; y <= wc; y++) {
        const out = (x * nw + y) * m;
        const src = (u * nw + y) * m;
        for (let j = 0; j < m; j++) Z[out + j] += Sre[src + j] * c - Sim[src + j] * s;
      }
    }
  }
  for (let x = 0; x < nh; x++) {
    for (let y = 0; y < wc; y++) {
      const from = (x * nw + y) * m;
      const to = ((nh - 1 - x) * nw + (nw - 1 - y)) * m;
      for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) Z[to + a * P + b] = Z[from + b * P + a];
    }
  }
  return { shape: [nh, nw, P, P], data: Z };
}

function checkCost(k: KernelHWIO, t: number): void {
  const [h, w, ci, co] = k.shape;
  const P = Math.max(ci, co);
  const side = (s: number) => 2 ** t * (s - 1) + 1;
  const bytes = side(h) * side(w) * P * P * 8 * 5;
  if (bytes > MAX_BYTES) {
    throw new KernelError(
      `toeplitzBound: ${t} iterations on a ${h}x${w} kernel with ${P} channels need ~${(bytes / 2 ** 30).toFixed(1)} GiB ` +
        `(the self-correlation grows to ${side(h)}x${side(w)} taps of ${P}x${P}). Use fewer iterations.`,
    );
  }
}
