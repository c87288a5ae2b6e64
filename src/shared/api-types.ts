/**
 * The data types of the lab contract (src/shared/api.ts re-exports all of them; import from there).
 * Pure types: every value is plain JSON, times are epoch milliseconds.
 */
import type { BoundMethod, BoundResult, F4Matrix } from './bounds.js';
import type { MethodGeometry } from './bound-methods.js';
import type { CertificateName } from './certify-math.js';
import type { SpectrumHistogram } from './spectrum.js';
import type { XAxis } from './records.js';

export type { SpectrumHistogram } from './spectrum.js';

// ---------------------------------------------------------------- JSON & config

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * A run configuration as JSON (the `RunConfig` of src/shared/config.ts, possibly partial: missing
 * fields take their defaults). Kept structural here so the UI renders forms from the JSON schema.
 */
export type RunConfigJson = { [key: string]: unknown };

export interface ConfigSchemaInfo {
  /** JSON Schema (draft 2020-12) of RunConfig, with `default` and `description` (help text) per field. */
  jsonSchema: JsonObject;
  /** A complete config with every default filled in. */
  defaults: RunConfigJson;
}

export interface Preset {
  id: string;
  label: string;
  /** One or two sentences: what the preset shows and how long it takes on a laptop CPU. */
  description: string;
  /** A partial config; the rest takes defaults. */
  config: RunConfigJson;
}

export interface ConfigIssue {
  /** Dotted path of the field, e.g. "train.epochs" ("" = the whole config). */
  path: string;
  message: string;
}

export interface ValidationResult {
  ok: boolean;
  errors: ConfigIssue[];
  /** The config with defaults applied, when ok. */
  config?: RunConfigJson;
}

// ---------------------------------------------------------------- runs

/**
 * queued -> running -> completed | failed | cancelled | crashed, as the run store records them
 * (crashed: the process running it stopped without finishing it). 'paused' is live only: the store
 * keeps a paused run as running.
 */
export type RunStatus = 'queued' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled' | 'crashed';

export interface StartRunOptions {
  /**
   * true: run after everything running or queued (queued runs start one at a time, when no run is active).
   * false/absent: start now, alongside active runs, unless `maxConcurrent` runs are active (then code 'busy').
   */
  queue?: boolean;
  /** Display name; default derived from the config (dataset, model, regulariser). */
  name?: string;
  tags?: string[];
}

export interface StartRunResult {
  runId: string;
  status: 'running' | 'queued';
  /** 1-based place in the queue when queued, else null. */
  queuePosition: number | null;
}

export interface RunControlResult {
  runId: string;
  status: RunStatus;
}

export interface RunFilter {
  status?: RunStatus[];
  /** Runs carrying every one of these tags. */
  tags?: string[];
  /** Case-insensitive substring of the name, notes, dataset or model. */
  search?: string;
  dataset?: string;
  /** Default 100; at most 1000 runs come back per call (RunList.total counts them all). */
  limit?: number;
  offset?: number;
}

export interface RunListItem {
  id: string;
  name: string;
  status: RunStatus;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  dataset: string;
  model: string;
  /** e.g. "none", "f4", "sedghi" — the regulariser of the config, "none" when off. */
  regulariser: string;
  /** Its weight β (config regularizer.beta); 0 when the regulariser is off, null when the config has none. */
  beta: number | null;
  tags: string[];
  notes: string;
  /** Latest recorded step (0 before the first step). */
  step: number;
  /** Last known value of the main metrics (e.g. "eval/accuracy"); null when not recorded yet. */
  headline: { [metric: string]: number | null };
}

export interface RunList {
  runs: RunListItem[];
  /** Number of runs matching the filter, ignoring limit/offset. */
  total: number;
}

export interface RunProgress {
  step: number;
  totalSteps: number | null;
  epoch: number;
  totalEpochs: number | null;
  /** How the layer runs (padding, stride, input size), when the store knows it: which operator each value describes. */
  geometry?: MethodGeometry;
  /** The certified upper bound the run's Lipschitz bound used for this layer (the smallest valid one), when stored. */
  certified?: number;
  /** 0..1, null when the total is unknown. */
  fraction: number | null;
  etaMs: number | null;
}

export interface CheckpointInfo {
  step: number;
  epoch: number;
  at: number;
}

// ---------------------------------------------------------------- certified radii

export interface CertifiedRadiiQuery {
  /** An evaluation step, or "latest" (default). */
  step?: number | 'latest';
}

/** Every test point's certified l2 radius per certificate at one evaluation, ascending (0 = misclassified). */
export interface CertifiedRadii {
  runId: string;
  /** Step the radii belong to; null when the run has none (runs recorded before radii were stored, or none at that step). */
  step: number | null;
  availableSteps: number[];
  radii: Partial<Record<CertificateName, number[]>>;
}

