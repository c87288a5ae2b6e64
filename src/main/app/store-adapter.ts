/**
 * The StorePort over the SQLite run store (src/main/store): engine events are recorded with the
 * store's own recordEngineEvent (one writer per run; it also keeps the model's layers and the run log).
 * Runs, summaries and diffs are the store's records unchanged; certified-accuracy series and layer
 * bounds are assembled from the store's tables.
 */
import {
  LabError,
  type LayerBoundsQuery,
  type LayerSpectrum,
  type SpectrumQuery,
  type CertifiedRadii,
  type CertifiedRadiiQuery,
  type RunDetail,
  type RunFilter,
  type RunList,
  type RunStatus,
  type SeriesQuery,
  type SeriesResult,
  type Series,
} from '../../shared/api.js';
import type { EngineEvent } from '../../shared/events.js';
import { SPECTRUM_HISTOGRAM_METHOD, unpackSpectrumHistogram } from '../../shared/spectrum.js';
import { isStoreError, recordEngineEvent, type Store, type StoreWriter } from '../store/index.js';
import type { NewRun, ResumePoint, RunLogLine, StorePort } from './ports.js';
import { certifiedSeriesName, layerBoundsOf, parseCertifiedSeries } from './store-mapping.js';

/** Store errors carry problem + hint already; give them the contract's codes. */
export function labErrorOf(err: unknown): unknown {
  if (!isStoreError(err)) return err;
  const code =
    err.code === 'not-found'
      ? 'not-found'
      : err.code === 'conflict'
        ? 'conflict'
        : err.code === 'invalid-config'
          ? 'invalid-config'
          : err.code === 'invalid-input'
            ? 'bad-request'
            : 'unavailable';
  return new LabError(code, err.problem, err.hint);
}

async function translate<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw labErrorOf(err);
  }
}

export class SqliteStorePort implements StorePort {
  private readonly writers = new Map<string, Promise<StoreWriter>>();

  constructor(
    private readonly store: Store,
    private readonly shell: string,
  ) {}

  createRun(run: NewRun): Promise<string> {
    return translate(async () => {
      const rec = await this.store.createRun({
        name: run.name,
        config: run.config,
        tags: run.tags,
        notes: run.notes,
        status: 'queued',
        environment: { extra: { shell: this.shell } },
      });
      return rec.id;
    });
  }

  setStatus(runId: string, status: RunStatus, error?: string | null): Promise<void> {
    return translate(async () => {
      const current = await this.store.getRun(runId);
      if (current.status === status) return; // the writer already moved it (engine 'started' / 'finished')
      const failing = status === 'failed' || status === 'crashed';
      // A run that never started cannot crash: the transition table lets a queued run only be cancelled or fail.
      const target = current.status === 'queued' && status === 'crashed' ? 'cancelled' : status;
      await this.store.setStatus(runId, {
        status: target,
        ...(failing ? { error: error ?? null } : {}),
        reason: error ?? null,
      });
      if (target !== 'running' && target !== 'queued' && target !== 'paused') await this.closeWriter(runId);
    });
  }

  record(runId: string, event: EngineEvent): Promise<void> {
    return translate(async () => {
      const writer = await this.writer(runId);
      await recordEngineEvent(this.store.eventSink(writer), event);
      if (event.type === 'finished') await this.closeWriter(runId);
    });
  }

  private writer(runId: string): Promise<StoreWriter> {
    let w = this.writers.get(runId);
    if (!w) {
      w = this.store.writer(runId);
      this.writers.set(runId, w);
      w.catch(() => this.writers.delete(runId));
    }
    return w;
  }

  private async closeWriter(runId: string): Promise<void> {
    const w = this.writers.get(runId);
    if (!w) return;
    this.writers.delete(runId);
    await (await w).close();
  }

  listRuns(filter: RunFilter): Promise<RunList> {
    // The store pages at most 1000 runs per query; `total` tells the UI there is more.
    return translate(() =>
      this.store.listRuns({ ...filter, limit: filter.limit === undefined ? undefined : Math.min(filter.limit, 1000) }),
    );
  }

