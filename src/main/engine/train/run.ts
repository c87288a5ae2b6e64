/**
 * The training loop of one run, speaking the engine protocol: 'started', batched 'step' points (one event
 * per ~200 ms), 'progress', 'eval' + 'checkpoint' at evaluation points, pause/resume/cancel between steps, and
 * exactly one 'finished' (completed, cancelled, or failed with a reason — divergence included).
 */
import type { RunConfig } from '../../../shared/config.js';
import { parseRunConfig } from '../../../shared/config.js';
import type { EngineEvent, EvalEvent, RunSummaryOut, StartCommand, StepPoint } from '../../../shared/events.js';
import { emptySummary, ENGINE_PROTOCOL_VERSION as v } from '../../../shared/events.js';
import type { BackendReport } from '../../../shared/backend.js';
import { selectBackend } from '../backends/index.js';
import { loadCheckpoint, restoreCheckpoint, saveCheckpoint } from './checkpoint.js';
import { assertCheckpointFolderWritable, checkpointFolder } from './checkpoint-folder.js';
import { RunControl } from './control.js';
import { evaluate } from './evaluate.js';
import { Trainer, type TrainerOptions } from './trainer.js';

export interface RunIO {
  emit(event: EngineEvent): void;
  control: RunControl;
  /** Flush interval of step points, ms (default 200). */
  stepFlushMs?: number;
  /** Data already in memory (tests). */
  trainerOptions?: TrainerOptions;
  /** Called once the model is built, before the first step (warm starts, fault injection in tests). */
  prepare?: (trainer: Trainer) => void | Promise<void>;
}

/** Steps between evaluations: everySteps, or everyEpochs converted to steps. */
export function evalInterval(config: RunConfig, stepsPerEpoch: number): number {
  const e = config.evaluation;
  return e.everySteps ?? Math.max(1, Math.round(e.everyEpochs * stepsPerEpoch));
}

/** The run's outgoing events: step points batched per flush, the summary, and exactly one 'finished'. */
class RunReport {
  readonly summary: RunSummaryOut = emptySummary();
  /** Set once the model is built: its throughput goes into the summary, and it is disposed at the end. */
  trainer: Trainer | null = null;
  lastFlush = performance.now();
  private readonly started = performance.now();
  private readonly pending: StepPoint[] = [];

  constructor(private readonly io: RunIO) {}

  readonly log = (level: 'info' | 'warn', message: string): void => this.io.emit({ type: 'log', v, level, message });

  push(point: StepPoint): void {
    this.pending.push(point);
    this.summary.steps = point.step;
    this.summary.epochs = point.epoch;
    this.summary.finalLoss = point.loss;
  }

  flush(): void {
    if (this.pending.length === 0) return;
    this.io.emit({ type: 'step', v, points: this.pending.splice(0) });
    this.lastFlush = performance.now();
  }

  finish(status: 'completed' | 'failed' | 'cancelled', reason?: string): void {
    this.flush();
    this.summary.durationMs = performance.now() - this.started;
    const t = this.trainer;
    if (t) this.summary.imagesPerSecond = t.trainMs > 0 ? (t.imagesSeen / t.trainMs) * 1000 : null;
    this.io.emit({ type: 'finished', v, status, ...(reason ? { reason } : {}), summary: this.summary });
  }
}

/** What the step loop works with. */
interface Loop {
  cmd: StartCommand;
  io: RunIO;
  config: RunConfig;
  t: Trainer;
  report: RunReport;
  ckptDir: string;
  /** Steps between evaluations. */
  every: number;
  /** The step the run continues from (0: a fresh run). */
  resumed: number;
  /** Time spent evaluating so far, for the remaining-time estimate. */
  evalMs: number;
}

export async function runTraining(cmd: StartCommand, io: RunIO): Promise<void> {
  const report = new RunReport(io);
  try {
    const config = parseRunConfig(cmd.config);
    const ckptDir = cmd.checkpointDir ?? checkpointFolder(config, cmd.runId);
    if (config.checkpoints.enabled) await assertCheckpointFolderWritable(ckptDir);
    const t = await startTrainer(cmd, io, config, report);
    const resumed = await resumeWeights(cmd, t, report);
    const loop: Loop = {
      cmd,
      io,
      config,
      t,
      report,
      ckptDir,
      every: evalInterval(config, t.stepsPerEpoch),
      resumed,
      evalMs: 0,
    };
    if ((await trainSteps(loop)) === 'cancelled') {
      report.finish('cancelled', io.control.cancelled ?? undefined);
      return;
    }
    io.emit({
      type: 'progress',
      v,
      step: t.totalSteps,
      totalSteps: t.totalSteps,
      epoch: t.epochOf(t.totalSteps),
      etaSeconds: 0,
    });
    report.finish('completed');
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    report.finish('failed', msg);
  } finally {
    report.trainer?.dispose();
  }
}

