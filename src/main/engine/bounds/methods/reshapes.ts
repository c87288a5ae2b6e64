/**
 * The four reshapes of Singla & Feizi 2021 (Section 3, Theorem 1) of the kernel L[o,i,k,l] = W[k,l,i,o], and the
 * kernel transforms that let one bound cover strided, dilated and grouped convolutions.
 *
 *   R: rows (o,k), cols (i,l)   [c_out*h x c_in*w]      S: rows (o,l), cols (i,k)   [c_out*w x c_in*h]
 *   T: rows o,     cols (i,k,l) [c_out x c_in*h*w]      U: rows (o,k,l), cols i     [c_out*h*w x c_in]
 *
 * Three forms: the paper's exact matrices as differentiable tfjs ops (transpose + reshape), the same on the host
 * in float64 (for certificates), and a transpose-free "block view" used by the power iteration (see below).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { F4Matrix, KernelHWIO } from '../../../../shared/bounds.js';
import { KernelError } from '../../../../shared/bounds.js';

export type Shape4 = [number, number, number, number];

/** Rows and columns of each reshape for an HWIO kernel shape. */
export function f4MatrixShape(X: F4Matrix, [h, w, ci, co]: Shape4): [number, number] {
  switch (X) {
    case 'R':
      return [co * h, ci * w];
    case 'S':
      return [co * w, ci * h];
    case 'T':
      return [co, ci * h * w];
    case 'U':
      return [co * h * w, ci];
  }
}

/** HWIO -> [rows..., cols...] permutation of the paper's matrix; rows and cols then flatten in that order. */
const PERM: Record<F4Matrix, [number, number, number, number]> = {
  R: [3, 0, 2, 1], // (o, k, i, l)
  S: [3, 1, 2, 0], // (o, l, i, k)
  T: [3, 2, 0, 1], // (o, i, k, l)
  U: [3, 0, 1, 2], // (o, k, l, i)
};

/** The paper's matrix X exactly (row/column order as in the reference vectors), differentiable. */
export function f4ReshapeTensor(kernel: tf.Tensor4D, X: F4Matrix): tf.Tensor2D {
  return tf.tidy(() => tf.reshape(tf.transpose(kernel, PERM[X]), f4MatrixShape(X, kernel.shape as Shape4)));
}

export interface HostMatrix {
  rows: number;
  cols: number;
  /** Row-major float64. */
  data: Float64Array;
}

/** The paper's matrix X on the host, float64, same layout as f4ReshapeTensor. */
export function f4ReshapeHost(kernel: KernelHWIO, X: F4Matrix): HostMatrix {
  const [h, w, ci, co] = kernel.shape;
  const [rows, cols] = f4MatrixShape(X, kernel.shape);
  const src = kernel.data;
  const data = new Float64Array(rows * cols);
  for (let k = 0; k < h; k++) {
    for (let l = 0; l < w; l++) {
      for (let i = 0; i < ci; i++) {
        const base = ((k * w + l) * ci + i) * co;
        for (let o = 0; o < co; o++) {
          let r: number, c: number;
          switch (X) {
            case 'R':
              r = o * h + k;
              c = i * w + l;
              break;
            case 'S':
              r = o * w + l;
              c = i * h + k;
              break;
            case 'T':
              r = o;
              c = (i * h + k) * w + l;
              break;
            default:
              r = (o * h + k) * w + l;
              c = i;
          }
          data[r * cols + c] = src[base + o];
        }
      }
    }
  }
  return { rows, cols, data };
}

/**
 * Transpose-free view for power iteration. Row/column permutations do not change singular values, so each reshape
 * is taken in an order where it is a stack of contiguous HWIO blocks: view W as [A, B, m, c_out] and let
 *   X[(b, o), (a, j)] = W4[a, b, j, o],
 * i.e. X v = sum_a (v_a^T W4[a, b])_b and X^T u = sum_b W4[a, b] u_b. On the tfjs CPU backend a transpose of a
 * 3x3x256x256 kernel costs ~10 matrix-vector products, so avoiding it is what makes one step cheap.
 *   R: [1, h, w*ci, co]  rows (k,o), cols (l,i)        S: [h, w, ci, co]    rows (l,o), cols (k,i)
 *   T: [1, 1, h*w*ci, co] rows o, cols (k,l,i)        U: [1, h*w, ci, co]  rows (k,l,o), cols i
 */
export function f4BlockView(X: F4Matrix, [h, w, ci, co]: Shape4): Shape4 {
  switch (X) {
    case 'R':
      return [1, h, w * ci, co];
    case 'S':
      return [h, w, ci, co];
    case 'T':
      return [1, 1, h * w * ci, co];
    case 'U':
      return [1, h * w, ci, co];
  }
}

/** Shapes of the power-iteration vectors for the block view: v is [A, 1, 1, m], u is [1, B, 1, c_out]. */
export function f4VectorShapes(X: F4Matrix, shape: Shape4): { u: Shape4; v: Shape4 } {
  const [A, B, m, co] = f4BlockView(X, shape);
  return { u: [1, B, 1, co], v: [A, 1, 1, m] };
}

