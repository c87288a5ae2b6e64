/**
 * The run store's records: what a run, a point of a series, a summary or a query looks like when it
 * leaves the store. Pure types (no Node, no DOM) so the main process, the CLI and the renderer share them.
 * Times are epoch milliseconds; run ids are strings; every value is plain JSON (non-finite numbers
 * are NaN in memory and null on a JSON wire).
 */
import type { JsonObject, JsonValue } from './api.js';

export type { JsonObject, JsonValue };

// ---------------------------------------------------------------- runs

/**
 * The one run-status vocabulary of the lab (store, service, API, CLI and UI all use it):
 * queued -> running <-> paused -> completed | failed | cancelled | crashed (crashed: the process
 * running it stopped without finishing it). A cancelled or crashed run can run again, resumed from
 * its last checkpoint.
 */
export type RunStatus = 'queued' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled' | 'crashed';
/** Every run state, in lifecycle order. */
export const RUN_STATUSES = [
  'queued',
  'running',
  'paused',
  'completed',
  'failed',
  'cancelled',
  'crashed',
] as const satisfies readonly RunStatus[];
/** States in which no process works on the run (only resuming from a checkpoint leaves cancelled or crashed). */
export const FINAL_RUN_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'cancelled', 'crashed'];
/** States a run is in while a process owns it. */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['running', 'paused'];
/** Runs that can be resumed from their last checkpoint. */
export const RESUMABLE_RUN_STATUSES: readonly RunStatus[] = ['cancelled', 'crashed'];

/** The one transition table: the store refuses anything else (a completed or failed run stays so). */
export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  queued: ['running', 'cancelled', 'failed'],
  running: ['paused', 'completed', 'failed', 'cancelled', 'crashed'],
  paused: ['running', 'completed', 'failed', 'cancelled', 'crashed'],
  completed: [],
  failed: [],
  cancelled: ['running'],
  crashed: ['running'],
};

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return from === to || RUN_TRANSITIONS[from].includes(to);
}

/** Where and with what a run was made, so a result can be reproduced. */
export interface RunEnvironment {
  appVersion: string | null;
  gitCommit: string | null;
  node: string;
  tfjs: string | null;
  /** Backend the run trained on, e.g. "tensorflow", "wasm", "cpu" (also in RunRecord.backend). */
  tfjsBackend: string | null;
  platform: string;
  arch: string;
  cpu: string;
  cpuCount: number;
  totalMemoryBytes: number;
  gpu: string | null;
  hostname: string;
  /** Anything else the caller wants kept (Electron version, flags ...). */
  extra?: JsonObject;
}

/** Facets pulled out of the opaque config so runs can be filtered without parsing every config. */
export interface RunFacets {
  dataset: string | null;
  model: string | null;
  regulariser: string | null;
}

export interface RunRecord extends RunFacets {
  id: string;
  name: string;
  status: RunStatus;
  backend: string | null;
  config: JsonObject;
  /** sha-256 (hex) of the canonical JSON of `config`: equal configs, equal hash. */
  configHash: string;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  /** Last sign of life of the writing process. */
  heartbeatAt: number | null;
  /** Process that owns the run while it is running (crash detection). */
  pid: number | null;
  host: string | null;
  /** Why it failed or crashed, with what to do next. */
  error: string | null;
  /** Why it ended (e.g. "cancelled by the user", "process 123 stopped without finishing the run"). */
  reason: string | null;
  environment: RunEnvironment | null;
  notes: string;
  tags: string[];
  /** Highest step recorded in any series (0 before the first point). */
  lastStep: number;
  /** β of the config's regulariser: 0 when it is off, null when the config names none. */
  beta: number | null;
  /** What the runs list shows, from evaluations only. */
  headline: RunHeadline;
  /** Last progress of a live run (null when stopped or unknown). */
  progress: RunProgress | null;
}

/** A run's results as of its last evaluation; every field is null before the first one. */
export interface RunHeadline {
  /** Test accuracy at the last evaluation ("eval/test_acc"); never a training-batch accuracy. */
  testAccuracy: number | null;
  /** Step of the last evaluation. */
  evalStep: number | null;
  /** Certified accuracy at the smallest recorded radius ε > 0, at the last certified step. */
  certified: { eps: number; accuracy: number } | null;
  /** Network Lipschitz bound (product of the layer bounds) at the last evaluation. */
  lipschitz: number | null;
}

