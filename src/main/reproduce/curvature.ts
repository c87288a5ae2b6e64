/**
 * Curvature (paper Section 5.3, after Singla & Feizi 2020): a softplus Lip-CNN's bound on the curvature
 * of the logit differences, built from the per-layer bounds, and its certificate (engine/certify/
 * curvature-certificate.ts: against every target class, not only the runner-up), with and without the
 * F4 regulariser. The first-order (pairwise) certificate at the same radii is shown beside it.
 */
import type { RunConfigInput } from '../../shared/config.js';
import { FMT, type Cell, type Column } from '../report/index.js';
import type { Artifacts, Experiment, PlanOptions, RunOutcome } from './experiment.js';
import { robustnessSetting } from './robustness.js';
import { betaArm, seeded, sized } from './sizes.js';
import { byArm, cell, certifiedAt, meanOf, points, right, seedsCell } from './stats.js';

export const CURVATURE_EPSILONS = [0.02, 0.05, 0.1, 0.2, 0.5];
const BETAS = { smoke: [0, 0.3], quick: [0, 0.3], full: [0, 0.05, 0.3] };

function setting(beta: number): RunConfigInput {
  const base = robustnessSetting(beta);
  return { ...base, certification: { epsilons: CURVATURE_EPSILONS, curvature: { enabled: true, subset: 200 } } };
}

function plan(o: PlanOptions) {
  const arms = BETAS[o.size].map((beta) => ({
    arm: betaArm(beta),
    config: sized(setting(beta), o.size, { quick: 2, full: 20 }),
  }));
  return seeded('curvature', arms, o.seeds);
}

const curvatureAt = (o: RunOutcome, eps: number): number | null =>
  o.lastEval?.curvature?.certified.find((c) => Math.abs(c.eps - eps) < 1e-12)?.acc ?? null;

function table(outcomes: RunOutcome[]): Artifacts['tables'][number] {
  const columns: Column[] = [
    { header: 'Arm', align: 'left' },
    { header: 'Seeds', align: 'left' },
    right('Clean acc. (%)'),
    right('Curvature bound K'),
    right('Lipschitz bound'),
    ...CURVATURE_EPSILONS.map((e) => right(`Curvature cert. ε=${e} (%)`)),
    ...CURVATURE_EPSILONS.map((e) => right(`Pairwise cert. ε=${e} (%)`)),
  ];
  const rows: Cell[][] = byArm(outcomes).map(({ arm, runs }) => [
    arm,
    seedsCell(runs),
    cell(runs, (o) => o.lastEval?.testAcc),
    cell(runs, (o) => o.lastEval?.curvature?.bound, FMT.bound),
    cell(runs, (o) => o.lastEval?.lipschitz, FMT.bound),
    ...CURVATURE_EPSILONS.map((e) => cell(runs, (o) => curvatureAt(o, e))),
    ...CURVATURE_EPSILONS.map((e) => cell(runs, (o) => certifiedAt(o, 'pairwise', e))),
  ]);
  return {
    file: 'curvature',
    table: {
      caption: 'Curvature bound and its certificate, softplus Lip-CNN on MNIST: mean ± sd over seeds',
      columns,
      rows,
      notes: [
        'K: bound on the largest eigenvalue magnitude of the Hessian of any logit difference (max over class pairs). Curvature certificate on the first 200 test images (every target class), so its percentages can exceed the clean accuracy of the whole test subset; pairwise certificate on the whole test subset.',
      ],
    },
  };
}

function findings(outcomes: RunOutcome[]): string[] {
  const arms = byArm(outcomes);
  const base = arms.find((a) => a.arm === betaArm(0));
  if (!base) return [];
  const k = (runs: RunOutcome[]) => meanOf(runs, (o) => o.lastEval?.curvature?.bound);
  return arms
    .filter((a) => a !== base)
    .map((a) => {
      const kb = k(base.runs);
      const ka = k(a.runs);
      const ratio = kb && ka ? `${(ka / kb).toFixed(3)}× the baseline's` : 'not measured';
      const diff = (e: number): string => {
        const d = (meanOf(a.runs, (o) => curvatureAt(o, e)) ?? 0) - (meanOf(base.runs, (o) => curvatureAt(o, e)) ?? 0);
        return `ε=${e}: ${points(d)}`;
      };
      return `${a.arm}: curvature bound K ${ratio}; curvature-certified accuracy against no regulariser at ${CURVATURE_EPSILONS.map(diff).join(', ')}.`;
    });
}

export const curvature: Experiment = {
  name: 'curvature',
  title: 'Curvature bound and certificate',
  description: 'curvature bound of a softplus Lip-CNN and its certificate (every target class), with and without F4',
  cost: {
    quick: '2 arms × seeds runs of 2 epochs on 10k MNIST images, ~3 min per run here',
    full: '3 arms × seeds runs of 20 epochs on all of MNIST, ~1 h per run here',
  },
  plan,
  analyse: ({ outcomes }) => ({ tables: [table(outcomes)], figures: [], findings: findings(outcomes) }),
};
