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

export async function runTraining(cmd: StartCommand, io: RunIO): Promise<void> {
  const started = performance.now();
  const summary: RunSummaryOut = emptySummary();
  const log = (level: 'info' | 'warn', message: string): void => io.emit({ type: 'log', v, level, message });
  let trainer: Trainer | null = null;
  const pending: StepPoint[] = [];
  let lastFlush = performance.now();
  const flush = (): void => {
    if (pending.length === 0) return;
    io.emit({ type: 'step', v, points: pending.splice(0) });
    lastFlush = performance.now();
  };
  const finish = (status: 'completed' | 'failed' | 'cancelled', reason?: string): void => {
    flush();
    summary.durationMs = performance.now() - started;
    if (trainer) {
      summary.imagesPerSecond = trainer.trainMs > 0 ? (trainer.imagesSeen / trainer.trainMs) * 1000 : null;
    }
    io.emit({ type: 'finished', v, status, ...(reason ? { reason } : {}), summary });
  };

  try {
    const config = parseRunConfig(cmd.config);
    const ckptDir = cmd.checkpointDir ?? checkpointFolder(config, cmd.runId);
    if (config.checkpoints.enabled) await assertCheckpointFolderWritable(ckptDir);
    const backend: BackendReport = await selectBackend(config.backend);
    summary.backend = backend.name;
    trainer = await Trainer.create(config, { dataDir: cmd.dataDir, ...io.trainerOptions });
    const t = trainer;
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
    const every = evalInterval(config, t.stepsPerEpoch);
    const flushMs = io.stepFlushMs ?? 200;
    let evalMs = 0;

    const evaluateAt = async (step: number): Promise<EvalEvent> => {
      flush();
      // Between steps for a while: the UI shows "evaluating…" until the next progress.
      io.emit({ type: 'progress', v, step, totalSteps: t.totalSteps, epoch: t.epochOf(step), etaSeconds: null, phase: 'evaluating' });
      const ev = await evaluate({ model: t.model, data: t.evalData, config, step, epoch: t.epochOf(step), log });
      evalMs += ev.evalMs;
      io.emit(ev);
      Object.assign(summary, { trainAcc: ev.trainAcc, valAcc: ev.valAcc, testAcc: ev.testAcc, lipschitz: ev.lipschitz, certified: ev.certified });
      if (config.checkpoints.enabled) {
        const c = await saveCheckpoint(ckptDir, t.model, { runId: cmd.runId, step, epoch: t.epochOf(step) });
        io.emit({ type: 'checkpoint', v, step, epoch: t.epochOf(step), path: c.path, sha256: c.sha256 });
      }
      return ev;
    };

    // Resuming: the checkpoint's weights, and the batch stream where it was (optimiser state restarts from zero).
    const resumed = cmd.resumeFrom?.step ?? 0;
    if (cmd.resumeFrom) {
      restoreCheckpoint(t.model, await loadCheckpoint(cmd.resumeFrom.path, cmd.resumeFrom.sha256));
      t.skipTo(resumed);
      log('info', `continuing from the checkpoint at step ${resumed} of ${t.totalSteps}`);
    }

    for (let step = resumed + 1; step <= t.totalSteps; step++) {
      const gate = await io.control.gate({
        onPause: () => {
          flush();
          io.emit({ type: 'paused', v, step: step - 1 });
        },
        onResume: () => io.emit({ type: 'resumed', v, step: step - 1 }),
      });
      if (gate === 'cancel') {
        finish('cancelled', io.control.cancelled ?? undefined);
        return;
      }
      const point = await t.trainStep(step);
      pending.push(point);
      summary.steps = step;
      summary.epochs = point.epoch;
      summary.finalLoss = point.loss;
      const now = performance.now();
      if (now - lastFlush >= flushMs) {
        flush();
        // Remaining time from the training rate so far plus the evaluations still to come.
        const evals = Math.floor(t.totalSteps / every) - Math.floor(step / every);
        const perEval = evalMs > 0 ? evalMs / Math.max(1, Math.floor(step / every) - Math.floor(resumed / every)) : 0;
        const eta = (t.trainMs / (step - resumed)) * (t.totalSteps - step) + perEval * evals;
        io.emit({ type: 'progress', v, step, totalSteps: t.totalSteps, epoch: point.epoch, etaSeconds: eta / 1000 });
      }
      if (step % every === 0 || step === t.totalSteps) await evaluateAt(step);
    }
    io.emit({ type: 'progress', v, step: t.totalSteps, totalSteps: t.totalSteps, epoch: t.epochOf(t.totalSteps), etaSeconds: 0 });
    finish('completed');
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    finish('failed', msg);
  } finally {
    trainer?.dispose();
  }
}
