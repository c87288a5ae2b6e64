/**
 * LabService: the LabApi over an engine and a store. Validates configs, keeps the run queue, forwards
 * every engine event to the store (in order, per run) and to subscribers (as LabEvents), and overlays
 * live state (status, progress, queue position) on what the store returns.
 */
import { z } from 'zod';
import {
  ACTIVE_RUN_STATUSES,
  FINAL_RUN_STATUSES,
  LAB_API_VERSION,
  RESUMABLE_RUN_STATUSES,
  LabError,
  type ConfigSchemaInfo,
  type DeleteRunResult,
  type JsonObject,
  type LabApi,
  type LabEvent,
  type LabEventListener,
  type LabInfo,
  type LayerBoundsQuery,
  type ReportFile,
  type ReportFormat,
  type SpectrumQuery,
  type CertifiedRadiiQuery,
  type MissingPiece,
  type Preset,
  type RunControlResult,
  type RunDetail,
  type RunFilter,
  type RunProgress,
  type RunList,
  type RunLog,
  type RunStatus,
  type SeriesQuery,
  type StartRunOptions,
  type StartRunResult,
  type ValidationResult,
} from '../../shared/api.js';
import type { BackendReport as EngineBackendReport } from '../../shared/backend.js';
import { RunConfigObjectSchema, safeParseRunConfig, type RunConfig } from '../../shared/config.js';
import type { EngineEvent } from '../../shared/events.js';
import { toLabEvents, type RunLiveState } from './event-map.js';
import { liveMetrics } from './live-metrics.js';
import type { EnginePort, EngineRun, ResumePoint, StorePort } from './ports.js';
import { RunQueue } from './queue.js';
import type { SweepControl } from './sweeps.js';
import type { ModelAnalysisControl } from './model-analyses.js';
import type { ModelAnalysisRequest, ModelUpload } from '../../shared/model-analysis.js';

export interface LabServiceOptions {
  engine: EnginePort;
  store: StorePort;
  dataDir: string;
  shell: LabInfo['shell'];
  version: string;
  versions?: { electron: string | null; chrome: string | null };
  maxConcurrent?: number;
  presets?: () => Preset[];
  /** Writes the report of runs (HTML, or printed to PDF by the shell's printer); absent: getReport is 'unavailable'. */
  report?: (runIds: string[], format: ReportFormat) => Promise<ReportFile>;
  missing?: () => MissingPiece[];
  /** Wait this long for pause/resume/cancel to take effect before answering (ms). */
  controlWaitMs?: number;
  log?: (message: string) => void;
  /** Sweeps and the store's persistent queue (app/sweeps.ts); without it the sweep methods answer 'unavailable'. */
  sweeps?: SweepControl;
  /** Imported-network analyses (app/model-analyses.ts); without it the model methods answer 'unavailable'. */
  models?: ModelAnalysisControl;
  /** Runs other processes write into the same store (app/external-runs.ts): pause/resume/cancel reach them; null = not one of those. */
  external?: { control(runId: string, action: 'pause' | 'resume' | 'cancel'): Promise<RunStatus | null> };
}

interface LiveRun extends RunLiveState {
  config: RunConfig;
  /** Set when the run continues from a checkpoint instead of step 0. */
  resumeFrom: ResumePoint | null;
  handle: EngineRun | null;
  /** Store writes of this run, chained to keep their order. */
  writes: Promise<void>;
  /** Engine events of this run being translated and pushed, in order. */
  events: Promise<void>;
}

export class LabService implements LabApi {
  private readonly listeners = new Set<LabEventListener>();
  private readonly live = new Map<string, LiveRun>();
  private readonly queue: RunQueue;
  private backendProbe: Promise<EngineBackendReport | null> | null = null;
  private closed = false;

  constructor(private readonly opts: LabServiceOptions) {
    this.queue = new RunQueue(
      opts.maxConcurrent ?? 1,
      (runId) => this.launch(runId),
      (queue) => this.emit({ kind: 'queue', at: Date.now(), queue }),
    );
    // Runs still waiting in the store (queued by `sweep`, or before a restart) join the run queue in order.
    opts.sweeps
      ?.attach({ adopt: (runId) => this.adoptQueuedRun(runId), move: (runId, position) => void this.queue.move(runId, position) })
      .catch((err: unknown) => this.opts.log?.(`could not resume the stored run queue: ${errorText(err)}`));
  }

  // ------------------------------------------------------------ info & config