export const EMPTY_HEADLINE: RunHeadline = { testAccuracy: null, evalStep: null, certified: null, lipschitz: null };

export interface RunProgress {
  step: number;
  totalSteps: number | null;
  epoch: number;
  totalEpochs: number | null;
  /** 0..1, null when the total is unknown. */
  fraction: number | null;
  /** null when unknown, and while paused (no time passes toward the end). */
  etaMs: number | null;
  /** 'evaluating': between steps, computing test accuracy, bounds and certificates. */
  phase: 'training' | 'evaluating';
}

/** One line of a run's stored log: messages, warnings, evaluation results and errors, in order. */
export interface RunLogEntry {
  /** 1, 2, ... per run. */
  seq: number;
  at: number;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  /** Step the line belongs to, when it is about one (evaluations). */
  step: number | null;
}

export interface CreateRunInput {
  /** Optional caller-chosen id ([A-Za-z0-9._-], 1-64 chars); default: time-sortable generated id. */
  id?: string;
  name?: string;
  config: unknown;
  backend?: string | null;
  status?: 'queued' | 'running';
  tags?: string[];
  notes?: string;
  /** Merged over what the store collects itself (Node, tfjs, CPU, git commit ...). */
  environment?: Partial<RunEnvironment>;
}

export interface StatusChange {
  status: RunStatus;
  error?: string | null;
  reason?: string | null;
  backend?: string | null;
}

// ---------------------------------------------------------------- points

/** Kind of a layer bound relative to the true spectral norm of the layer's Jacobian. */
export type LayerBoundKind = 'upper' | 'exact' | 'estimate';

export interface ScalarPoint {
  /** Series name, e.g. "train/loss", "eval/test_acc". Must not start with "bound/" (see LayerBoundPoint). */
  name: string;
  step: number;
  value: number;
  /** Fractional epoch; stored once per step in the run's "epoch" series. */
  epoch?: number;
  /** Wall time, epoch ms (default: now). */
  wall?: number;
}

export interface LayerBoundPoint {
  layer: string;
  /** e.g. "f4", "f4-R", "sedghi-exact", "operator-power", "gram-iteration", "certified". */
  method: string;
  kind: LayerBoundKind;
  step: number;
  value: number;
  wall?: number;
  /** Power or Gram iterations the method ran (0 for closed forms), when the engine reported it. */
  iterations?: number;
  /** Wall time of the computation in milliseconds, when the engine reported it. */
  timeMs?: number;
}

/** Padding of a layer as it runs; 'circular' for layers studied under circular padding (Sedghi et al.). */
export type LayerPadding = 'same' | 'valid' | 'circular';

/**
 * What a bound is computed for: one conv or dense layer of a run's model. A dense layer [in, out] is
 * the 1x1 convolution [1, 1, in, out], so every kernel shape is HWIO.
 */
export interface LayerInput {
  name: string;
  kind: 'conv' | 'dense';
  /** HWIO [h, w, c_in, c_out]. */
  kernelShape: number[];
  stride: number;
  padding: LayerPadding;
  /** Spatial input size [h, w] the layer sees (the bounds' n); null while unknown (it is kept once known). */
  inputSize: [number, number] | null;
  /** Position among the model's conv and dense layers (0-based); absent: keep the known one, else append. */
  index?: number;
}

export interface LayerRecord {
  runId: string;
  index: number;
  name: string;
  kind: 'conv' | 'dense';
  kernelShape: [number, number, number, number];
  stride: number;
  padding: LayerPadding;
  inputSize: [number, number] | null;
}

/** One point of a certified-accuracy curve: accuracy certified at l2 radius eps. */
export interface CertPoint {
  step: number;
  eps: number;
  accuracy: number;
  /** The same with the tighter pairwise last-layer bound, when computed. */
  pairwise?: number | null;
}

export interface SpectrumInput {
  layer: string;
  step: number;
  /** Which computation produced the singular values, e.g. "sedghi-exact". */
  method?: string;
  values: Float64Array | Float32Array | number[];
}

export interface SpectrumRecord {
  runId: string;
  layer: string;
  step: number;
  method: string;
  values: number[];
}

export interface CheckpointRecord {
  id: number;
  runId: string;
  step: number;
  /** Absolute path of the file. */
  path: string;
  sha256: string;
  bytes: number;
  createdAt: number;
  label: string | null;
}

