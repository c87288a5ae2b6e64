/**
 * The run store of one data folder: the public face over the modules next to it. Reads go to the
 * reader connection, changes to the single writer; a closed or read-only store refuses changes with
 * a clear error, and SQLite corruption met on the way is reported as such.
 */
import fs from 'node:fs';
import path from 'node:path';
import type {
  ConfigDiff,
  CheckpointRecord,
  CreateRunInput,
  LayerRecord,
  RunFilter,
  RunList,
  RunLogEntry,
  RunRecord,
  RunSummary,
  SeriesInfo,
  SeriesQuery,
  SeriesResult,
  SpectrumRecord,
  StatusChange,
} from '../../shared/records.js';
import * as artifacts from './artifacts.js';
import type { FlushStats } from './batch.js';
import type { EngineEventSink } from './engine-events.js';
import type { StorePaths } from './data-dir.js';
import { StoreError } from './errors.js';
import { corruptDatabase } from './inspect.js';
import { listLayers, upsertLayers } from './layers.js';
import { getCertRadii, putCertRadii, type CertRadiiRecord } from './cert-radii.js';
import { listRuns } from './list.js';
import { acquireRunLock } from './lock.js';
import type { MigrationReport } from './migrate.js';
import { openDataFolder, type OpenedStore, type OpenStoreOptions } from './open.js';
import { recoverCrashedRuns, type RecoveredRun } from './recovery.js';
import * as control from './run-control.js';
import { loadRunRow, recordsOf } from './run-rows.js';
import { appendRunLog, logLinesOf, readRunLog, type RunLogInput } from './run-log.js';
import { rewindRun } from './rewind.js';
import * as runs from './runs.js';
import { getSeries, listSeries } from './series-query.js';
import { sqliteCode } from './sqlite.js';
import * as summary from './summary.js';
import { SweepStore } from './sweep-store.js';
import { ModelAnalysisStore } from './model-analyses.js';
import * as watch from './watch.js';
import { StoreWriter } from './writer.js';

export class Store {
  private closed = false;
  private readonly writers = new Set<StoreWriter>();

  private constructor(private readonly o: OpenedStore) {}

  static async open(options: OpenStoreOptions = {}): Promise<Store> {
    return new Store(await openDataFolder(options));
  }