  async getInfo(): Promise<LabInfo> {
    const report = await this.probeBackend();
    return {
      app: 'spectral-lab',
      version: this.opts.version,
      apiVersion: LAB_API_VERSION,
      shell: this.opts.shell,
      dataDir: this.opts.dataDir,
      platform: `${process.platform}-${process.arch}`,
      versions: { node: process.versions.node, electron: this.opts.versions?.electron ?? null, chrome: this.opts.versions?.chrome ?? null },
      backend: report
        ? { active: report.name, candidates: report.tried.map((t) => ({ name: t.name, available: t.available, note: t.reason ?? (t.name === report.name ? 'in use' : 'available') })) }
        : { active: null, candidates: [] },
      missing: this.opts.missing?.() ?? [],
      queue: this.queue.state(),
    };
  }

  async getConfigSchema(): Promise<ConfigSchemaInfo> {
    const jsonSchema = z.toJSONSchema(RunConfigObjectSchema, { io: 'input', unrepresentable: 'any' }) as JsonObject;
    const parsed = safeParseRunConfig({});
    if (!parsed.success) throw new LabError('internal', `The default run config is invalid: ${parsed.error.message}`, 'Fix the defaults in src/shared/config.ts.');
    return { jsonSchema, defaults: parsed.data as unknown as Record<string, unknown> };
  }

  async getPresets(): Promise<Preset[]> {
    return this.opts.presets?.() ?? [];
  }

  async validateConfig(config: unknown): Promise<ValidationResult> {
    const r = safeParseRunConfig(config);
    return r.success ? { ok: true, errors: [], config: r.data as unknown as Record<string, unknown> } : { ok: false, errors: r.error.issues };
  }

  // ------------------------------------------------------------ run control

  async startRun(config: Record<string, unknown>, options: StartRunOptions = {}): Promise<StartRunResult> {
    this.assertOpen();
    const r = safeParseRunConfig(config);
    if (!r.success) {
      throw new LabError('invalid-config', r.error.message, 'Fix the fields listed (details has one entry per field) and start again.', r.error.issues);
    }
    const queue = options.queue === true;
    if (!queue) this.queue.assertCanStartNow();
    const name = options.name ?? r.data.name;
    const runId = await this.opts.store.createRun({ name, config: r.data, tags: options.tags ?? [], notes: options.notes, status: 'queued' });
    this.live.set(runId, { config: r.data, resumeFrom: null, handle: null, writes: Promise.resolve(), events: Promise.resolve(), status: 'queued', progress: null, stepsPerEpoch: null, backend: null });
    this.emit({ kind: 'run-status', runId, at: Date.now(), status: 'queued', previous: null, message: null });
    // A queued run is kept in the store's queue too, so it survives a restart of the app.
    if (queue) await this.opts.sweeps?.enqueue(runId);
    try {
      const placed = this.queue.submit(runId, queue);
      return { runId, ...placed };
    } catch (err) {
      // Lost a race for the last slot between the check and the submit: leave no half-started run.
      await this.finalize(runId, 'cancelled', 'not started: no free slot');
      throw err;
    }
  }

  async pauseRun(runId: string): Promise<RunControlResult> {
    const elsewhere = await this.controlElsewhere(runId, 'pause');
    if (elsewhere) return elsewhere;
    const run = await this.activeRun(runId, 'pause');
    if (run.status === 'paused') return { runId, status: 'paused' };
    run.handle?.pause();
    return { runId, status: await this.waitForStatus(runId, ['paused', ...FINAL_RUN_STATUSES]) };
  }

  async resumeRun(runId: string): Promise<RunControlResult> {
    const elsewhere = await this.controlElsewhere(runId, 'resume');
    if (elsewhere) return elsewhere;
    const run = await this.activeRun(runId, 'resume');
    if (run.status === 'running') return { runId, status: 'running' };
    run.handle?.resume();
    return { runId, status: await this.waitForStatus(runId, ['running', ...FINAL_RUN_STATUSES]) };
  }

