/**
 * A start vector for the Krylov iteration of operator-power.ts that is already close to the top right singular
 * vector of the layer as it runs: the top singular vector of the CIRCULAR operator with the same kernel, stride and
 * input size, made real and tapered at the borders.
 *
 * Why it is close (Sedghi, Gupta & Long, ICLR 2019, Theorem 6, and its strided form): the DFT block-diagonalises the
 * circular convolution, so its top right singular vector is a plane wave e^{2 pi i f.r/n} v at the top frequency f.
 * With stride s the output at frequency g collects the s^2 input frequencies f_m = g + m n/s (aliasing), so the block
 * of g is M(g) = [K(f_0) ... K(f_{s^2-1})] (co x s^2 ci) and its top right singular vector gives one amplitude v_m
 * per aliased frequency. Zero padding differs from circular padding only near the borders, so the plane wave tapered
 * by a sine window (the lowest Dirichlet mode, which vanishes where the padding cuts the wave) loses only O(1/n) of
 * its Rayleigh quotient. Whatever the start, the iteration's value stays a Rayleigh quotient of A^T A, i.e. a true
 * lower value of ||A||: the start only decides how few products it takes.
 */
import type { KernelHWIO } from '../../../../shared/bounds.js';
import { Lanczos } from '../numerics/lanczos.js';
import { polyphaseKernelHost } from './reshapes.js';
import { sedghiExactNorm } from './sedghi.js';
import { tridiagonalEigen } from '../numerics/hermitian-eig.js';

export interface WarmStartGeometry {
  nh: number;
  nw: number;
  stride: number;
  /** Pads before the first row / column: the phase of the tap (k, l) is measured from (k - top, l - left). */
  top: number;
  left: number;
  /** Taper by a sine window (zero padding); false for circular padding, where the plane wave is exact. */
  taper: boolean;
}

/** Lanczos steps on the small block M(g)^H M(g): enough for a near-top vector; the layer's iteration polishes it. */
const BLOCK_STEPS = 24;

/**
 * A top frequency of the circular operator with this stride: Sedghi's maximum for stride 1; for stride s the top
 * frequency of the polyphase (space-to-depth) kernel on the n/s grid, whose block K'(g) equals M(g) up to unitary
 * factors (a DFT over the s^2 residues and their phases), so ||K'(g)|| = ||M(g)|| and its argmax is the top coset.
 */
export function circularTopFrequency(kernel: KernelHWIO, nh: number, nw: number, stride: number): [number, number] {
  if (stride === 1) return sedghiExactNorm(kernel, [nh, nw]).frequency;
  return sedghiExactNorm(polyphaseKernelHost(kernel, stride), [nh / stride, nw / stride]).frequency;
}

/**
 * The real nh x nw x ci start vector (NHWC order, float64) from the top singular vector of the circular block of the
 * coset of `frequency` (u, v) (any top frequency of the stride-1 circular operator, e.g. sedghiExactNorm's), or
 * undefined where the block structure does not hold (n not divisible by the stride).
 */
export function circularWarmStart(
  kernel: KernelHWIO,
  g: WarmStartGeometry,
  frequency: readonly [number, number],
): Float64Array | undefined {
  const { nh, nw, stride: s } = g;
  if (nh % s !== 0 || nw % s !== 0) return undefined;
  const [, , ci] = kernel.shape;
  const freqs: [number, number][] = [];
  const gh = mod(frequency[0], nh / s);
  const gw = mod(frequency[1], nw / s);
  for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) freqs.push([gh + (a * nh) / s, gw + (b * nw) / s]);
  const block = cosetBlock(kernel, g, freqs);
  const v = topRightSingularVector(block, kernel.shape[3], freqs.length * ci);
  return planeWaves(v, freqs, ci, g);
}

/** M = [K(f_0) ... K(f_{m-1})], co rows x (m ci) complex columns, K(f)[o][i] = sum_{k,l} W[k,l,i,o] e^{2 pi i phase}. */
function cosetBlock(kernel: KernelHWIO, g: WarmStartGeometry, freqs: [number, number][]) {
  const [h, w, ci, co] = kernel.shape;
  const cols = freqs.length * ci;
  const re = new Float64Array(co * cols);
  const im = new Float64Array(co * cols);
  freqs.forEach(([fu, fv], m) => {
    for (let k = 0; k < h; k++) {
      for (let l = 0; l < w; l++) {
        // tf.conv2d is a cross-correlation: y(r) = sum_k W[k]^T x(s r + k - pad), so a wave at f picks up e^{+2 pi i f (k - pad)/n}.
        const phase = 2 * Math.PI * ((fu * (k - g.top)) / g.nh + (fv * (l - g.left)) / g.nw);
        const c = Math.cos(phase);
        const sn = Math.sin(phase);
        const tap = (k * w + l) * ci * co;
        for (let i = 0; i < ci; i++) {
          for (let o = 0; o < co; o++) {
            const x = kernel.data[tap + i * co + o];
            const at = o * cols + m * ci + i;
            re[at] += x * c;
            im[at] += x * sn;
          }
        }
      }
    }
  });
  return { re, im };
}

