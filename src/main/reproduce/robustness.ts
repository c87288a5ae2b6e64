/**
 * Provable robustness (paper Section 5.2 / Table 3): certified robust accuracy against the l2 radius eps,
 * with and without the F4 regulariser over a β grid, on a Lipschitz CNN for MNIST. Two certificates
 * (global Lipschitz margin / (sqrt 2 L), and the pairwise last-layer certificate), both from every test
 * point's stored radius so the whole curve is drawn; l2 PGD on a subset as the empirical ceiling.
 * eps is in pixel space ([0, 1] pixels): an input standardisation is part of the network's Lipschitz bound.
 */
import type { RunConfigInput } from '../../shared/config.js';
import { FMT, PALETTE, rich, type Cell, type Column } from '../report/index.js';
import type { Artifacts, Experiment, PlanOptions, RunOutcome } from './experiment.js';
import { betaArm, f4Regulariser, seeded, sized } from './sizes.js';
import {
  byArm,
  cell,
  certifiedAt,
  colourByArm,
  epsGrid,
  meanCurve,
  meanOf,
  num,
  pgdAt,
  points,
  right,
  seedsCell,
} from './stats.js';

/** The paper's MNIST radius (1.58) and smaller ones where a network trained for minutes certifies something. */
export const ROBUSTNESS_EPSILONS = [0.02, 0.05, 0.1, 0.2, 0.5, 1.58];
const BETAS = { smoke: [0, 0.3], quick: [0, 0.05, 0.3], full: [0, 0.01, 0.05, 0.3, 1] };

export function robustnessSetting(beta: number): RunConfigInput {
  return {
    dataset: { name: 'mnist' },
    model: { arch: 'lip-cnn', activation: 'softplus' },
    optimizer: { kind: 'adam', lr: 0.001, weightDecay: 0, schedule: { kind: 'constant' } },
    batchSize: 128,
    regularizer: beta === 0 ? { kind: 'none' } : f4Regulariser(beta),
    certification: { epsilons: ROBUSTNESS_EPSILONS },
    backend: 'auto',
  };
}

/** PGD at every radius is the costliest part of an evaluation: the quick form attacks 100 images with 5 steps. */
const PGD = { smoke: { steps: 2, subset: 16 }, quick: { steps: 5, subset: 100 }, full: { steps: 10, subset: 500 } };

function plan(o: PlanOptions) {
  const arms = BETAS[o.size].map((beta) => {
    const config = sized(robustnessSetting(beta), o.size, { quick: 2, full: 20 });
    return {
      arm: betaArm(beta),
      config: { ...config, certification: { ...config.certification, pgd: { enabled: true, ...PGD[o.size] } } },
    };
  });
  return seeded('robustness', arms, o.seeds);
}

function table(outcomes: RunOutcome[]): Artifacts['tables'][number] {
  const eps = ROBUSTNESS_EPSILONS;
  const columns: Column[] = [
    { header: 'Arm', align: 'left' },
    { header: 'Seeds', align: 'left' },
    right(rich('Clean acc. (%)')),
    right('Lipschitz bound'),
    ...eps.map((e) => right(`Cert. pairwise ε=${e} (%)`)),
    ...eps.map((e) => right(`Cert. global ε=${e} (%)`)),
    ...eps.map((e) => right(`PGD ε=${e} (%)`)),
  ];
  const rows: Cell[][] = byArm(outcomes).map(({ arm, runs }) => [
    arm,
    seedsCell(runs),
    cell(runs, (o) => o.lastEval?.testAcc),
    cell(runs, (o) => o.lastEval?.lipschitz, FMT.bound),
    ...eps.map((e) => cell(runs, (o) => certifiedAt(o, 'pairwise', e))),
    ...eps.map((e) => cell(runs, (o) => certifiedAt(o, 'lipschitz', e))),
    ...eps.map((e) => cell(runs, (o) => pgdAt(o, e))),
  ]);
  return {
    file: 'certified-accuracy',
    table: {
      caption: 'Certified robust accuracy (l2, pixel space) with and without the F4 regulariser: mean ± sd over seeds',
      columns,
      rows,
      notes: [
        "Pairwise: the last-layer pairwise certificate; global: margin / (sqrt(2) L) with L the product of the layers' certified bounds. PGD: l2 PGD on a test subset (100 images and 5 steps in the quick form; an upper estimate of the true robust accuracy). Numbers at the last evaluation.",
      ],
    },
  };
}

function figures(outcomes: RunOutcome[]): Artifacts['figures'] {
  const arms = byArm(outcomes);
  const maxRadius = Math.max(
    0.1,
    ...outcomes.flatMap((o) => o.lastEval?.radii?.pairwise ?? []).filter(Number.isFinite),
  );
  const grid = epsGrid(Math.min(2, maxRadius));
  return (['pairwise', 'lipschitz'] as const).map((cert) => ({
    file: `certified-curve-${cert}`,
    caption: `Certified accuracy against ε (${cert === 'pairwise' ? 'pairwise last-layer' : 'global Lipschitz'} certificate), mean and ± sd over seeds`,
    chart: {
      title: `Certified accuracy, ${cert === 'pairwise' ? 'pairwise' : 'global Lipschitz'} certificate`,
      xLabel: 'ε (l2, pixels in [0, 1])',
      yLabel: 'certified accuracy',
      yRange: [0, 1] as [number, number],
      series: colourByArm(
        arms.map((a) => meanCurve(a, cert, grid, a.arm)),
        PALETTE,
      ),
    },
  }));
}

function findings(outcomes: RunOutcome[]): string[] {
  const arms = byArm(outcomes);
  const base = arms.find((a) => a.arm === betaArm(0));
  if (!base) return [];
  const out: string[] = [];
  for (const a of arms.filter((x) => x !== base)) {
    // The radius where the regulariser helps most (pairwise certificate, the stronger one).
    let best = { eps: ROBUSTNESS_EPSILONS[0], diff: -Infinity };
    for (const eps of ROBUSTNESS_EPSILONS) {
      const d =
        (meanOf(a.runs, (o) => certifiedAt(o, 'pairwise', eps)) ?? 0) -
        (meanOf(base.runs, (o) => certifiedAt(o, 'pairwise', eps)) ?? 0);
      if (d > best.diff) best = { eps, diff: d };
    }
    const clean =
      (meanOf(a.runs, (o) => o.lastEval?.testAcc) ?? 0) - (meanOf(base.runs, (o) => o.lastEval?.testAcc) ?? 0);
    out.push(
      `${a.arm} vs no regulariser: largest change of pairwise certified accuracy ${points(best.diff)} at ε=${best.eps}; clean accuracy ${points(clean)}; at ε=1.58 ${points((meanOf(a.runs, (o) => certifiedAt(o, 'pairwise', 1.58)) ?? 0) - (meanOf(base.runs, (o) => certifiedAt(o, 'pairwise', 1.58)) ?? 0))}.`,
    );
  }
  return out;
}

export const robustness: Experiment = {
  name: 'robustness',
  title: 'Certified robustness against ε',
  description:
    'certified robust accuracy against ε (global-Lipschitz and pairwise certificates, PGD ceiling), MNIST Lip-CNN, with and without F4 (β grid)',
  cost: {
    quick: '3 β × seeds runs of 2 epochs on 10k MNIST images, ~3 min per run here',
    full: '5 β × seeds runs of 20 epochs on all of MNIST, ~1 h per run here',
  },
  plan,
  analyse: ({ outcomes }) => ({ tables: [table(outcomes)], figures: figures(outcomes), findings: findings(outcomes) }),
};

export { num };
