/**
 * Optimisers with PyTorch semantics, so the paper's hyper-parameters mean the same thing here:
 *  SGD:  g = grad + wd w;  v = mu v + g;  w = w - lr v          (torch.optim.SGD, dampening 0)
 *  Adam: g = grad + wd w;  m, v moving moments; w = w - lr m_hat / (sqrt(v_hat) + eps)   (torch.optim.Adam)
 * Hand-written because tfjs' optimisers have no weight decay; the learning rate is an argument of every
 * step so schedules need no optimiser rebuild.
 */
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../../../shared/config.js';
import { variableFrom } from '../models/init.js';

export interface Optimizer {
  /** One update of every variable from its gradient (same order as the variables given at creation). */
  apply(grads: tf.Tensor[], lr: number): void;
  /** Slot variables (momentum, moments), for checkpoints and leak checks. */
  slots(): tf.Variable[];
  dispose(): void;
}

function zerosLikeVars(vars: tf.Variable[]): tf.Variable[] {
  return vars.map((v) => variableFrom(tf.zerosLike(v), false));
}

export function createOptimizer(cfg: RunConfig['optimizer'], vars: tf.Variable[]): Optimizer {
  return cfg.kind === 'adam' ? new Adam(vars, cfg.weightDecay) : new SgdMomentum(vars, cfg.momentum, cfg.weightDecay);
}

class SgdMomentum implements Optimizer {
  private readonly velocity: tf.Variable[];

  constructor(
    private readonly vars: tf.Variable[],
    private readonly momentum: number,
    private readonly weightDecay: number,
  ) {
    this.velocity = momentum > 0 ? zerosLikeVars(vars) : [];
  }

  apply(grads: tf.Tensor[], lr: number): void {
    tf.tidy(() => {
      this.vars.forEach((w, i) => {
        let g = grads[i];
        if (this.weightDecay > 0) g = tf.add(g, tf.mul(w, this.weightDecay));
        if (this.momentum > 0) {
          const v = tf.add(tf.mul(this.velocity[i], this.momentum), g);
          this.velocity[i].assign(v);
          g = v;
        }
        w.assign(tf.sub(w, tf.mul(g, lr)));
      });
    });
  }

  slots(): tf.Variable[] {
    return this.velocity;
  }

  dispose(): void {
    tf.dispose(this.velocity);
  }
}

class Adam implements Optimizer {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private t = 0;

  constructor(
    private readonly vars: tf.Variable[],
    private readonly weightDecay: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-8,
  ) {
    this.m = zerosLikeVars(vars);
    this.v = zerosLikeVars(vars);
  }

  apply(grads: tf.Tensor[], lr: number): void {
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    // Bias corrections folded into the step size: lr * sqrt(c2) / c1 (eps then scales by sqrt(c2), a negligible change).
    const stepSize = (lr * Math.sqrt(c2)) / c1;
    tf.tidy(() => {
      this.vars.forEach((w, i) => {
        let g = grads[i];
        if (this.weightDecay > 0) g = tf.add(g, tf.mul(w, this.weightDecay));
        const m = tf.add(tf.mul(this.m[i], this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[i], this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        w.assign(tf.sub(w, tf.mul(tf.div(m, tf.add(tf.sqrt(v), this.eps)), stepSize)));
      });
    });
  }

  slots(): tf.Variable[] {
    return [...this.m, ...this.v];
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}
