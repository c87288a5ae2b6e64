/**
 * What the service layer needs from the engine and the store, stated in the contract's own terms.
 * The real engine host and SQLite store are plugged in through adapters (engine-adapter.ts,
 * store-adapter.ts); tests plug in fakes. Keeping the ports narrow keeps LabService independent of
 * how a run is trained or persisted.
 */
import type {
  ConfigDiff,
  LayerBounds,
  LayerBoundsQuery,
  LayerSpectrum,
  RunDetail,
  RunFilter,
  RunList,
  RunStatus,
  RunSummary,
  SeriesQuery,
  SeriesResult,
  SpectrumQuery,
} from '../../shared/api.js';
import type { BackendReport as EngineBackendReport } from '../../shared/backend.js';
  CertifiedRadii,
  CertifiedRadiiQuery,
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

export interface EnginePort {
  start(runId: string, config: RunConfig): EngineRun;
  /** Which tfjs backend a run would get, probed without training (cached by the caller). */
  probeBackend?(): Promise<EngineBackendReport>;
}

export interface NewRun {
  name: string;
  config: RunConfig;
  tags: string[];
  status: RunStatus;
}

export interface StorePort {
  createRun(run: NewRun): Promise<string>;
  setStatus(runId: string, status: RunStatus, error?: string | null): Promise<void>;
  /** Persist one engine event of a run (steps, evals, checkpoints, logs, summary). */
  record(runId: string, event: EngineEvent): Promise<void>;
  listRuns(filter: RunFilter): Promise<RunList>;
  /** null when unknown. */
  getRun(runId: string): Promise<RunDetail | null>;
  getSeries(query: SeriesQuery): Promise<SeriesResult>;
  getLayerBounds(runId: string, query: LayerBoundsQuery): Promise<LayerBounds>;
  getSpectrum(runId: string, query: SpectrumQuery): Promise<LayerSpectrum>;
  diffConfigs(runIds: string[], all: boolean): Promise<ConfigDiff>;
  runSummaries(runIds: string[]): Promise<RunSummary[]>;
  setTags(runId: string, tags: string[]): Promise<string[]>;
  setNotes(runId: string, notes: string): Promise<string>;
  /** Make everything recorded so far readable (the store batches appends). */
  flush?(): Promise<void>;
  close(): Promise<void>;
}
  getCertifiedRadii(runId: string, query: CertifiedRadiiQuery): Promise<CertifiedRadii>;
