/**
 * One reproduce call from start to written result, the same for the command line and the workbench:
 * plan the experiment's runs, train them as ordinary store runs (the finished ones' outcomes saved after
 * each run, so a later failure keeps them), analyse, and write the tables and figures through the export
 * code. Or, given a saved outcomes file, only analyse and write (no training). The callers only show it:
 * the CLI as progress bars and exit codes (cli/reproduce.ts), the app as pushed job states (app/reproduce.ts).
 */
import type { BackendName } from '../../shared/backend.js';
import type { Artifacts, Experiment, ExperimentSize, PlanOptions, PlannedRun, RunOutcome } from './experiment.js';
import { readOutcomes, saveOutcomes } from './outcomes-file.js';
import { resultFileText } from './result-file.js';
import { RunFailedError, trainPlanned } from './runner.js';
import type { Store } from '../store/index.js';
import type { ControlAction } from '../store/run-control.js';
import { writeArtifacts } from './write.js';

export interface JobRequest {
  experiment: Experiment;
  size: ExperimentSize;
  seeds: number;
  /** Where the tables and figures go (replaced as a whole). */
  out: string;
  /** Dataset folder for every run (the config's dataset.path otherwise). */
  dataDir?: string;
  /** A saved outcomes file to draw again from (no training; size and seeds are the file's). */
  from?: string;
  /** When the call started (names its outcomes file); default now. */
  startedAt?: Date;
  /** Also write result.json (findings, tables as text, figure captions): what the workbench shows of it later. */
  resultFile?: boolean;
}

/** Where the call is: run i of N, the current run's steps and ETA, and the whole call's fraction and ETA. */
export interface JobProgress {
  /** 0-based index of the current run; runCount when all are done. */
  runIndex: number;
  runCount: number;
  step: number;
  totalSteps: number;
  runEtaSeconds: number | null;
  /** Runs done plus the current run's fraction, over all runs (0..1). */
  fraction: number;
  etaSeconds: number | null;
}

export interface JobHooks {
  /** The runs are known: how many will train (0 when drawing from a file) and how many a file held. */
  onPlanned?(runCount: number, fromFile: number | null): void;
  onRunStart?(i: number, total: number, run: PlannedRun, runId: string, totalSteps: number): void;
  onStep?(progress: JobProgress, detail: string): void;
  onRunEnd?(outcome: RunOutcome, progress: JobProgress): void;
  onOutcomesSaved?(file: string): void;
  onPhase?(phase: 'analysing' | 'writing'): void;
  /** Analysis work that is not a training run (tightness computes bounds of 17 shapes). */
  onAnalysis?(done: number, total: number, detail: string): void;
  warn(message: string): void;
  /** Aborted: the running run is cancelled and the call ends with RunFailedError (nothing written). */
  signal?: AbortSignal;
  /** Pause / resume / cancel asked of one of its runs from this process (the run page). */
  takeControl?(runId: string): ControlAction | null;
}

export interface JobResult {
  options: PlanOptions;
  outcomes: RunOutcome[];
  artifacts: Artifacts;
  /** Every file written into the out folder. */
  files: string[];
  /** The outcomes file this call saved or read. */
  outcomesFile: string | null;
  startedAt: Date;
  finishedAt: Date;
  command: string;
}

/** The command line that regenerates a result (written into its README). */
export function reproduceCommand(experiment: string, size: ExperimentSize, seeds: number): string {
  return `npm run cli -- reproduce ${experiment}${size === 'full' ? '' : ` --${size}`} --seeds ${seeds}`;
}

let backendsFound: Promise<BackendName[]> | null = null;

/** The tfjs backends that work here, fastest first (the overhead experiment measures each); probed once. */
export function usableBackends(): Promise<BackendName[]> {
  backendsFound ??= (async () => {
    const { DEFAULT_PROBES } = await import('../engine/backends/index.js');
    const out: BackendName[] = [];
    for (const p of DEFAULT_PROBES) if ((await p.unavailableReason()) === null) out.push(p.name);
    // Loading the probes registers their backends in this process (wasm above cpu) without starting them; the
    // analyses that compute bounds here (tightness) would then fail with "backend 'wasm' has not yet been
    // initialized". tf.ready() starts the best one that works, as tfjs asks.
    await (await import('@tensorflow/tfjs')).ready();
    return out;
  })();
  return backendsFound;
}