  async getRun(runId: string): Promise<RunDetail | null> {
    let rec;
    try {
      rec = await this.store.getRun(runId);
    } catch (err) {
      if (isStoreError(err, 'not-found')) return null;
      throw labErrorOf(err);
    }
    return translate(async () => {
      const [series, curves, checkpoints] = await Promise.all([
        this.store.listSeries(runId),
        this.store.certifiedCurves([runId]),
        this.store.listCheckpoints(runId),
      ]);
      const epsilons = [...new Set(curves[0]?.points.map((p) => p.eps) ?? [])];
      const hasPairwise = curves[0]?.points.some((p) => p.pairwise !== null) ?? false;
      const epochAt = await this.epochLookup(runId, checkpoints.length > 0);
      const resumable = checkpoints.length > 0 && (rec.status === 'cancelled' || rec.status === 'crashed');
      return {
        ...rec,
        seriesNames: [
          ...series.map((s) => s.name),
          ...epsilons.map((e) => certifiedSeriesName(e)),
          ...(hasPairwise ? epsilons.map((e) => certifiedSeriesName(e, true)) : []),
        ],
        checkpoints: checkpoints.map((c) => ({ step: c.step, epoch: epochAt(c.step), at: c.createdAt })),
        queuePosition: null,
        resumableFrom: resumable ? checkpoints[checkpoints.length - 1].step : null,
      };
    });
  }

  /** Epoch of a step from the run's step -> epoch series (monotone, so interpolation is exact enough). */
  private async epochLookup(runId: string, needed: boolean): Promise<(step: number) => number> {
    if (!needed) return () => 0;
    const [s] = (await this.store.getSeries({ runIds: [runId], names: ['epoch'], budget: 4000 })).series;
    if (!s || s.steps.length === 0) return () => 0;
    return (step) => {
      let i = s.steps.findIndex((x) => x >= step);
      if (i < 0) i = s.steps.length - 1;
      return s.y[i];
    };
  }

  getSeries(query: SeriesQuery): Promise<SeriesResult> {
    return translate(async () => {
      const cert = query.names.filter((n) => parseCertifiedSeries(n));
      const plain = query.names.filter((n) => !parseCertifiedSeries(n));
      const out: Series[] = [];
      if (plain.length > 0) {
        const r = await this.store.getSeries({
          runIds: query.runIds,
          names: plain,
          budget: query.budget,
          fromStep: query.fromStep,
          toStep: query.toStep,
          xAxis: query.xAxis,
        });
        for (const s of r.series) {
          out.push(s);
        }
      }
      if (cert.length > 0) out.push(...(await this.certifiedSeries(query, cert)));
      return { series: out };
    });
  }

  /** Certified accuracy lives in its own table (a few points per evaluation); x is the step (or epoch). */
  private async certifiedSeries(query: SeriesQuery, names: string[]): Promise<Series[]> {
    const curves = await this.store.certifiedCurves(query.runIds);
    const xAxis = query.xAxis === 'epoch' ? 'epoch' : 'step';
    const out: Series[] = [];
    for (const curve of curves) {
      const epochAt = xAxis === 'epoch' ? await this.epochLookup(curve.runId, true) : (s: number) => s;
      for (const name of names) {
        const want = parseCertifiedSeries(name) as { eps: number; pairwise: boolean };
        const all = curve.points.filter((p) => p.eps === want.eps && (!want.pairwise || p.pairwise !== null));
        const pts = all.filter((p) => p.step >= (query.fromStep ?? -Infinity) && p.step <= (query.toStep ?? Infinity));
        out.push({
          runId: curve.runId,
          name,
          xAxis,
          steps: pts.map((p) => p.step),
          x: pts.map((p) => epochAt(p.step)),
          y: pts.map((p) => (want.pairwise ? (p.pairwise as number) : p.accuracy)),
          totalPoints: all.length,
          downsampled: false,
        });
      }
    }
    return out;
  }

