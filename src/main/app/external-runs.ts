/**
 * Runs recorded into the store by other processes (`spectral-lab train --store DIR`, scripts,
 * another app) shown live: about once a second the store is polled for runs that appeared or
 * changed status and for points above each run's watermark, and the same LabEvents the UI listens
 * to for the app's own runs are published (run-status, progress, metrics, layer-bounds). Runs of
 * this process are skipped: the service reports those itself. Every few seconds runs of processes
 * that are gone are recovered (crashed / cancelled), so a killed `train` does not stay 'running'.
 */
import os from 'node:os';
import {
  FINAL_RUN_STATUSES,
  type LabEvent,
  type RunDetail,
  type RunProgress,
  type RunStatus,
} from '../../shared/api.js';
import { isStoreError, type Store } from '../store/index.js';
import type { ControlAction } from '../store/run-control.js';
import type { NewPoint, WatchedRun } from '../store/watch.js';

export interface ExternalRunsTarget {
  publish(event: LabEvent): void;
  getRun(runId: string): Promise<RunDetail>;
}

export interface ExternalRunsOptions {
  intervalMs?: number;
  recoverEveryMs?: number;
  /** How long control() waits for the other process to report the new status (default 5 s). */
  controlWaitMs?: number;
  log?: (message: string) => void;
  /** Runs this process writes for another machine (a Redis worker's events): shown like other processes' runs. */
  remoteRuns?: (runId: string) => boolean;
  /** Pass a control request to the remote worker of a run this process writes (true: sent; queue/redis-sweeps.ts). */
  relay?: (runId: string, action: ControlAction, by: string) => Promise<boolean>;
}

interface Known {
  status: RunStatus;
  lastStep: number;
  /** Last value of the run's epoch series (fractional). */
  epoch: number;
  /** Sequence number of the last stored log line published. */
  logSeq: number;
  marks: Map<number, number>;
  boundStep: number;
}

const ACTIVE = new Set(['queued', 'running', 'paused']);

function statusOf(r: WatchedRun): RunStatus {
  return (r.status === 'running' && r.paused ? 'paused' : r.status) as RunStatus;
}

