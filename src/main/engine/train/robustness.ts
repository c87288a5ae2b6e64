/**
 * The expensive robustness measurements, each on a test subset: l2 PGD (empirical, an upper estimate of
 * robust accuracy) and the curvature certificate (Singla & Feizi 2020), which applies only to plain
 * conv/dense networks with a smooth activation.
 */
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../../../shared/config.js';
import type { EvalEvent, LayerEval } from '../../../shared/events.js';
import { curvatureBound, curvatureCertifiedAccuracy, pgdRobustAccuracy, type CurvatureLayer } from '../certify/index.js';
import { streamSeed } from '../data/rng.js';
import type { Split } from '../data/types.js';
import type { Network } from '../models/index.js';
import { hostKernel } from './layer-kernel.js';

function subsetTensor(split: Split, count: number): { x: tf.Tensor4D; y: Uint8Array } {
  const n = Math.min(count, split.count);
  const b = split.batch(Array.from({ length: n }, (_, i) => i));
  return { x: tf.tensor4d(b.x, b.shape), y: b.y };
}

export async function robustnessExtras(a: {
  model: Network;
  test: Split;
  config: RunConfig;
  layers: LayerEval[];
  log: (level: 'info' | 'warn', message: string) => void;
}): Promise<Pick<EvalEvent, 'pgd' | 'curvature'>> {
  const { model, config } = a;
  const cert = config.certification;
  const forward = (x: tf.Tensor4D): tf.Tensor2D => model.forward(x, 'eval');
  const out: Pick<EvalEvent, 'pgd' | 'curvature'> = {};
  if (cert.pgd.enabled) {
    const { x, y } = subsetTensor(a.test, cert.pgd.subset);
    try {
      out.pgd = [];
      for (const eps of cert.epsilons) {
        // Step size 2.5 eps / steps (Madry et al. 2018): the iterates can reach the sphere and move along it.
        const r = await pgdRobustAccuracy(forward, x, y, { eps, steps: cert.pgd.steps, stepSize: (2.5 * eps) / cert.pgd.steps, seed: streamSeed(config.seed, 'pgdStarts') });
        out.pgd.push({ eps, acc: r.robustAccuracy });
      }
    } finally {
      x.dispose();
    }
  }
  if (cert.curvature.enabled) {
    if (!model.plainFeedForward || config.model.activation === 'relu') {
      a.log('warn', `curvature bound skipped: '${model.arch}' with '${config.model.activation}' is not a plain network with a smooth activation; use lip-cnn with softplus or tanh.`);
      return out;
    }
    const layers: CurvatureLayer[] = model.linear.map((l, i) => {
      const k = hostKernel(l);
      return l.kind === 'conv'
        ? { kind: 'conv', weight: k.data, shape: [...k.shape], lipschitz: a.layers[i].certifiedUpper }
        : { kind: 'dense', weight: k.data, shape: [...l.units], lipschitz: a.layers[i].certifiedUpper };
    });
    const bound = curvatureBound(layers, config.model.activation as 'softplus' | 'tanh');
    const { x, y } = subsetTensor(a.test, cert.curvature.subset);
    try {
      const r = await curvatureCertifiedAccuracy(forward, x, y, bound, cert.epsilons);
      out.curvature = { bound: bound.max, certified: cert.epsilons.map((eps, i) => ({ eps, acc: r.accuracy[i] })) };
    } finally {
      x.dispose();
    }
  }
  return out;
}