  async cancelRun(runId: string): Promise<RunControlResult> {
    const run = this.live.get(runId);
    if (run && this.queue.withdraw(runId)) {
      await this.finalize(runId, 'cancelled', 'cancelled while queued');
      return { runId, status: 'cancelled' };
    }
    if (!run) {
      const stored = await this.requireRun(runId);
      if (stored.status === 'cancelled') return { runId, status: 'cancelled' };
      const elsewhere = await this.controlElsewhere(runId, 'cancel');
      if (elsewhere) return elsewhere;
      // Waiting in the store's queue for Redis workers (sweep --redis): taken out of it.
      if (stored.status === 'queued' && (await this.opts.sweeps?.cancelQueued(runId))) return { runId, status: 'cancelled' };
      if (stored.status === 'queued' || stored.status === 'running' || stored.status === 'paused') {
        // Another process (another app, serve, or a script) owns it, and not through a run lock this one can reach.
        const owner = `process ${stored.pid ?? '?'}${stored.host ? ` on ${stored.host}` : ''}`;
        throw new LabError('conflict', `Run ${runId} is ${stored.status} in another ${owner}.`, 'Cancel it where it runs; if that process is gone, the run is marked cancelled or crashed within a few seconds.');
      }
      throw new LabError('conflict', `Run ${runId} is ${stored.status}; only running, paused or queued runs can be cancelled.`, 'Nothing to do: the run has already ended.');
    }
    run.handle?.cancel('cancelled by the user');
    return { runId, status: await this.waitForStatus(runId, FINAL_RUN_STATUSES) };
  }

  // ------------------------------------------------------------ sweeps & the persistent queue (sweeps.ts)

  startSweep(spec: JsonObject) {
    return this.sweepControl().startSweep(spec);
  }
  listSweeps() {
    return this.sweepControl().listSweeps();
  }
  getSweep(sweepId: string) {
    return this.sweepControl().getSweep(sweepId);
  }
  listQueue() {
    return this.sweepControl().listQueue();
  }
  moveQueuedRun(runId: string, position: number) {
    return this.sweepControl().moveQueuedRun(runId, position);
  }
  retryRun(runId: string) {
    return this.sweepControl().retryRun(runId);
  }

  // ------------------------------------------------------------ imported networks (model-analyses.ts)

  analyseModel(upload: ModelUpload, request?: ModelAnalysisRequest) {
    return this.modelControl().analyse(upload, request);
  }
  listModelAnalyses() {
    return this.modelControl().list();
  }
  getModelAnalysis(id: string) {
    return this.modelControl().get(id);
  }
  deleteModelAnalysis(id: string) {
    return this.modelControl().remove(id);
  }
  private modelControl(): ModelAnalysisControl {
    if (!this.opts.models) throw new LabError('unavailable', 'Model analyses need the run store of the app or of serve.', 'Use spectral-lab bounds --model FILE from a terminal.');
    return this.opts.models;
  }

  /** A run recorded 'queued' in the store (a sweep's, or one waiting since before a restart) joins the run queue. */
  private async adoptQueuedRun(runId: string): Promise<StartRunResult> {
    const stored = await this.requireRun(runId);
    const r = safeParseRunConfig(stored.config);
    if (stored.status !== 'queued' || !r.success) {
      throw new LabError('conflict', `Run ${runId} is ${stored.status}${r.success ? '' : ' and its config no longer validates'}; only a valid queued run can start.`, 'Start a new run from its config in New experiment.');
    }
    this.live.set(runId, { config: r.data, resumeFrom: null, handle: null, writes: Promise.resolve(), events: Promise.resolve(), status: 'queued', progress: null, stepsPerEpoch: null, backend: null });
    this.emit({ kind: 'run-status', runId, at: Date.now(), status: 'queued', previous: null, message: null });
    return { runId, ...this.queue.submit(runId, true) };
  }

  private sweepControl(): SweepControl {
    if (!this.opts.sweeps) throw new LabError('unavailable', 'Sweeps need the run store of the app or of serve.', 'Use spectral-lab sweep FILE --store DIR from a terminal.');
    return this.opts.sweeps;
  }

  // ------------------------------------------------------------ reading

  async listRuns(filter: RunFilter = {}): Promise<RunList> {
    const list = await this.opts.store.listRuns(filter);
    return { ...list, runs: list.runs.map((r) => this.overlay(r)) };
  }

  /** A run as stored, with the live status, step and progress of a run this lab is running. */
  private overlay<T extends { id: string; status: RunStatus; lastStep: number; progress: RunProgress | null }>(r: T): T {
    const run = this.live.get(r.id);
    if (!run) return r;
    return { ...r, status: run.status, progress: run.progress ?? r.progress, lastStep: Math.max(r.lastStep, run.progress?.step ?? 0) };
  }

