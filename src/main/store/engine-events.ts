/**
 * From the training engine's events (src/shared/events.ts) to store rows, so every host (the app, the
 * CLI `train`, `serve`) records a run the same way. Series names:
 *   train/loss, train/ce, train/reg, train/acc, train/lr, train/step_ms   (every step; epoch kept too)
 *   eval/train_acc, eval/val_acc, eval/test_acc, eval/test_loss, eval/lipschitz,
 *   eval/pgd_acc@<eps>, eval/curvature_bound, eval/curvature_acc@<eps>       (every evaluation)
 *   bound/<method>/<layer>: f4 (Theorem 1 min), f4-R .. f4-U (each reshape, also an upper bound),
 *   certified (tightest certified upper bound), sedghi-exact, operator-power (lower estimate), gram-iteration
 * plus certified-accuracy rows (eps, accuracy, pairwise) and checkpoints.
 */
import type { EngineEvent, EvalEvent, LayerEval } from '../../shared/events.js';
import type { LayerBoundPoint } from '../../shared/records.js';
import type { StoreWriter } from './writer.js';

export interface EngineEventSink {
  writer: StoreWriter;
  /** Records a checkpoint file (hash checked against the event's). */
  addCheckpoint(step: number, path: string, sha256: string): Promise<unknown>;
}

function layerBounds(step: number, l: LayerEval, wall: number): LayerBoundPoint[] {
  const out: LayerBoundPoint[] = [
    { layer: l.name, method: 'f4', kind: 'upper', step, value: l.f4.min, wall },
    { layer: l.name, method: 'f4-R', kind: 'upper', step, value: l.f4.R, wall },
    { layer: l.name, method: 'f4-S', kind: 'upper', step, value: l.f4.S, wall },
    { layer: l.name, method: 'f4-T', kind: 'upper', step, value: l.f4.T, wall },
    { layer: l.name, method: 'f4-U', kind: 'upper', step, value: l.f4.U, wall },
    { layer: l.name, method: 'certified', kind: 'upper', step, value: l.certifiedUpper, wall },
  ];
  if (l.exactCircular !== undefined) out.push({ layer: l.name, method: 'sedghi-exact', kind: 'exact', step, value: l.exactCircular, wall });
  if (l.operatorEstimate !== undefined) out.push({ layer: l.name, method: 'operator-power', kind: 'estimate', step, value: l.operatorEstimate, wall });
  if (l.gram !== undefined) out.push({ layer: l.name, method: 'gram-iteration', kind: 'upper', step, value: l.gram, wall });
  return out;
}

function recordEval(w: StoreWriter, e: EvalEvent): void {
  const wall = Date.now();
  const put = (name: string, v: number | null | undefined): void => {
    if (v !== null && v !== undefined) w.scalar(name, e.step, v, e.epoch, wall);
  };
  put('eval/train_acc', e.trainAcc);
  put('eval/val_acc', e.valAcc);
  put('eval/test_acc', e.testAcc);
  put('eval/test_loss', e.testLoss);
  put('eval/lipschitz', e.lipschitz);
  put('eval/curvature_bound', e.curvature?.bound);
  for (const c of e.curvature?.certified ?? []) put(`eval/curvature_acc@${c.eps}`, c.acc);
  for (const p of e.pgd ?? []) put(`eval/pgd_acc@${p.eps}`, p.acc);
  for (const l of e.layers) w.bounds(layerBounds(e.step, l, wall));
  for (const c of e.certified) w.cert({ step: e.step, eps: c.eps, accuracy: c.acc, pairwise: c.accPairwise });
}

/** Record one engine event. Appends are batched; status changes flush first. */
export async function recordEngineEvent(sink: EngineEventSink, event: EngineEvent): Promise<void> {
  const w = sink.writer;
  switch (event.type) {
    case 'started':
      await w.start(event.backend.name);
      return;
    case 'step': {
      const wall = Date.now();
      for (const p of event.points) {
        w.scalar('train/loss', p.step, p.loss, p.epoch, wall);
        w.scalar('train/ce', p.step, p.ce, p.epoch, wall);
        w.scalar('train/reg', p.step, p.reg, p.epoch, wall);
        w.scalar('train/acc', p.step, p.acc, p.epoch, wall);
        w.scalar('train/lr', p.step, p.lr, p.epoch, wall);
        w.scalar('train/step_ms', p.step, p.stepMs, p.epoch, wall);
      }
      return;
    }
    case 'eval':
      recordEval(w, event);
      return;
    case 'checkpoint':
      await sink.addCheckpoint(event.step, event.path, event.sha256);
      return;
    case 'finished':
      await w.finish(event.status, event.status === 'failed' ? { error: event.reason ?? 'failed', reason: event.reason } : { reason: event.reason });
      return;
    default:
      return; // progress, pause/resume and logs are live-only
  }
}
