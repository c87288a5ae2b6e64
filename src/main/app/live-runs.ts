/**
 * The runs this lab is running, and their lifecycle: the run queue launches them on the engine, every
 * engine event is stored (in order, per run) and pushed to subscribers as LabEvents, and a run's end
 * (from its engine, or cancel/crash/close) retires it. Reads overlay the live status on the store's.
 */
import {
  FINAL_RUN_STATUSES,
  LabError,
  type LabEvent,
  type LabEventListener,
  type RunDetail,
  type RunProgress,
  type RunStatus,
} from '../../shared/api.js';
import type { RunConfig } from '../../shared/config.js';
import type { EngineEvent } from '../../shared/events.js';
import { isDiskFull } from '../store/errors.js';
import { toLabEvents, type RunLiveState } from './event-map.js';
import { liveMetrics } from './live-metrics.js';
import type { EngineRun, ResumePoint } from './ports.js';
import { RunQueue } from './queue.js';
import { errorText, type LabServiceOptions } from './service-options.js';

export interface LiveRun extends RunLiveState {
  config: RunConfig;
  /** Set when the run continues from a checkpoint instead of step 0. */
  resumeFrom: ResumePoint | null;
  handle: EngineRun | null;
  /** Store writes of this run, chained to keep their order. */
  writes: Promise<void>;
  /** Engine events of this run being translated and pushed, in order. */
  events: Promise<void>;
  /** Set when the store's disk filled while the run trained: the run was stopped and ends as failed. */
  storeFailure?: string;
}

export class LiveRuns {
  readonly queue: RunQueue;
  private readonly listeners = new Set<LabEventListener>();
  private readonly live = new Map<string, LiveRun>();
  private closed = false;

  constructor(readonly opts: LabServiceOptions) {
    this.queue = new RunQueue(
      opts.maxConcurrent ?? 1,
      (runId) => this.launch(runId),
      (queue) => this.emit({ kind: 'queue', at: Date.now(), queue }),
      // A queued run that another process (`queue run`, another app) took from the store's queue first is not trained here too.
      opts.sweeps
        ? { mayStart: (runId) => opts.sweeps!.mayStart(runId), dropped: (runId) => this.dropTaken(runId) }
        : null,
    );
  }

  private dropTaken(runId: string): void {
    this.live.delete(runId);
    this.opts.log?.(`run ${runId} was taken from the queue by another process; it trains there.`);
  }

  get(runId: string): LiveRun | undefined {
    return this.live.get(runId);
  }

  /** Track a run this lab is about to queue (from step 0, or from a checkpoint). */
  add(runId: string, config: RunConfig, status: RunStatus, resumeFrom: ResumePoint | null = null): LiveRun {
    const run: LiveRun = {
      config,
      resumeFrom,
      handle: null,
      writes: Promise.resolve(),
      events: Promise.resolve(),
      status,
      progress: null,
      stepsPerEpoch: null,
      backend: null,
    };
    this.live.set(runId, run);
    return run;
  }

  /** Forget a run that has ended (deleted, or left in the store's queue when the lab closes). */
  forget(runId: string): void {
    this.live.delete(runId);
  }

