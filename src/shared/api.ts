/**
 * The one contract between the workbench UI and the lab (engine + store), whatever carries it:
 * Electron IPC (preload -> main) or HTTP + server-sent events (`spectral-lab serve`).
 * Pure TypeScript (no Node, no DOM): the renderer, the preload, the main process and the server import it.
 *
 * Every value that crosses it is plain JSON (numbers, strings, arrays, objects; times are epoch
 * milliseconds) so both transports carry it unchanged. IPC channels and HTTP routes are generated from
 * `LAB_METHODS`, one list, so a method cannot exist on one transport and not the other.
 */
import type {
  CertifiedRadii,
  CertifiedRadiiQuery,
  CheckpointInfo,
  ConfigDiff,
  ConfigSchemaInfo,
  JsonValue,
  LabInfo,
  LayerBounds,
  LayerBoundsQuery,
  LayerSpectrum,
  Preset,
  QueueState,
  ReproduceExperimentInfo,
  ReproduceJob,
  ReproduceRequest,
  ReproduceResult,
  ReproduceResultInfo,
  RunConfigJson,
  RunControlResult,
  DeleteRunResult,
  RunDetail,
  RunFilter,
  RunLog,
  RunList,
  RunProgress,
  RunStatus,
  RunSummary,
  SeriesQuery,
  SeriesResult,
  SpectrumQuery,
  StartRunOptions,
  StartRunResult,
  ValidationResult,
} from './api-types.js';
import type { ModelAnalysisRequest, ModelAnalysisSummary, ModelUpload, StoredModelAnalysis } from './model-analysis.js';

export type * from './api-types.js';
export type { QueueEntry, QueueTarget, SweepInfo, SweepRunInfo } from './sweep.js';
export type { StartSweepResult, SweepDetail, SweepPoint } from './sweep-results.js';
import type { QueueEntry, SweepInfo } from './sweep.js';
import type { StartSweepResult, SweepDetail } from './sweep-results.js';

/**
 * Bumped on an incompatible change; additive changes keep it. 2: run states named as the store names them
 * (completed, crashed). 3: one run vocabulary: runs, summaries and config diffs are the store's records.
 */
export const LAB_API_VERSION = 3;

/**
 * Runs one call of diffConfigs, runSummaries or getSeries takes: a sweep of a few hundred runs compares as one
 * (clients ask in batches of at most this many); a report takes fewer, as it draws every run's figures.
 */
export const MAX_RUNS_PER_CALL = 500;
export const MAX_REPORT_RUNS = 64;

/** The run states and their one transition table live with the other run types (records.ts). */
export {
  ACTIVE_RUN_STATUSES,
  EMPTY_HEADLINE,
  FINAL_RUN_STATUSES,
  RESUMABLE_RUN_STATUSES,
  RUN_STATUSES,
  RUN_TRANSITIONS,
  canTransition,
} from './records.js';

// ---------------------------------------------------------------- pushed events

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Pushed from the lab to every subscriber. `metrics` keys are series names, the same getSeries
 * returns, so a live chart appends to the series it loaded.
 */
export type LabEvent =
  | {
      kind: 'run-status';
      runId: string;
      at: number;
      status: RunStatus;
      previous: RunStatus | null;
      message: string | null;
    }
  /** The run and all it recorded are gone (deleteRun). */
  | { kind: 'run-deleted'; runId: string; at: number }
  | {
      kind: 'metrics';
      runId: string;
      at: number;
      phase: 'train' | 'eval';
      step: number;
      epoch: number;
      values: { [series: string]: number };
    }
  | { kind: 'progress'; runId: string; at: number; progress: RunProgress }
  /** The worker is up: backend chosen (RunDetail.backend), data loaded, step count known. */
  | { kind: 'run-started'; runId: string; at: number; backend: string; backendSummary: string; totalSteps: number }
  | { kind: 'layer-bounds'; runId: string; at: number; step: number }
  | { kind: 'checkpoint'; runId: string; at: number; checkpoint: CheckpointInfo }
  | { kind: 'log'; runId: string | null; at: number; level: LogLevel; message: string }
  | { kind: 'queue'; at: number; queue: QueueState }
  /** A model analysis (analyseModel) finished the bounds of one more weight layer. */
  | { kind: 'model-analysis'; at: number; done: number; total: number; layer: string }
  /** The reproduce call of this lab changed (state, run, step, ETA): the whole job, so a late listener is current. */
  | { kind: 'reproduce'; at: number; job: ReproduceJob }
  /** A command from the Electron application menu (or its shortcut) for the UI to carry out. */
  | { kind: 'menu'; at: number; command: MenuCommand };

