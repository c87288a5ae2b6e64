/**
 * Trains an experiment's planned runs one after another as ordinary runs of the store (the same
 * recorder the queue uses), tagged with the experiment's name so they show up, grouped, in the
 * workbench. Progress: one bar per run (its steps, ETA) and an overall line (runs done, ETA).
 */
import type { EvalEvent } from '../../shared/events.js';
import { parseRunConfig } from '../../shared/config.js';
import { startRun, type EngineHandle } from '../engine/host.js';
import { checkpointFolder } from '../engine/train/checkpoint-folder.js';
import { openRecorder } from '../queue/recorder.js';
import type { Store } from '../store/index.js';
import type { ControlAction } from '../store/run-control.js';
import type { PlannedRun, RunOutcome } from './experiment.js';

export interface RunnerHooks {
  /** A run started: its index (0-based), how many there are, its store id and total steps. */
  onStart(i: number, total: number, run: PlannedRun, runId: string, totalSteps: number): void;
  onStep(step: number, detail: string): void;
  onEnd(i: number, outcome: RunOutcome): void;
  warn(message: string): void;
  /** After every finished run, the outcomes so far (the CLI saves them, so a later failure keeps them). */
  onProgress?(outcomes: readonly RunOutcome[]): Promise<void> | void;
  /** Dataset folder for every run (config dataset.path otherwise). */
  dataDir?: string;
  /** Aborted: the running run is cancelled (it stays in the store, cancelled) and no further run starts. */
  signal?: AbortSignal;
  /** Pause / resume / cancel asked of a run of this process (the workbench's run page), polled while it trains. */
  takeControl?(runId: string): ControlAction | null;
}

/** How often a training run looks for pause / resume / cancel requests. */
const CONTROL_POLL_MS = 300;

/**
 * What stops or steers a training run: Ctrl+C, the experiment's abort signal, and requests from the workbench
 * (through the store when another process asks, or takeControl in this one). Returns the function that unhooks them.
 */
function steer(engine: EngineHandle, runId: string, store: Store, hooks: RunnerHooks): () => void {
  const stopOnSignal = (): void => engine.cancel('interrupted while reproducing');
  const stopOnAbort = (): void => engine.cancel('the experiment was cancelled');
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  hooks.signal?.addEventListener('abort', stopOnAbort, { once: true });
  if (hooks.signal?.aborted) stopOnAbort(); // aborted while the run was being created
  const timer = setInterval(() => {
    const request = store.takeControlRequest(runId);
    const action = request?.action ?? hooks.takeControl?.(runId) ?? null;
    if (action === 'pause') engine.pause();
    else if (action === 'resume') engine.resume();
    else if (action === 'cancel') engine.cancel(`the run was cancelled from ${request?.by ?? 'the workbench'}`);
  }, CONTROL_POLL_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
    hooks.signal?.removeEventListener('abort', stopOnAbort);
  };
}

/** The tag every run of an experiment carries (the workbench's runs list searches tags). */
export const experimentTag = (name: string): string => `reproduce:${name}`;

export class RunFailedError extends Error {}

/** Trains the runs in order; a failed or cancelled run stops the experiment (its numbers would be missing). */
export async function trainPlanned(
  store: Store,
  experiment: string,
  planned: readonly PlannedRun[],
  hooks: RunnerHooks,
): Promise<RunOutcome[]> {
  // Every config is validated before the first run starts: a bad preset fails at once, nothing trained.
  const configs = planned.map((p) => parseRunConfig(p.config));
  const outcomes: RunOutcome[] = [];
  for (let i = 0; i < planned.length; i++) {
    if (hooks.signal?.aborted)
      throw new RunFailedError(`the experiment was cancelled after ${i} of ${planned.length} runs.`);
    outcomes.push(await trainWithRetry(store, experiment, planned[i], configs[i], i, planned.length, hooks));
    await hooks.onProgress?.(outcomes);
  }
  return outcomes;
}

/** How long to wait before the one retry of a run whose worker thread crashed. */
export const CRASH_RETRY_MS = 30_000;

/**
 * A worker that crashed (e.g. its sources were being edited while it started) is not the experiment's
 * fault: the run is tried once more as a new run after a pause; the crashed one stays in the store, failed.
 */
async function trainWithRetry(...args: Parameters<typeof trainOne>): Promise<RunOutcome> {
  try {
    return await trainOne(...args);
  } catch (e) {
    if (!(e instanceof RunFailedError) || !/worker crashed/.test(e.message)) throw e;
    args[6].warn(`${e.message} Trying once more in ${CRASH_RETRY_MS / 1000} s.`);
    await new Promise((r) => setTimeout(r, CRASH_RETRY_MS));
    return trainOne(...args);
  }
}

async function trainOne(
  store: Store,
  experiment: string,
  run: PlannedRun,
  config: ReturnType<typeof parseRunConfig>,
  i: number,
  total: number,
  hooks: RunnerHooks,
): Promise<RunOutcome> {
  const record = await store.createRun({
    config,
    name: config.name,
    status: 'queued',
    tags: [experimentTag(experiment)],
  });
  const recorder = await openRecorder(store, record.id, hooks.warn);
  const engine: EngineHandle = startRun(config, {
    runId: record.id,
    dataDir: hooks.dataDir,
    checkpointDir: checkpointFolder(config, record.id, store.paths.checkpoints),
  });
  let lastEval: EvalEvent | null = null;
  let backend: string | null = null;
  const stepMs: number[] = [];
  const unhook = steer(engine, record.id, store, hooks);
  engine.on((e) => {
    recorder.record(e);
    if (e.type === 'started') {
      backend = e.backend.name;
      hooks.onStart(i, total, run, record.id, e.totalSteps);
    } else if (e.type === 'step') {
      for (const p of e.points) stepMs.push(p.stepMs);
      const p = e.points[e.points.length - 1];
      hooks.onStep(p.step, `${run.arm} seed ${run.seed} · loss ${p.loss.toFixed(3)}`);
    } else if (e.type === 'eval') lastEval = e;
    else if (e.type === 'log' && (e.level === 'warn' || e.level === 'error')) hooks.warn(e.message);
  });
  const finished = await engine.done;
  unhook();
  await recorder.close();
  if (finished.status !== 'completed') {
    throw new RunFailedError(
      `run ${record.id} (${run.arm}, seed ${run.seed}) ${finished.status}: ${finished.reason ?? 'no reason given'}. It stays in the store; the experiment stops here.`,
    );
  }
  const outcome: RunOutcome = {
    runId: record.id,
    arm: run.arm,
    seed: run.seed,
    config: run.config,
    finished,
    lastEval,
    stepMs,
    backend: backend ?? finished.summary.backend,
  };
  hooks.onEnd(i, outcome);
  return outcome;
}