/** Points grouped per (phase, step) as 'metrics' events: train/* series are the train phase, the rest evaluation. */
export function metricEvents(runId: string, points: readonly NewPoint[], at: number): LabEvent[] {
  const groups = new Map<
    string,
    { phase: 'train' | 'eval'; step: number; epoch: number; values: Record<string, number> }
  >();
  const epochAt = new Map<number, number>();
  for (const p of points) if (p.name === 'epoch') epochAt.set(p.step, p.value);
  for (const p of points) {
    if (p.name === 'epoch') continue;
    const phase = p.name.startsWith('train/') ? 'train' : 'eval';
    const key = `${phase}:${p.step}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { phase, step: p.step, epoch: epochAt.get(p.step) ?? 0, values: {} }));
    g.values[p.name] = p.value;
  }
  return [...groups.values()].sort((a, b) => a.step - b.step).map((g) => ({ kind: 'metrics', runId, at, ...g }));
}

/**
 * Progress of a run known only from the store: the step reached, the epoch series, and the totals
 * its config implies (maxSteps, or epochs x the steps per epoch seen so far); the ETA extrapolates
 * the time since it started.
 */
export function progressFromStore(
  detail: Pick<RunDetail, 'config' | 'startedAt' | 'status'>,
  step: number,
  epoch: number,
  now = Date.now(),
): RunProgress {
  const cfg = detail.config as { maxSteps?: unknown; epochs?: unknown };
  const totalEpochs = typeof cfg.epochs === 'number' ? cfg.epochs : null;
  const byEpochs = totalEpochs !== null && epoch > 0 ? Math.round((totalEpochs * step) / epoch) : null;
  const maxSteps = typeof cfg.maxSteps === 'number' ? cfg.maxSteps : null;
  const totalSteps = maxSteps !== null && byEpochs !== null ? Math.min(maxSteps, byEpochs) : (maxSteps ?? byEpochs);
  const fraction = totalSteps ? Math.min(1, step / totalSteps) : null;
  const elapsed = detail.startedAt ? now - detail.startedAt : null;
  const etaMs =
    fraction && elapsed !== null && detail.status === 'running' ? (elapsed * (1 - fraction)) / fraction : null;
  return { step, totalSteps, epoch, totalEpochs, fraction, etaMs, phase: 'training' };
}

export class ExternalRunsWatch {
  private readonly known = new Map<string, Known>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private first = true;
  private lastRecovery = 0;
  private readonly host = os.hostname();
  private readonly started = Date.now();

  constructor(
    private readonly store: Store,
    private readonly target: ExternalRunsTarget,
    private readonly opts: ExternalRunsOptions = {},
  ) {}

  start(): this {
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs ?? 1000);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Pause, resume or cancel a run that another live process on this machine writes (the request goes
   * through the store, run-control.ts) or that a Redis worker trains for this process (relayed to it): the
   * status then recorded is returned (after at most controlWaitMs). Null when neither: the caller handles it.
   */
  async control(runId: string, action: ControlAction): Promise<RunStatus | null> {
    const by = `the workbench (pid ${process.pid})`;
    if (this.store.hasOtherWriter(runId)) this.store.requestControl(runId, action, by);
    else if (!(await this.opts.relay?.(runId, action, by))) return null;
    const wanted: RunStatus | null = action === 'pause' ? 'paused' : action === 'resume' ? 'running' : null;
    const reached = (s: RunStatus): boolean => s === wanted || FINAL_RUN_STATUSES.includes(s);
    const deadline = Date.now() + (this.opts.controlWaitMs ?? 5000);
    let status = (await this.target.getRun(runId)).status;
    while (!reached(status) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await this.target.getRun(runId)).status;
    }
    await this.tick(); // the UI hears of the change now, not at the next poll
    return status;
  }

  /** One poll (ticks never overlap). */
  tick(): Promise<void> {
    if (!this.running) {
      this.running = this.poll()
        .catch((err: unknown) => {
          // The lab closed the store: nothing left to watch.
          if (isStoreError(err, 'closed')) return this.stop();
          this.opts.log?.(`watching the store for other processes' runs failed: ${(err as Error).message}`);
        })
        .finally(() => (this.running = null));
    }
    return this.running;
  }

  private async poll(): Promise<void> {
    const now = Date.now();
    if (now - this.lastRecovery >= (this.opts.recoverEveryMs ?? 5000)) {
      this.lastRecovery = now;
      for (const r of await this.store.recoverOrphanedRuns())
        this.opts.log?.(
          `run ${r.id} was left ${r.status === 'cancelled' ? 'queued' : 'running'} by process ${r.pid ?? '?'}, which is gone; marked ${r.status}.`,
        );
    }
    // A minute of history: a run that ends between two polls is still seen ending.
    const rows = await this.store.watchedRuns(Math.max(this.started, now - 60_000));
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(row.id);
      if (row.pid === process.pid && row.host === this.host && !this.opts.remoteRuns?.(row.id)) continue;
      await this.update(row);
    }
    for (const [id, k] of this.known) if (!seen.has(id) && !ACTIVE.has(k.status)) this.known.delete(id);
    this.first = false;
  }

  private async update(row: WatchedRun): Promise<void> {
    const status = statusOf(row);
    const prev = this.known.get(row.id);
    const at = Date.now();
    if (!prev) {
      // Runs already there when the watch starts are the baseline: the UI reads them with listRuns/getSeries.
      const fresh = !this.first;
      const marks = fresh
        ? { series: new Map<number, number>(), boundStep: -1 }
        : await this.store.runWatermarks(row.id);
      this.known.set(row.id, {
        status,
        lastStep: fresh ? -1 : row.lastStep,
        epoch: 0,
        logSeq: fresh ? 0 : ((await this.store.runLog(row.id)).at(-1)?.seq ?? 0),
        marks: marks.series,
        boundStep: marks.boundStep,
      });
      if (!fresh) return;
      this.target.publish({ kind: 'run-status', runId: row.id, at, status, previous: null, message: null });
    }
    const k = this.known.get(row.id) as Known;
    const statusChanged = k.status !== status;
    // Points first, then the status: a chart has the last points before the run shows as ended.
    if (row.lastStep === k.lastStep && !statusChanged) return;
    const points = await this.store.pointsSince(row.id, k.marks);
    for (const p of points) {
      k.marks.set(p.seriesId, Math.max(k.marks.get(p.seriesId) ?? -1, p.step));
      if (p.name === 'epoch' && Number.isFinite(p.value)) k.epoch = Math.max(k.epoch, p.value);
    }
    for (const e of metricEvents(row.id, points, at)) this.target.publish(e);
    // The run's stored log (messages, evaluations, errors) as the live log lines the app's own runs send.
    for (const line of (await this.store.runLog(row.id)).filter((l) => l.seq > k.logSeq)) {
      k.logSeq = line.seq;
      this.target.publish({ kind: 'log', runId: row.id, at: line.at, level: line.level, message: line.message });
    }
    if (row.lastStep !== k.lastStep) {
      k.lastStep = row.lastStep;
      const detail = await this.target.getRun(row.id).catch(() => null);
      if (detail)
        this.target.publish({
          kind: 'progress',
          runId: row.id,
          at,
          progress: detail.progress ?? progressFromStore(detail, row.lastStep, k.epoch, at),
        });
    }
    // An evaluation (bounds per layer) can land after the last step, with the run's end.
    const { boundStep } = await this.store.runWatermarks(row.id);
    if (boundStep > k.boundStep) {
      k.boundStep = boundStep;
      this.target.publish({ kind: 'layer-bounds', runId: row.id, at, step: boundStep });
    }
    if (statusChanged) {
      const detail = await this.target.getRun(row.id).catch(() => null);
      this.target.publish({
        kind: 'run-status',
        runId: row.id,
        at,
        status,
        previous: k.status,
        message: detail?.error ?? null,
      });
      k.status = status;
    }
  }
}

/** Start watching `store` for runs of other processes and publish their events to `target`. */
export function watchExternalRuns(
  store: Store,
  target: ExternalRunsTarget,
  opts: ExternalRunsOptions = {},
): ExternalRunsWatch {
  return new ExternalRunsWatch(store, target, opts).start();
}