/** Top right singular vector of the complex rows x cols matrix (re, im): Lanczos on M^H M, its top Ritz vector. */
function topRightSingularVector(M: { re: Float64Array; im: Float64Array }, rows: number, cols: number) {
  const steps = Math.min(BLOCK_STEPS, cols);
  const run = new Lanczos(cols, { complex: true, maxBasis: steps + 1 });
  const start = new Float64Array(2 * cols);
  // A deterministic start with every component present (a constant could be orthogonal to the top vector).
  for (let j = 0; j < cols; j++) start[j] = 1 + ((j * 0.618034) % 1);
  run.start(start);
  const u = { re: new Float64Array(rows), im: new Float64Array(rows) };
  const wr = new Float64Array(cols);
  const wi = new Float64Array(cols);
  while (run.k < steps && !run.exhausted) {
    const o = run.offset;
    wr.fill(0);
    wi.fill(0);
    multiplyGram(M, rows, cols, run.qr.subarray(o, o + cols), run.qi.subarray(o, o + cols), u, wr, wi);
    run.step(wr, wi);
  }
  return ritzVector(run, cols);
}

/**
 * w = M^H (M q), through u = M q. Four rows of M per sweep over q (and over w): the four sums of u and the four
 * terms added onto each w_j stay in the order of the row-at-a-time loops (the same w bit for bit), but four
 * independent chains of additions run side by side instead of one.
 */
export function multiplyGram(
  M: { re: Float64Array; im: Float64Array },
  rows: number,
  cols: number,
  qr: Float64Array,
  qi: Float64Array,
  u: { re: Float64Array; im: Float64Array },
  wr: Float64Array,
  wi: Float64Array,
): void {
  const { re, im } = M;
  const last = (rows - 1) * cols;
  for (let o = 0; o < rows; o += 4) {
    // Rows past the last repeat it: their sums are computed and dropped.
    const r0 = o * cols;
    const r1 = Math.min(r0 + cols, last);
    const r2 = Math.min(r0 + 2 * cols, last);
    const r3 = Math.min(r0 + 3 * cols, last);
    let s0r = 0;
    let s0i = 0;
    let s1r = 0;
    let s1i = 0;
    let s2r = 0;
    let s2i = 0;
    let s3r = 0;
    let s3i = 0;
    for (let j = 0; j < cols; j++) {
      const xr = qr[j];
      const xi = qi[j];
      s0r += re[r0 + j] * xr - im[r0 + j] * xi;
      s0i += re[r0 + j] * xi + im[r0 + j] * xr;
      s1r += re[r1 + j] * xr - im[r1 + j] * xi;
      s1i += re[r1 + j] * xi + im[r1 + j] * xr;
      s2r += re[r2 + j] * xr - im[r2 + j] * xi;
      s2i += re[r2 + j] * xi + im[r2 + j] * xr;
      s3r += re[r3 + j] * xr - im[r3 + j] * xi;
      s3i += re[r3 + j] * xi + im[r3 + j] * xr;
    }
    u.re[o] = s0r;
    u.im[o] = s0i;
    if (o + 1 < rows) [u.re[o + 1], u.im[o + 1]] = [s1r, s1i];
    if (o + 2 < rows) [u.re[o + 2], u.im[o + 2]] = [s2r, s2i];
    if (o + 3 < rows) [u.re[o + 3], u.im[o + 3]] = [s3r, s3i];
  }
  for (let o = 0; o < rows; o += 4) {
    const r0 = o * cols;
    const r1 = Math.min(r0 + cols, last);
    const r2 = Math.min(r0 + 2 * cols, last);
    const r3 = Math.min(r0 + 3 * cols, last);
    // A row past the last adds re u + im u with u = 0: zeros, which leave w as it is.
    const u0r = u.re[o];
    const u0i = u.im[o];
    const u1r = o + 1 < rows ? u.re[o + 1] : 0;
    const u1i = o + 1 < rows ? u.im[o + 1] : 0;
    const u2r = o + 2 < rows ? u.re[o + 2] : 0;
    const u2i = o + 2 < rows ? u.im[o + 2] : 0;
    const u3r = o + 3 < rows ? u.re[o + 3] : 0;
    const u3i = o + 3 < rows ? u.im[o + 3] : 0;
    for (let j = 0; j < cols; j++) {
      // conj(a) u, added row by row.
      wr[j] =
        wr[j] +
        (re[r0 + j] * u0r + im[r0 + j] * u0i) +
        (re[r1 + j] * u1r + im[r1 + j] * u1i) +
        (re[r2 + j] * u2r + im[r2 + j] * u2i) +
        (re[r3 + j] * u3r + im[r3 + j] * u3i);
      wi[j] =
        wi[j] +
        (re[r0 + j] * u0i - im[r0 + j] * u0r) +
        (re[r1 + j] * u1i - im[r1 + j] * u1r) +
        (re[r2 + j] * u2i - im[r2 + j] * u2r) +
        (re[r3 + j] * u3i - im[r3 + j] * u3r);
    }
  }
}