/** What the application menu asks the UI to do (Electron only; a browser has its own shortcuts). */
export type MenuCommand =
  | 'new-experiment' // Ctrl/Cmd+N
  | 'open-runs' // Ctrl/Cmd+R
  | 'open-compare' // Ctrl/Cmd+K
  | 'open-bounds' // Ctrl/Cmd+B
  | 'open-about';

export type LabEventKind = LabEvent['kind'];
export type LabEventListener = (event: LabEvent) => void;

// ---------------------------------------------------------------- reports

/** A Report button's file: the self-contained HTML report of `export --format html`, or it printed to an A4 PDF. */
export type ReportFormat = 'html' | 'pdf';

export interface ReportFile {
  /** Suggested file name: the run's name (or compare-N-runs) and the format. */
  filename: string;
  mimeType: string;
  /** utf8: `content` is the text; base64: the bytes (PDF) in base64, so the reply stays plain JSON. */
  encoding: 'utf8' | 'base64';
  content: string;
}

/** What getReport writes: the format, and stored model analyses (ids) reported beside the runs (runIds may then be []). */
export interface ReportOptions {
  format: ReportFormat;
  analyses?: string[];
}

// ---------------------------------------------------------------- the API

export interface LabApi {
  /** Version, shell, data folder, training backend, and what is missing (with how to get it). */
  getInfo(): Promise<LabInfo>;
  getConfigSchema(): Promise<ConfigSchemaInfo>;
  getPresets(): Promise<Preset[]>;
  validateConfig(config: RunConfigJson): Promise<ValidationResult>;
  /** Fails with code 'invalid-config' (details: ConfigIssue[]) or 'busy' (maxConcurrent runs active and queue is false). */
  startRun(config: RunConfigJson, options?: StartRunOptions): Promise<StartRunResult>;
  pauseRun(runId: string): Promise<RunControlResult>;
  resumeRun(runId: string): Promise<RunControlResult>;
  /** Cancels a running, paused or queued run; what was recorded stays in the store. */
  cancelRun(runId: string): Promise<RunControlResult>;
  listRuns(filter?: RunFilter): Promise<RunList>;
  getRun(runId: string): Promise<RunDetail>;
  getSeries(query: SeriesQuery): Promise<SeriesResult>;
  getLayerBounds(runId: string, query?: LayerBoundsQuery): Promise<LayerBounds>;
  /** A conv layer's singular-value histogram at a step (default latest), with the steps that have one. */
  getSpectrum(runId: string, query: SpectrumQuery): Promise<LayerSpectrum>;
  /** Every test point's certified radius per certificate at an evaluation (default latest): certified accuracy at every eps. */
  getCertifiedRadii(runId: string, query?: CertifiedRadiiQuery): Promise<CertifiedRadii>;
  diffConfigs(runIds: string[], options?: { all?: boolean }): Promise<ConfigDiff>;
  runSummaries(runIds: string[]): Promise<RunSummary[]>;
  /** getRun of several runs in one call, in request order (Compare reads a sweep's runs at once). */
  getRuns(runIds: string[]): Promise<RunDetail[]>;
  /** getCertifiedRadii of several runs in one call, in request order. */
  getCertifiedRadiiOfRuns(runIds: string[], query?: CertifiedRadiiQuery): Promise<CertifiedRadii[]>;
  /** The report of runs (one: a run's report; several: a comparison) as HTML or PDF; 'unavailable' when nothing can print the PDF. */
  getReport(runIds: string[], options: ReportOptions): Promise<ReportFile>;
  setTags(runId: string, tags: string[]): Promise<{ runId: string; tags: string[] }>;
  setNotes(runId: string, notes: string): Promise<{ runId: string; notes: string }>;
  /** Deletes a run with its series, bounds, log and checkpoint files; an active run is refused ('conflict'). */
  deleteRun(runId: string): Promise<DeleteRunResult>;
  /** The run's stored log: messages, warnings, every evaluation's results and errors. */
  getRunLog(runId: string): Promise<RunLog>;
  /** Runs a cancelled or crashed run again from its last checkpoint (same run id, steps after it redone). */
  resumeFromCheckpoint(runId: string): Promise<StartRunResult>;
  /** Expands a sweep (name, base config, grid, random) into queued runs; 'invalid-config' (details: every problem) queues nothing. */
  /** workers 'redis': the runs go to Redis workers and this lab owns the sweep (only when LabInfo.redis is set). */
  startSweep(spec: { [key: string]: JsonValue }, options?: { workers?: 'local' | 'redis' }): Promise<StartSweepResult>;
  listSweeps(): Promise<SweepInfo[]>;
  /** A sweep's points (latest attempt each): swept values, numeric config fields and final metrics. */
  getSweep(sweepId: string): Promise<SweepDetail>;
  /** Runs waiting in the store's queue, in order (local, then those for Redis workers). */
  listQueue(): Promise<QueueEntry[]>;
  /** Moves a waiting run to a 1-based place in its queue. */
  moveQueuedRun(runId: string, position: number): Promise<{ runId: string; position: number }>;
  /** Queues a new attempt of a crashed, failed or cancelled run (same config, tags and sweep point). */
  retryRun(runId: string): Promise<StartRunResult>;
  /** Analyses an uploaded network (ONNX, tfjs LayersModel): per-layer bounds, Lipschitz bound, certificates; stored. */
  analyseModel(upload: ModelUpload, request?: ModelAnalysisRequest): Promise<StoredModelAnalysis>;
  listModelAnalyses(): Promise<ModelAnalysisSummary[]>;
  getModelAnalysis(id: string): Promise<StoredModelAnalysis>;
  deleteModelAnalysis(id: string): Promise<{ id: string; deleted: boolean }>;
  /** The paper's experiments (`spectral-lab reproduce --list`): what each measures and costs, its arms. */
  listReproduceExperiments(): Promise<ReproduceExperimentInfo[]>;
  /** Starts one as ordinary runs (tagged reproduce:<name>), tables and figures to <store>/reproduce/<id>/; 'busy' while one runs. */
  startReproduce(request: ReproduceRequest): Promise<ReproduceJob>;
  /** The reproduce call running now, or the last one of this lab (null: none). */
  getReproduceJob(): Promise<ReproduceJob | null>;
  /** Cancels the running call: its current run is cancelled, nothing is written. */
  cancelReproduce(jobId: string): Promise<ReproduceJob>;
  /** Every reproduce call saved in this store (also the command line's), newest first. */
  listReproduceResults(): Promise<ReproduceResultInfo[]>;
  /** A drawn result: findings, tables, figures (SVG), where the files are. */
  getReproduceResult(id: string): Promise<ReproduceResult>;
  /** Pushed events; returns the unsubscribe function. Not a request/response method. */
  subscribe(listener: LabEventListener): () => void;
}

