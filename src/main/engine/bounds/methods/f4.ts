/**
 * The Fantastic Four bound (Singla & Feizi, ICLR 2021, Theorem 1): for a 2-D convolution with kernel
 * L (c_out x c_in x h x w), every padding and stride,
 *     ||J||_2 <= sqrt(h w) * min(||R||_2, ||S||_2, ||T||_2, ||U||_2)
 * with R, S, T, U the four reshapes of L (reshapes.ts).
 *
 * This file is the training face: persistent power-iteration vectors per reshape, advanced by f4PowerIterate
 * (e.g. 50 iterations at the start, then 1 per step, Section 5), and f4BoundTensor, a differentiable scalar whose
 * gradient is sqrt(hw) u v^T of the minimising reshape. Two engines compute the same thing:
 *  - 'host' (default on the cpu and wasm backends, whose tensors live in host memory): one read of the kernel
 *    per step, fused WebAssembly SIMD / JS passes (f4-host.ts); the bound enters the tape through tf.customGrad;
 *  - 'tensor': tfjs ops only (power-iteration.ts on a transpose-free view), for device backends.
 * The certified value for reports is f4Bound (f4-certified.ts), re-exported here.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { F4Matrix } from '../../../../shared/bounds.js';
import { F4_MATRICES, KernelError } from '../../../../shared/bounds.js';
import { streamSeed } from '../../data/rng.js';
import { createHostVectors, hostPowerIterate, hostSigmaGradient, hostSigmas, type F4HostVectors } from './f4-host.js';
import {
  createPowerVectors,
  disposePowerVectors,
  powerIterate,
  rayleighSigma,
  type PowerOperator,
  type PowerVectors,
} from '../numerics/power-iteration.js';
import { f4BlockView, f4VectorShapes, type Shape4 } from './reshapes.js';

export { f4Bound, f4PolyphaseBound, type F4BoundOptions, type F4BoundReport } from './f4-certified.js';

export type F4Engine = 'host' | 'tensor';
export type F4Which = 'min' | F4Matrix | 'miyato-t';

interface F4StateBase {
  /** HWIO shape the state was made for. */
  shape: Shape4;
  /** Data identity of the kernel the last f4PowerIterate ran on: its sigma estimates are exact for it. */
  lastDataId: object | null;
  /** Power iterations run so far. */
  iterations: number;
}
export interface F4TensorState extends F4StateBase {
  engine: 'tensor';
  vectors: Record<F4Matrix, PowerVectors>;
}
export interface F4HostState extends F4StateBase {
  engine: 'host';
  host: F4HostVectors;
  /** The last kernel read back, so iterate-then-bound in one step reads it once. */
  cache: { dataId: object; data: ArrayLike<number> } | null;
}
export type F4PowerState = F4TensorState | F4HostState;

/** 'host' where tensors already live in host memory (cpu, wasm), 'tensor' on device backends. */
export function defaultF4Engine(): F4Engine {
  const b = tf.getBackend();
  return b === 'cpu' || b === 'wasm' ? 'host' : 'tensor';
}

export function createF4State(
  kernelShapeHWIO: [number, number, number, number],
  opts: { seed?: number; engine?: F4Engine } = {},
): F4PowerState {
  const s = kernelShapeHWIO as number[];
  if (!Array.isArray(s) || s.length !== 4 || s.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new KernelError(
      `createF4State: expected an HWIO shape [h, w, c_in, c_out] of positive integers, got [${String(s)}].`,
    );
  }
  const shape = [...kernelShapeHWIO] as Shape4;
  const seed = opts.seed ?? 0;
  const base = { shape, lastDataId: null, iterations: 0 };
  if ((opts.engine ?? defaultF4Engine()) === 'host') {
    return { ...base, engine: 'host', host: createHostVectors(shape, seed), cache: null };
  }
  const vectors = {} as Record<F4Matrix, PowerVectors>;
  F4_MATRICES.forEach((X, j) => {
    const { u, v } = f4VectorShapes(X, shape);
    vectors[X] = createPowerVectors(u, v, { seed: streamSeed(seed, 'f4TensorVectors', j) });
  });
  return { ...base, engine: 'tensor', vectors };
}

export function disposeF4State(state: F4PowerState): void {
  if (state.engine === 'tensor') F4_MATRICES.forEach((X) => disposePowerVectors(state.vectors[X]));
  else state.cache = null;
}

