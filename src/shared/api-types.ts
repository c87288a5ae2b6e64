/**
 * The data types of the lab contract (src/shared/api.ts re-exports all of them; import from there).
 * Pure types: every value is plain JSON, times are epoch milliseconds.
 */
import type { BoundMethod, BoundResult, F4Matrix } from './bounds.js';
import type { MethodGeometry } from './bound-methods.js';
import type { RadiusKind } from './certify-math.js';
import type { SpectrumHistogram } from './spectrum.js';
import type { RunLogEntry, RunRecord, RunStatus } from './records.js';

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

export interface StartRunOptions {
  /**
   * true: run after everything running or queued (queued runs start in order whenever fewer than maxConcurrent runs are active).
   * false/absent: start now, alongside active runs, unless `maxConcurrent` runs are active (then code 'busy').
   */
  queue?: boolean;
  /** Display name; default derived from the config (dataset, model, regulariser). */
  name?: string;
  tags?: string[];
  /** Notes kept with the run (editable later). */
  notes?: string;
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

export interface CheckpointInfo {
  step: number;
  epoch: number;
  at: number;
}

/** A run with what its page shows besides the record itself. */
export interface RunDetail extends RunRecord {
  /** Series names recorded for this run (the `names` getSeries accepts). */
  seriesNames: string[];
  checkpoints: CheckpointInfo[];
  /** 1-based place in the queue when queued, else null. */
  queuePosition: number | null;
  /** Step of the last checkpoint a cancelled or crashed run can be resumed from (null: none). */
  resumableFrom: number | null;
}

export interface DeleteRunResult {
  runId: string;
  /** Checkpoint files removed from the data folder. */
  deletedFiles: number;
}

export interface RunLog {
  runId: string;
  entries: RunLogEntry[];
}

// Series: the store's own shapes (records.ts), passed through unchanged.
export type { SeriesData as Series, SeriesQuery, SeriesResult, XAxis } from './records.js';

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
  /** How the layer runs (padding, stride, input size), when the store knows it: which operator each value describes. */
  geometry?: MethodGeometry;
  /** The certified upper bound the run's Lipschitz bound used for this layer (the smallest valid one), when stored. */
  certified?: number;
}

export interface LayerBounds {
  runId: string;
  /** Step the values belong to; null when the run has none recorded. */
  step: number | null;
  /** Steps at which per-layer bounds exist for this run. */
  availableSteps: number[];
  layers: LayerBoundsRow[];
}

// ---------------------------------------------------------------- certified radii

export interface CertifiedRadiiQuery {
  /** An evaluation step, or "latest" (default). */
  step?: number | 'latest';
}

/**
 * Every test point's certified l2 radius per certificate at one evaluation, ascending (0 = misclassified); 'pgd' is the
 * attacked subset's empirical counterpart (RADIUS_KINDS in certify-math.ts).
 */
export interface CertifiedRadii {
  runId: string;
  /** Step the radii belong to; null when the run has none (runs recorded before radii were stored, or none at that step). */
  step: number | null;
  availableSteps: number[];
  radii: Partial<Record<RadiusKind, number[]>>;
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

// ---------------------------------------------------------------- runs, comparison (one vocabulary: records.ts)

export type {
  ConfigDiff,
  ConfigDiffCell,
  ConfigDiffRow,
  MetricSummary,
  RunFilter,
  RunHeadline,
  RunList,
  RunLogEntry,
  RunProgress,
  RunRecord,
  RunStatus,
  RunSummary,
} from './records.js';

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
  shell: 'electron' | 'serve' | 'cli' | 'test';
  dataDir: string;
  platform: string;
  versions: { node: string; electron: string | null; chrome: string | null };
  backend: BackendReport;
  missing: MissingPiece[];
  queue: QueueState;
  /** The Redis (password hidden) this lab sends sweeps to when asked (`serve --redis URL`); null or absent: none. */
  redis?: string | null;
}

// ---------------------------------------------------------------- reproduce the paper (issue 12)

/** 'smoke': seconds, only checks the experiment runs (numbers mean nothing); 'quick': minutes; 'full': hours. */
export type ReproduceSize = 'smoke' | 'quick' | 'full';

export interface ReproduceExperimentInfo {
  name: string;
  /** A heading in the paper's words. */
  title: string;
  /** One line: what it measures. */
  measures: string;
  /** What the quick and the full form cost on this machine, in words. */
  cost: { quick: string; full: string };
  /** The arms of the quick form (each trained at every seed; runs of one arm are averaged). */
  arms: string[];
  /** Runs one seed adds, per size. */
  runsPerSeed: Record<ReproduceSize, number>;
}

export interface ReproduceRequest {
  experiment: string;
  size: ReproduceSize;
  /** Seeds per arm, 0 .. seeds-1 (tables give mean ± sd). */
  seeds: number;
  /** Draw the tables again from a finished call's saved runs (a ReproduceResultInfo id): no training. */
  from?: string;
}

export type ReproduceState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** One reproduce call of this lab (pushed as 'reproduce' events while it runs). */
export interface ReproduceJob {
  /** Also its result's id (ReproduceResultInfo.id) once done. */
  id: string;
  experiment: string;
  size: ReproduceSize;
  seeds: number;
  state: ReproduceState;
  /** While running: training the runs, analysing them (tightness computes bounds), or writing the files. */
  phase: 'training' | 'analysing' | 'writing' | null;
  /** 0-based index of the current run (runCount when all are trained). */
  runIndex: number;
  runCount: number;
  /** The run training now. */
  run: {
    runId: string;
    arm: string;
    seed: number;
    step: number;
    totalSteps: number;
    etaSeconds: number | null;
  } | null;
  /** Of the whole call, 0..1, and its ETA. */
  fraction: number;
  etaSeconds: number | null;
  analysis: { done: number; total: number; detail: string } | null;
  /** The runs trained so far (in the store, tagged reproduce:<experiment>). */
  runIds: string[];
  startedAt: number;
  endedAt: number | null;
  /** failed / cancelled: what happened and what to do next. */
  error: { message: string; hint: string } | null;
  /** Where the tables and figures are written: <store>/reproduce/<id>/. */
  outDir: string;
}

/** A table of a result as display text (the numbers as the Markdown table prints them). */
export interface ReproduceTable {
  /** File name without extension (<file>.md and <file>.csv in the result folder). */
  file: string;
  caption: string | null;
  columns: string[];
  align: ('left' | 'right' | 'center')[];
  rows: string[][];
  notes: string[];
}

export interface ReproduceFigure {
  file: string;
  caption: string;
  /** The SVG text of <file>.svg. */
  svg: string;
}

/** A finished (or stopped) reproduce call of this store: its saved runs, and its tables if they were drawn here. */
export interface ReproduceResultInfo {
  /** <experiment>-<size>-<time> (the outcomes file <store>/reproduce/<id>.json). */
  id: string;
  experiment: string;
  size: ReproduceSize;
  seeds: number;
  startedAt: number;
  /** The runs its outcomes file holds (fewer than planned when it failed or was cancelled). */
  runIds: string[];
  /** true: tables and figures are in outDir; false: only the runs are saved (draw them with ReproduceRequest.from). */
  drawn: boolean;
  outDir: string;
}

export interface ReproduceResult extends ReproduceResultInfo {
  findings: string[];
  tables: ReproduceTable[];
  figures: ReproduceFigure[];
  /** The command line that regenerates it. */
  command: string;
  /** When the tables were drawn. */
  drawnAt: number;
}