  async getRun(runId: string): Promise<RunDetail> {
    // A run that has just ended is read once its last writes (checkpoint, status) are in.
    const ending = this.live.get(runId);
    if (ending && FINAL_RUN_STATUSES.includes(ending.status)) await ending.writes;
    const stored = await this.requireRun(runId);
    const run = this.live.get(runId);
    if (!run) return stored;
    const ended = FINAL_RUN_STATUSES.includes(run.status);
    return { ...this.overlay(stored), queuePosition: this.queue.position(runId), backend: run.backend ?? stored.backend, resumableFrom: ended ? stored.resumableFrom : null };
  }

  getSeries(query: SeriesQuery) {
    return this.opts.store.getSeries(query);
  }

  async getLayerBounds(runId: string, query: LayerBoundsQuery = {}) {
    await this.requireRun(runId);
    return this.opts.store.getLayerBounds(runId, query);
  }

  async getCertifiedRadii(runId: string, query: CertifiedRadiiQuery = {}) {
    await this.requireRun(runId);
    return this.opts.store.getCertifiedRadii(runId, query);
  }

  async getSpectrum(runId: string, query: SpectrumQuery) {
    await this.requireRun(runId);
    return this.opts.store.getSpectrum(runId, query);
  }

  async diffConfigs(runIds: string[], options: { all?: boolean } = {}) {
    for (const id of runIds) await this.requireRun(id);
    return this.opts.store.diffConfigs(runIds, options.all === true);
  }

  async runSummaries(runIds: string[]) {
    for (const id of runIds) await this.requireRun(id);
    const sums = await this.opts.store.runSummaries(runIds);
    return sums.map((s) => ({ ...s, run: this.overlay(s.run) }));
  }

  async setTags(runId: string, tags: string[]) {
    await this.requireRun(runId);
    const unique = [...new Set(tags.map((t) => t.trim()).filter(Boolean))];
    return { runId, tags: await this.opts.store.setTags(runId, unique) };
  }

  async setNotes(runId: string, notes: string) {
    await this.requireRun(runId);
    return { runId, notes: await this.opts.store.setNotes(runId, notes) };
  }

  /** The report of runs as stored (a live run: what it has recorded so far), as HTML or PDF. */
  async getReport(runIds: string[], options: { format: ReportFormat }): Promise<ReportFile> {
    for (const id of runIds) await this.requireRun(id);
    if (!this.opts.report) {
      throw new LabError('unavailable', 'This lab was started without a report writer.', 'Run `spectral-lab export --format html` (or pdf) on its data folder instead.');
    }
    return this.opts.report(runIds, options.format);
  }

  async deleteRun(runId: string): Promise<DeleteRunResult> {
    const run = this.live.get(runId);
    const status = run?.status ?? (await this.requireRun(runId)).status;
    if (run && !FINAL_RUN_STATUSES.includes(status)) {
      throw new LabError('conflict', `Run ${runId} is ${status}; a ${status} run cannot be deleted.`, 'Cancel it first (Cancel on its page, or cancelRun), then delete it.');
    }
    await run?.writes;
    this.live.delete(runId);
    const result = await this.opts.store.deleteRun(runId);
    this.emit({ kind: 'run-deleted', runId, at: Date.now() });
    return result;
  }

  async getRunLog(runId: string): Promise<RunLog> {
    await this.requireRun(runId);
    return { runId, entries: await this.opts.store.runLog(runId) };
  }

  /**
   * Run a cancelled or crashed run again from its last intact checkpoint: what it recorded after that
   * step is removed, the weights are loaded, and training continues at the next step under the same id.
   * The optimiser's state (momentum, Adam moments) is not in a checkpoint: it restarts from zero.
   */
  async resumeFromCheckpoint(runId: string): Promise<StartRunResult> {
    this.assertOpen();
    const stored = await this.requireRun(runId);
    const live = this.live.get(runId);
    if ((live && !FINAL_RUN_STATUSES.includes(live.status)) || !RESUMABLE_RUN_STATUSES.includes(live?.status ?? stored.status)) {
      const status = live?.status ?? stored.status;
      const hint = ACTIVE_RUN_STATUSES.includes(status) ? 'It is still active: pause or cancel it instead.' : status === 'queued' ? 'It has not started yet.' : 'Only cancelled or crashed runs can be resumed; start a new experiment from this run instead.';
      throw new LabError('conflict', `Run ${runId} is ${live?.status ?? stored.status}; it cannot be resumed from a checkpoint.`, hint);
    }
    const r = safeParseRunConfig(stored.config);
    if (!r.success) throw new LabError('invalid-config', `The stored config of run ${runId} is no longer valid: ${r.error.message}`, 'Start a new experiment from this run and fix the fields listed.', r.error.issues);
    await live?.writes; // a run that has just ended: its last checkpoint and status are being saved
    const from = await this.opts.store.lastCheckpoint(runId);
    if (!from) {
      throw new LabError('conflict', `Run ${runId} has no intact checkpoint to resume from.`, 'Start a new experiment from this run (checkpoints.enabled must be on for a run to be resumable).');
    }
    this.queue.assertCanStartNow();
    await this.opts.store.rewindRun(runId, from.step);
    await this.opts.store.appendLog(runId, [{ level: 'info', step: from.step, message: `resuming from the checkpoint at step ${from.step} (optimiser state restarts)` }]);
    this.live.set(runId, { config: r.data, resumeFrom: from, handle: null, writes: Promise.resolve(), events: Promise.resolve(), status: stored.status, progress: null, stepsPerEpoch: null, backend: null });
    const placed = this.queue.submit(runId, false);
    await this.live.get(runId)?.writes; // 'running' is stored (ended_at, error cleared) before the answer
    return { runId, ...placed };
  }

