/**
 * Sweeps and the persistent queue behind the LabApi (startSweep, listSweeps, getSweep, listQueue,
 * moveQueuedRun, retryRun): a sweep is validated and queued in the store (nothing queued on any error),
 * and each queued run is handed to the lab's run queue (`adopt`), which starts it when a slot is free.
 * At start-up the runs still waiting in the store (a sweep queued by the CLI, a restart) are adopted
 * in their order, so the queue survives a restart of the app or `serve`. With a Redis (`serve --redis URL`)
 * a sweep can go to remote workers instead: the lab owns it (queue/redis-sweeps.ts) and writes their events.
 */
import { LabError, type StartRunResult } from '../../shared/api.js';
import { expandSweep, SweepError, type QueueEntry, type SweepInfo } from '../../shared/sweep.js';
import {
  CLEAN_ACCURACY,
  certifiedMetric,
  numericLeaves,
  type StartSweepResult,
  type SweepDetail,
  type SweepPoint,
} from '../../shared/sweep-results.js';
import type { JsonObject } from '../../shared/api.js';
import type { Store } from '../store/index.js';
import type { RedisSweeps } from '../queue/redis-sweeps.js';
import { labErrorOf } from './store-adapter.js';

export interface SweepHooks {
  /** Put a run recorded 'queued' in the lab's run queue (it starts when a slot is free). */
  adopt(runId: string): Promise<StartRunResult>;
  /** The lab's queue order changed: move the run there too (1-based). */
  move(runId: string, position: number): void;
}

/** Summaries are read in chunks, so a sweep of thousands of runs is a few queries, not one per run. */
const CHUNK = 200;

async function translate<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw labErrorOf(err);
  }
}

export class SweepControl {
  private hooks: SweepHooks | null = null;

  constructor(
    private readonly store: Store,
    /** The owner of sweeps sent to Redis workers; null: every sweep goes to the local queue. */
    private readonly redis: RedisSweeps | null = null,
  ) {}

  /** The Redis this lab owns sweeps through (password hidden), or null. */
  get redisDisplay(): string | null {
    return this.redis?.display ?? null;
  }

  /** A run the lab writes from a Redis worker's events (shown like a run of another process). */
  writesRemotely(runId: string): boolean {
    return this.redis?.writes(runId) ?? false;
  }

  /** Connect to the lab's run queue and adopt every run waiting in the store, in order; own the open Redis sweeps. */
  async attach(hooks: SweepHooks): Promise<void> {
    this.hooks = hooks;
    for (const e of await this.store.sweeps.list('local')) await hooks.adopt(e.runId);
    await this.redis?.resume(this.store);
  }

  /** Stop owning Redis sweeps (their runs stay queued for the next owner); before the store closes. */
  async close(): Promise<void> {
    await this.redis?.close();
  }

  async startSweep(spec: unknown, options: { workers?: 'local' | 'redis' } = {}): Promise<StartSweepResult> {
    const remote = options.workers === 'redis';
    if (remote && !this.redis) {
      throw new LabError(
        'unavailable',
        'This lab has no Redis to send the sweep to.',
        'Start serve with --redis URL (spectral-lab serve --redis redis://host:6379), or queue the sweep locally.',
      );
    }
    let sweep;
    try {
      sweep = expandSweep(spec);
    } catch (err) {
      if (err instanceof SweepError)
        throw new LabError(
          'invalid-config',
          err.message,
          'Fix the sweep (every problem is listed) and start it again; nothing was queued.',
          err.problems,
        );
      throw err;
    }
    const made = await translate(() =>
      this.store.sweeps.create({
        name: sweep.name,
        spec: spec as JsonObject,
        keys: sweep.keys,
        items: sweep.items,
        target: remote ? 'redis' : 'local',
      }),
    );
    if (remote) this.redis?.serve(this.store, made.sweepId);
    else for (const id of made.runIds) await this.hooks?.adopt(id);
    return made;
  }

  /** A run started with "queue": kept in the store's queue too, so it survives a restart. */
  enqueue(runId: string): Promise<void> {
    return translate(() => this.store.sweeps.enqueue(runId, 'local'));
  }

  /**
   * Before a run of the lab's queue starts: take it out of the store's queue (every run the lab queues has
   * a row there). False when another process (`queue run`, another app) has taken it meanwhile, so it is
   * not trained twice: claiming deletes the row in one transaction, so only one process gets it.
   */
  async mayStart(runId: string): Promise<boolean> {
    return (await this.store.sweeps.claim('local', runId)) !== null;
  }

  /** Cancel a run waiting in the store's queue (not in the lab's: e.g. one queued for Redis workers). */
  cancelQueued(runId: string): Promise<boolean> {
    return translate(() => this.store.sweeps.cancel(runId));
  }

  listSweeps(): Promise<SweepInfo[]> {
    return translate(() => this.store.sweeps.all());
  }

  listQueue(): Promise<QueueEntry[]> {
    return translate(() => this.store.sweeps.list());
  }

  async moveQueuedRun(runId: string, position: number): Promise<{ runId: string; position: number }> {
    const at = await translate(() => this.store.sweeps.move(runId, position));
    this.hooks?.move(runId, at);
    return { runId, position: at };
  }

  async retryRun(runId: string): Promise<StartRunResult> {
    const fresh = await translate(() => this.store.sweeps.retry(runId, 'local'));
    if (!this.hooks) return { runId: fresh.id, status: 'queued', queuePosition: null };
    return this.hooks.adopt(fresh.id);
  }

  /** The sweep's points (latest attempt each) with their swept values, numeric config leaves and final metrics. */
  async getSweep(idOrName: string): Promise<SweepDetail> {
    return translate(async () => {
      const sweep = await this.store.sweeps.get(idOrName);
      const runs = await this.store.sweeps.runs(sweep.id, true);
      const points: SweepPoint[] = [];
      const names = new Set<string>();
      const epsilons = new Set<number>();
      for (let i = 0; i < runs.length; i += CHUNK) {
        const chunk = runs.slice(i, i + CHUNK);
        const sums = new Map((await this.store.runSummaries(chunk.map((r) => r.runId))).map((s) => [s.run.id, s]));
        for (const r of chunk) {
          const s = sums.get(r.runId);
          const metrics: Record<string, number | null> = {};
          if (s) {
            metrics[CLEAN_ACCURACY] = s.run.headline.testAccuracy;
            for (const c of s.certified) {
              metrics[certifiedMetric(c.eps)] = c.accuracy;
              epsilons.add(c.eps);
            }
            metrics.lipschitz = s.run.headline.lipschitz;
            const loss = s.metrics.find((m) => m.name === 'train/loss');
            if (loss) metrics['train loss'] = loss.last;
            for (const k of Object.keys(metrics)) names.add(k);
          }
          const config = (s?.run.config ?? {}) as Record<string, unknown>;
          points.push({ ...r, params: numericLeaves(config), metrics, config });
        }
      }
      const metricNames = [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
      return { sweep, points, metricNames, epsilons: [...epsilons].sort((a, b) => a - b) };
    });
  }
}

/** Clean accuracy first, then certified accuracies, then the rest. */
function rank(name: string): number {
  return name === CLEAN_ACCURACY ? 0 : name.startsWith('certified@') ? 1 : 2;
}