// ---------------------------------------------------------------- queries

export type RunSortKey = 'created' | 'started' | 'ended' | 'name' | 'status' | 'lastStep';

export interface RunFilter {
  status?: RunStatus[];
  dataset?: string;
  model?: string;
  regulariser?: string;
  /** Runs carrying every one of these tags. */
  tags?: string[];
  /** Case-insensitive substring of the id, name, notes, a tag or the config JSON (dataset, model ...). */
  search?: string;
  sort?: RunSortKey;
  /** Default 'desc' (newest first). */
  order?: 'asc' | 'desc';
  /** Default 100, at most 1000. */
  limit?: number;
  offset?: number;
}

export interface RunList {
  runs: RunRecord[];
  /** Runs matching the filter, ignoring limit/offset. */
  total: number;
}

/** What the x values of a series are: training step, epoch (fractional), or seconds since the run started. */
export type XAxis = 'step' | 'epoch' | 'time';

/**
 * Series of several runs at once. Names: scalars as written ("train/loss"); layer bounds as
 * "bound/<method>/<layer>" (e.g. "bound/f4/conv1"); "epoch" is the run's step -> epoch series.
 */
export interface SeriesQuery {
  runIds: string[];
  names: string[];
  /** Max points per series (default 2000, min 4); longer ranges keep each bucket's min and max. */
  budget?: number;
  /**
   * Only points with fromStep <= step <= toStep (inclusive; either end may be left open). A zoomed chart asks for
   * its visible range, so the budget is spent there: the range comes back at full resolution when it holds no more
   * than `budget` points. Steps, whatever the x axis.
   */
  fromStep?: number;
  toStep?: number;
  xAxis?: XAxis;
}

export interface SeriesData {
  runId: string;
  name: string;
  xAxis: XAxis;
  /** Steps of the returned points, ascending. */
  steps: number[];
  /** x per point: the step, the epoch, or seconds since the run started. */
  x: number[];
  y: number[];
  /** Points stored for the whole series before downsampling. */
  totalPoints: number;
  downsampled: boolean;
}

export interface SeriesResult {
  series: SeriesData[];
}

export interface SeriesInfo {
  name: string;
  kind: 'scalar' | 'bound';
  layer: string | null;
  method: string | null;
  boundKind: LayerBoundKind | null;
  points: number;
  firstStep: number | null;
  lastStep: number | null;
}

// ---------------------------------------------------------------- comparison & summaries

/** A config value at a dotted path, or absent from that run's config. */
export type ConfigDiffCell = { present: true; value: JsonValue } | { present: false };

export interface ConfigDiffRow {
  /** Dotted path, array items by index: "optimizer.lr", "optimizer.schedule.milestones.0". */
  path: string;
  /** One cell per config, in request order. */
  cells: ConfigDiffCell[];
  differs: boolean;
}

export interface ConfigDiff {
  runIds: string[];
  /** Only the paths that differ, unless all paths were asked for. */
  rows: ConfigDiffRow[];
}

export interface MetricSummary {
  name: string;
  last: number | null;
  lastStep: number | null;
  min: number | null;
  minStep: number | null;
  max: number | null;
  maxStep: number | null;
  /** Which direction is better: 'max' for accuracies, 'min' otherwise. */
  goal: 'max' | 'min';
  best: number | null;
  bestStep: number | null;
  points: number;
}

export interface FinalLayerBound {
  layer: string;
  method: string;
  kind: LayerBoundKind;
  step: number;
  value: number;
}

/** A layer bound at one step with how it was computed; iterations and timeMs are absent when not recorded. */
export interface LayerBoundRecord extends FinalLayerBound {
  iterations?: number;
  timeMs?: number;
}

export interface RunSummary {
  run: RunRecord;
  metrics: MetricSummary[];
  /** The headline accuracy (test, else validation, else another evaluation accuracy), when recorded; never train/acc. */
  accuracy: {
    name: string;
    best: number | null;
    bestStep: number | null;
    last: number | null;
    lastStep: number | null;
  } | null;
  /** Last value of every (layer, method) bound series. */
  finalBounds: FinalLayerBound[];
  /** Certified accuracy at each eps at the last step that has a certification. */
  certified: { step: number; eps: number; accuracy: number; pairwise: number | null }[];
}
