/**
 * Engine events (the worker protocol, src/shared/events.ts) as the UI sees them (LabEvent, the
 * contract). Metric values (from live-metrics.ts) are keyed by the stored series names, so a live
 * chart extends what getSeries loaded.
 */
import { canTransition, type LabEvent, type RunProgress, type RunStatus } from '../../shared/api.js';
import type { EngineEvent } from '../../shared/events.js';
import { logLinesOf } from '../store/run-log.js';
import type { MetricGroup } from './live-metrics.js';

/** The status a run has after an engine event, or null when the event does not change it. */
export function statusAfter(event: EngineEvent): RunStatus | null {
  switch (event.type) {
    case 'started':
    case 'resumed':
      return 'running';
    case 'paused':
      return 'paused';
    case 'finished':
      return event.status;
    default:
      return null;
  }
}

export interface RunLiveState {
  status: RunStatus;
  progress: RunProgress | null;
  stepsPerEpoch: number | null;
  backend: string | null;
}

/**
 * LabEvents for one engine event; also advances the run's live state (status, progress) the
 * service overlays on what the store returns.
 */
export function toLabEvents(
  runId: string,
  event: EngineEvent,
  live: RunLiveState,
  metrics: MetricGroup[],
  at = Date.now(),
): LabEvent[] {
  const out: LabEvent[] = [];
  const next = statusAfter(event);
  // The one transition table (records.ts) rules the live status too: e.g. a late 'paused' after 'finished' is ignored.
  if (next !== null && next !== live.status && canTransition(live.status, next)) {
    const message = event.type === 'finished' ? (event.reason ?? null) : null;
    out.push({ kind: 'run-status', runId, at, status: next, previous: live.status, message });
    live.status = next;
  }
  switch (event.type) {
    case 'started': {
      live.stepsPerEpoch = event.stepsPerEpoch;
      live.backend = event.backend.name;
      live.progress = progressOf(0, event.totalSteps, 0, event.stepsPerEpoch, null, 'training');
      out.push({
        kind: 'run-started',
        runId,
        at,
        backend: event.backend.name,
        backendSummary: event.backend.summary,
        totalSteps: event.totalSteps,
      });
      out.push({ kind: 'progress', runId, at, progress: live.progress });
      break;
    }
    case 'step':
    case 'eval':
      for (const g of metrics)
        out.push({ kind: 'metrics', runId, at, phase: g.phase, step: g.step, epoch: g.epoch, values: g.values });
      if (event.type === 'eval' && event.layers.length > 0)
        out.push({ kind: 'layer-bounds', runId, at, step: event.step });
      break;
    case 'progress':
      live.progress = progressOf(
        event.step,
        event.totalSteps,
        event.epoch,
        live.stepsPerEpoch,
        event.etaSeconds,
        event.phase ?? 'training',
      );
      out.push({ kind: 'progress', runId, at, progress: live.progress });
      break;
    case 'paused':
    case 'resumed':
      // No time passes toward the end while paused: no ETA until the next progress after resuming.
      if (live.progress) {
        live.progress = { ...live.progress, etaMs: null };
        out.push({ kind: 'progress', runId, at, progress: live.progress });
      }
      break;
    case 'checkpoint':
      out.push({ kind: 'checkpoint', runId, at, checkpoint: { step: event.step, epoch: event.epoch, at } });
      break;
    default:
      break;
  }
  // The lines the store keeps in the run log, pushed as they are written (one wording: run-log.ts).
  for (const l of logLinesOf(event)) out.push({ kind: 'log', runId, at, level: l.level, message: l.message });
  return out;
}

function progressOf(
  step: number,
  totalSteps: number,
  epoch: number,
  stepsPerEpoch: number | null,
  etaSeconds: number | null,
  phase: RunProgress['phase'],
): RunProgress {
  return {
    step,
    totalSteps,
    epoch,
    totalEpochs: stepsPerEpoch ? totalSteps / stepsPerEpoch : null,
    fraction: totalSteps > 0 ? Math.min(1, step / totalSteps) : null,
    etaMs: etaSeconds === null ? null : etaSeconds * 1000,
    phase,
  };
}
