/**
 * What a reproduction experiment is: data (the runs it trains, as ordinary run configs) plus an analysis
 * that turns the finished runs into tables and figures. One module per experiment under this folder;
 * `reproduce --list` and the CLI read them through EXPERIMENTS (index.ts).
 */
import type { RunConfigInput } from '../../shared/config.js';
import type { BackendName } from '../../shared/backend.js';
import type { EvalEvent } from '../../shared/events.js';
import type { FinishedEvent } from '../engine/host.js';
import type { LineChartOptions, Table } from '../report/index.js';

/**
 * How big the runs are. 'quick': minutes on a 2-core laptop, enough to show the direction of an effect;
 * 'full': the experiment as the paper-sized form this machine can still run (hours); 'smoke': seconds,
 * to check the experiment runs end to end (its numbers mean nothing; the tests use it).
 */
export type ExperimentSize = 'smoke' | 'quick' | 'full';

export interface PlanOptions {
  size: ExperimentSize;
  /** Seeds 0 .. seeds-1 for every arm. */
  seeds: number;
  /** The tfjs backends usable here (the overhead experiment measures each). */
  backends: readonly BackendName[];
}

/** One run to train: an arm of the experiment (e.g. "F4 β=0.05") at one seed. */
export interface PlannedRun {
  /** The arm: runs of one arm differ only in the seed and are averaged (mean ± sd). */
  arm: string;
  seed: number;
  config: RunConfigInput;
}

/** A finished run as the analysis sees it (it is also in the store under runId). */
export interface RunOutcome {
  runId: string;
  arm: string;
  seed: number;
  config: PlannedRun['config'];
  finished: FinishedEvent;
  /** The last evaluation (the numbers the tables report); null if the run never evaluated. */
  lastEval: EvalEvent | null;
  /** Wall time of every training step, ms (the overhead experiment's raw data). */
  stepMs: number[];
  backend: string | null;
}

export interface Figure {
  /** File name without extension (figure.svg). */
  file: string;
  chart: LineChartOptions;
  caption: string;
}

export interface NamedTable {
  /** File name without extension (table.md and table.csv). */
  file: string;
  table: Table;
}

export interface Artifacts {
  tables: NamedTable[];
  figures: Figure[];
  /** Plain-words findings (one line each) printed after the run and written to the index. */
  findings: string[];
}

export interface AnalyseContext {
  outcomes: RunOutcome[];
  options: PlanOptions;
  /** Progress of analysis work that is not a training run (tightness computes bounds). */
  progress: (done: number, total: number, detail: string) => void;
}

export interface Experiment {
  name: string;
  /** A heading in the paper's words (the workbench's Reproduce view). */
  title: string;
  /** One line: what it measures (shown by --list). */
  description: string;
  /** What each size costs on this machine, in words (shown by --list). */
  cost: { quick: string; full: string };
  /** The runs to train (may be empty: tightness on random weights trains nothing beyond its small nets). */
  plan(o: PlanOptions): PlannedRun[];
  analyse(ctx: AnalyseContext): Promise<Artifacts> | Artifacts;
}