/** The request/response methods (everything but `subscribe`). */
export type LabMethod = Exclude<keyof LabApi, 'subscribe'>;
export type LabArgs<M extends LabMethod> = Parameters<LabApi[M]>;
export type LabResult<M extends LabMethod> = Awaited<ReturnType<LabApi[M]>>;

export interface LabMethodSpec {
  /** Parameter names in order (the last ones may be optional: `required` says how many are not). */
  params: readonly string[];
  required: number;
  /** Changes state (starts/stops runs, writes tags/notes). */
  mutates: boolean;
  summary: string;
}

/** The single list both transports are generated from. */
export const LAB_METHODS = {
  getInfo: {
    params: [],
    required: 0,
    mutates: false,
    summary: 'version, backend report, data folder, what is missing',
  },
  getConfigSchema: {
    params: [],
    required: 0,
    mutates: false,
    summary: 'JSON schema of a run config with defaults and help',
  },
  getPresets: { params: [], required: 0, mutates: false, summary: 'ready-made experiment configs' },
  validateConfig: {
    params: ['config'],
    required: 1,
    mutates: false,
    summary: 'check a run config, listing every problem',
  },
  startRun: { params: ['config', 'options'], required: 1, mutates: true, summary: 'start a run now or queue it' },
  pauseRun: { params: ['runId'], required: 1, mutates: true, summary: 'pause a running run' },
  resumeRun: { params: ['runId'], required: 1, mutates: true, summary: 'resume a paused run' },
  cancelRun: { params: ['runId'], required: 1, mutates: true, summary: 'cancel a running, paused or queued run' },
  listRuns: { params: ['filter'], required: 0, mutates: false, summary: 'runs matching a filter' },
  getRun: { params: ['runId'], required: 1, mutates: false, summary: 'one run with config, status and series names' },
  getSeries: {
    params: ['query'],
    required: 1,
    mutates: false,
    summary: 'metric series of runs, downsampled to a budget',
  },
  getLayerBounds: {
    params: ['runId', 'query'],
    required: 1,
    mutates: false,
    summary: 'per-layer spectral-norm bounds at a step',
  },
  getSpectrum: {
    params: ['runId', 'query'],
    required: 2,
    mutates: false,
    summary: 'singular-value histogram of a conv layer at a step',
  },
  getCertifiedRadii: {
    params: ['runId', 'query'],
    required: 1,
    mutates: false,
    summary: 'sorted certified radii of an evaluation, per certificate',
  },
  diffConfigs: {
    params: ['runIds', 'options'],
    required: 1,
    mutates: false,
    summary: 'config fields that differ between runs',
  },
  runSummaries: { params: ['runIds'], required: 1, mutates: false, summary: 'final and best metrics of runs' },
  getRuns: {
    params: ['runIds'],
    required: 1,
    mutates: false,
    summary: 'several runs with config, status and series names',
  },
  getCertifiedRadiiOfRuns: {
    params: ['runIds', 'query'],
    required: 1,
    mutates: false,
    summary: 'sorted certified radii of an evaluation of several runs',
  },
  getReport: {
    params: ['runIds', 'options'],
    required: 2,
    mutates: false,
    summary: 'the HTML report of runs and model analyses, or it printed to PDF',
  },
  setTags: { params: ['runId', 'tags'], required: 2, mutates: true, summary: 'replace the tags of a run' },
  setNotes: { params: ['runId', 'notes'], required: 2, mutates: true, summary: 'replace the notes of a run' },
  deleteRun: { params: ['runId'], required: 1, mutates: true, summary: 'delete a finished run and all it recorded' },
  getRunLog: { params: ['runId'], required: 1, mutates: false, summary: 'the stored log of a run' },
  resumeFromCheckpoint: {
    params: ['runId'],
    required: 1,
    mutates: true,
    summary: 'resume a cancelled or crashed run from its last checkpoint',
  },
  startSweep: { params: ['spec', 'options'], required: 1, mutates: true, summary: 'expand a sweep into queued runs' },
  listSweeps: { params: [], required: 0, mutates: false, summary: 'the sweeps of the store' },
  getSweep: {
    params: ['sweepId'],
    required: 1,
    mutates: false,
    summary: "a sweep's points with values and final metrics",
  },
  listQueue: { params: [], required: 0, mutates: false, summary: 'runs waiting in the persistent queue' },
  moveQueuedRun: {
    params: ['runId', 'position'],
    required: 2,
    mutates: true,
    summary: 'move a waiting run in the queue',
  },
  retryRun: { params: ['runId'], required: 1, mutates: true, summary: 'queue a new attempt of an ended run' },
  analyseModel: {
    params: ['upload', 'request'],
    required: 1,
    mutates: true,
    summary: 'analyse and store an uploaded ONNX / tfjs network',
  },
  listModelAnalyses: { params: [], required: 0, mutates: false, summary: 'stored analyses of imported networks' },
  getModelAnalysis: {
    params: ['id'],
    required: 1,
    mutates: false,
    summary: 'one stored analysis of an imported network',
  },
  deleteModelAnalysis: { params: ['id'], required: 1, mutates: true, summary: 'delete a stored model analysis' },
  listReproduceExperiments: {
    params: [],
    required: 0,
    mutates: false,
    summary: "the paper's experiments, what each measures and costs",
  },
  startReproduce: {
    params: ['request'],
    required: 1,
    mutates: true,
    summary: 'run one of the paper experiments (or draw saved runs)',
  },
  getReproduceJob: { params: [], required: 0, mutates: false, summary: 'the reproduce call running now, or the last' },
  cancelReproduce: { params: ['jobId'], required: 1, mutates: true, summary: 'cancel the running reproduce call' },
  listReproduceResults: { params: [], required: 0, mutates: false, summary: 'reproduce calls saved in the store' },
  getReproduceResult: {
    params: ['id'],
    required: 1,
    mutates: false,
    summary: 'findings, tables and figures of a reproduce call',
  },
} as const satisfies Record<LabMethod, LabMethodSpec>;

