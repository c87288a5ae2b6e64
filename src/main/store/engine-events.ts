/**
 * From the training engine's events (src/shared/events.ts) to store rows, so every host (the app, the
 * CLI `train`, `serve`) records a run the same way. Series names:
 *   train/loss, train/ce, train/reg, train/acc, train/lr, train/step_ms   (every step; epoch kept too)
 *   eval/train_acc, eval/val_acc, eval/test_acc, eval/test_loss, eval/lipschitz,
 *   eval/pgd_acc@<eps>, eval/curvature_bound, eval/curvature_acc@<eps>       (every evaluation)
 *   bound/<method>/<layer>: f4 (Theorem 1 min), f4-R .. f4-U (each reshape, also an upper bound),
 *   certified (tightest certified upper bound), sedghi-exact, operator-power (lower estimate), gram-iteration
 *   and any other method the engine reports in LayerEval.bounds (f4-polyphase, toeplitz-norm2toep ...),
 *   each with its iterations and time when reported,
 * plus certified-accuracy rows (eps, accuracy, pairwise), each certificate's sorted radii (cert-radii.ts), each conv layer's spectrum histogram (spectra table,
 * method SPECTRUM_HISTOGRAM_METHOD, packed by packSpectrumHistogram), checkpoints, and the model's conv and dense
 * layers (kernel shape, stride, padding; input size from the evaluations) in the `layers` table.
 */
import type { BoundKind, BoundResult } from '../../shared/bounds.js';
import { methodSpec, type BoundMethod } from '../../shared/bound-methods.js';
import type { EngineEvent, EvalEvent, LayerEval, LayerSummary } from '../../shared/events.js';
import type { LayerBoundKind, LayerBoundPoint, LayerInput } from '../../shared/records.js';
import { packSpectrumHistogram, SPECTRUM_HISTOGRAM_METHOD } from '../../shared/spectrum.js';
import type { StoreWriter } from './writer.js';

export interface EngineEventSink {
  writer: StoreWriter;
  /** Records a checkpoint file (hash checked against the event's). */
  addCheckpoint(step: number, path: string, sha256: string): Promise<unknown>;
  /** Keeps the event's lines in the run log (run-log.ts logLinesOf); absent: no log is kept. */
  log?(event: EngineEvent): Promise<void>;
}

const KIND_OF: Record<BoundKind, LayerBoundKind> = {
  'upper bound': 'upper',
  exact: 'exact',
  'estimate (lower)': 'estimate',
};
/** The stored kind of a method's value: the registry's (bound-methods.ts), else what the engine said. */
const kindOf = (method: string, reported: BoundKind = 'estimate (lower)'): LayerBoundKind =>
  KIND_OF[methodSpec(method)?.kind ?? reported];

/** A dense layer [in, out] is the 1x1 convolution [1, 1, in, out]: every stored kernel shape is HWIO. */
const hwio = (kind: 'conv' | 'dense', shape: number[]): number[] =>
  kind === 'dense' && shape.length === 2 ? [1, 1, shape[0], shape[1]] : shape;

/** The model's conv and dense layers in order (batch norm has no spectral-norm bound); input size comes with the first evaluation. */
export function layersOfModel(layers: readonly LayerSummary[]): LayerInput[] {
  return layers
    .filter((l): l is LayerSummary & { kind: 'conv' | 'dense' } => l.kind === 'conv' || l.kind === 'dense')
    .map((l, index) => ({
      name: l.name,
      kind: l.kind,
      kernelShape: hwio(l.kind, l.shape),
      stride: l.stride ?? 1,
      padding: l.padding ?? 'same',
      inputSize: null,
      index,
    }));
}

export function layerOfEval(l: LayerEval): LayerInput {
  return {
    name: l.name,
    kind: l.kind,
    kernelShape: hwio(l.kind, l.shape),
    stride: l.stride,
    padding: l.padding,
    inputSize: [l.inputSize[0], l.inputSize[1]],
  };
}

function withDetail(p: LayerBoundPoint, r: BoundResult | undefined): LayerBoundPoint {
  return r ? { ...p, iterations: r.iterations, timeMs: r.timeMs } : p;
}

function layerBounds(step: number, l: LayerEval, wall: number): LayerBoundPoint[] {
  const results = new Map((l.bounds ?? []).map((r) => [r.method as string, r]));
  const out: LayerBoundPoint[] = [
    withDetail({ layer: l.name, method: 'f4', kind: 'upper', step, value: l.f4.min, wall }, results.get('f4')),
    { layer: l.name, method: 'f4-R', kind: 'upper', step, value: l.f4.R, wall },
    { layer: l.name, method: 'f4-S', kind: 'upper', step, value: l.f4.S, wall },
    { layer: l.name, method: 'f4-T', kind: 'upper', step, value: l.f4.T, wall },
    { layer: l.name, method: 'f4-U', kind: 'upper', step, value: l.f4.U, wall },
    { layer: l.name, method: 'certified', kind: 'upper', step, value: l.certifiedUpper, wall },
  ];
  // Fields of workers that predate LayerEval.bounds; the kind of every value is the registry's (bound-methods.ts).
  const named: [BoundMethod, number | undefined][] = [
    ['sedghi-exact', l.exactCircular],
    ['operator-power', l.operatorEstimate],
    ['gram-iteration', l.gram],
  ];
  for (const [method, value] of named) {
    if (value !== undefined)
      out.push(withDetail({ layer: l.name, method, kind: kindOf(method), step, value, wall }, results.get(method)));
  }
  const recorded = new Set(out.map((p) => p.method));
  for (const r of l.bounds ?? []) {
    if (!recorded.has(r.method))
      out.push(
        withDetail({ layer: l.name, method: r.method, kind: kindOf(r.method, r.kind), step, value: r.value, wall }, r),
      );
  }
  return out;
}

async function recordEval(w: StoreWriter, e: EvalEvent): Promise<void> {
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
  // The histogram, packed into the spectra table's number array (SPECTRUM_HISTOGRAM_METHOD tells it from raw values).
  for (const l of e.layers) {
    if (l.spectrum)
      w.spectrum({
        layer: l.name,
        step: e.step,
        method: SPECTRUM_HISTOGRAM_METHOD,
        values: packSpectrumHistogram(l.spectrum),
      });
  }
  for (const c of e.certified) w.cert({ step: e.step, eps: c.eps, accuracy: c.acc, pairwise: c.accPairwise });
  if (e.radii) await w.certRadii(e.step, e.radii);
  // After the values: a malformed layer description is reported without losing the evaluation.
  if (e.layers.length > 0) await w.layers(e.layers.map(layerOfEval));
}

/** Record one engine event. Appends are batched; status changes flush first. */
export async function recordEngineEvent(sink: EngineEventSink, event: EngineEvent): Promise<void> {
  const w = sink.writer;
  await sink.log?.(event);
  switch (event.type) {
    case 'started':
      await w.start(event.backend.name);
      await w.layers(layersOfModel(event.model.layers));
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
      await recordEval(w, event);
      return;
    case 'checkpoint':
      await sink.addCheckpoint(event.step, event.path, event.sha256);
      return;
    case 'finished':
      await w.finish(
        event.status,
        event.status === 'failed'
          ? { error: event.reason ?? 'failed', reason: event.reason }
          : { reason: event.reason },
      );
      return;
    case 'paused':
    case 'resumed':
      // Stored like every other state (records.ts RUN_TRANSITIONS), so any process reading the store sees it.
      await w.setStatus({ status: event.type === 'paused' ? 'paused' : 'running' });
      return;
    default:
      return; // progress is live-only; log lines go to the run log through sink.log
  }
}
