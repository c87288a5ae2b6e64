/**
 * What every model offers the trainer and the evaluator: a forward pass, its variables, its conv/dense
 * layers with their geometry, and the tree of its l2 Lipschitz constant (Lipschitz of a composition is at
 * most the product, of a residual block at most branch + shortcut).
 */
import * as tf from '@tensorflow/tfjs';
import type { Activation, Architecture } from '../../../shared/config.js';
import type { LayerSummary, ModelSummary } from '../../../shared/events.js';
import { BatchNorm, Conv2D, Dense, type LinearLayer, type Mode, type NamedVariable } from './layers.js';

import type { LipschitzNode } from '../certify/lipschitz.js';

export type { LipschitzNode };

/** Per-layer upper bounds on the spectral norm of each conv/dense layer, by layer name. */
export type LayerBoundMap = Record<string, number>;

export abstract class Network {
  abstract readonly arch: Architecture;
  /**
   * True when the network is x -> W_L s(... s(W_1 x + b_1) ...) + b_L with only conv/dense layers and one
   * activation (no pooling, BatchNorm, residuals or input normalisation): what the curvature bound assumes.
   */
  readonly plainFeedForward: boolean = false;
  /** Conv and dense layers in forward order. */
  readonly linear: LinearLayer[] = [];
  readonly batchNorms: BatchNorm[] = [];
  /** Constants owned by the model (e.g. the option-A shortcut kernels). */
  protected readonly constants: tf.Tensor[] = [];
  private outShapes = new Map<string, number[]>();
  /** Conv, dense and BatchNorm layers in forward order, for the summary. */
  private order: (LinearLayer | BatchNorm)[] = [];

  private readonly norm: { mean: tf.Tensor1D; invStd: tf.Tensor1D; lipschitz: number } | null;

  /**
   * Inputs arrive in [0,1] pixels, so certified radii and attacks are in pixel space; a per-channel
   * standardisation, if any, is part of the network and of its Lipschitz constant (max_c 1/std_c).
   */
  constructor(
    readonly inputShape: [number, number, number],
    normalization?: { mean: number[]; std: number[] },
  ) {
    if (normalization) {
      const mean = tf.tensor1d(normalization.mean);
      const invStd = tf.tensor1d(normalization.std.map((s) => 1 / s));
      this.constants.push(mean, invStd);
      this.norm = { mean, invStd, lipschitz: Math.max(...normalization.std.map((s) => 1 / s)) };
    } else {
      this.norm = null;
    }
  }

  protected normalizeInput(x: tf.Tensor4D): tf.Tensor4D {
    return this.norm ? tf.mul(tf.sub(x, this.norm.mean), this.norm.invStd) : x;
  }

  /** Nodes for the input standardisation (none without one). */
  protected normalizationNodes(): LipschitzNode[] {
    return this.norm ? [{ kind: 'layer', name: 'input-normalization', bound: this.norm.lipschitz }] : [];
  }

  /** Logits [batch, classes]. Training mode uses batch statistics in BatchNorm and records them. */
  abstract forward(x: tf.Tensor4D, mode: Mode): tf.Tensor2D;

  /**
   * The Lipschitz tree given each linear layer's bound. BatchNorm contributes max|gamma|/sqrt(var+eps) (eval
   * mode), ReLU/softplus/tanh and 2x2 max-pooling 1 (omitted), global average pooling 1/sqrt(hw).
   */
  abstract lipschitzTree(bounds: LayerBoundMap): LipschitzNode;

  protected addConv(c: Conv2D): Conv2D {
    this.linear.push(c);
    this.order.push(c);
    this.outShapes.set(c.name, [...c.outputSize, c.shape[3]]);
    return c;
  }

  protected addDense(d: Dense): Dense {
    this.linear.push(d);
    this.order.push(d);
    this.outShapes.set(d.name, [d.units[1]]);
    return d;
  }

  protected addBatchNorm(b: BatchNorm, outShape: number[]): BatchNorm {
    this.batchNorms.push(b);
    this.order.push(b);
    this.outShapes.set(b.name, outShape);
    return b;
  }

  /** A plain feed-forward chain: input normalization, then the named linear layers in order. */
  protected chainTree(names: string[], bounds: LayerBoundMap): LipschitzNode {
    return { kind: 'seq', nodes: [...this.normalizationNodes(), ...names.map((n) => this.linearNode(n, bounds))] };
  }

  /** The dense head of the small CNNs: flatten, fc1 with the activation, fc2 (logits). */
  protected denseHead(y: tf.Tensor4D, fc1: Dense, fc2: Dense, act: Activation): tf.Tensor2D {
    return fc2.apply(fc1.apply(tf.reshape(y, [y.shape[0], -1]) as tf.Tensor2D, act));
  }

  protected linearNode(name: string, bounds: LayerBoundMap): LipschitzNode {
    const b = bounds[name];
    if (b === undefined || !Number.isFinite(b)) {
      throw new Error(
        `no finite spectral-norm bound for layer '${name}'; compute bounds for every conv/dense layer first.`,
      );
    }
    return { kind: 'layer', name, bound: b };
  }

  protected bnNode(bn: BatchNorm): LipschitzNode {
    return { kind: 'layer', name: bn.name, bound: bn.lipschitz() };
  }

  /** Every variable with a stable name (checkpoints are keyed by these names). */
  variables(): NamedVariable[] {
    const all: NamedVariable[] = [];
    for (const l of this.linear) all.push(...l.variables());
    for (const b of this.batchNorms) all.push(...b.variables());
    return all;
  }

  trainableVariables(): tf.Variable[] {
    return this.variables()
      .filter((v) => v.trainable)
      .map((v) => v.variable);
  }

  /** Fold the batch statistics recorded by the last training forward pass into the running ones. */
  commitBatchStats(batchCount: number): void {
    for (const b of this.batchNorms) b.commitBatchStats(batchCount);
  }

  clearBatchStats(): void {
    for (const b of this.batchNorms) b.clearPending();
  }

  summary(): ModelSummary {
    const layers: LayerSummary[] = this.order.map((l): LayerSummary => {
      const outputShape = this.outShapes.get(l.name) ?? [];
      const params = l.variables().reduce((s, v) => s + (v.trainable ? v.variable.size : 0), 0);
      if (l.kind === 'conv')
        return {
          name: l.name,
          kind: 'conv',
          shape: [...l.shape],
          outputShape,
          params,
          stride: l.stride,
          padding: l.padding,
        };
      if (l.kind === 'dense') return { name: l.name, kind: 'dense', shape: [...l.units], outputShape, params };
      return { name: l.name, kind: 'batchnorm', shape: [l.channels], outputShape, params };
    });
    const totalParams = this.variables()
      .filter((v) => v.trainable)
      .reduce((s, v) => s + v.variable.size, 0);
    return { arch: this.arch, inputShape: [...this.inputShape], layers, totalParams };
  }

  dispose(): void {
    this.clearBatchStats();
    for (const v of this.variables()) v.variable.dispose();
    for (const c of this.constants) c.dispose();
  }
}
