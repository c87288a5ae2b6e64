/**
 * Hand-written layers: tf.variables plus a forward function. Explicit weights make what the paper needs
 * direct: every conv/dense layer exposes its kernel, stride, padding and input size (for the bounds), and
 * BatchNorm exposes gamma and its running variance (for its Lipschitz constant in eval mode).
 */
import * as tf from '@tensorflow/tfjs';
import type { Activation } from '../../../shared/config.js';
import { constantVariable, heNormal } from './init.js';

export type Mode = 'train' | 'eval';
export type Padding = 'same' | 'valid';

export interface NamedVariable {
  name: string;
  variable: tf.Variable;
  /** false for BatchNorm running statistics (checkpointed, not optimised). */
  trainable: boolean;
}

/** Output size of a convolution along one axis, as tfjs computes it. */
export function convOutputSize(n: number, k: number, stride: number, padding: Padding): number {
  return padding === 'same' ? Math.ceil(n / stride) : Math.floor((n - k) / stride) + 1;
}

export function activate(x: tf.Tensor, act: Activation): tf.Tensor {
  switch (act) {
    case 'relu':
      return tf.relu(x);
    case 'softplus':
      return tf.softplus(x);
    case 'tanh':
      return tf.tanh(x);
  }
}

interface LinearBase {
  name: string;
  /** conv: HWIO; dense: [in, out]. */
  kernel: tf.Variable;
  bias: tf.Variable | null;
  stride: number;
  padding: Padding;
  /** Spatial input size ([1, 1] for dense layers). */
  inputSize: [number, number];
  /** The kernel in HWIO ([1, 1, in, out] for dense): the form every bound method takes. */
  kernelHWIO(): tf.Tensor4D;
  variables(): NamedVariable[];
}

export class Conv2D implements LinearBase {
  readonly kind = 'conv' as const;
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly outputSize: [number, number];

  constructor(
    readonly name: string,
    readonly shape: [number, number, number, number],
    readonly inputSize: [number, number],
    readonly stride: number,
    readonly padding: Padding,
    withBias: boolean,
    seed: number,
    stream: number,
  ) {
    const [h, w, ci] = shape;
    this.kernel = heNormal(shape, h * w * ci, seed, stream);
    this.bias = withBias ? constantVariable([shape[3]], 0, true) : null;
    this.outputSize = [
      convOutputSize(inputSize[0], h, stride, padding),
      convOutputSize(inputSize[1], w, stride, padding),
    ];
  }

  /** ReLU is fused into the convolution where the backend supports its gradient (faster on WASM/CPU). */
  apply(x: tf.Tensor4D, act?: Activation): tf.Tensor4D {
    const fusedRelu = act === 'relu';
    const y = tf.fused.conv2d({
      x,
      filter: this.kernel as tf.Tensor4D,
      strides: this.stride,
      pad: this.padding,
      bias: this.bias ?? undefined,
      activation: fusedRelu ? 'relu' : 'linear',
    });
    return act && !fusedRelu ? (activate(y, act) as tf.Tensor4D) : y;
  }

  kernelHWIO(): tf.Tensor4D {
    return this.kernel as tf.Tensor4D;
  }

  variables(): NamedVariable[] {
    const v: NamedVariable[] = [{ name: `${this.name}/kernel`, variable: this.kernel, trainable: true }];
    if (this.bias) v.push({ name: `${this.name}/bias`, variable: this.bias, trainable: true });
    return v;
  }
}

export class Dense implements LinearBase {
  readonly kind = 'dense' as const;
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  readonly stride = 1;
  readonly padding: Padding = 'valid';
  readonly inputSize: [number, number] = [1, 1];

  constructor(
    readonly name: string,
    readonly units: [number, number],
    seed: number,
    stream: number,
  ) {
    this.kernel = heNormal(units, units[0], seed, stream);
    this.bias = constantVariable([units[1]], 0, true);
  }

