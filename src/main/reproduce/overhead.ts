/**
 * Overhead (paper Section 5, "the bound is cheap to compute"): training step time with and without the F4
 * regulariser (one warm-started power iteration per reshape and layer per step, Algorithm 1), for every
 * tfjs backend usable here, on the two small CNNs. The median step time after a warm-up (the first
 * steps compile kernels and warm the power iterations' start vectors).
 */
import type { BackendName } from '../../shared/backend.js';
import type { Architecture, RunConfigInput } from '../../shared/config.js';
import { meanSd } from '../../shared/seed-groups.js';
import { FMT, type Cell, type Column } from '../report/index.js';
import type { Artifacts, Experiment, PlanOptions, PlannedRun, RunOutcome } from './experiment.js';
import { f4Regulariser, seeded, sized } from './sizes.js';
import { meanSdCell } from '../report/seed-table.js';
import { cell, right, seedsCell } from './stats.js';

const ARCHS: Architecture[] = ['mnist-cnn', 'lip-cnn'];
/** Steps measured per run; the first WARM_UP are left out of the median. */
const STEPS = { smoke: 3, quick: 40, full: 200 };
const WARM_UP = 5;
/** The plain-JS reference backend is ~50× slower; a few steps tell its overhead. */
const CPU_STEPS = { smoke: 3, quick: 0, full: 40 };

function setting(arch: Architecture, backend: BackendName, regularised: boolean, steps: number): RunConfigInput {
  return {
    dataset: { name: 'mnist' },
    model: { arch, activation: arch === 'lip-cnn' ? 'softplus' : 'relu' },
    optimizer: { kind: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 1e-4, schedule: { kind: 'constant' } },
    batchSize: 128,
    maxSteps: steps,
    regularizer: regularised ? f4Regulariser(0.01, arch === 'lip-cnn' ? 'sum-log' : 'sum') : { kind: 'none' },
    certification: { epsilons: [0.1] },
    // Evaluation is not what is measured: the smallest one the config allows, once at the end.
    evaluation: {
      everySteps: steps,
      trainSubset: 64,
      testSubset: 64,
      exactNorm: false,
      gramIterations: 0,
      operatorIterations: 2,
    },
    backend,
  };
}

export const armName = (arch: string, backend: string, regularised: boolean): string =>
  `${backend} · ${arch} · ${regularised ? 'F4' : 'plain'}`;

/**
 * The backends measured: every usable one in the full form; the quick form leaves out the plain-JS 'cpu'
 * reference backend, which takes over a minute per step of batch 128 on this loaded machine.
 */
export function measuredBackends(o: PlanOptions): BackendName[] {
  return o.backends.filter((b) => o.size === 'full' || b !== 'cpu');
}

function plan(o: PlanOptions): PlannedRun[] {
  const arms = measuredBackends(o).flatMap((backend) =>
    ARCHS.flatMap((arch) =>
      [false, true].map((reg) => {
        const steps = (backend === 'cpu' ? CPU_STEPS : STEPS)[o.size];
        const base = setting(arch, backend, reg, steps);
        // The size's data (smoke: a few hundred images), but this experiment's own steps and evaluation.
        const config = sized(base, o.size === 'smoke' ? 'smoke' : 'quick', { quick: 1, full: 1 });
        return {
          arm: armName(arch, backend, reg),
          config: { ...config, batchSize: base.batchSize, maxSteps: steps, evaluation: base.evaluation },
        };
      }),
    ),
  );
  return seeded('overhead', arms, o.seeds);
}

/** Median step time of a run after the warm-up (all steps if it ran fewer). */
export function medianStepMs(o: RunOutcome): number | null {
  const xs = o.stepMs.length > WARM_UP + 1 ? o.stepMs.slice(WARM_UP) : o.stepMs;
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function table(outcomes: RunOutcome[], backends: readonly string[]): Artifacts['tables'][number] {
  const columns: Column[] = [
    { header: 'Backend', align: 'left' },
    { header: 'Network', align: 'left' },
    { header: 'Seeds', align: 'left' },
    right('Step ms, plain'),
    right('Step ms, with F4'),
    right('Overhead (%)'),
  ];
  const ms = { kind: 'fixed', digits: 1 } as const;
  const rows: Cell[][] = [];
  for (const backend of backends) {
    for (const arch of ARCHS) {
      const plain = outcomes.filter((o) => o.arm === armName(arch, backend, false));
      const reg = outcomes.filter((o) => o.arm === armName(arch, backend, true));
      if (!plain.length && !reg.length) continue;
      // Overhead per seed (same seed, same data order), then mean ± sd of those ratios.
      const ratios = reg.map((r) => {
        const p = plain.find((x) => x.seed === r.seed);
        const a = medianStepMs(r);
        const b = p ? medianStepMs(p) : null;
        return a !== null && b ? a / b - 1 : null;
      });
      rows.push([
        backend,
        arch,
        seedsCell(plain.length ? plain : reg),
        cell(plain, medianStepMs, ms),
        cell(reg, medianStepMs, ms),
        meanSdCell(ratios, FMT.accuracy),
      ]);
    }
  }
  return {
    file: 'overhead',
    table: {
      caption:
        'Training step time with and without the F4 regulariser (batch 128): median per run, mean ± sd over seeds',
      columns,
      rows,
      notes: [
        `Median step time after the first ${WARM_UP} steps. Overhead (%) per seed: the F4 run's median over the plain run's, same seed and data order. Runs are trained one after another; on a machine shared with other work the times are noisy (see the sd).`,
      ],
    },
  };
}

function findings(outcomes: RunOutcome[], backends: readonly string[]): string[] {
  return backends.flatMap((backend) =>
    ARCHS.map((arch) => {
      const med = (reg: boolean) =>
        meanSd(outcomes.filter((o) => o.arm === armName(arch, backend, reg)).map(medianStepMs))?.mean ?? null;
      const p = med(false);
      const r = med(true);
      return p && r
        ? `${backend}, ${arch}: ${p.toFixed(1)} ms per step plain, ${r.toFixed(1)} ms with F4 (means over seeds; their ratio: ${((r / p - 1) * 100).toFixed(0)}% overhead).`
        : `${backend}, ${arch}: not measured.`;
    }),
  );
}

export const overhead: Experiment = {
  name: 'overhead',
  title: 'Training overhead of the regulariser',
  description:
    'training step time with and without the F4 regulariser, per backend present (wasm, cpu; native TensorFlow when installed)',
  cost: {
    quick: '4 arms × backends (not cpu) × seeds short runs of 40 steps, ~1 min each here',
    full: '200 steps per run (40 on cpu), ~5 min each here',
  },
  plan,
  analyse: ({ outcomes, options }) => {
    const skipped = options.backends.filter((b) => !measuredBackends(options).includes(b));
    const note = skipped.map(
      (b) =>
        `${b}: usable here but not measured in the ${options.size} form (over a minute per step of batch 128 on this machine); the full form measures it.`,
    );
    return {
      tables: [table(outcomes, measuredBackends(options))],
      figures: [],
      findings: [...findings(outcomes, measuredBackends(options)), ...note],
    };
  },
};
