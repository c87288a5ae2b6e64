/**
 * The reproduction experiments of issue 12, in the order a reader meets the paper's claims: the bound
 * is tight and cheap, and as a regulariser it improves generalisation, provable robustness and curvature.
 */
import { curvature } from './curvature.js';
import type { Experiment } from './experiment.js';
import { generalisation } from './generalisation.js';
import { overhead } from './overhead.js';
import { robustness } from './robustness.js';
import { tightness } from './tightness.js';

export const EXPERIMENTS: readonly Experiment[] = [tightness, generalisation, robustness, curvature, overhead];

export function experimentNamed(name: string): Experiment | undefined {
  return EXPERIMENTS.find((e) => e.name === name);
}

export type { Experiment, ExperimentSize, PlanOptions, PlannedRun, RunOutcome, Artifacts } from './experiment.js';
export { trainPlanned, experimentTag, RunFailedError } from './runner.js';
export { writeArtifacts, cpuDescription, type Provenance } from './write.js';
export {
  runReproduceJob,
  reproduceCommand,
  usableBackends,
  type JobHooks,
  type JobProgress,
  type JobRequest,
} from './job.js';
export { listResults, readResult, RESULT_ID } from './result-file.js';
export { outcomesId, reproduceFolder, OutcomesFileError } from './outcomes-file.js';