  subscribe(listener: LabEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events that do not come from a run (e.g. the Electron menu). */
  publish(event: LabEvent): void {
    this.emit(event);
  }

  /** Cancel queued and active runs, wait for the workers; runs that do not stop in time become 'crashed'. Then close the store. */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const id of this.queue.state().queued) {
      this.queue.withdraw(id);
      // With the store's queue they stay queued there, and start when the lab opens again.
      if (this.opts.sweeps) this.live.delete(id);
      else await this.finalize(id, 'cancelled', 'the lab closed before the run started');
    }
    const active = [...this.live.entries()].filter(([, r]) => r.handle);
    for (const [, r] of active) r.handle?.cancel('the lab is closing');
    await Promise.race([Promise.allSettled(active.map(([, r]) => r.handle?.done)), delay(timeoutMs)]);
    for (const [id, r] of active) if (!FINAL_RUN_STATUSES.includes(r.status)) await this.finalize(id, 'crashed', 'the lab closed while the run was active');
    await Promise.allSettled([...this.live.values()].map((r) => r.writes));
    await this.opts.store.close();
  }

  // ------------------------------------------------------------ internals

  private launch(runId: string): void {
    const run = this.live.get(runId);
    if (!run) return;
    // The slot is taken from now on; the worker needs a moment (backend, data) before its 'started'.
    const previous = run.status;
    run.status = 'running';
    void this.write(run, runId, () => this.opts.store.setStatus(runId, 'running'));
    this.emit({ kind: 'run-status', runId, at: Date.now(), status: 'running', previous, message: run.resumeFrom ? `resumed from the checkpoint at step ${run.resumeFrom.step}` : null });
    try {
      const handle = this.opts.engine.start(runId, run.config, run.resumeFrom ? { resumeFrom: run.resumeFrom } : undefined);
      run.handle = handle;
      handle.onEvent((e) => this.onEngineEvent(runId, e));
      // Judge the end only after every event already received has been processed.
      const ended = (message: string) =>
        void run.events.then(() => {
          if (!FINAL_RUN_STATUSES.includes(run.status)) void this.finalize(runId, 'failed', message);
        });
      handle.done.then(
        () => ended('the training worker ended without reporting a result'),
        (err: unknown) => ended(`the training worker crashed: ${errorText(err)}`),
      );
    } catch (err) {
      void this.finalize(runId, 'failed', `could not start the training worker: ${errorText(err)}`);
    }
  }

  private onEngineEvent(runId: string, event: EngineEvent): void {
    const run = this.live.get(runId);
    if (!run) return;
    // One chain per run: events are translated, stored and pushed strictly in arrival order.
    run.events = run.events.then(async () => {
      const metrics = await liveMetrics(event).catch((err: unknown) => {
        this.opts.log?.(`[${runId}] could not read the metrics of a ${event.type} event: ${errorText(err)}`);
        return [];
      });
      const before = run.status;
      const events = toLabEvents(runId, event, run, metrics);
      this.write(run, runId, () => this.opts.store.record(runId, event));
      if (run.status !== before) {
        const reason = event.type === 'finished' ? (event.reason ?? null) : null;
        const status = run.status;
        this.write(run, runId, () => this.opts.store.setStatus(runId, status, reason));
      }
      for (const e of events) {
        // The UI answers 'layer-bounds' with getLayerBounds: announce it once the bounds are readable.
        if (e.kind === 'layer-bounds') void this.write(run, runId, async () => this.opts.store.flush?.()).then(() => this.emit(e));
        else this.emit(e);
      }
      if (FINAL_RUN_STATUSES.includes(run.status)) this.retire(runId);
    });
  }

  private write(run: LiveRun, runId: string, fn: () => Promise<void>): Promise<void> {
    run.writes = run.writes.then(fn).catch((err: unknown) => this.storeFailed(runId, err));
    return run.writes;
  }

  /** Move a run to a final status that did not come from its engine (cancelled in queue, crash, close). */
  private async finalize(runId: string, status: RunStatus, message: string): Promise<void> {
    const run = this.live.get(runId);
    const previous = run?.status ?? null;
    const line = { level: status === 'failed' || status === 'crashed' ? ('error' as const) : ('info' as const), step: null, message: `${status}: ${message}` };
    if (run) {
      run.status = status;
      await this.write(run, runId, () => this.opts.store.setStatus(runId, status, message));
      await this.write(run, runId, () => this.opts.store.appendLog(runId, [line]));
    } else {
      await this.opts.store.setStatus(runId, status, message).catch((err: unknown) => this.storeFailed(runId, err));
    }
    this.emit({ kind: 'run-status', runId, at: Date.now(), status, previous, message });
    this.retire(runId);
  }

  private retire(runId: string): void {
    const run = this.live.get(runId);
    this.queue.release(runId);
    // Keep the entry until pending writes land, so reads overlay the final status meanwhile.
    void run?.writes.then(() => {
      if (this.live.get(runId) === run) this.live.delete(runId);
    });
  }

  private storeFailed(runId: string, err: unknown): void {
    const message = `could not save to the store: ${errorText(err)} (the run continues; check disk space and the data folder ${this.opts.dataDir})`;
    this.opts.log?.(`[${runId}] ${message}`);
    this.emit({ kind: 'log', runId, at: Date.now(), level: 'error', message });
  }

  private emit(event: LabEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch (err) {
        this.opts.log?.(`event listener failed: ${errorText(err)}`);
      }
    }
  }

  private async waitForStatus(runId: string, targets: readonly RunStatus[]): Promise<RunStatus> {
    const current = () => this.live.get(runId)?.status;
    const now = current();
    if (now === undefined) return (await this.requireRun(runId)).status;
    if (targets.includes(now)) return now;
    return new Promise<RunStatus>((resolve) => {
      const timer = setTimeout(() => finish(current() ?? now), this.opts.controlWaitMs ?? 3000);
      const off = this.subscribe((e) => {
        if (e.kind === 'run-status' && e.runId === runId && targets.includes(e.status)) finish(e.status);
      });
      function finish(s: RunStatus) {
        clearTimeout(timer);
        off();
        resolve(s);
      }
    });
  }

  /** A run another process trains into this store (`train --store`, a script): asked through the store. */
  private async controlElsewhere(runId: string, action: 'pause' | 'resume' | 'cancel'): Promise<RunControlResult | null> {
    if (this.live.has(runId) || !this.opts.external) return null;
    const status = await this.opts.external.control(runId, action);
    return status === null ? null : { runId, status };
  }

  private async activeRun(runId: string, verb: string): Promise<LiveRun> {
    const run = this.live.get(runId);
    if (run?.handle && !FINAL_RUN_STATUSES.includes(run.status)) return run;
    const status = run?.status ?? (await this.requireRun(runId)).status;
    const hint = status === 'queued' ? 'It has not started yet; cancel it or wait until it runs.' : 'Only an active run can be paused or resumed.';
    throw new LabError('conflict', `Cannot ${verb} run ${runId}: it is ${status}.`, hint);
  }

  private async requireRun(runId: string): Promise<RunDetail> {
    const run = await this.opts.store.getRun(runId);
    if (!run) throw new LabError('not-found', `No run with id '${runId}'.`, 'Pick a run from listRuns (the Runs view); it may have been deleted.');
    return run;
  }

  private probeBackend(): Promise<EngineBackendReport | null> {
    if (!this.backendProbe) {
      this.backendProbe = this.opts.engine.probeBackend
        ? this.opts.engine.probeBackend().catch((err: unknown) => {
            this.opts.log?.(`backend probe failed: ${errorText(err)}`);
            return null;
          })
        : Promise.resolve(null);
    }
    return this.backendProbe;
  }

  private assertOpen(): void {
    if (this.closed) throw new LabError('unavailable', 'The lab is shutting down.', 'Restart it to start new runs.');
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref?.());
}
