/**
 * One place for what 'smoke', 'quick' and 'full' mean for a training run, so every experiment scales
 * alike: the experiment writes its setting (model, optimiser, regulariser, radii) once and this adds the
 * data, epochs and evaluation effort of the size. Numbers are chosen for a 2-core machine without GPU:
 * quick = 10,000 MNIST-sized training images, one evaluation at the end on 1,000 test images.
 */
import type { RunConfigInput } from '../../shared/config.js';
import type { ExperimentSize, PlannedRun } from './experiment.js';

export interface SizeEpochs {
  quick: number;
  full: number;
}

/** The size's data and evaluation settings laid over an experiment's setting. */
export function sized(setting: RunConfigInput, size: ExperimentSize, epochs: SizeEpochs): RunConfigInput {
  const dataset = setting.dataset ?? {};
  const certification = setting.certification ?? {};
  const evaluation = setting.evaluation ?? {};
  if (size === 'smoke') {
    return {
      ...setting,
      dataset: { ...dataset, limitTrain: 256, validationSize: 0, limitTest: 64 },
      batchSize: 32,
      epochs: 1,
      maxSteps: 3,
      certification: {
        ...certification,
        pgd: certification.pgd ? { ...certification.pgd, subset: 16, steps: 2 } : undefined,
        curvature: certification.curvature ? { ...certification.curvature, subset: 16 } : undefined,
      },
      evaluation: {
        ...evaluation,
        everySteps: 3,
        trainSubset: 64,
        testSubset: 64,
        operatorIterations: 3,
        exactNorm: evaluation.exactNorm ?? false,
        gramIterations: Math.min(evaluation.gramIterations ?? 0, 2),
      },
      checkpoints: { enabled: false },
    };
  }
  if (size === 'quick') {
    return {
      ...setting,
      dataset: { ...dataset, limitTrain: 11_000, validationSize: 1_000 },
      epochs: epochs.quick,
      evaluation: {
        everyEpochs: epochs.quick,
        trainSubset: 1_000,
        testSubset: 1_000,
        exactNorm: false,
        gramIterations: 0,
        ...evaluation,
      },
      checkpoints: { enabled: false },
    };
  }
  return { ...setting, epochs: epochs.full, evaluation: { everyEpochs: 1, ...evaluation } };
}

/** Every arm at seeds 0 .. seeds-1, the run named after the experiment, arm and seed. */
export function seeded(
  experiment: string,
  arms: readonly { arm: string; config: RunConfigInput }[],
  seeds: number,
): PlannedRun[] {
  return arms.flatMap(({ arm, config }) =>
    Array.from({ length: seeds }, (_, seed) => ({
      arm,
      seed,
      config: { ...config, seed, name: `reproduce ${experiment}: ${arm} (seed ${seed})` },
    })),
  );
}

/** The F4 regulariser as the paper's certified-robustness setting uses it: every layer, sum of logs. */
export function f4Regulariser(
  beta: number,
  reduce: 'sum' | 'sum-log' = 'sum-log',
): NonNullable<RunConfigInput['regularizer']> {
  return { kind: 'f4-min', beta, reduce, includeDense: reduce === 'sum-log', powerIterInit: 50, powerIterPerStep: 1 };
}

/** "β = 0.05" for arm names and table rows ("none" for the baseline). */
export const betaArm = (beta: number): string => (beta === 0 ? 'no regulariser' : `F4 β=${beta}`);