export const LAB_METHOD_NAMES = Object.keys(LAB_METHODS) as LabMethod[];

export function isLabMethod(name: string): name is LabMethod {
  return Object.prototype.hasOwnProperty.call(LAB_METHODS, name);
}

/** Electron IPC channel of a method (ipcMain.handle / ipcRenderer.invoke). */
export const ipcChannel = (method: LabMethod): string => `lab:${method}`;
/** IPC channel main pushes LabEvents on (webContents.send). */
export const IPC_EVENT_CHANNEL = 'lab:event';
/** HTTP route of a method: POST with body {"args": [...]} . */
export const httpRoute = (method: LabMethod): string => `/api/${method}`;
/** Server-sent events stream of LabEvents. */
export const HTTP_EVENTS_ROUTE = '/api/events';

// ---------------------------------------------------------------- errors & wire format

export type LabErrorCode =
  | 'bad-request' // malformed arguments
  | 'invalid-config' // config failed validation; details = ConfigIssue[]
  | 'not-found' // unknown run id / method
  | 'conflict' // e.g. pausing a finished run
  | 'busy' // a run is active and the request did not ask to queue
  | 'unauthorized' // serve: missing or wrong token
  | 'forbidden' // serve: foreign Origin/Host
  | 'unavailable' // a needed piece is missing (store, backend ...)
  | 'internal';