/** The top eigenvector z of T_k (k values): the coefficients of the top Ritz vector Q z in the Lanczos basis. */
export function ritzCoefficients(run: Lanczos): Float64Array {
  const k = run.k;
  const d = Float64Array.from(run.alpha.subarray(0, k));
  const e = new Float64Array(k);
  for (let i = 0; i + 1 < k; i++) e[i] = run.beta[i + 1];
  const z = new Float64Array(k * k);
  for (let i = 0; i < k; i++) z[i * k + i] = 1;
  tridiagonalEigen(d, e, k, z, k);
  let top = 0;
  for (let i = 1; i < k; i++) if (d[i] > d[top]) top = i;
  return Float64Array.from({ length: k }, (_, j) => z[j * k + top]);
}

/** y = Q z for the top eigenvector z of T_k: the vector whose Rayleigh quotient the top Ritz value is (complex runs: re then im). */
export function ritzVector(run: Lanczos, n: number): Float64Array {
  const k = run.k;
  const z = ritzCoefficients(run);
  const y = new Float64Array(run.complex ? 2 * n : n);
  for (let j = 0; j < k; j++) {
    const c = z[j];
    for (let r = 0; r < n; r++) y[r] += c * run.qr[j * n + r];
    if (run.complex) for (let r = 0; r < n; r++) y[n + r] += c * run.qi[j * n + r];
  }
  return y;
}

/**
 * x[r, c] = taper(r) Re(sum_m v_m[c] e^{2 pi i f_m . r / n}), NHWC with batch 1. The phase's two terms and the taper of
 * each row and column are tabulated once (the same float64 values as computed in place, so the same x bit for bit):
 * only the cosine and sine of each (position, frequency) remain per position.
 */
export function planeWaves(v: Float64Array, freqs: [number, number][], ci: number, g: WarmStartGeometry): Float64Array {
  const { nh, nw } = g;
  const cols = freqs.length * ci;
  const x = new Float64Array(nh * nw * ci);
  const taper = (n: number) =>
    Float64Array.from({ length: n }, (_, r) => (g.taper ? Math.sin((Math.PI * (r + 1)) / (n + 1)) : 1));
  const [rowTaper, colTaper] = [taper(nh), taper(nw)];
  // rowTerm[m nh + r0] = (fu_m r0) / nh, colTerm[m nw + r1] = (fv_m r1) / nw.
  const rowTerm = new Float64Array(freqs.length * nh);
  const colTerm = new Float64Array(freqs.length * nw);
  freqs.forEach(([fu, fv], m) => {
    for (let r0 = 0; r0 < nh; r0++) rowTerm[m * nh + r0] = (fu * r0) / nh;
    for (let r1 = 0; r1 < nw; r1++) colTerm[m * nw + r1] = (fv * r1) / nw;
  });
  for (let r0 = 0; r0 < nh; r0++) {
    for (let r1 = 0; r1 < nw; r1++) {
      const t = rowTaper[r0] * colTaper[r1];
      const at = (r0 * nw + r1) * ci;
      for (let m = 0; m < freqs.length; m++) {
        const phase = 2 * Math.PI * (rowTerm[m * nh + r0] + colTerm[m * nw + r1]);
        const c = Math.cos(phase) * t;
        const sn = Math.sin(phase) * t;
        const re = m * ci;
        const im = cols + m * ci;
        for (let i = 0; i < ci; i++) x[at + i] += v[re + i] * c - v[im + i] * sn;
      }
    }
  }
  return x;
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}
