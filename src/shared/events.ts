/**
 * The training engine's wire protocol: commands the host sends to the worker thread and the events the
 * worker posts back. Plain JSON (structured-clone safe), a discriminated union on `type`, versioned so a
 * host never misreads a worker from another build. Pure TS.
 */
import type { RadiusKind } from './certify-math.js';
import type { BackendReport } from './backend.js';
import type { BoundResult, F4Matrix } from './bounds.js';
import type { RunConfig } from './config.js';
import type { SpectrumHistogram } from './spectrum.js';

/** Bumped on an incompatible change of any message below. */
export const ENGINE_PROTOCOL_VERSION = 1;

// ------------------------------------------------------------------ commands (host -> worker)

export interface StartCommand {
  type: 'start';
  v: number;
  runId: string;
  /** Validated config (defaults applied); the worker validates it again. */
  config: RunConfig;
  /** Overrides config.dataset.path (CLI --data). */
  dataDir?: string;
  /** Folder checkpoints go to (overrides config.checkpoints.dir). */
  checkpointDir?: string;
  /** Continue a run from this checkpoint: its weights are loaded and training goes on at step + 1. */
  resumeFrom?: { step: number; path: string; sha256: string };
}

export type EngineCommand =
  | StartCommand
  | { type: 'pause'; v: number }
  | { type: 'resume'; v: number }
  | { type: 'cancel'; v: number; reason?: string };

// ------------------------------------------------------------------ events (worker -> host)

export interface LayerSummary {
  name: string;
  kind: 'conv' | 'dense' | 'batchnorm';
  /** Kernel shape: HWIO for conv, [in, out] for dense, [channels] for batchnorm. */
  shape: number[];
  /** Activation shape after the layer, [h, w, c] or [features]. */
  outputShape: number[];
  params: number;
  stride?: number;
  padding?: 'same' | 'valid';
}

export interface ModelSummary {
  arch: string;
  inputShape: [number, number, number];
  layers: LayerSummary[];
  totalParams: number;
}

export interface StepPoint {
  step: number;
  /** Fractional epoch at the end of the step. */
  epoch: number;
  loss: number;
  ce: number;
  /** The regulariser penalty before multiplying by beta (0 without regulariser). */
  reg: number;
  /** Batch accuracy, 0..1. */
  acc: number;
  lr: number;
  stepMs: number;
}

export interface LayerEval {
  name: string;
  kind: 'conv' | 'dense';
  /** HWIO (dense: [1, 1, in, out]). */
  shape: number[];
  stride: number;
  padding: 'same' | 'valid';
  /** Spatial input size the layer sees ([1, 1] for dense). */
  inputSize: [number, number];
  /** Theorem 1: sqrt(hw) * ||.|| of each reshape, and their minimum (certified, float64). */
  f4: { R: number; S: number; T: number; U: number; min: number; argmin: F4Matrix };
  /** Smallest certified upper bound valid at the layer's real padding and stride. */
  certifiedUpper: number;
  /** Which method gave certifiedUpper. */
  certifiedBy: string;
  /** Exact spectral norm under circular padding at the input size (Sedghi et al.), if computed. */
  exactCircular?: number;
  /** Power-iteration estimate of the layer as it runs (zero padding, stride): a lower estimate. */
  operatorEstimate?: number;
  /** Gram-iteration bound (Delattre et al. 2023), if computed. */
  gram?: number;
  /**
   * Every bound computed for the layer as its method returned it (LayerBoundsReport: f4, f4-polyphase,
   * sedghi-exact, gram-iteration, toeplitz-norm2toep, operator-power), with iterations and time, so the
   * store keeps how each value was obtained. Optional (additive): the fields above stay the values.
   */
  bounds?: BoundResult[];
  /**
   * Histogram of every singular value of the circular operator at the input size (Sedghi et al.), from the
   * same computation as exactCircular (its max). Conv layers with evaluation.exactNorm only. Optional (additive).
   */
  spectrum?: SpectrumHistogram;
}

export interface CertifiedPoint {
  eps: number;
  /** Fraction of test images correctly classified with margin > sqrt(2) * L * eps. */
  acc: number;
  /** The same with the pairwise last-layer bound (tighter). */
  accPairwise: number;
}