  apply(x: tf.Tensor2D, act?: Activation): tf.Tensor2D {
    const fusedRelu = act === 'relu';
    const y = tf.fused.matMul({
      a: x,
      b: this.kernel as tf.Tensor2D,
      bias: this.bias as tf.Tensor,
      activation: fusedRelu ? 'relu' : 'linear',
    }) as tf.Tensor2D;
    return act && !fusedRelu ? (activate(y, act) as tf.Tensor2D) : y;
  }

  /** A dense layer is a 1x1 convolution on a 1x1 image: [in, out] -> [1, 1, in, out]. */
  kernelHWIO(): tf.Tensor4D {
    return tf.reshape(this.kernel, [1, 1, this.units[0], this.units[1]]);
  }

  variables(): NamedVariable[] {
    return [
      { name: `${this.name}/kernel`, variable: this.kernel, trainable: true },
      { name: `${this.name}/bias`, variable: this.bias, trainable: true },
    ];
  }
}

export type LinearLayer = Conv2D | Dense;

/**
 * BatchNorm (Ioffe & Szegedy 2015) with running statistics, PyTorch conventions (momentum 0.1 on the new
 * batch, eps 1e-5). In eval mode it is the affine map x -> gamma (x - mu)/sqrt(var + eps) + beta, whose
 * l2 Lipschitz constant is max_c |gamma_c| / sqrt(var_c + eps).
 */
export class BatchNorm {
  readonly kind = 'batchnorm' as const;
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  private pending: { mean: tf.Tensor; variance: tf.Tensor } | null = null;

  constructor(
    readonly name: string,
    readonly channels: number,
    readonly eps = 1e-5,
    readonly momentum = 0.1,
  ) {
    this.gamma = constantVariable([channels], 1, true);
    this.beta = constantVariable([channels], 0, true);
    this.runningMean = constantVariable([channels], 0, false);
    this.runningVar = constantVariable([channels], 1, false);
  }

  apply(x: tf.Tensor4D, mode: Mode): tf.Tensor4D {
    if (mode === 'eval') {
      return tf.batchNorm4d(
        x,
        this.runningMean as tf.Tensor1D,
        this.runningVar as tf.Tensor1D,
        this.beta as tf.Tensor1D,
        this.gamma as tf.Tensor1D,
        this.eps,
      );
    }
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    // Kept past the gradient tape's tidy scope; commitBatchStats() folds them into the running stats.
    this.clearPending();
    this.pending = { mean: tf.keep(mean), variance: tf.keep(variance) };
    return tf.batchNorm4d(
      x,
      mean as tf.Tensor1D,
      variance as tf.Tensor1D,
      this.beta as tf.Tensor1D,
      this.gamma as tf.Tensor1D,
      this.eps,
    );
  }

  /** running <- (1 - m) running + m batch; PyTorch uses the unbiased batch variance here. */
  commitBatchStats(batchCount: number): void {
    const p = this.pending;
    if (!p) return;
    tf.tidy(() => {
      const m = this.momentum;
      const unbias = batchCount > 1 ? batchCount / (batchCount - 1) : 1;
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(p.mean, m)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(p.variance, m * unbias)));
    });
    this.clearPending();
  }

  clearPending(): void {
    if (this.pending) {
      this.pending.mean.dispose();
      this.pending.variance.dispose();
      this.pending = null;
    }
  }

  /** max_c |gamma_c| / sqrt(var_c + eps), from the current (eval-mode) parameters. */
  lipschitz(): number {
    const g = this.gamma.dataSync();
    const v = this.runningVar.dataSync();
    let best = 0;
    for (let c = 0; c < g.length; c++) best = Math.max(best, Math.abs(g[c]) / Math.sqrt(v[c] + this.eps));
    return best;
  }

  variables(): NamedVariable[] {
    return [
      { name: `${this.name}/gamma`, variable: this.gamma, trainable: true },
      { name: `${this.name}/beta`, variable: this.beta, trainable: true },
      { name: `${this.name}/running_mean`, variable: this.runningMean, trainable: false },
      { name: `${this.name}/running_var`, variable: this.runningVar, trainable: false },
    ];
  }
}
