/**
 * The spectral-norm penalty of Singla & Feizi 2021, Section 5: loss = CE + beta * sum_layers bound(layer), the
 * bound being the differentiable Fantastic Four value sqrt(hw) * min(||R||, ||S||, ||T||, ||U||) (or one
 * reshape, or Miyato et al.'s T, or Gram iteration), with power-iteration vectors kept across steps:
 * `powerIterInit` iterations at the start, then `powerIterPerStep` per step (weights move little per step).
 * 'sum-log' penalises sum log(bound) = log of the product, i.e. of the network's Lipschitz bound.
 */
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../../../shared/config.js';
import {
  createF4State,
  disposeF4State,
  f4BoundTensor,
  f4PowerIterate,
  type F4PowerState,
  type F4Which,
} from '../bounds/methods/f4.js';
import { gramLeadingFrequencies } from '../bounds/methods/gram-iteration.js';
import { gramIterationBoundTensor } from '../bounds/methods/gram-tensor.js';
import type { FrequencySet } from '../bounds/numerics/fft2.js';
import { streamSeed } from '../data/rng.js';
import type { LinearLayer, Network } from '../models/index.js';

export interface Regularizer {
  /** Advance the power iterations (outside the gradient tape). */
  beforeStep(): void;
  /** The penalty (without beta), differentiable w.r.t. the kernels; call inside the tape. */
  penalty(): tf.Scalar;
  readonly layers: LinearLayer[];
  dispose(): void;
}

type PenaltyKind = Exclude<RunConfig['regularizer']['kind'], 'none'>;
type Factory = (layers: LinearLayer[], cfg: RunConfig['regularizer'], seed: number) => Regularizer;
const f4 =
  (which: F4Which): Factory =>
  (layers, cfg, seed) =>
    new F4Regularizer(layers, which, cfg, seed);

/** One entry per regulariser kind of the config schema: a kind added there without one here does not compile. */
const FACTORIES: Record<PenaltyKind, Factory> = {
  'f4-min': f4('min'),
  'f4-R': f4('R'),
  'f4-S': f4('S'),
  'f4-T': f4('T'),
  'f4-U': f4('U'),
  'miyato-t': f4('miyato-t'),
  'gram-iteration': (layers, cfg) => new GramRegularizer(layers, cfg),
};

/** null when the config has no regulariser (kind 'none' or beta 0); an unknown kind is an error, never a fallback. */
export function createRegularizer(model: Network, cfg: RunConfig['regularizer'], seed: number): Regularizer | null {
  if (cfg.kind === 'none' || cfg.beta === 0) return null;
  const make = Object.hasOwn(FACTORIES, cfg.kind) ? FACTORIES[cfg.kind as PenaltyKind] : undefined;
  if (!make) {
    throw new Error(
      `regularizer.kind '${String(cfg.kind)}' is unknown; use one of ${['none', ...Object.keys(FACTORIES)].join(', ')}.`,
    );
  }
  const layers = model.linear.filter((l) => l.kind === 'conv' || cfg.includeDense);
  if (layers.length === 0) {
    throw new Error(
      `regularizer '${cfg.kind}': model '${model.arch}' has no conv layers to penalise; set regularizer.includeDense true.`,
    );
  }
  return make(layers, cfg, seed);
}

/** Each layer's kernel in HWIO (dense [in,out] as [1,1,in,out]), released after `fn`. */
function withKernel<T>(layer: LinearLayer, fn: (k: tf.Tensor4D) => T): T {
  const k = layer.kernelHWIO();
  try {
    return fn(k);
  } finally {
    if (k !== layer.kernel) k.dispose();
  }
}

function reduce(terms: tf.Scalar[], mode: RunConfig['regularizer']['reduce']): tf.Scalar {
  return mode === 'sum-log' ? tf.addN(terms.map((t) => tf.log(t))) : tf.addN(terms);
}

class F4Regularizer implements Regularizer {
  private readonly states: F4PowerState[];

  constructor(
    readonly layers: LinearLayer[],
    private readonly which: F4Which,
    private readonly cfg: RunConfig['regularizer'],
    seed: number,
  ) {
    this.states = layers.map((l, i) => {
      const shape = (l.kind === 'conv' ? l.shape : [1, 1, ...l.units]) as [number, number, number, number];
      const state = createF4State(shape, { seed: streamSeed(seed, 'regularizerVectors', i) % 1_000_000 });
      withKernel(l, (k) => f4PowerIterate(k, state, cfg.powerIterInit));
      return state;
    });
  }

  beforeStep(): void {
    if (this.cfg.powerIterPerStep === 0) return;
    this.layers.forEach((l, i) => withKernel(l, (k) => f4PowerIterate(k, this.states[i], this.cfg.powerIterPerStep)));
  }

  penalty(): tf.Scalar {
    return tf.tidy(() =>
      reduce(
        this.layers.map((l, i) => withKernel(l, (k) => f4BoundTensor(k, this.states[i], this.which))),
        this.cfg.reduce,
      ),
    );
  }

  dispose(): void {
    this.states.forEach(disposeF4State);
  }
}

/** Gram iterations per step: 6 is Delattre et al.'s default, already within ~1e-3 of the circular norm. */
const GRAM_TRAIN_ITERATIONS = 6;

/**
 * Frequencies within this relative distance of a layer's maximum Gram bound are differentiated. The float32 tensor
 * bound agrees with the guaranteed float64/float32 host bound to ~1e-5 relative (test/bounds/gram-iteration.test.ts),
 * so 1e-3 leaves a wide margin: the tensor's argmax is always among them.
 */
const GRAM_LEADING_REL = 1e-3;

/**
 * Gram iteration (Delattre et al. 2023) bounds the circular norm at the layer's input size (a dense layer is a 1x1
 * conv on a 1x1 image). Before each step (outside the tape) the host bound (gram-iteration.ts: SIMD, pruned) picks
 * each layer's leading frequencies at the current weights, and only those are differentiated: the penalty has the
 * same value and gradient as over the whole spectrum (gram-tensor.ts, header), without the ~n^2/2 matrices and
 * their backward pass that made the step ~2.8x as long (bench:train, 2026-12-07).
 */
class GramRegularizer implements Regularizer {
  private leading: (FrequencySet | undefined)[] = [];

  constructor(
    readonly layers: LinearLayer[],
    private readonly cfg: RunConfig['regularizer'],
  ) {}

  beforeStep(): void {
    this.leading = this.layers.map((l) =>
      withKernel(l, (k) =>
        gramLeadingFrequencies(
          { shape: k.shape, data: k.dataSync() as Float32Array },
          [...l.inputSize],
          GRAM_TRAIN_ITERATIONS,
          GRAM_LEADING_REL,
        ),
      ),
    );
  }

  penalty(): tf.Scalar {
    // Without a beforeStep at these weights (none so far), every frequency.
    const leading = this.leading;
    this.leading = [];
    return tf.tidy(() =>
      reduce(
        this.layers.map((l, i) =>
          withKernel(l, (k) => gramIterationBoundTensor(k, [...l.inputSize], GRAM_TRAIN_ITERATIONS, leading[i])),
        ),
        this.cfg.reduce,
      ),
    );
  }

  dispose(): void {}
}
