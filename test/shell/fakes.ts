/**
 * Test doubles for the service ports: an engine whose runs the test drives event by event, and an
 * in-memory store. They implement the same ports as the real adapters, so LabService, the handler
 * table and the server are exercised exactly as in the app.
 */
import {
  EMPTY_HEADLINE,
  type JsonObject,
  type LayerBounds,
  type LayerSpectrum,
  type RunDetail,
  type RunLogEntry,
  type RunStatus,
  type SeriesResult,
  type SpectrumQuery,
  type CertifiedRadii,
} from '../../src/shared/api.js';
import type { RunConfig } from '../../src/shared/config.js';
import type { EngineEvent } from '../../src/shared/events.js';
import type { EnginePort, EngineRun, NewRun, ResumePoint, RunLogLine, StorePort } from '../../src/main/app/ports.js';

export class FakeRun implements EngineRun {
  readonly commands: string[] = [];
  private readonly listeners = new Set<(e: EngineEvent) => void>();
  private settle!: () => void;
  private fail!: (e: unknown) => void;
  readonly done = new Promise<unknown>((res, rej) => {
    this.settle = () => res(undefined);
    this.fail = rej;
  });
  constructor(
    readonly runId: string,
    readonly config: RunConfig,
    /** React to pause/resume/cancel like the worker does (acknowledge with the event). */
    private readonly autoAck = true,
    /** The checkpoint the run was started from (resumeFromCheckpoint), else null. */
    readonly resumeFrom: ResumePoint | null = null,
  ) {}
  onEvent(l: (e: EngineEvent) => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  emit(e: EngineEvent) {
    for (const l of this.listeners) l(e);
    if (e.type === 'finished') this.settle();
  }
  crash(err: Error) {
    this.fail(err);
  }
  pause() {
    this.commands.push('pause');
    if (this.autoAck) queueMicrotask(() => this.emit({ type: 'paused', v: 1, step: 3 }));
  }
  resume() {
    this.commands.push('resume');
    if (this.autoAck) queueMicrotask(() => this.emit({ type: 'resumed', v: 1, step: 3 }));
  }
  cancel(reason?: string) {
    this.commands.push('cancel');
    if (this.autoAck) queueMicrotask(() => this.emit(finished('cancelled', reason)));
  }
}

export function finished(status: 'completed' | 'failed' | 'cancelled', reason?: string): EngineEvent {
  return {
    type: 'finished',
    v: 1,
    status,
    reason,
    summary: {
      steps: 3,
      epochs: 1,
      durationMs: 10,
      finalLoss: 0.5,
      trainAcc: 0.9,
      valAcc: null,
      testAcc: 0.88,
      lipschitz: 12,
      certified: [],
      backend: 'cpu',
      imagesPerSecond: 100,
    },
  };
}

export class FakeEngine implements EnginePort {
  readonly runs: FakeRun[] = [];
  constructor(private readonly autoAck = true) {}
  start(runId: string, config: RunConfig, options?: { resumeFrom?: ResumePoint }): EngineRun {
    const r = new FakeRun(runId, config, this.autoAck, options?.resumeFrom ?? null);
    this.runs.push(r);
    return r;
  }
  run(runId: string): FakeRun {
    const r = this.runs.find((x) => x.runId === runId);
    if (!r) throw new Error(`engine never started ${runId}`);
    return r;
  }
  async probeBackend() {
    return {
      name: 'cpu' as const,
      requested: 'auto' as const,
      tried: [{ name: 'cpu' as const, available: true }],
      versions: {},
      summary: 'cpu',
    };
  }
}

export class MemoryStore implements StorePort {
  readonly runs = new Map<string, RunDetail>();
  readonly events = new Map<string, EngineEvent[]>();
  readonly statusLog: [string, RunStatus][] = [];
  private next = 1;
  closed = false;
  async createRun(r: NewRun): Promise<string> {
    const id = `run-${this.next++}`;
    this.runs.set(id, {
      id,
      name: r.name,
      status: r.status,
      createdAt: Date.now(),
      startedAt: null,
      endedAt: null,
      dataset: r.config.dataset.name,
      model: r.config.model.arch,
      regulariser: r.config.regularizer.kind,
      beta: r.config.regularizer.kind === 'none' ? 0 : r.config.regularizer.beta,
      tags: r.tags,
      notes: r.notes ?? '',
      lastStep: 0,
      headline: EMPTY_HEADLINE,
      config: r.config as unknown as JsonObject,
      error: null,
      reason: null,
      configHash: '',
      heartbeatAt: null,
      pid: null,
      host: null,
      environment: null,
      seriesNames: [],
      checkpoints: [],
      progress: null,
      queuePosition: null,
      backend: null,
      resumableFrom: null,
    });
    return id;
  }
  async setStatus(id: string, status: RunStatus, error?: string | null) {
    const r = this.runs.get(id);
    if (!r) throw new Error(`no run ${id}`);
    r.status = status;
    r.error = error ?? null;
    this.statusLog.push([id, status]);
  }
  async record(id: string, e: EngineEvent) {
    this.events.set(id, [...(this.events.get(id) ?? []), e]);
    if (e.type === 'step') {
      const r = this.runs.get(id);
      if (r) r.lastStep = e.points[e.points.length - 1].step;
    }
  }
  async listRuns() {
    return { runs: [...this.runs.values()], total: this.runs.size };
  }
  async getRun(id: string) {
    return this.runs.get(id) ?? null;
  }
  async getSeries(q: { runIds: string[]; names: string[] }): Promise<SeriesResult> {
    const series = q.runIds.flatMap((runId) =>
      q.names.map((name) => {
        const pts = (this.events.get(runId) ?? []).flatMap((e) => (e.type === 'step' ? e.points : []));
        return {
          runId,
          name,
          xAxis: 'step' as const,
          steps: pts.map((p) => p.step),
          x: pts.map((p) => p.step),
          y: pts.map((p) => p.loss),
          totalPoints: pts.length,
          downsampled: false,
        };
      }),
    );
    return { series };
  }
  async getLayerBounds(runId: string): Promise<LayerBounds> {
    return { runId, step: null, availableSteps: [], layers: [] };
  }
  async getCertifiedRadii(runId: string): Promise<CertifiedRadii> {
    return { runId, step: null, availableSteps: [], radii: {} };
  }
  async getSpectrum(runId: string, query: SpectrumQuery): Promise<LayerSpectrum> {
    return { runId, layer: query.layer, step: null, availableSteps: [], histogram: null, exactNorm: null };
  }
  async diffConfigs(runIds: string[]) {
    return { runIds, rows: [] };
  }
  async runSummaries(runIds: string[]) {
    return runIds.map((id) => {
      const r = this.runs.get(id) as RunDetail;
      return { run: r, metrics: [], accuracy: null, finalBounds: [], certified: [] };
    });
  }
  async setTags(id: string, tags: string[]) {
    (this.runs.get(id) as RunDetail).tags = tags;
    return tags;
  }
  async setNotes(id: string, notes: string) {
    (this.runs.get(id) as RunDetail).notes = notes;
    return notes;
  }
  async deleteRun(id: string) {
    if (!this.runs.delete(id)) throw new Error(`no run ${id}`);
    return { runId: id, deletedFiles: 0 };
  }
  readonly logs = new Map<string, RunLogEntry[]>();
  async appendLog(id: string, lines: RunLogLine[]) {
    const log = this.logs.get(id) ?? [];
    for (const l of lines)
      log.push({ seq: log.length + 1, at: l.at ?? Date.now(), level: l.level, message: l.message, step: l.step });
    this.logs.set(id, log);
  }
  async runLog(id: string) {
    return this.logs.get(id) ?? [];
  }
  /** Checkpoints as recorded from 'checkpoint' events. */
  async lastCheckpoint(id: string) {
    const cps = (this.events.get(id) ?? []).flatMap((e) =>
      e.type === 'checkpoint' ? [{ step: e.step, path: e.path, sha256: e.sha256 }] : [],
    );
    return cps[cps.length - 1] ?? null;
  }
  readonly rewinds: [string, number][] = [];
  async rewindRun(id: string, step: number) {
    this.rewinds.push([id, step]);
  }
  async close() {
    this.closed = true;
  }
}