/** Linear ETAs: of the current run from its steps, of the call from the runs done and the current run's fraction. */
function progressTracker(runCount: number) {
  const started = Date.now();
  let runStarted = started;
  let runIndex = 0;
  let runFraction = 0;
  let step = 0;
  let totalSteps = 0;
  const eta = (since: number, f: number): number | null =>
    f > 0 ? Math.max(0, ((Date.now() - since) / 1000) * (1 / f - 1)) : null;
  return {
    startRun(i: number, steps: number): void {
      runIndex = i;
      runStarted = Date.now();
      totalSteps = steps;
      step = 0;
      runFraction = 0;
    },
    step(s: number): void {
      step = s;
      runFraction = Math.min(1, s / Math.max(1, totalSteps));
    },
    endRun(i: number): void {
      runIndex = i + 1;
      runFraction = 0;
    },
    snapshot(): JobProgress {
      const fraction = runCount ? Math.min(1, (runIndex + runFraction) / runCount) : 1;
      return {
        runIndex,
        runCount,
        step,
        totalSteps,
        runEtaSeconds: eta(runStarted, runFraction),
        fraction,
        etaSeconds: eta(started, fraction),
      };
    },
  };
}

async function trainOrRead(
  store: Store,
  req: JobRequest,
  hooks: JobHooks,
  startedAt: Date,
): Promise<{ options: PlanOptions; outcomes: RunOutcome[]; outcomesFile: string; startedAt: Date; runsEnded: Date }> {
  const name = req.experiment.name;
  if (req.from) {
    const read = await readOutcomes(req.from, name);
    hooks.onPlanned?.(0, read.outcomes.length);
    return { ...read, outcomesFile: req.from, runsEnded: read.finishedAt };
  }
  const options: PlanOptions = {
    size: req.size,
    seeds: req.seeds,
    backends: name === 'overhead' ? await usableBackends() : [],
  };
  const planned = req.experiment.plan(options);
  hooks.onPlanned?.(planned.length, null);
  const tracker = progressTracker(planned.length);
  const save = (done: readonly RunOutcome[]) => saveOutcomes(store.paths.dataDir, name, options, startedAt, [...done]);
  const outcomes = await trainPlanned(store, name, planned, {
    dataDir: req.dataDir,
    signal: hooks.signal,
    takeControl: hooks.takeControl,
    warn: hooks.warn,
    // Saved after every run: if a later run fails, the finished ones can still be drawn (--from).
    onProgress: async (done) => void (await save(done)),
    onStart(i, total, run, runId, totalSteps) {
      tracker.startRun(i, totalSteps);
      hooks.onRunStart?.(i, total, run, runId, totalSteps);
    },
    onStep(step, detail) {
      tracker.step(step);
      hooks.onStep?.(tracker.snapshot(), detail);
    },
    onEnd(i, outcome) {
      tracker.endRun(i);
      hooks.onRunEnd?.(outcome, tracker.snapshot());
    },
  });
  const outcomesFile = await save(outcomes);
  hooks.onOutcomesSaved?.(outcomesFile);
  return { options, outcomes, outcomesFile, startedAt, runsEnded: new Date() };
}

/** Runs one reproduce call (see the file comment); throws RunFailedError or OutcomesFileError, nothing written then. */
export async function runReproduceJob(store: Store, req: JobRequest, hooks: JobHooks): Promise<JobResult> {
  const { options, outcomes, outcomesFile, startedAt, runsEnded } = await trainOrRead(
    store,
    req,
    hooks,
    req.startedAt ?? new Date(),
  );
  // A cancel after the runs stops the analysis at its next progress report (tightness bounds 17 shapes per seed).
  const stopIfCancelled = (): void => {
    if (hooks.signal?.aborted) throw new RunFailedError('the experiment was cancelled while analysing its runs.');
  };
  stopIfCancelled();
  hooks.onPhase?.('analysing');
  const artifacts = await req.experiment.analyse({
    outcomes,
    options,
    progress: (done, n, detail) => {
      stopIfCancelled();
      hooks.onAnalysis?.(done, n, detail);
    },
  });
  stopIfCancelled();
  hooks.onPhase?.('writing');
  const command = reproduceCommand(req.experiment.name, options.size, options.seeds);
  const provenance = {
    experiment: req.experiment.name,
    description: req.experiment.description,
    command,
    size: options.size,
    seeds: options.seeds,
    backends: [...new Set(outcomes.map((o) => o.backend).filter((b): b is string => b !== null))],
    runIds: outcomes.map((o) => o.runId),
    store: store.paths.dataDir,
    startedAt,
    finishedAt: runsEnded,
    ...(req.from ? { redrawn: { at: new Date(), from: req.from } } : {}),
  };
  const extra: Record<string, string> = req.resultFile ? { 'result.json': resultFileText(artifacts, provenance) } : {};
  const files = await writeArtifacts(req.out, artifacts, provenance, extra);
  return { options, outcomes, artifacts, files, outcomesFile, startedAt, finishedAt: runsEnded, command };
}