export interface EvalEvent {
  type: 'eval';
  v: number;
  step: number;
  epoch: number;
  trainAcc: number;
  valAcc: number | null;
  testAcc: number;
  /** Mean CE on the test subset. */
  testLoss: number;
  layers: LayerEval[];
  /** Product bound on the network's l2 Lipschitz constant (from the layers' certifiedUpper). */
  lipschitz: number;
  certified: CertifiedPoint[];
  /** Empirical robust accuracy under l2 PGD (an upper estimate of the true robust accuracy). */
  pgd?: { eps: number; acc: number }[];
  /** Curvature bound (Singla & Feizi 2020, Theorem 4; max over class pairs) and its certified accuracy. */
  curvature?: { bound: number; certified: { eps: number; acc: number }[] };
  /**
   * Every test point's certified l2 radius per certificate, ascending (0 = misclassified), so certified accuracy can
   * be drawn at every eps (certifiedAccuracyAt, certify-math.ts); the `certified` points are the configured eps only.
   * 'pgd' (with certification.pgd): the PGD subset's smallest breaking ε on the attack grid (RADIUS_KINDS says what it means).
   */
  radii?: Partial<Record<RadiusKind, number[]>>;
  evalMs: number;
}

export interface RunSummaryOut {
  steps: number;
  epochs: number;
  durationMs: number;
  finalLoss: number | null;
  trainAcc: number | null;
  valAcc: number | null;
  testAcc: number | null;
  lipschitz: number | null;
  certified: CertifiedPoint[];
  backend: string | null;
  imagesPerSecond: number | null;
}

export type LogLevelOut = 'debug' | 'info' | 'warn' | 'error';

export type EngineEvent =
  | {
      type: 'started';
      v: number;
      runId: string;
      backend: BackendReport;
      model: ModelSummary;
      dataset: { name: string; train: number; validation: number; test: number; source: string };
      totalSteps: number;
      stepsPerEpoch: number;
    }
  | { type: 'step'; v: number; points: StepPoint[] }
  | EvalEvent
  | { type: 'checkpoint'; v: number; step: number; epoch: number; path: string; sha256: string }
  /** phase 'evaluating' (optional, additive): sent when an evaluation starts; the next plain progress ends it. */
  | {
      type: 'progress';
      v: number;
      step: number;
      totalSteps: number;
      epoch: number;
      etaSeconds: number | null;
      phase?: 'training' | 'evaluating';
    }
  | { type: 'paused'; v: number; step: number }
  | { type: 'resumed'; v: number; step: number }
  | { type: 'log'; v: number; level: LogLevelOut; message: string }
  | {
      type: 'finished';
      v: number;
      status: 'completed' | 'failed' | 'cancelled';
      reason?: string;
      summary: RunSummaryOut;
    };

export type EngineEventType = EngineEvent['type'];
export type EngineEventOf<T extends EngineEventType> = Extract<EngineEvent, { type: T }>;

/** Narrowing check for messages arriving from a worker (or a foreign build). */
export function isEngineEvent(msg: unknown): msg is EngineEvent {
  return (
    typeof msg === 'object' &&
    msg !== null &&
    typeof (msg as { type?: unknown }).type === 'string' &&
    (msg as { v?: unknown }).v === ENGINE_PROTOCOL_VERSION
  );
}

export function isEngineCommand(msg: unknown): msg is EngineCommand {
  const t = (msg as { type?: unknown } | null)?.type;
  return (
    typeof msg === 'object' &&
    msg !== null &&
    (t === 'start' || t === 'pause' || t === 'resume' || t === 'cancel') &&
    (msg as { v?: unknown }).v === ENGINE_PROTOCOL_VERSION
  );
}

export function emptySummary(): RunSummaryOut {
  return {
    steps: 0,
    epochs: 0,
    durationMs: 0,
    finalLoss: null,
    trainAcc: null,
    valAcc: null,
    testAcc: null,
    lipschitz: null,
    certified: [],
    backend: null,
    imagesPerSecond: null,
  };
}
