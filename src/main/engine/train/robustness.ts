/**
 * The expensive robustness measurements, each on a test subset: l2 PGD over a grid of radii (empirical, an upper
 * estimate of robust accuracy at every radius up to the grid's top: the configured ε plus radii spanning the
 * certified ones, so its curve can be drawn above the certified curves) and the curvature certificate (Singla & Feizi 2020), which applies only to plain
 * conv/dense networks with a smooth activation.
 */
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../../../shared/config.js';
import type { EvalEvent, LayerEval } from '../../../shared/events.js';
import {
  curvatureBound,
  curvatureCertifiedAccuracy,
  pgdCurve,
  pgdGrid,
  pgdStoredRadii,
  type CurvatureLayer,
} from '../certify/index.js';
import { streamSeed } from '../data/rng.js';
import type { Split } from '../data/types.js';
import type { Network } from '../models/index.js';
import { hostKernel } from './layer-kernel.js';

function subsetTensor(split: Split, count: number): { x: tf.Tensor4D; y: Uint8Array } {
  const n = Math.min(count, split.count);
  const b = split.batch(Array.from({ length: n }, (_, i) => i));
  return { x: tf.tensor4d(b.x, b.shape), y: b.y };
}

/** The largest finite radius of any certificate (0 when none certifies a point). */
function largestFinite(radii: NonNullable<EvalEvent['radii']>): number {
  let top = 0;
  for (const r of [radii.lipschitz, radii.pairwise])
    for (const v of r ?? []) if (Number.isFinite(v) && v > top) top = v;
  return top;
}

export async function robustnessExtras(a: {
  model: Network;
  test: Split;
  config: RunConfig;
  layers: LayerEval[];
  /** The evaluation's certified radii: the PGD grid spans them. */
  radii: NonNullable<EvalEvent['radii']>;
  log: (level: 'info' | 'warn', message: string) => void;
}): Promise<Pick<EvalEvent, 'pgd' | 'curvature'> & { pgdRadii?: number[] }> {
  const { model, config } = a;
  const cert = config.certification;
  const forward = (x: tf.Tensor4D): tf.Tensor2D => model.forward(x, 'eval');
  const out: Pick<EvalEvent, 'pgd' | 'curvature'> & { pgdRadii?: number[] } = {};
  if (cert.pgd.enabled) {
    const { x, y } = subsetTensor(a.test, cert.pgd.subset);
    try {
      const grid = pgdGrid(cert.epsilons, largestFinite(a.radii));
      const curve = await pgdCurve(forward, x, y, grid, {
        steps: cert.pgd.steps,
        seed: streamSeed(config.seed, 'pgdStarts'),
      });
      out.pgd = cert.epsilons.map((eps) => ({ eps, acc: curve.accuracyAt(eps) }));
      out.pgdRadii = pgdStoredRadii(curve);
    } finally {
      x.dispose();
    }
  }
  if (cert.curvature.enabled) {
    if (!model.plainFeedForward || config.model.activation === 'relu') {
      a.log(
        'warn',
        `curvature bound skipped: '${model.arch}' with '${config.model.activation}' is not a plain network with a smooth activation; use lip-cnn with softplus or tanh.`,
      );
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
