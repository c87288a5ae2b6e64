/**
 * The convolution filter gradient as one register-blocked SIMD loop on the WASM heap, with no patch matrix:
 *
 *   dW[r, o] += sum_{n,p,q} xPad[n, p*sh + a, q*sw + b, i] * dy[n, p, q, o]      r = (a*kw + b)*Ci + i
 *
 * Why: the im2col + GEMM formulation (conv2d-backprop-filter.ts) writes and re-reads a patch matrix kh*kw times
 * the size of x (14 MB for the MNIST CNN's second layer at batch 128) and XNNPACK repacks all of dy as GEMM
 * weights on every call. Here each image's x and dy (tens of KB) stay in L1/L2 while every tile of dW passes over
 * them, in register tiles of 4 rows r x 8 columns o, multiply-adds fused where relaxed SIMD is available. The
 * kernel text, with the tiling and the padding conventions, is kernels/filter-grad.wat. Needs c_out % 8 == 0.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { instantiateFastest } from '../../kernels/index.js';
import { backendMemory, isShared } from './heap-simd.js';

export interface FilterGradSimd {
  /**
   * dW [R, co] += the sums above, for images of IMG bytes (padded, NHWC) at x and dy [N, HO, WO, co] at dy.
   * `offsets` holds R int32 byte offsets of row r's tap and channel inside a padded image; PROW / PCOL are the
   * bytes between the x positions of consecutive output rows / columns (stride included). All pointers in bytes.
   */
  filterGrad(
    x: number,
    dy: number,
    dW: number,
    offsets: number,
    n: number,
    img: number,
    ho: number,
    wo: number,
    prow: number,
    pcol: number,
    r: number,
    co: number,
  ): void;
  /** Whether the multiply-adds are fused. */
  fma: boolean;
  /** The compiled module (for heap-helper.ts). */
  module: object;
}

const instances = new WeakMap<object, FilterGradSimd | null>();

/** The module bound to `backend`'s heap (fused where relaxed SIMD is available), or null where it cannot run. */
export function filterGradSimd(backend: BackendWasm): FilterGradSimd | null {
  const memory = backendMemory(backend);
  if (!memory) return null;
  if (instances.has(memory)) return instances.get(memory) ?? null;
  const made = instantiateFastest('filter-grad', isShared(memory), { env: { memory } });
  const api = made && {
    filterGrad: made.exports.filterGrad as FilterGradSimd['filterGrad'],
    fma: made.fused,
    module: made.module,
  };
  instances.set(memory, api);
  return api;
}