/**
 * The reshape X as an operator on the transpose-free block view W4 = W.reshape([A, B, m, c_out]) (reshapes.ts):
 * X v = sum_a v_a^T W4[a, b], X^T u = sum_b W4[a, b] u_b. Only batch-1 broadcasting is used (tfjs backends
 * flatten batch axes before broadcasting), so S, whose view has A, B > 1, tiles its small vector instead.
 */
export function f4Operator(kernel: tf.Tensor4D, X: F4Matrix): PowerOperator {
  const [A, B, m, co] = f4BlockView(X, kernel.shape as Shape4);
  const W4 = tf.reshape(kernel, [A, B, m, co]) as tf.Tensor4D;
  const tileBoth = A > 1 && B > 1;
  return {
    apply: (v) => {
      const lhs = tileBoth ? tf.broadcastTo(v, [A, B, 1, m]) : v;
      const y = tf.matMul(lhs as tf.Tensor4D, W4); // [A, B, 1, co]
      return A > 1 ? tf.sum(y, 0, true) : y;
    },
    applyT: (u) => {
      const rhs = tileBoth ? tf.broadcastTo(u, [A, B, 1, co]) : u;
      const y = tf.matMul(W4, rhs as tf.Tensor4D, false, true); // [A, B, m, 1]
      return tf.reshape(B > 1 ? tf.sum(y, 1, true) : y, [A, 1, 1, m]);
    },
  };
}

/** Advance all four reshapes' u, v by `iterations` power steps. Nothing is recorded for gradients. */
export function f4PowerIterate(kernel: tf.Tensor4D, state: F4PowerState, iterations: number): void {
  checkKernelTensor(kernel, state);
  if (!Number.isInteger(iterations) || iterations < 0) {
    throw new KernelError(`f4PowerIterate: iterations must be an integer >= 0, got ${iterations}.`);
  }
  if (iterations === 0) return;
  if (state.engine === 'host') hostPowerIterate(hostData(kernel, state), state.shape, state.host, iterations);
  else {
    tf.tidy(() => {
      for (const X of F4_MATRICES) powerIterate(f4Operator(kernel, X), state.vectors[X], iterations);
    });
  }
  state.lastDataId = kernel.dataId;
  state.iterations += iterations;
}

/** sigma_X = u_X^T X v_X for each reshape (not multiplied by sqrt(hw)), differentiable with respect to the kernel. */
export function f4MatrixNorms(kernel: tf.Tensor4D, state: F4PowerState): Record<F4Matrix, tf.Scalar> {
  checkKernelTensor(kernel, state);
  const out = {} as Record<F4Matrix, tf.Scalar>;
  for (const X of F4_MATRICES) {
    out[X] = state.engine === 'host' ? hostSigmaTensor(kernel, state, X, 1) : tensorSigma(kernel, state, X);
  }
  return out;
}

/**
 * sqrt(hw) * sigma of the chosen reshape ('min': the smallest of the four; 'miyato-t': T, Miyato et al.'s
 * reshape), a scalar to add to a loss inside tf.variableGrads / optimizer.minimize. Its gradient is
 * sqrt(hw) u v^T of that reshape, so a training step (f4PowerIterate(k, s, 1), then this) costs one fused
 * iteration plus one outer product. Call f4PowerIterate outside the differentiated function.
 */
export function f4BoundTensor(kernel: tf.Tensor4D, state: F4PowerState, which: F4Which = 'min'): tf.Scalar {
  checkKernelTensor(kernel, state);
  const [h, w] = state.shape;
  const sqrtHW = Math.sqrt(h * w);
  const X = which === 'miyato-t' ? 'T' : which;
  if (state.engine === 'host') return hostSigmaTensor(kernel, state, X, sqrtHW);
  if (X !== 'min') return tf.tidy(() => tf.mul(tensorSigma(kernel, state, X), sqrtHW));
  if (state.lastDataId === kernel.dataId) {
    // The estimates equal u^T X v for this kernel: build (and differentiate) only the minimising sigma.
    return tf.tidy(() => tf.mul(tensorSigma(kernel, state, argminEstimate(state)), sqrtHW));
  }
  return tf.tidy(() => tf.mul(tf.min(tf.stack(F4_MATRICES.map((Y) => tensorSigma(kernel, state, Y)))), sqrtHW));
}