export interface RunDetail extends RunListItem {
  /** The full config the run was started with (defaults applied). */
  config: RunConfigJson;
  /** Why it failed or crashed, with what to do next; null otherwise. */
  error: string | null;
  /** Series names recorded for this run (the `names` getSeries accepts). */
  seriesNames: string[];
  checkpoints: CheckpointInfo[];
  /** Last progress seen (live runs; null when unknown). */
  progress: RunProgress | null;
  queuePosition: number | null;
  /** tfjs backend the run trained on (e.g. "tensorflow", "wasm", "cpu"), null before start. */
  backend: string | null;
}

// ---------------------------------------------------------------- series

// XAxis and SeriesQuery are the store's own (records.ts): the API passes a query through unchanged.
export type { SeriesQuery, XAxis } from './records.js';

export interface Series {
  runId: string;
  name: string;
  xAxis: XAxis;
  x: number[];
  y: number[];
  /**
   * The training step of each point, when the x axis is not 'step' (x is then the epoch or the time, both
   * non-decreasing in the step): a zoom maps its x range back to steps with it. Absent on the step axis (x is the step).
   */
  steps?: number[];
  /** Points stored for the series before downsampling (the whole series, also for a step range). */
  totalPoints: number;
  downsampled: boolean;
}

export interface SeriesResult {
  series: Series[];
}

// ---------------------------------------------------------------- layer bounds

export interface LayerBoundsQuery {
  /** A training step that has recorded bounds, or "latest" (default). */
  step?: number | 'latest';
  /** Methods to include (default: all recorded). */
  methods?: BoundMethod[];
}

export interface LayerBoundsRow {
  /** Layer name as in the model, e.g. "conv1". */
  layer: string;
  index: number;
  /** HWIO kernel shape [h, w, c_in, c_out]. */
  kernelShape: number[];
  bounds: BoundResult[];
  /** The paper's four matrix norms (not multiplied by sqrt(hw)) when the f4 bound was computed. */
  f4Matrices?: Record<F4Matrix, number>;
}

export interface LayerBounds {
  runId: string;
  /** Step the values belong to; null when the run has none recorded. */
  step: number | null;
  /** Steps at which per-layer bounds exist for this run. */
  availableSteps: number[];
  layers: LayerBoundsRow[];
}

// ---------------------------------------------------------------- spectra

export interface SpectrumQuery {
  /** Layer name as in the model, e.g. "conv1". */
  layer: string;
  /** A step with a recorded spectrum, or "latest" (default). */
  step?: number | 'latest';
}

/** A conv layer's singular-value distribution at one evaluation (circular padding, Sedghi et al.). */
export interface LayerSpectrum {
  runId: string;
  layer: string;
  /** Step the histogram belongs to; null when none is recorded for the layer (or at the step asked for). */
  step: number | null;
  /** Steps at which this layer has a spectrum. */
  availableSteps: number[];
  histogram: SpectrumHistogram | null;
  /** The exact circular spectral norm: the histogram's max. */
  exactNorm: number | null;
}

// ---------------------------------------------------------------- comparison

export interface ConfigDiffRow {
  /** Dotted path of the config field. */
  path: string;
  /** One value per run id, in request order; null when the run's config lacks the field. */
  values: JsonValue[];
  differs: boolean;
}

export interface ConfigDiff {
  runIds: string[];
  /** Only fields that differ unless `all` was requested. */
  rows: ConfigDiffRow[];
}

export interface MetricSummary {
  name: string;
  final: number | null;
  best: number | null;
  bestStep: number | null;
  /** Which direction is better for this metric. */
  goal: 'max' | 'min';
}

export interface RunSummary {
  runId: string;
  name: string;
  status: RunStatus;
  dataset: string;
  model: string;
  regulariser: string;
  steps: number;
  durationMs: number | null;
  metrics: MetricSummary[];
}

// ---------------------------------------------------------------- info

export interface BackendCandidate {
  name: string;
  available: boolean;
  /** Why it is (not) available, or what it is good for. */
  note: string;
}

export interface BackendReport {
  /** The backend new runs will use, null if none works. */
  active: string | null;
  candidates: BackendCandidate[];
}

export interface MissingPiece {
  /** e.g. "electron", "@tensorflow/tfjs-node". */
  name: string;
  /** What does not work without it. */
  effect: string;
  /** What to do to get it. */
  fix: string;
}

export interface QueueState {
  running: string[];
  queued: string[];
  maxConcurrent: number;
}

export interface LabInfo {
  app: 'spectral-lab';
  version: string;
  apiVersion: number;
  /** Which shell serves the UI. */
  shell: 'electron' | 'serve' | 'test';
  dataDir: string;
  platform: string;
  versions: { node: string; electron: string | null; chrome: string | null };
  backend: BackendReport;
  missing: MissingPiece[];
  queue: QueueState;
}
