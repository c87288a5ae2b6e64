/**
 * The empirical robust-accuracy curve: l2 PGD (pgd.ts) over an ascending grid of radii, each point attacked only
 * until it first breaks. Robustness at ε implies robustness at every smaller ε, so the fraction of points PGD broke
 * at no grid radius below ε is an upper estimate of robust accuracy at every ε up to the grid's top (the 'pgd'
 * kind of RADIUS_KINDS, shared/certify-math.ts). Cost: at most one attack per grid radius, on the points still standing.
 */
import * as tf from '@tensorflow/tfjs';
import { CertifyError } from '../../../shared/certify-math.js';
import type { Forward } from './inputs.js';
import { pgdRobustAccuracy } from './pgd.js';

export interface PgdCurveOptions {
  steps: number;
  seed: number;
  /** Step size as a multiple of eps / steps (2.5: Madry et al. 2018, the iterates can reach the sphere and move along it). */
  stepFactor?: number;
}

export interface PgdCurve {
  grid: number[];
  /** Per point: the smallest grid radius at which PGD broke it, 0 if misclassified clean, Infinity if never broken. */
  firstBreak: Float64Array;
  /** PGD robust accuracy at a grid radius: the fraction broken at no grid radius <= eps. */
  accuracyAt(eps: number): number;
}

export async function pgdCurve(
  forward: Forward,
  x: tf.Tensor4D,
  labels: Uint8Array,
  grid: readonly number[],
  o: PgdCurveOptions,
): Promise<PgdCurve> {
  if (grid.length === 0 || grid.some((e, i) => !(e > 0) || (i > 0 && e <= grid[i - 1]))) {
    throw new CertifyError(`pgd curve: the grid must be ascending radii > 0, got [${grid.join(', ')}].`);
  }
  const n = x.shape[0];
  const firstBreak = new Float64Array(n).fill(Infinity);
  let standing = Array.from({ length: n }, (_, i) => i);
  for (const eps of grid) {
    if (standing.length === 0) break;
    const xs = standing.length === n ? x : tf.tidy(() => tf.gather(x, tf.tensor1d(standing, 'int32')));
    try {
      const ys = Uint8Array.from(standing, (i) => labels[i]);
      const r = await pgdRobustAccuracy(forward, xs, ys, {
        eps,
        steps: o.steps,
        stepSize: ((o.stepFactor ?? 2.5) * eps) / o.steps,
        seed: o.seed,
      });
      standing.forEach((i, k) => {
        if (!r.correct[k]) firstBreak[i] = 0;
        else if (!r.robust[k]) firstBreak[i] = eps;
      });
      standing = standing.filter((_, k) => r.robust[k] === 1);
    } finally {
      if (xs !== x) xs.dispose();
    }
  }
  const accuracyAt = (eps: number): number => {
    let c = 0;
    for (let i = 0; i < n; i++) if (firstBreak[i] > eps) c++;
    return n ? c / n : 0;
  };
  return { grid: [...grid], firstBreak, accuracyAt };
}

/** What the store keeps: first breaks ascending, a never-broken point at the grid's top (certify-math: RADIUS_KINDS). */
export function pgdStoredRadii(c: PgdCurve): number[] {
  const top = c.grid[c.grid.length - 1];
  return Array.from(c.firstBreak, (r) => Math.min(r, top)).sort((a, b) => a - b);
}

/** The attack grid: the configured radii plus `points` radii evenly spanning (0, largest certified radius]. */
export function pgdGrid(epsilons: readonly number[], largestRadius: number, points = 6): number[] {
  const grid = [...epsilons];
  if (largestRadius > 0 && Number.isFinite(largestRadius))
    for (let k = 1; k <= points; k++) grid.push((largestRadius * k) / points);
  return [...new Set(grid)].filter((e) => e > 0).sort((a, b) => a - b);
}
