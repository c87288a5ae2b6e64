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
import { gramValueAndGradient, type GramValueAndGradient } from '../bounds/methods/gram-gradient.js';
import { gramIterationBoundTensor } from '../bounds/methods/gram-tensor.js';
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
 * Frequencies whose guaranteed host bound V_f is within this relative distance of the layer's largest are evaluated.
 * Every other g has S_g <= V_g < (1 - rel) max V, and max V exceeds the float64 Schatten norm S of its frequency by
 * at most the host's rounding allowance: 1.4e-4 relative at 130 channels (float32 vs float64 in
 * test/bounds/gram-enclosure.test.ts), less on narrower layers, and HOST_GRADIENT_MAX_WORK keeps the host path
 * under ~160 channels. So rel = 1e-3 > that allowance: the layer's largest S is always among the evaluated ones.
 */
const GRAM_LEADING_REL = 1e-3;
const HOST_GRADIENT_MAX_WORK = 2 ** 22;

/**
 * Gram iteration (Delattre et al. 2023) bounds the circular norm at the layer's input size (a dense layer is a 1x1
 * conv on a 1x1 image). Before each step (outside the tape, at the step's weights) the host bound (gram-iteration.ts:
 * SIMD, pruned) picks each layer's leading frequencies, and their bound and its gradient come from float64 host
 * arithmetic (gram-gradient.ts); the penalty is that value with that gradient (tf.customGrad). Same value (to
 * float32 rounding) and gradient as gramIterationBoundTensor over the whole spectrum (tested), whose ~20 tfjs ops
 * per iteration and their backward pass made the step ~2.8x as long (bench:train, 2026-12-07).
 */
class GramRegularizer implements Regularizer {
  private atStep: (GramValueAndGradient | undefined)[] = [];

  constructor(
    readonly layers: LinearLayer[],
    private readonly cfg: RunConfig['regularizer'],
  ) {}

  beforeStep(): void {
    this.atStep = this.layers.map((l) =>
      withKernel(l, (k) => {
        // The host gradient is float64 JavaScript (~R^2 C complex multiply-adds per leading frequency, R <= C the
        // channel counts): past ~4M of them (e.g. a 3136 -> 128 dense layer, 51M) the tfjs graph is faster.
        const [ci, co] = k.shape.slice(2);
        if (Math.min(ci, co) ** 2 * Math.max(ci, co) > HOST_GRADIENT_MAX_WORK) return undefined;
        const host = { shape: k.shape, data: k.dataSync() as Float32Array };
        // Non-finite weights (the host bound refuses them): the graph, whose NaN loss ends the run as diverged.
        if (!host.data.every(Number.isFinite)) return undefined;
        const set = gramLeadingFrequencies(host, [...l.inputSize], GRAM_TRAIN_ITERATIONS, GRAM_LEADING_REL);
        return gramValueAndGradient(host, l.inputSize[0], l.inputSize[1], GRAM_TRAIN_ITERATIONS, set);
      }),
    );
  }

  penalty(): tf.Scalar {
    // Used once: without a beforeStep at these weights (none so far) or for a large layer, the tfjs graph over
    // every frequency.
    const atStep = this.atStep;
    this.atStep = [];
    return tf.tidy(() =>
      reduce(
        this.layers.map((l, i) =>
          withKernel(l, (k) =>
            atStep[i]
              ? withHostGradient(k, atStep[i])
              : gramIterationBoundTensor(k, [...l.inputSize], GRAM_TRAIN_ITERATIONS),
          ),
        ),
        this.cfg.reduce,
      ),
    );
  }

  dispose(): void {}
}

/** A scalar with the value and the gradient (with respect to `kernel`) computed on the host. */
function withHostGradient(kernel: tf.Tensor4D, vg: GramValueAndGradient): tf.Scalar {
  const f = tf.customGrad<tf.Scalar>(() => ({
    value: tf.scalar(vg.value),
    gradFunc: (dy: tf.Tensor) => tf.mul(dy, tf.tensor(Float32Array.from(vg.gradient), kernel.shape)),
  }));
  return f(kernel);
}
