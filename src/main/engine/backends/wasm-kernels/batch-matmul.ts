/**
 * BatchMatMul (and _FusedMatMul) on WASM routed to XNNPACK's GEMM.
 *
 * The native kernel uses XNNPACK only for a single, untransposed product; with transposeA or
 * transposeB (every dense-layer gradient: dW = x^T dy, dx = dy W^T) or a batch of products it
 * falls to a scalar loop, measured ~15-20x slower (bench/wasm-kernels.bench.ts). We transpose
 * the operand explicitly (a memory pass, cheap next to the GEMM) and split batches into single
 * products; tiny products stay on the native kernel, where the split's overhead would dominate.
 * It also works around a wrong result of the native _FusedMatMul with transposes and a bias.
 *
 * XNNPACK packs the right operand (GEMM weights) on every call, since a training step's operands are
 * new tensors: measured ~2-3x a transpose per element. So a single product may be computed transposed,
 * C = (op(B)^T op(A)^T)^T, when that packs a smaller operand: the dense layer's input gradient
 * dy · W^T then packs dy^T [units, batch] instead of W^T [units, inputs] (see productCost).
 */
import { type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { runWasmKernel, withIntermediates } from './kernel-call.js';
import { reshape, slice, transpose } from './conv-layout.js';
import { originalWasmKernel } from './override.js';

/** Below this many multiply-adds per product the native loop is as fast as the split. */
const MIN_MACS_FOR_XNNPACK = 32 * 32 * 32;

interface MatMulArgs {
  inputs: Record<string, TensorInfo>;
  backend: BackendWasm;
  attrs: { transposeA: boolean; transposeB: boolean; [k: string]: unknown };
}

function swapLastTwo(backend: BackendWasm, t: TensorInfo): TensorInfo {
  const r = t.shape.length;
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return transpose(backend, t, perm);
}

/** Relative cost per element of packing GEMM weights vs transposing (bench/wasm-kernels.bench.ts). */
const PACK_COST = 2;

/**
 * Estimated memory passes of C[m,n] = op(A)[m,k] · op(B)[k,n] computed directly ('direct') or as the
 * transpose of op(B)^T · op(A)^T ('swapped'): transposes to materialise the operands, packing of the
 * right operand, and for 'swapped' the transpose of the result.
 */
export function productCost(m: number, k: number, n: number, transposeA: boolean, transposeB: boolean) {
  return {
    direct: (transposeA ? m * k : 0) + (transposeB ? k * n : 0) + PACK_COST * k * n,
    swapped: (transposeB ? 0 : k * n) + (transposeA ? 0 : m * k) + PACK_COST * k * m + m * n,
  };
}

const batchOf = (t: TensorInfo) => t.shape.slice(0, -2).reduce((p, d) => p * d, 1);

/** The [rows, cols] matrix of a single product as a rank-3 tensor (the native kernel's layout). */
function reshape3(backend: BackendWasm, t: TensorInfo, keep: (t: TensorInfo) => TensorInfo): TensorInfo {
  return keep(reshape(backend, t, [1, t.shape[t.shape.length - 2], t.shape[t.shape.length - 1]]));
}

/** Runs `name` (BatchMatMul or _FusedMatMul) with untransposed, per-product operands. */
function matMulViaXnnpack(name: string, { inputs, backend, attrs }: MatMulArgs): TensorInfo {
  const native = originalWasmKernel(name);
  const { a, b } = inputs;
  const { transposeA, transposeB } = attrs;
  const m = a.shape[a.shape.length - (transposeA ? 1 : 2)];
  const k = a.shape[a.shape.length - (transposeA ? 2 : 1)];
  const n = b.shape[b.shape.length - (transposeB ? 2 : 1)];
  const [batchA, batchB] = [batchOf(a), batchOf(b)];
  const nativeCall = (ins: Record<string, TensorInfo>, at: MatMulArgs['attrs']) =>
    native({ inputs: ins, backend, attrs: at as unknown as NamedAttrMap }) as TensorInfo;
  const transposed = transposeA || transposeB;
  const big = m * n * k >= MIN_MACS_FOR_XNNPACK;
  // The native _FusedMatMul returns wrong values with a transpose flag and a bias (4.22.0):
  // fused products are always given untransposed operands, whatever their size.
  const rewrite = name === '_FusedMatMul' ? transposed || (big && batchA > 1) : big && (transposed || batchA > 1);
  if (!rewrite) return nativeCall(inputs, attrs);
  const plain = { ...attrs, transposeA: false, transposeB: false };
  const cost = productCost(m, k, n, transposeA, transposeB);
  if (name === 'BatchMatMul' && big && batchA === 1 && batchB === 1 && cost.swapped < cost.direct) {
    return withIntermediates(backend, (keep) => {
      const bT = transposeB ? b : keep(swapLastTwo(backend, b)); // op(B)^T [n, k]
      const aT = transposeA ? a : keep(swapLastTwo(backend, a)); // op(A)^T [k, m]
      const cT = keep(nativeCall({ a: reshape3(backend, bT, keep), b: reshape3(backend, aT, keep) }, plain));
      const c = keep(swapLastTwo(backend, cT));
      return reshape(backend, c, [...(a.shape.length >= b.shape.length ? a.shape : b.shape).slice(0, -2), m, n]);
    });
  }
  return withIntermediates(backend, (keep) => {
    const a2 = transposeA ? keep(swapLastTwo(backend, a)) : a;
    const b2 = transposeB ? keep(swapLastTwo(backend, b)) : b;
    const outShape = [...(batchA >= batchB ? a.shape : b.shape).slice(0, -2), m, n];
    if (!big || batchA === 1 || (batchB !== 1 && batchA !== batchB)) {
      // Other broadcasts keep the native batching; only the transposes were taken out.
      return nativeCall({ ...inputs, a: a2, b: b2 }, plain);
    }
    if (batchB === 1) {
      // One GEMM: stack a's batch into rows.
      const a3 = keep(reshape(backend, a2, [1, batchA * m, k]));
      const b3 = keep(reshape(backend, b2, [1, k, n]));
      const out = keep(nativeCall({ ...inputs, a: a3, b: b3 }, plain));
      return reshape(backend, out, outShape);
    }
    const a3 = keep(reshape(backend, a2, [batchA, m, k]));
    const b3 = keep(reshape(backend, b2, [batchB, k, n]));
    const parts: TensorInfo[] = [];
    for (let i = 0; i < batchA; i++) {
      const ai = keep(slice(backend, a3, [i, 0, 0], [1, m, k]));
      const bi = keep(slice(backend, b3, [i, 0, 0], [1, k, n]));
      parts.push(keep(nativeCall({ ...inputs, a: ai, b: bi }, plain)));
    }
    const joined = keep(runWasmKernel('Concat', backend, parts, { axis: 0 }));
    return reshape(backend, joined, outShape);
  });
}

export const batchMatMul = ((args: MatMulArgs) => matMulViaXnnpack('BatchMatMul', args)) as unknown as KernelFunc;
export const fusedMatMul = ((args: MatMulArgs) => matMulViaXnnpack('_FusedMatMul', args)) as unknown as KernelFunc;
