/**
 * Draining the persistent local queue: up to `jobs` runs at a time, each in its own engine worker
 * thread, taken from the store's queue in order (store.sweeps.claim). A run is marked 'running' the
 * moment it is claimed, so if this process dies its run is found 'crashed' at the next open, and the
 * runs still waiting stay queued for the next `queue run` (or app / serve).
 */
import os from 'node:os';
import path from 'node:path';
import type { Store } from '../store/index.js';
import { startRun, type EngineHandle } from '../engine/host.js';
import { openRecorder } from './recorder.js';

export interface LocalRunnerOptions {
  store: Store;
  /** Runs trained at once (each takes a worker thread; WASM threads are shared out among them). */
  jobs: number;
  /** Dataset folder (overrides each config's dataset.path). */
  dataDir?: string;
  log: (message: string) => void;
  /** Called when a run ends (completed, failed, cancelled). */
  onEnd?: (runId: string, status: string) => void;
}

export interface LocalRunnerResult {
  ended: Record<string, string>;
  /** True when stop() ended the drain before the queue was empty. */
  stopped: boolean;
}

/** The default for --jobs: one run per two cores (each run's WASM pool uses the rest), at least one. */
export function defaultJobs(): number {
  return Math.max(1, Math.floor(os.availableParallelism() / 2));
}

export class LocalQueueRunner {
  private readonly active = new Map<string, EngineHandle>();
  private stopping = false;
  private readonly ended: Record<string, string> = {};
  private wake: (() => void) | null = null;
  /** A run ended while drain() was not waiting: look at the queue again before sleeping. */
  private changed = false;

  constructor(private readonly o: LocalRunnerOptions) {
    if (!Number.isInteger(o.jobs) || o.jobs < 1) throw new Error(`jobs must be a positive integer, got ${o.jobs}`);
  }

  /** Train waiting runs until the queue is empty and every started run has ended (or stop() is called). */
  async drain(): Promise<LocalRunnerResult> {
    for (;;) {
      while (!this.stopping && this.active.size < this.o.jobs) {
        const runId = await this.o.store.sweeps.claim('local');
        if (!runId) break;
        await this.launch(runId);
      }
      if (this.active.size === 0) return { ended: this.ended, stopped: this.stopping };
      await new Promise<void>((r) => {
        if (this.changed) r();
        else this.wake = r;
      });
      this.changed = false;
    }
  }

  /** Cancel the active runs (they end 'cancelled' after their current step); waiting runs stay queued. */
  stop(reason: string): void {
    this.stopping = true;
    for (const h of this.active.values()) h.cancel(reason);
  }

  private async launch(runId: string): Promise<void> {
    const { store } = this.o;
    const run = await store.getRun(runId);
    await store.setStatus(runId, { status: 'running' });
    const recorder = await openRecorder(store, runId, this.o.log);
    const wasmThreads = Math.max(1, Math.floor(os.availableParallelism() / this.o.jobs));
    let handle: EngineHandle;
    try {
      handle = startRun(run.config, {
        runId,
        dataDir: this.o.dataDir,
        checkpointDir: path.join(store.paths.checkpoints, runId),
        wasmThreads,
      });
    } catch (err) {
      const message = `could not start the run: ${(err as Error).message}`;
      await store.setStatus(runId, { status: 'failed', error: message, reason: message });
      await recorder.close();
      this.finish(runId, 'failed');
      return;
    }
    this.active.set(runId, handle);
    this.o.log(`[${runId}] started: ${run.name}`);
    handle.on((e) => recorder.record(e));
    void handle.done.then(async (f) => {
      await recorder.close();
      this.active.delete(runId);
      this.o.log(`[${runId}] ${f.status}${f.reason ? ` (${f.reason})` : ''}`);
      this.finish(runId, f.status);
    });
  }

  private finish(runId: string, status: string): void {
    this.ended[runId] = status;
    this.o.onEnd?.(runId, status);
    this.changed = true;
    this.wake?.();
    this.wake = null;
  }
}