/**
 * Space-to-depth (polyphase) kernel for stride s: L'[o,(i,r1,r2),q1,q2] = L[o,i,s*q1+r1,s*q2+r2], the kernel
 * zero-padded to a multiple of s. A stride-s convolution with L equals a stride-1 convolution with L' on the
 * space-to-depth input, so F4 of L' bounds the strided layer (reference vectors: f4_polyphase_stride2).
 * The entries are copies, so `ArrayType` Float32Array loses nothing for a float32 kernel (and lets the certified F4
 * take its float32 paths: one read for scale and Frobenius bound, a plain copy into the SIMD passes).
 */
export function polyphaseKernelHost(
  kernel: KernelHWIO,
  s: number,
  ArrayType: Float64ArrayConstructor | Float32ArrayConstructor = Float64Array,
): KernelHWIO {
  checkFactor(s, 'stride');
  const [h, w, ci, co] = kernel.shape;
  const hq = Math.ceil(h / s);
  const wq = Math.ceil(w / s);
  const ci2 = ci * s * s;
  const data = new ArrayType(hq * wq * ci2 * co);
  for (let k = 0; k < h; k++) {
    for (let l = 0; l < w; l++) {
      const q1 = Math.floor(k / s);
      const q2 = Math.floor(l / s);
      const r1 = k % s;
      const r2 = l % s;
      for (let i = 0; i < ci; i++) {
        const src = ((k * w + l) * ci + i) * co;
        const dst = ((q1 * wq + q2) * ci2 + (i * s + r1) * s + r2) * co;
        for (let o = 0; o < co; o++) data[dst + o] = kernel.data[src + o];
      }
    }
  }
  return { shape: [hq, wq, ci2, co], data };
}

/** polyphaseKernelHost as a differentiable op: pad, split each spatial axis into (q, r), move r next to c_in. */
export function polyphaseKernelTensor(kernel: tf.Tensor4D, s: number): tf.Tensor4D {
  checkFactor(s, 'stride');
  const [h, w, ci, co] = kernel.shape;
  const hq = Math.ceil(h / s);
  const wq = Math.ceil(w / s);
  return tf.tidy(() => {
    const padded = tf.pad(kernel, [
      [0, hq * s - h],
      [0, wq * s - w],
      [0, 0],
      [0, 0],
    ]);
    const split = tf.reshape(padded, [hq, s, wq, s, ci, co]);
    // (q1, r1, q2, r2, i, o) -> (q1, q2, i, r1, r2, o): input channel index (i, r1, r2) as in the convention.
    return tf.reshape(tf.transpose(split, [0, 2, 4, 1, 3, 5]), [hq, wq, ci * s * s, co]) as tf.Tensor4D;
  });
}

/** The dilated kernel is the zero-inserted one: W_d[k*d, l*d] = W[k, l]. */
export function dilateKernel(kernel: KernelHWIO, d: number): KernelHWIO {
  checkFactor(d, 'dilation');
  const [h, w, ci, co] = kernel.shape;
  const hd = (h - 1) * d + 1;
  const wd = (w - 1) * d + 1;
  const data = new Float64Array(hd * wd * ci * co);
  const block = ci * co;
  for (let k = 0; k < h; k++) {
    for (let l = 0; l < w; l++) {
      data.set(kernel.data.subarray((k * w + l) * block, (k * w + l + 1) * block), (k * d * wd + l * d) * block);
    }
  }
  return { shape: [hd, wd, ci, co], data };
}

/**
 * A grouped convolution (PyTorch `groups`) in HWIO is [h, w, c_in/groups, c_out]; output channels
 * g*c_out/groups .. (g+1)*c_out/groups - 1 read only group g's inputs. Its Jacobian is block-diagonal over
 * groups (after permuting channels), so its spectral norm is the max over the groups' norms.
 */
export function splitGroups(kernel: KernelHWIO, groups: number): KernelHWIO[] {
  checkFactor(groups, 'groups');
  const [h, w, cig, co] = kernel.shape;
  if (co % groups !== 0) {
    throw new KernelError(
      `groups=${groups} does not divide c_out=${co}; a grouped kernel in HWIO is [h, w, c_in/groups, c_out] ` +
        'with c_out a multiple of groups (for a tfjs depthwise kernel use depthwiseToGrouped first).',
    );
  }
  const cog = co / groups;
  return Array.from({ length: groups }, (_, g) => {
    const data = new Float64Array(h * w * cig * cog);
    for (let p = 0; p < h * w * cig; p++) {
      for (let o = 0; o < cog; o++) data[p * cog + o] = kernel.data[p * co + g * cog + o];
    }
    return { shape: [h, w, cig, cog] as Shape4, data };
  });
}

/**
 * A tfjs depthwise kernel [h, w, c_in, multiplier] is the grouped kernel [h, w, 1, c_in*multiplier] with
 * groups = c_in (output channel i*multiplier + j reads input channel i only).
 */
export function depthwiseToGrouped(kernel: KernelHWIO): { kernel: KernelHWIO; groups: number } {
  const [h, w, ci, mult] = kernel.shape;
  // HWIO data of [h, w, ci, mult] already enumerates (k, l, i, j), the same order as [h, w, 1, ci*mult].
  return { kernel: { shape: [h, w, 1, ci * mult], data: kernel.data }, groups: ci };
}

function checkFactor(x: number, what: string): void {
  if (!Number.isInteger(x) || x < 1) {
    throw new KernelError(`${what} must be a positive integer, got ${x}; use 1 for an ordinary convolution.`);
  }
}