  get paths(): StorePaths {
    return this.o.paths;
  }
  get readonly(): boolean {
    return this.o.readonly;
  }
  /** What the open did to the schema (null when read-only). */
  get migration(): MigrationReport | null {
    return this.o.migration;
  }
  /** Runs found 'running' with a dead owner at open, now 'crashed'. */
  get recoveredRuns(): readonly RecoveredRun[] {
    return this.o.recovered;
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed)
      throw new StoreError(
        'closed',
        `The run store ${this.o.paths.database} is closed.`,
        'Open it again with openStore().',
      );
    try {
      return await fn();
    } catch (err) {
      const code = sqliteCode(err);
      if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') throw corruptDatabase(this.o.paths.database, err);
      throw err;
    }
  }

  private get w(): runs.WriteContext {
    if (!this.o.wdb || !this.o.batch) {
      throw new StoreError(
        'read-only',
        `The run store ${this.o.paths.database} was opened read-only.`,
        'Open it without { readonly: true } to change it.',
      );
    }
    return { wdb: this.o.wdb, batch: this.o.batch, validateConfig: this.o.validateConfig, facets: this.o.facets };
  }

  // ------------------------------------------------------------------ runs

  /** Validates the config (nothing is written if it is refused) and records a new run. */
  createRun(input: CreateRunInput): Promise<RunRecord> {
    return this.guard(async () => this.getRun(await runs.createRun(this.w, input)));
  }

  getRun(runId: string): Promise<RunRecord> {
    return this.guard(async () => (await recordsOf(this.o.rdb, [await loadRunRow(this.o.rdb, runId)]))[0]);
  }

  listRuns(filter?: RunFilter): Promise<RunList> {
    return this.guard(() => listRuns(this.o.rdb, filter));
  }

  setStatus(runId: string, change: StatusChange): Promise<RunRecord> {
    return this.guard(async () => {
      await runs.setStatus(this.w, runId, change);
      return this.getRun(runId);
    });
  }

  /** The writer the engine appends points to; appends are batched into one transaction per interval. */
  writer(runId: string): Promise<StoreWriter> {
    return this.guard(async () => {
      const ctx = this.w;
      const row = await loadRunRow(this.o.rdb, runId);
      // One writer per run across every process sharing the store.
      const lock = acquireRunLock(this.o.paths.locks, runId);
      const writer = new StoreWriter(
        {
          batch: ctx.batch,
          setStatus: (id, c) => this.setStatus(id, c),
          upsertLayers: (rid, layers) => this.guard(() => upsertLayers(this.w.wdb, rid, layers)),
          putCertRadii: (rid, step, radii) => this.guard(() => putCertRadii(this.w.wdb, rid, step, radii)),
          closed: () => {
            lock.release();
            this.writers.delete(writer);
          },
        },
        runId,
        row.rid,
        row.created_at,
      );
      this.writers.add(writer);
      return writer;
    });
  }

  /** For recordEngineEvent: the writer plus checkpoint recording (hash checked against the engine's) and the run log. */
  eventSink(writer: StoreWriter): EngineEventSink {
    return {
      writer,
      addCheckpoint: (step, file, sha256) => this.addCheckpoint(writer.runId, { step, path: file, sha256 }),
      log: (event) => this.appendLog(writer.runId, logLinesOf(event)),
    };
  }

  /** Add lines to the run's stored log (messages, warnings, evaluations, errors). */
  appendLog(runId: string, lines: readonly RunLogInput[]): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    return this.guard(async () => appendRunLog(this.w.wdb, (await loadRunRow(this.o.rdb, runId)).rid, lines));
  }
  /** The run's stored log, oldest line first. */
  runLog(runId: string): Promise<RunLogEntry[]> {
    return this.guard(async () => readRunLog(this.o.rdb, (await loadRunRow(this.o.rdb, runId)).rid));
  }
  /** Remove what the run recorded after `step` (to resume it from the checkpoint at that step). */
  rewindRun(runId: string, step: number): Promise<RunRecord> {
    return this.guard(async () => {
      const ctx = this.w;
      await ctx.batch.flush();
      await rewindRun(ctx.wdb, ctx.batch, runId, step);
      return this.getRun(runId);
    });
  }

  addTag(runId: string, tag: string): Promise<RunRecord> {
    return this.guard(async () => (await runs.updateTags(this.w, runId, { add: [tag] }), this.getRun(runId)));
  }
  removeTag(runId: string, tag: string): Promise<RunRecord> {
    return this.guard(async () => (await runs.updateTags(this.w, runId, { remove: [tag] }), this.getRun(runId)));
  }
  setTags(runId: string, tags: string[]): Promise<RunRecord> {
    return this.guard(async () => (await runs.updateTags(this.w, runId, { set: tags }), this.getRun(runId)));
  }
  setNotes(runId: string, notes: string): Promise<RunRecord> {
    return this.guard(async () => (await runs.updateRunText(this.w, runId, 'notes', notes), this.getRun(runId)));
  }
  renameRun(runId: string, name: string): Promise<RunRecord> {
    return this.guard(async () => (await runs.updateRunText(this.w, runId, 'name', name), this.getRun(runId)));
  }

  /**
   * Delete a run and all it recorded. Checkpoint files inside the data folder are deleted too
   * (unless deleteCheckpointFiles is false); files elsewhere are never touched.
   */
  deleteRun(runId: string, options: { deleteCheckpointFiles?: boolean } = {}): Promise<{ deletedFiles: string[] }> {
    return this.guard(async () => {
      const { checkpointPaths } = await runs.deleteRunRows(this.w, runId, this.o.staleAfterMs);
      const deletedFiles: string[] = [];
      if (options.deleteCheckpointFiles !== false) {
        for (const stored of checkpointPaths) {
          if (path.isAbsolute(stored)) continue;
          const file = artifacts.absolutePath(this.o.paths.dataDir, stored);
          if (fs.existsSync(file)) {
            fs.rmSync(file, { force: true });
            deletedFiles.push(file);
          }
        }
      }
      return { deletedFiles };
    });
  }

  // ------------------------------------------------------------------ series & comparison

  /** Series of several runs, each downsampled to the budget keeping every bucket's min and max. */
  getSeries(query: SeriesQuery): Promise<SeriesResult> {
    return this.guard(() => getSeries(this.o.rdb, query));
  }
  listSeries(runId: string): Promise<SeriesInfo[]> {
    return this.guard(() => listSeries(this.o.rdb, runId));
  }
  diffConfigs(runIds: string[], options?: { all?: boolean }): Promise<ConfigDiff> {
    return this.guard(() => summary.diffConfigs(this.o.rdb, runIds, options));
  }
  runSummaries(runIds: string[]): Promise<RunSummary[]> {
    return this.guard(() => summary.runSummaries(this.o.rdb, runIds));
  }
  /** Every layer bound at a step ('latest' by default), with iterations and time where recorded. */
  layerBounds(runId: string, step?: number | 'latest'): Promise<summary.LayerBoundsAt> {
    return this.guard(() => summary.layerBoundsAt(this.o.rdb, runId, step));
  }
  /** The conv and dense layers of a run in model order: kernel shape (HWIO), stride, padding, input size. */
  layers(runId: string): Promise<LayerRecord[]> {
    return this.guard(() => listLayers(this.o.rdb, runId));
  }
  certifiedCurves(runIds: string[]): Promise<summary.CertCurve[]> {
    return this.guard(() => summary.certifiedCurves(this.o.rdb, runIds));
  }

  /** Sweeps and the persistent run queue (sweep-store.ts), over this store's connections. */
  get sweeps(): SweepStore {
    return new SweepStore(this, { read: () => this.o.rdb, write: () => this.w.wdb, guard: (fn) => this.guard(fn) });
  }

  /** Analyses of imported networks (model-analyses.ts, schema version 9). */
  get modelAnalyses(): ModelAnalysisStore {
    return new ModelAnalysisStore({ read: () => this.o.rdb, write: () => this.w.wdb, guard: (fn) => this.guard(fn) });
  }

  // ------------------------------------------------------------------ files & blobs

  addCheckpoint(runId: string, input: artifacts.AddCheckpointInput): Promise<CheckpointRecord> {
    return this.guard(() => artifacts.addCheckpoint(this.w.wdb, this.o.paths.dataDir, runId, input));
  }
  listCheckpoints(runId: string): Promise<CheckpointRecord[]> {
    return this.guard(() => artifacts.listCheckpoints(this.o.rdb, this.o.paths.dataDir, runId));
  }
  verifyCheckpoint(cp: CheckpointRecord): Promise<{ ok: boolean; problem: string | null }> {
    return artifacts.verifyCheckpoint(cp);
  }
  /** One evaluation's certified radii per certificate (default: the latest evaluation that has them). */
  certRadii(runId: string, step?: number): Promise<CertRadiiRecord> {
    return this.guard(() => getCertRadii(this.o.rdb, runId, step));
  }

  getSpectrum(runId: string, query: { layer: string; step?: number; method?: string }): Promise<SpectrumRecord | null> {
    return this.guard(() => artifacts.getSpectrum(this.o.rdb, runId, query));
  }
  listSpectra(runId: string): Promise<{ layer: string; method: string; step: number; count: number }[]> {
    return this.guard(() => artifacts.listSpectra(this.o.rdb, runId));
  }

  // ------------------------------------------------------------------ other processes

  /** Runs queued or running, or created / ended since `since` (ms): what a watcher compares between polls. */
  watchedRuns(since: number): Promise<watch.WatchedRun[]> {
    return this.guard(() => watch.watchedRuns(this.o.rdb, since));
  }
  runWatermarks(runId: string): Promise<{ series: Map<number, number>; boundStep: number }> {
    return this.guard(() => watch.runWatermarks(this.o.rdb, runId));
  }
  pointsSince(runId: string, watermarks: ReadonlyMap<number, number>): Promise<watch.NewPoint[]> {
    return this.guard(() => watch.pointsSince(this.o.rdb, runId, watermarks));
  }
  /** Whether another live process on this machine writes the run (then requestControl can reach it). */
  hasOtherWriter(runId: string): boolean {
    return control.otherWriter(this.o.paths.locks, runId) !== null;
  }
  /** Ask the process writing a run to pause, resume or cancel it (see run-control.ts). */
  requestControl(runId: string, action: control.ControlAction, by: string): void {
    control.requestControl(this.o.paths.locks, runId, action, by);
  }
  /** A pending pause/resume/cancel request for a run this process writes (null: none). */
  takeControlRequest(runId: string): control.ControlRequest | null {
    return control.takeControlRequest(this.o.paths.locks, runId);
  }
  /** Runs whose process is gone become crashed (queued ones cancelled), as at open; none when read-only. */
  recoverOrphanedRuns(): Promise<RecoveredRun[]> {
    return this.guard(async () => (this.o.wdb ? recoverCrashedRuns(this.o.wdb, this.o.staleAfterMs) : []));
  }

  // ------------------------------------------------------------------ maintenance

  /** Write everything appended so far (null when read-only). */
  flush(): Promise<FlushStats | null> {
    return this.guard(async () => (this.o.batch ? this.o.batch.flush() : null));
  }

  /** PRAGMA integrity_check (a full scan: seconds on large stores). */
  checkIntegrity(): Promise<{ ok: boolean; messages: string[] }> {
    return this.guard(async () => {
      const rows = await this.o.rdb.all<{ integrity_check: string }>('PRAGMA integrity_check');
      const messages = rows.map((r) => r.integrity_check);
      return { ok: messages.length === 1 && messages[0] === 'ok', messages };
    });
  }

  /** Flush, close the writers (freeing their runs' locks) and both connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      for (const w of this.writers) await w.close().catch(() => undefined);
      await this.o.batch?.close();
    } finally {
      this.closed = true;
      await this.o.rdb.close().catch(() => undefined);
      await this.o.wdb?.close().catch(() => undefined);
    }
  }
}

/** Open (create or upgrade) the run store of a folder; many processes may have it open at once. */
export function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  return Store.open(options);
}