  getLayerBounds(runId: string, query: LayerBoundsQuery) {
    return translate(async () => {
      const [at, layers] = await Promise.all([
        this.store.layerBounds(runId, query.step ?? 'latest'),
        this.store.layers(runId),
      ]);
      return layerBoundsOf(at, layers, query.methods);
    });
  }

  getCertifiedRadii(runId: string, query: CertifiedRadiiQuery): Promise<CertifiedRadii> {
    return translate(() =>
      this.store.certRadii(runId, query.step === undefined || query.step === 'latest' ? undefined : query.step),
    );
  }

  /** Histograms are rows of the spectra table under SPECTRUM_HISTOGRAM_METHOD (recordEngineEvent packs them). */
  getSpectrum(runId: string, query: SpectrumQuery): Promise<LayerSpectrum> {
    return translate(async () => {
      const [all, layers] = await Promise.all([this.store.listSpectra(runId), this.store.layers(runId)]);
      if (layers.length > 0 && !layers.some((l) => l.name === query.layer)) {
        throw new LabError(
          'not-found',
          `Run ${runId} has no layer named ${JSON.stringify(query.layer)}.`,
          `Pick one of: ${layers.map((l) => l.name).join(', ')}.`,
        );
      }
      const availableSteps = all
        .filter((s) => s.layer === query.layer && s.method === SPECTRUM_HISTOGRAM_METHOD)
        .map((s) => s.step);
      const none: LayerSpectrum = {
        runId,
        layer: query.layer,
        step: null,
        availableSteps,
        histogram: null,
        exactNorm: null,
      };
      const step =
        query.step === undefined || query.step === 'latest' ? availableSteps[availableSteps.length - 1] : query.step;
      if (step === undefined || !availableSteps.includes(step)) return none;
      const rec = await this.store.getSpectrum(runId, { layer: query.layer, step, method: SPECTRUM_HISTOGRAM_METHOD });
      if (!rec) return none;
      const histogram = unpackSpectrumHistogram(rec.values);
      return { ...none, step, histogram, exactNorm: histogram.count > 0 ? histogram.max : null };
    });
  }

  diffConfigs(runIds: string[], all: boolean) {
    return translate(() => this.store.diffConfigs(runIds, { all }));
  }

  runSummaries(runIds: string[]) {
    return translate(() => this.store.runSummaries(runIds));
  }

  setTags(runId: string, tags: string[]) {
    return translate(async () => (await this.store.setTags(runId, tags)).tags);
  }

  setNotes(runId: string, notes: string) {
    return translate(async () => (await this.store.setNotes(runId, notes)).notes);
  }

  deleteRun(runId: string) {
    return translate(async () => {
      await this.closeWriter(runId);
      const { deletedFiles } = await this.store.deleteRun(runId);
      return { runId, deletedFiles: deletedFiles.length };
    });
  }

  appendLog(runId: string, lines: RunLogLine[]) {
    return translate(() => this.store.appendLog(runId, lines));
  }

  runLog(runId: string) {
    return translate(() => this.store.runLog(runId));
  }

  /** The newest checkpoint whose file is still there and matches its recorded hash. */
  lastCheckpoint(runId: string): Promise<ResumePoint | null> {
    return translate(async () => {
      const all = await this.store.listCheckpoints(runId);
      for (const c of [...all].reverse()) {
        if ((await this.store.verifyCheckpoint(c)).ok) return { step: c.step, path: c.path, sha256: c.sha256 };
      }
      return null;
    });
  }

  rewindRun(runId: string, step: number) {
    return translate(async () => {
      await this.store.rewindRun(runId, step);
    });
  }

  async flush(): Promise<void> {
    await translate(() => this.store.flush());
  }

  async close(): Promise<void> {
    for (const id of [...this.writers.keys()]) await this.closeWriter(id).catch(() => undefined);
    await this.store.close();
  }
}
