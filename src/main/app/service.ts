/**
 * LabService: the LabApi over an engine and a store. Each method is answered by the module of its
 * job: the runs this lab is running and their lifecycle (live-runs.ts), starting and steering runs
 * (run-control.ts), managing stored runs (run-management.ts), reading runs (run-queries.ts), what the
 * lab tells about itself (lab-info.ts), sweeps (sweeps.ts), imported networks (model-analyses.ts) and the
 * paper's experiments (reproduce.ts).
 */
import {
  LabError,
  type CertifiedRadiiQuery,
  type JsonObject,
  type LabApi,
  type LabEvent,
  type LabEventListener,
  type LayerBoundsQuery,
  type ReportOptions,
  type ReproduceRequest,
  type RunFilter,
  type SeriesQuery,
  type SpectrumQuery,
  type StartRunOptions,
} from '../../shared/api.js';
import type { ModelAnalysisRequest, ModelUpload } from '../../shared/model-analysis.js';
import type { ReproduceControl } from './reproduce.js';
import { backendProber, getConfigSchema, getInfo, validateConfig } from './lab-info.js';
import { LiveRuns } from './live-runs.js';
import type { ModelAnalysisControl } from './model-analyses.js';
import { adoptQueuedRun, cancelRun, pauseRun, resumeRun, startRun } from './run-control.js';
import { deleteRun, getRunLog, resumeFromCheckpoint, setNotes, setTags } from './run-management.js';
import * as queries from './run-queries.js';
import { errorText, type LabServiceOptions } from './service-options.js';
import type { SweepControl } from './sweeps.js';

export type { LabServiceOptions } from './service-options.js';

export class LabService implements LabApi {
  private readonly runs: LiveRuns;
  private readonly probeBackend: ReturnType<typeof backendProber>;

  constructor(private readonly opts: LabServiceOptions) {
    this.runs = new LiveRuns(opts);
    this.probeBackend = backendProber(opts);
    // Runs still waiting in the store (queued by `sweep`, or before a restart) join the run queue in order.
    opts.sweeps
      ?.attach({
        adopt: (runId) => adoptQueuedRun(this.runs, runId),
        move: (runId, position) => void this.runs.queue.move(runId, position),
      })
      .catch((err: unknown) => this.opts.log?.(`could not resume the stored run queue: ${errorText(err)}`));
  }

  // ------------------------------------------------------------ info & config (lab-info.ts)

  async getInfo() {
    return getInfo(this.runs, await this.probeBackend());
  }
  async getConfigSchema() {
    return getConfigSchema();
  }
  async getPresets() {
    return this.opts.presets?.() ?? [];
  }
  async validateConfig(config: unknown) {
    return validateConfig(config);
  }

  // ------------------------------------------------------------ run control (run-control.ts)

  startRun(config: Record<string, unknown>, options: StartRunOptions = {}) {
    return startRun(this.runs, config, options);
  }
  pauseRun(runId: string) {
    return pauseRun(this.runs, runId);
  }
  resumeRun(runId: string) {
    return resumeRun(this.runs, runId);
  }
  cancelRun(runId: string) {
    return cancelRun(this.runs, runId);
  }

  // ------------------------------------------------------------ sweeps & the persistent queue (sweeps.ts)