/** Backend, data and model; announced with 'started'. */
async function startTrainer(cmd: StartCommand, io: RunIO, config: RunConfig, report: RunReport): Promise<Trainer> {
  const backend: BackendReport = await selectBackend(config.backend);
  report.summary.backend = backend.name;
  const t = await Trainer.create(config, { dataDir: cmd.dataDir, ...io.trainerOptions });
  report.trainer = t;
  await io.prepare?.(t);
  io.emit({
    type: 'started',
    v,
    runId: cmd.runId,
    backend,
    model: t.model.summary(),
    dataset: {
      name: config.dataset.name,
      train: t.train.count,
      validation: t.evalData.validation?.count ?? 0,
      test: t.evalData.test.count,
      source: t.dataset.source,
    },
    totalSteps: t.totalSteps,
    stepsPerEpoch: t.stepsPerEpoch,
  });
  return t;
}

/** Resuming: the checkpoint's weights, and the batch stream where it was (optimiser state restarts from zero). */
async function resumeWeights(cmd: StartCommand, t: Trainer, report: RunReport): Promise<number> {
  const resumed = cmd.resumeFrom?.step ?? 0;
  if (cmd.resumeFrom) {
    restoreCheckpoint(t.model, await loadCheckpoint(cmd.resumeFrom.path, cmd.resumeFrom.sha256));
    t.skipTo(resumed);
    report.log('info', `continuing from the checkpoint at step ${resumed} of ${t.totalSteps}`);
  }
  return resumed;
}

/** Steps until the end, or until the run is cancelled (pause/resume/cancel take effect between steps). */
async function trainSteps(loop: Loop): Promise<'completed' | 'cancelled'> {
  const { io, t, report, every, resumed } = loop;
  const flushMs = io.stepFlushMs ?? 200;
  for (let step = resumed + 1; step <= t.totalSteps; step++) {
    const gate = await io.control.gate({
      onPause: () => {
        report.flush();
        io.emit({ type: 'paused', v, step: step - 1 });
      },
      onResume: () => io.emit({ type: 'resumed', v, step: step - 1 }),
    });
    if (gate === 'cancel') return 'cancelled';
    const point = await t.trainStep(step);
    report.push(point);
    if (performance.now() - report.lastFlush >= flushMs) {
      report.flush();
      // Remaining time from the training rate so far plus the evaluations still to come.
      const evals = Math.floor(t.totalSteps / every) - Math.floor(step / every);
      const perEval =
        loop.evalMs > 0 ? loop.evalMs / Math.max(1, Math.floor(step / every) - Math.floor(resumed / every)) : 0;
      const eta = (t.trainMs / (step - resumed)) * (t.totalSteps - step) + perEval * evals;
      io.emit({ type: 'progress', v, step, totalSteps: t.totalSteps, epoch: point.epoch, etaSeconds: eta / 1000 });
    }
    if (step % every === 0 || step === t.totalSteps) await evaluateAt(loop, step);
  }
  return 'completed';
}

/** An evaluation point: 'eval' (accuracies, bounds, certificates) and, when enabled, a checkpoint. */
async function evaluateAt(loop: Loop, step: number): Promise<EvalEvent> {
  const { cmd, io, config, t, report } = loop;
  report.flush();
  // Between steps for a while: the UI shows "evaluating…" until the next progress.
  io.emit({
    type: 'progress',
    v,
    step,
    totalSteps: t.totalSteps,
    epoch: t.epochOf(step),
    etaSeconds: null,
    phase: 'evaluating',
  });
  const ev = await evaluate({
    model: t.model,
    data: t.evalData,
    config,
    step,
    epoch: t.epochOf(step),
    log: report.log,
  });
  loop.evalMs += ev.evalMs;
  io.emit(ev);
  Object.assign(report.summary, {
    trainAcc: ev.trainAcc,
    valAcc: ev.valAcc,
    testAcc: ev.testAcc,
    lipschitz: ev.lipschitz,
    certified: ev.certified,
  });
  if (config.checkpoints.enabled) {
    const c = await saveCheckpoint(loop.ckptDir, t.model, { runId: cmd.runId, step, epoch: t.epochOf(step) });
    io.emit({ type: 'checkpoint', v, step, epoch: t.epochOf(step), path: c.path, sha256: c.sha256 });
  }
  return ev;
}
