/**
 * Generalisation (paper Section 5.1, Table 2): weight decay alone against weight decay plus β·Σ F4 (the
 * regulariser summed over the conv layers, as the paper trains ResNets), scaled to this machine: the
 * small MNIST / Fashion-MNIST CNN with SGD. The CIFAR-10 ResNet-32 recipe itself is the presets
 * resources/experiments/cifar10-resnet32-{baseline,f4}.json and the sweep docs/results/cifar10-resnet32-
 * recipe.sweep.json (weight decay chosen on the validation split): commands for a GPU machine (docs/results.md).
 */
import type { DatasetChoice, RunConfigInput } from '../../shared/config.js';
import { FMT, PALETTE, type Cell, type Column } from '../report/index.js';
import type { Artifacts, Experiment, PlanOptions, RunOutcome } from './experiment.js';
import { betaArm, f4Regulariser, seeded, sized } from './sizes.js';
import { byArm, cell, meanOf, points, right, seedsCell } from './stats.js';

const DATASETS: DatasetChoice[] = ['mnist', 'fashion-mnist'];
const BETAS = { smoke: [0, 0.01], quick: [0, 0.01, 0.1], full: [0, 0.001, 0.01, 0.1] };

export function generalisationSetting(dataset: DatasetChoice, beta: number): RunConfigInput {
  return {
    dataset: { name: dataset },
    model: { arch: 'mnist-cnn', activation: 'relu' },
    optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-4, schedule: { kind: 'cosine' } },
    batchSize: 128,
    regularizer: beta === 0 ? { kind: 'none' } : f4Regulariser(beta, 'sum'),
    certification: { epsilons: [0.1] },
    backend: 'auto',
  };
}

const armName = (dataset: DatasetChoice, beta: number): string =>
  `${dataset}: weight decay${beta === 0 ? ' only' : ` + ${betaArm(beta)}`}`;

function plan(o: PlanOptions) {
  const arms = DATASETS.flatMap((d) =>
    BETAS[o.size].map((beta) => ({
      arm: armName(d, beta),
      config: sized(generalisationSetting(d, beta), o.size, { quick: 1, full: 20 }),
    })),
  );
  return seeded('generalisation', arms, o.seeds);
}

const trainAcc = (o: RunOutcome) => o.lastEval?.trainAcc;
const testAcc = (o: RunOutcome) => o.lastEval?.testAcc;
const gap = (o: RunOutcome) => (o.lastEval ? o.lastEval.trainAcc - o.lastEval.testAcc : null);

function table(outcomes: RunOutcome[]): Artifacts['tables'][number] {
  const columns: Column[] = [
    { header: 'Arm', align: 'left' },
    { header: 'Seeds', align: 'left' },
    right('Train acc. (%)'),
    right('Test acc. (%)'),
    right('Gap train − test (points, %)'),
    right('Test loss'),
    right('Lipschitz bound'),
  ];
  const rows: Cell[][] = byArm(outcomes).map(({ arm, runs }) => [
    arm,
    seedsCell(runs),
    cell(runs, trainAcc),
    cell(runs, testAcc),
    cell(runs, gap),
    cell(runs, (o) => o.lastEval?.testLoss, FMT.ratio),
    cell(runs, (o) => o.lastEval?.lipschitz, FMT.bound),
  ]);
  return {
    file: 'generalisation',
    table: {
      caption: 'Weight decay alone vs weight decay + β·Σ F4 (small CNN): mean ± sd over seeds',
      columns,
      rows,
      notes: [
        'Train accuracy on a 1,000-image training subset (5,000 in the full form), test accuracy on the test subset, at the last evaluation. Same seeds, data order and initialisation in every arm.',
      ],
    },
  };
}

function figure(outcomes: RunOutcome[]): Artifacts['figures'][number] {
  const arms = byArm(outcomes);
  const series = DATASETS.flatMap((d, k) => {
    const mine = arms.filter((a) => a.arm.startsWith(`${d}:`));
    const x = mine.map((_, i) => i);
    return [
      { name: `${d} test`, x, y: mine.map((a) => meanOf(a.runs, testAcc) ?? Number.NaN), color: PALETTE[k] },
      {
        name: `${d} train`,
        x,
        y: mine.map((a) => meanOf(a.runs, trainAcc) ?? Number.NaN),
        color: PALETTE[k],
        dash: '6 3',
      },
    ];
  });
  const betas = [...new Set(arms.map((a) => a.arm.replace(/^[^:]+: /, '')))];
  return {
    file: 'generalisation',
    caption: 'Train and test accuracy per arm (mean over seeds)',
    chart: {
      title: 'Generalisation: weight decay vs + F4',
      xLabel: 'arm',
      yLabel: 'accuracy',
      series,
      xTicks: betas.map((label, value) => ({ value, label: label.replace('weight decay', 'wd') })),
    },
  };
}

function findings(outcomes: RunOutcome[]): string[] {
  const arms = byArm(outcomes);
  return DATASETS.flatMap((d) => {
    const base = arms.find((a) => a.arm === armName(d, 0));
    if (!base) return [];
    return arms
      .filter((a) => a.arm.startsWith(`${d}:`) && a !== base)
      .map((a) => {
        const dt = (meanOf(a.runs, testAcc) ?? 0) - (meanOf(base.runs, testAcc) ?? 0);
        const dg = (meanOf(a.runs, gap) ?? 0) - (meanOf(base.runs, gap) ?? 0);
        return `${a.arm}: test accuracy ${points(dt)}, generalisation gap ${points(dg)} against weight decay only.`;
      });
  });
}

export const generalisation: Experiment = {
  name: 'generalisation',
  title: 'Generalisation with the F4 regulariser',
  description:
    'weight decay alone vs weight decay + β·Σ F4 on MNIST and Fashion-MNIST small CNNs (test accuracy, generalisation gap)',
  cost: {
    quick: '2 datasets × 3 β × seeds runs of 1 epoch on 10k images, ~1.5 min per run here',
    full: '2 × 4 β × seeds runs of 20 epochs on all images, ~30 min per run here; CIFAR-10 ResNet-32: GPU (see docs/results.md)',
  },
  plan,
  analyse: ({ outcomes }) => ({ tables: [table(outcomes)], figures: [figure(outcomes)], findings: findings(outcomes) }),
};