/** An error that reaches the UI: what is wrong (message) and what to do next (hint). */
export class LabError extends Error {
  readonly code: LabErrorCode;
  readonly hint: string;
  readonly details?: JsonValue;
  constructor(code: LabErrorCode, message: string, hint: string, details?: JsonValue) {
    super(message);
    this.name = 'LabError';
    this.code = code;
    this.hint = hint;
    this.details = details;
  }
}

export interface LabErrorBody {
  error: string;
  hint: string;
  code: LabErrorCode;
  details?: JsonValue;
}

/** What a method call returns on the wire (IPC return value; HTTP response body). */
export type LabReply<T = unknown> = { ok: true; result: T } | ({ ok: false } & LabErrorBody);

export function errorBody(err: unknown): LabErrorBody {
  if (err instanceof LabError) {
    const body: LabErrorBody = { error: err.message, hint: err.hint, code: err.code };
    if (err.details !== undefined) body.details = err.details;
    return body;
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    error: message,
    hint: 'This is a bug or an unexpected condition; see the log of the lab process.',
    code: 'internal',
  };
}

/** Turn a wire reply back into a value or a thrown LabError (used by every client transport). */
export function unwrapReply<T>(reply: unknown): T {
  if (reply && typeof reply === 'object' && 'ok' in reply) {
    const r = reply as LabReply<T>;
    if (r.ok) return r.result;
    throw new LabError(r.code ?? 'internal', r.error ?? 'unknown error', r.hint ?? '', r.details);
  }
  throw new LabError(
    'internal',
    'The lab sent a reply the UI does not understand.',
    'Reload the window; if it persists, UI and lab versions differ.',
  );
}

/** A raw transport: call a method with positional JSON args, resolving to its wire reply. */
export type LabCall = (method: LabMethod, args: unknown[]) => Promise<unknown>;

/**
 * What the Electron preload exposes as `window.lab`: the wire-level call and the event subscription.
 * The UI builds its LabApi over it with createLabClient (src/renderer/src/transport/ipc.ts), because the
 * context bridge copies only the message of a rejected Error — code and hint must cross as data.
 */
export interface LabBridge {
  apiVersion: number;
  invoke(method: LabMethod, args: unknown[]): Promise<unknown>;
  subscribe(listener: LabEventListener): () => void;
}

/** Build a LabApi over any transport (IPC in the preload, fetch + SSE in a browser, direct calls in tests). */
export function createLabClient(call: LabCall, subscribe: (listener: LabEventListener) => () => void): LabApi {
  const api: Record<string, unknown> = { subscribe };
  for (const method of LAB_METHOD_NAMES) {
    api[method] = async (...args: unknown[]) => unwrapReply(await call(method, trimArgs(args)));
  }
  return api as unknown as LabApi;
}

/** Drop trailing undefined args so they survive JSON (undefined becomes null inside arrays). */
export function trimArgs(args: unknown[]): unknown[] {
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  return args.slice(0, n);
}