/** The reshape with the smallest current sigma estimate (a host read of four numbers on the tensor engine). */
export function argminEstimate(state: F4PowerState): F4Matrix {
  let s: ArrayLike<number>;
  if (state.engine === 'host') s = F4_MATRICES.map((X) => state.host.sigma[X]);
  else {
    const stacked = tf.tidy(() => tf.stack(F4_MATRICES.map((X) => tf.reshape(state.vectors[X].sigma, []))));
    s = stacked.dataSync();
    stacked.dispose();
  }
  let best = 0;
  for (let j = 1; j < 4; j++) if (s[j] < s[best]) best = j;
  return F4_MATRICES[best];
}

function tensorSigma(kernel: tf.Tensor4D, state: F4TensorState, X: F4Matrix): tf.Scalar {
  return tf.tidy(() => tf.reshape(rayleighSigma(f4Operator(kernel, X), state.vectors[X]), []) as tf.Scalar);
}

/** The kernel's values on the host, read once per kernel version (tfjs tensors are immutable per dataId). */
function hostData(kernel: tf.Tensor4D, state: F4HostState): ArrayLike<number> {
  if (state.cache?.dataId === kernel.dataId) return state.cache.data;
  const view = wasmHeapView(kernel);
  if (view) return view;
  state.cache = { dataId: kernel.dataId, data: kernel.dataSync() };
  return state.cache.data;
}

/**
 * On the WASM backend, the kernel's float32 values in place on tfjs's heap: dataSync would copy them first (a
 * 9.4 MB copy per ResNet layer per call, on this machine's slow memory 3-10 ms). Never cached: the view detaches
 * when tfjs's memory grows, so it is only read by the synchronous pass it is made for.
 */
function wasmHeapView(kernel: tf.Tensor4D): Float32Array | null {
  if (tf.getBackend() !== 'wasm' || kernel.dtype !== 'float32') return null;
  const backend = tf.backend() as unknown as {
    typedArrayFromHeap?: (t: { dataId: object; shape: number[]; dtype: string }) => unknown;
  };
  if (typeof backend.typedArrayFromHeap !== 'function') return null;
  const view = backend.typedArrayFromHeap({ dataId: kernel.dataId, shape: kernel.shape, dtype: kernel.dtype });
  return view instanceof Float32Array && view.length === kernel.size ? view : null;
}

/**
 * scale * u_X^T X v_X as a tape-recorded op: value and gradient computed on the host. 'min' picks the smallest
 * of the four current sigmas (exact: the estimates if f4PowerIterate last ran on this kernel, else one fused pass).
 */
function hostSigmaTensor(kernel: tf.Tensor4D, state: F4HostState, which: F4Matrix | 'min', scale: number): tf.Scalar {
  const op = tf.customGrad<tf.Scalar>((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const x = args[0] as tf.Tensor;
    const sig =
      state.lastDataId === kernel.dataId
        ? state.host.sigma
        : hostSigmas(hostData(kernel, state), state.shape, state.host);
    let X: F4Matrix = which === 'min' ? 'R' : which;
    if (which === 'min') for (const Y of F4_MATRICES) if (sig[Y] < sig[X]) X = Y;
    // Snapshot u, v: the gradient must be that of this value even if the vectors move before backprop.
    const snap = {
      ...state.host,
      u: { ...state.host.u, [X]: state.host.u[X].slice() },
      v: { ...state.host.v, [X]: state.host.v[X].slice() },
    };
    return {
      value: tf.scalar(scale * sig[X]),
      // dy is a scalar: fold it into the host outer product rather than a kernel-sized multiply on the device.
      gradFunc: (dy: tf.Scalar) =>
        tf.tensor4d(hostSigmaGradient(state.shape, snap, X, scale * dy.dataSync()[0]), x.shape as Shape4),
    };
  });
  return op(kernel);
}

function checkKernelTensor(kernel: tf.Tensor4D, state: F4PowerState): void {
  if (!kernel || kernel.rank !== 4) {
    throw new KernelError(
      `F4: expected a 4-D kernel tensor [h, w, c_in, c_out] (HWIO), got ${kernel ? `shape [${kernel.shape}]` : String(kernel)}.`,
    );
  }
  if (kernel.shape.join() !== state.shape.join()) {
    throw new KernelError(
      `F4: kernel shape [${kernel.shape}] does not match the power-iteration state made for [${state.shape}]; ` +
        'create one state per layer with createF4State(kernel.shape).',
    );
  }
}