  startSweep(spec: JsonObject, options?: { workers?: 'local' | 'redis' }) {
    return this.sweepControl().startSweep(spec, options);
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
  private sweepControl(): SweepControl {
    if (!this.opts.sweeps)
      throw new LabError(
        'unavailable',
        'Sweeps need the run store of the app or of serve.',
        'Use spectral-lab sweep FILE --store DIR from a terminal.',
      );
    return this.opts.sweeps;
  }

  // ------------------------------------------------------------ imported networks (model-analyses.ts)

  analyseModel(upload: ModelUpload, request?: ModelAnalysisRequest) {
    return this.modelControl().analyse(upload, request, (done, total, layer) =>
      this.publish({ kind: 'model-analysis', at: Date.now(), done, total, layer }),
    );
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
    if (!this.opts.models)
      throw new LabError(
        'unavailable',
        'Model analyses need the run store of the app or of serve.',
        'Use spectral-lab bounds --model FILE from a terminal.',
      );
    return this.opts.models;
  }

  // ------------------------------------------------------------ the paper's experiments (reproduce.ts)

  listReproduceExperiments() {
    return this.reproduceControl().experiments();
  }
  async startReproduce(request: ReproduceRequest) {
    const control = this.reproduceControl();
    control.assertIdle();
    // A call that trains takes a slot of the run queue for as long as it runs (its runs do not pass through the
    // queue); redrawing saved outcomes (request.from) trains nothing.
    if (request.from) return control.start(request, (e) => this.publish(e));
    this.runs.queue.hold();
    try {
      return await control.start(
        request,
        (e) => this.publish(e),
        () => this.runs.queue.unhold(),
      );
    } catch (err) {
      this.runs.queue.unhold();
      throw err;
    }
  }
  async getReproduceJob() {
    return this.reproduceControl().current();
  }
  async cancelReproduce(jobId: string) {
    return this.reproduceControl().cancel(jobId);
  }
  listReproduceResults() {
    return this.reproduceControl().results();
  }
  getReproduceResult(id: string) {
    return this.reproduceControl().result(id);
  }
  private reproduceControl(): ReproduceControl {
    if (!this.opts.reproduce)
      throw new LabError(
        'unavailable',
        "The paper's experiments need the run store of the app or of serve.",
        'Use spectral-lab reproduce NAME --store DIR from a terminal.',
      );
    return this.opts.reproduce;
  }

  // ------------------------------------------------------------ reading (run-queries.ts)

  listRuns(filter: RunFilter = {}) {
    return queries.listRuns(this.runs, filter);
  }
  getRun(runId: string) {
    return queries.getRun(this.runs, runId);
  }
  getSeries(query: SeriesQuery) {
    return queries.getSeries(this.runs, query);
  }
  getLayerBounds(runId: string, query: LayerBoundsQuery = {}) {
    return queries.getLayerBounds(this.runs, runId, query);
  }
  getCertifiedRadii(runId: string, query: CertifiedRadiiQuery = {}) {
    return queries.getCertifiedRadii(this.runs, runId, query);
  }
  getSpectrum(runId: string, query: SpectrumQuery) {
    return queries.getSpectrum(this.runs, runId, query);
  }
  diffConfigs(runIds: string[], options: { all?: boolean } = {}) {
    return queries.diffConfigs(this.runs, runIds, options.all === true);
  }
  runSummaries(runIds: string[]) {
    return queries.runSummaries(this.runs, runIds);
  }
  getRuns(runIds: string[]) {
    return Promise.all(runIds.map((id) => queries.getRun(this.runs, id)));
  }
  getCertifiedRadiiOfRuns(runIds: string[], query: CertifiedRadiiQuery = {}) {
    return Promise.all(runIds.map((id) => queries.getCertifiedRadii(this.runs, id, query)));
  }
  getReport(runIds: string[], options: ReportOptions) {
    return queries.getReport(this.runs, runIds, options);
  }

  // ------------------------------------------------------------ run management (run-management.ts)

  setTags(runId: string, tags: string[]) {
    return setTags(this.runs, runId, tags);
  }
  setNotes(runId: string, notes: string) {
    return setNotes(this.runs, runId, notes);
  }
  deleteRun(runId: string) {
    return deleteRun(this.runs, runId);
  }
  getRunLog(runId: string) {
    return getRunLog(this.runs, runId);
  }
  resumeFromCheckpoint(runId: string) {
    return resumeFromCheckpoint(this.runs, runId);
  }

  // ------------------------------------------------------------ events & shutdown (live-runs.ts)

  subscribe(listener: LabEventListener): () => void {
    return this.runs.subscribe(listener);
  }

  /** Events that do not come from a run (e.g. the Electron menu). */
  publish(event: LabEvent): void {
    this.runs.emit(event);
  }

  /** Cancel queued and active runs, wait for the workers; runs that do not stop in time become 'crashed'. Then close the store. */
  async close(timeoutMs = 10_000): Promise<void> {
    await this.opts.reproduce?.close();
    return this.runs.close(timeoutMs);
  }
}
