/**
 * What the service layer needs from the engine and the store, stated in the contract's own terms.
 * The real engine host and SQLite store are plugged in through adapters (engine-adapter.ts,
 * store-adapter.ts); tests plug in fakes. Keeping the ports narrow keeps LabService independent of
 * how a run is trained or persisted.
 */
import type {
  ConfigDiff,
  DeleteRunResult,
  LayerBounds,
  LayerBoundsQuery,
  LayerSpectrum,
  RunDetail,
  RunFilter,
  RunList,
  RunLogEntry,
  RunStatus,
  RunSummary,
  SeriesQuery,
  SeriesResult,
  SpectrumQuery,
  CertifiedRadii,
  CertifiedRadiiQuery,
} from '../../shared/api.js';
import type { BackendReport as EngineBackendReport } from '../../shared/backend.js';
import type { RunConfig } from '../../shared/config.js';
import type { EngineEvent } from '../../shared/events.js';

export interface EngineRun {
  /** Every event of the run, in order; the returned function unsubscribes. */
  onEvent(listener: (event: EngineEvent) => void): () => void;
  pause(): void;
  resume(): void;
  cancel(reason?: string): void;
  /** Settles when the worker is gone (after 'finished', or on a crash: then it rejects). */
  done: Promise<unknown>;
}

/** The checkpoint a resumed run starts from (its weights; training continues at step + 1). */
export interface ResumePoint {
  step: number;
  path: string;
  sha256: string;
}

export interface EnginePort {
  start(runId: string, config: RunConfig, options?: { resumeFrom?: ResumePoint }): EngineRun;
  /** Which tfjs backend a run would get, probed without training (cached by the caller). */
  probeBackend?(): Promise<EngineBackendReport>;
}

export interface NewRun {
  name: string;
  config: RunConfig;
  tags: string[];
  notes?: string;
  status: RunStatus;
}

export type RunLogLine = Omit<RunLogEntry, 'seq' | 'at'> & { at?: number };

export interface StorePort {
  createRun(run: NewRun): Promise<string>;
  /** Moves the run along the one transition table (records.ts RUN_TRANSITIONS); a refused move is a 'conflict'. */
  setStatus(runId: string, status: RunStatus, error?: string | null): Promise<void>;
  /** Persist one engine event of a run (steps, evals, checkpoints, logs, summary). */
  record(runId: string, event: EngineEvent): Promise<void>;
  listRuns(filter: RunFilter): Promise<RunList>;
  /** null when unknown. */
  getRun(runId: string): Promise<RunDetail | null>;
  getSeries(query: SeriesQuery): Promise<SeriesResult>;
  getLayerBounds(runId: string, query: LayerBoundsQuery): Promise<LayerBounds>;
  getSpectrum(runId: string, query: SpectrumQuery): Promise<LayerSpectrum>;
  getCertifiedRadii(runId: string, query: CertifiedRadiiQuery): Promise<CertifiedRadii>;
  diffConfigs(runIds: string[], all: boolean): Promise<ConfigDiff>;
  runSummaries(runIds: string[]): Promise<RunSummary[]>;
  setTags(runId: string, tags: string[]): Promise<string[]>;
  setNotes(runId: string, notes: string): Promise<string>;
  deleteRun(runId: string): Promise<DeleteRunResult>;
  appendLog(runId: string, lines: RunLogLine[]): Promise<void>;
  runLog(runId: string): Promise<RunLogEntry[]>;
  /** The run's last checkpoint whose file is intact, or null. */
  lastCheckpoint(runId: string): Promise<ResumePoint | null>;
  /** Remove what the run recorded after `step`, before resuming it from the checkpoint there. */
  rewindRun(runId: string, step: number): Promise<void>;
  /** Make everything recorded so far readable (the store batches appends). */
  flush?(): Promise<void>;
  close(): Promise<void>;
}