  subscribe(listener: LabEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: LabEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch (err) {
        this.opts.log?.(`event listener failed: ${errorText(err)}`);
      }
    }
  }

  /** A run as stored, with the live status, step and progress of a run this lab is running. */
  overlay<T extends { id: string; status: RunStatus; lastStep: number; progress: RunProgress | null }>(r: T): T {
    const run = this.live.get(r.id);
    if (!run) return r;
    return {
      ...r,
      status: run.status,
      progress: run.progress ?? r.progress,
      lastStep: Math.max(r.lastStep, run.progress?.step ?? 0),
    };
  }

  async requireRun(runId: string): Promise<RunDetail> {
    const run = await this.opts.store.getRun(runId);
    if (!run)
      throw new LabError(
        'not-found',
        `No run with id '${runId}'.`,
        'Pick a run from listRuns (the Runs view); it may have been deleted.',
      );
    return run;
  }

  assertOpen(): void {
    if (this.closed) throw new LabError('unavailable', 'The lab is shutting down.', 'Restart it to start new runs.');
  }

  write(run: LiveRun, runId: string, fn: () => Promise<void>): Promise<void> {
    run.writes = run.writes.then(fn).catch((err: unknown) => this.storeFailed(runId, err));
    return run.writes;
  }

  /** Move a run to a final status that did not come from its engine (cancelled in queue, crash, close). */
  async finalize(runId: string, status: RunStatus, message: string): Promise<void> {
    const run = this.live.get(runId);
    const previous = run?.status ?? null;
    const line = {
      level: status === 'failed' || status === 'crashed' ? ('error' as const) : ('info' as const),
      step: null,
      message: `${status}: ${message}`,
    };
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

  async waitForStatus(runId: string, targets: readonly RunStatus[]): Promise<RunStatus> {
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

  /** Cancel queued and active runs, wait for the workers; runs that do not stop in time become 'crashed'. Then close the store. */
  async close(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // The Redis sweep owners write into the store: they stop first (their runs stay queued for the next owner).
    await this.opts.sweeps?.close();
    for (const id of this.queue.state().queued) {
      this.queue.withdraw(id);
      // With the store's queue they stay queued there, and start when the lab opens again.
      if (this.opts.sweeps) this.live.delete(id);
      else await this.finalize(id, 'cancelled', 'the lab closed before the run started');
    }
    const active = [...this.live.entries()].filter(([, r]) => r.handle);
    for (const [, r] of active) r.handle?.cancel('the lab is closing');
    await Promise.race([Promise.allSettled(active.map(([, r]) => r.handle?.done)), delay(timeoutMs)]);
    for (const [id, r] of active)
      if (!FINAL_RUN_STATUSES.includes(r.status))
        await this.finalize(id, 'crashed', 'the lab closed while the run was active');
    await Promise.allSettled([...this.live.values()].map((r) => r.writes));
    await this.opts.store.close();
  }

  private launch(runId: string): void {
    const run = this.live.get(runId);
    if (!run) return;
    // The slot is taken from now on; the worker needs a moment (backend, data) before its 'started'.
    const previous = run.status;
    run.status = 'running';
    void this.write(run, runId, () => this.opts.store.setStatus(runId, 'running'));
    this.emit({
      kind: 'run-status',
      runId,
      at: Date.now(),
      status: 'running',
      previous,
      message: run.resumeFrom ? `resumed from the checkpoint at step ${run.resumeFrom.step}` : null,
    });
    try {
      const handle = this.opts.engine.start(
        runId,
        run.config,
        run.resumeFrom ? { resumeFrom: run.resumeFrom } : undefined,
      );
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
    // A run stopped because its store could not be written ends as failed (with why), not as cancelled.
    if (event.type === 'finished' && run.storeFailure) event = { ...event, status: 'failed', reason: run.storeFailure };
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
        if (e.kind === 'layer-bounds')
          void this.write(run, runId, async () => this.opts.store.flush?.()).then(() => this.emit(e));
        else this.emit(e);
      }
      if (FINAL_RUN_STATUSES.includes(run.status)) this.retire(runId);
    });
  }

  private retire(runId: string): void {
    const run = this.live.get(runId);
    this.queue.release(runId);
    // Keep the entry until pending writes land, so reads overlay the final status meanwhile.
    void run?.writes.then(() => {
      if (this.live.get(runId) === run) this.live.delete(runId);
    });
  }

  /**
   * A write that failed. A full or failing disk (isDiskFull) is not cured by retrying, and training on would
   * compute steps nobody can see again: the run is stopped (as `train` does) and ends as failed. Other errors
   * are reported and the run continues.
   */
  private storeFailed(runId: string, err: unknown): void {
    const run = this.live.get(runId);
    const active = run?.handle && !FINAL_RUN_STATUSES.includes(run.status);
    if (isDiskFull(err) && run && active) {
      if (run.storeFailure) return;
      run.storeFailure =
        `the run store could not be written (${errorText(err)}); the run was stopped. The disk holding ` +
        `${this.opts.dataDir} is full or failing: free some space there, then Resume continues the run from its ` +
        'last checkpoint (or `spectral-lab resume RUN_ID`).';
      this.opts.log?.(`[${runId}] ${run.storeFailure}`);
      this.emit({ kind: 'log', runId, at: Date.now(), level: 'error', message: run.storeFailure });
      run.handle!.cancel(run.storeFailure);
      return;
    }
    const message = `could not save to the store: ${errorText(err)} (the run continues; check disk space and the data folder ${this.opts.dataDir})`;
    this.opts.log?.(`[${runId}] ${message}`);
    this.emit({ kind: 'log', runId, at: Date.now(), level: 'error', message });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref?.());
}
