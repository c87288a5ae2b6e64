/**
 * Sweeps and the persistent run queue, over a Store's connections (`store.sweeps`). Runs are made
 * with the store's own createRun (the config is validated, nothing written when refused); the sweep
 * and queue rows are in run-queue.ts.
 */
import crypto from 'node:crypto';
import type { JsonObject, JsonValue } from '../../shared/api.js';
import type { RunRecord } from '../../shared/records.js';
import type { QueueEntry, QueueTarget, SweepInfo, SweepRunInfo } from '../../shared/sweep.js';
import * as q from './run-queue.js';
import type { SqliteDb } from './sqlite.js';
import type { Store } from './store.js';

export interface SweepStoreContext {
  read(): SqliteDb;
  /** The write connection (throws the store's read-only error when there is none). */
  write(): SqliteDb;
  guard<T>(fn: () => Promise<T>): Promise<T>;
}

export interface NewSweep {
  name: string;
  /** The sweep file as given (kept to reproduce the sweep). */
  spec: JsonObject;
  keys: string[];
  items: { config: unknown; assignment: Record<string, JsonValue> }[];
  target: QueueTarget;
  tags?: string[];
}

/** "wd-grid-20250131-142501-3fa9": readable, sortable, unique. */
export function newSweepId(name: string, at = new Date()): string {
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 32) || 'sweep';
  const t = at.toISOString();
  return `${slug}-${t.slice(0, 10).replace(/-/g, '')}-${t.slice(11, 19).replace(/:/g, '')}-${crypto.randomBytes(2).toString('hex')}`;
}

export class SweepStore {
  constructor(
    private readonly store: Store,
    private readonly c: SweepStoreContext,
  ) {}

  /**
   * Create every run of a sweep ('queued', tagged with the sweep) and queue them in expansion order.
   * If any run is refused or a write fails, the runs made so far are deleted again: nothing is queued.
   */
  async create(sweep: NewSweep): Promise<{ sweepId: string; runIds: string[] }> {
    const sweepId = newSweepId(sweep.name);
    const tags = [...(sweep.tags ?? []), `sweep:${sweep.name}`.slice(0, 64)];
    const made: q.SweepRunInput[] = [];
    try {
      for (const [item, it] of sweep.items.entries()) {
        const run = await this.store.createRun({ config: it.config, tags, status: 'queued' });
        made.push({ runId: run.id, item, assignment: it.assignment });
      }
      await this.c.guard(() =>
        q.recordSweep(
          this.c.write(),
          { id: sweepId, name: sweep.name, spec: sweep.spec, keys: sweep.keys },
          made,
          sweep.target,
        ),
      );
    } catch (err) {
      for (const m of made) await this.store.deleteRun(m.runId).catch(() => undefined);
      throw err;
    }
    return { sweepId, runIds: made.map((m) => m.runId) };
  }

  /** Put a queued run (e.g. a run started with "queue") in the persistent queue. */
  enqueue(runId: string, target: QueueTarget = 'local'): Promise<void> {
    return this.c.guard(() => q.enqueue(this.c.write(), runId, target));
  }

  /** Take the next waiting run (or the given one) out of the queue; the caller starts it. Null when none waits. */
  claim(target: QueueTarget = 'local', runId?: string): Promise<string | null> {
    return this.c.guard(() => q.claim(this.c.write(), target, runId));
  }

  /** Cancel a waiting run: out of the queue and 'cancelled'. False when it was not waiting. */
  async cancel(runId: string, reason = 'cancelled while queued'): Promise<boolean> {
    const was = await this.c.guard(() => q.withdraw(this.c.write(), runId));
    if (was) await this.store.setStatus(runId, { status: 'cancelled', reason });
    return was;
  }

  /** Move a waiting run to a 1-based place in its queue; returns the place it got. */
  move(runId: string, position: number): Promise<number> {
    return this.c.guard(() => q.moveTo(this.c.write(), runId, position));
  }

  /** Queue a new attempt of a crashed, failed or cancelled run: same config, name, tags and sweep point. */
  async retry(runId: string, target: QueueTarget = 'local'): Promise<RunRecord> {
    await this.c.guard(() => q.checkRetryable(this.c.read(), runId));
    const old = await this.store.getRun(runId);
    const fresh = await this.store.createRun({
      config: old.config,
      name: old.name,
      tags: old.tags,
      status: 'queued',
      notes: `retry of ${runId}`,
    });
    try {
      await this.c.guard(() => q.recordRetry(this.c.write(), runId, fresh.id, target));
    } catch (err) {
      await this.store.deleteRun(fresh.id).catch(() => undefined);
      throw err;
    }
    return fresh;
  }

  list(target?: QueueTarget): Promise<QueueEntry[]> {
    return this.c.guard(() => q.listQueue(this.c.read(), target));
  }

  get(idOrName: string): Promise<SweepInfo> {
    return this.c.guard(() => q.getSweep(this.c.read(), idOrName));
  }

  all(): Promise<SweepInfo[]> {
    return this.c.guard(() => q.listSweeps(this.c.read()));
  }

  runs(sweepId: string, latestOnly = false): Promise<SweepRunInfo[]> {
    return this.c.guard(() => q.sweepRuns(this.c.read(), sweepId, latestOnly));
  }
}
