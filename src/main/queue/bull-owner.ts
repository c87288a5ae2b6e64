/**
 * The owner of a sweep sent to remote workers (`sweep --redis URL --store DIR`): it adds one BullMQ job
 * per queued run, reads the workers' engine events from its Redis stream and writes them into the store
 * (each run's events exactly once, in order: wire.ts SequenceTracker), and watches the jobs: a job that
 * BullMQ failed as stalled (its worker died) or whose worker was stopped leaves its run 'crashed' and a
 * new attempt queued. It returns when every point of the sweep has ended.
 */
import { Queue } from 'bullmq';
import type { JsonObject } from '../../shared/api.js';
import type { Store } from '../store/index.js';
import type { ControlRequest } from '../store/run-control.js';
import { WORKER_STOPPED } from './bull-worker.js';
import { openRecorder, type RunRecorder } from './recorder.js';
import { connectRedis, parseRedisUrl, type RedisClient, type RedisConnection } from './redis-connect.js';
import { controlKey, DEFAULT_QUEUE, decodeEvent, eventStreamKey, SequenceTracker, type RunJobData } from './wire.js';

export interface OwnerOptions {
  redis?: string;
  'redis-ca'?: string;
  queue?: string;
  log?: (message: string) => void;
}

export interface SweepOwner {
  /** Queue the sweep's waiting runs for the workers and write their events until the sweep is done; the exit code. */
  serve(store: Store, sweepId: string): Promise<number>;
  /** Stop serve() at its next turn (the runs stay as they are; serve again to go on). */
  stop(): void;
  close(): Promise<void>;
  /** A run this owner has written from a worker's events (the lab shows it like a run of another process). */
  writes(runId: string): boolean;
  /** Send pause / resume / cancel to the worker training a run this owner writes (false: none here). */
  control(runId: string, request: ControlRequest): Promise<boolean>;
}

/** Connect (a PING with a deadline) before anything is queued: an unreachable Redis is a RedisUnreachable error. */
export async function connectOwner(o: OwnerOptions): Promise<SweepOwner> {
  const conn = parseRedisUrl({ url: o.redis ?? 'redis://127.0.0.1:6379', caFile: o['redis-ca'] });
  const log = o.log ?? ((m: string) => console.error(m));
  for (const w of conn.warnings) log(`warning: ${w}`);
  const reader = await connectRedis(conn);
  const queueClient = await connectRedis(conn);
  const queue = new Queue<RunJobData>(o.queue ?? DEFAULT_QUEUE, { connection: queueClient as never });
  return new Owner(conn, [reader, queueClient], queue, o.queue ?? DEFAULT_QUEUE, log);
}

const isHandBack = (reason: string): boolean => /stalled/i.test(reason) || reason.includes(WORKER_STOPPED);

class Owner implements SweepOwner {
  private readonly recorders = new Map<string, RunRecorder>();
  private readonly seqs = new SequenceTracker();
  /** Store run each worker's turn at a job writes to ("<job> <session>"; null: ignored). */
  private readonly sessions = new Map<string, string | null>();
  /** Job id -> the store run its current turn writes to, and back. */
  private readonly current = new Map<string, string>();
  private readonly jobOf = new Map<string, string>();
  private stopped = false;

  constructor(
    readonly conn: RedisConnection,
    /** [the stream reader, BullMQ's connection]: BullMQ leaves a client it was given open, so close() quits both. */
    private readonly clients: [RedisClient, RedisClient],
    private readonly queue: Queue<RunJobData>,
    private readonly queueName: string,
    private readonly log: (m: string) => void,
  ) {}

  async serve(store: Store, sweepId: string): Promise<number> {
    const stream = eventStreamKey(this.queueName, sweepId);
    this.log(
      `Waiting for workers on ${this.conn.display} (queue "${this.queueName}"): start them with  spectral-lab worker --redis ${this.conn.display}`,
    );
    let lastId = '0-0';
    for (;;) {
      await this.addJobs(store, sweepId, stream);
      await this.relayControl(store);
      const reply = await this.clients[0].xread('COUNT', 500, 'BLOCK', 1000, 'STREAMS', stream, lastId);
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          await this.onEntry(store, fields);
          lastId = id;
        }
      }
      // Entries before lastId are written (or queued for writing) in the store: Redis need not keep them.
      if (reply) await this.clients[0].xtrim(stream, 'MINID', lastId);
      await this.watchJobs(store, sweepId);
      const info = await store.sweeps.get(sweepId);
      if (info.done || this.stopped) {
        for (const r of this.recorders.values()) await r.close();
        const counts = Object.entries(info.counts)
          .map(([s, n]) => `${n} ${s}`)
          .join(', ');
        this.log(`sweep ${sweepId}: ${this.stopped && !info.done ? 'stopped' : 'done'} (${counts}).`);
        return info.done && (info.counts.completed ?? 0) === info.items ? 0 : 1;
      }
    }
  }

  stop(): void {
    this.stopped = true;
  }

  writes(runId: string): boolean {
    return this.jobOf.has(runId);
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    for (const c of this.clients) await c.quit().catch(() => c.disconnect());
  }

  /** Pause / resume / cancel asked of a run this owner writes (a request file from another process) go to its worker. */
  private async relayControl(store: Store): Promise<void> {
    for (const runId of this.recorders.keys()) {
      const request = store.takeControlRequest(runId);
      if (request) await this.control(runId, request);
    }
  }

  async control(runId: string, request: ControlRequest): Promise<boolean> {
    if (!this.recorders.has(runId)) return false;
    await this.clients[0].set(controlKey(this.queueName, runId), JSON.stringify(request), 'EX', 3600);
    this.log(`[${runId}] ${request.action} requested from ${request.by}: sent to its worker`);
    return true;
  }

  /** A job for every run of the sweep waiting for Redis workers (the job id is the run id: BullMQ never adds one twice). */
  private async addJobs(store: Store, sweepId: string, events: string): Promise<void> {
    for (const e of await store.sweeps.list('redis')) {
      if (e.sweepId !== sweepId) continue;
      const job = await this.queue.getJob(e.runId);
      if (job) continue;
      const run = await store.getRun(e.runId);
      await this.queue.add(
        'run',
        { runId: e.runId, config: run.config as JsonObject, sweepId, events },
        { jobId: e.runId, attempts: 1, removeOnComplete: true },
      );
    }
  }

  private async onEntry(store: Store, fields: string[]): Promise<void> {
    const e = decodeEvent(fields);
    if (!e) return;
    const key = `${e.runId} ${e.session}`;
    let target = this.sessions.get(key);
    if (target === undefined) {
      target = await this.bindSession(store, e.runId, e.worker);
      this.sessions.set(key, target);
    }
    const rec = target === null ? undefined : this.recorders.get(target);
    if (!rec || target === null) return; // not ours, or a late event of a run that ended or crashed
    const { verdict, missing } = this.seqs.accept(key, e.seq);
    if (verdict === 'duplicate') return;
    if (verdict === 'gap')
      this.log(`[${target}] warning: ${missing} event(s) from worker ${e.worker} never arrived before event ${e.seq}.`);
    rec.record(e.event);
    if (e.event.type === 'finished') {
      await this.retire(target);
      this.log(`[${target}] ${e.event.status}${e.event.reason ? ` (${e.event.reason})` : ''}`);
    }
  }

  /**
   * The store run a worker's turn at a job writes to (null: ignore it). The first turn writes the job's run.
   * A second turn means BullMQ handed the job to another worker after the first stopped: the first
   * turn's run ends crashed, and this turn trains a new attempt of it (a new run), never the same run twice.
   */
  private async bindSession(store: Store, jobId: string, worker: string): Promise<string | null> {
    const previous = this.current.get(jobId);
    if (previous === undefined) {
      const claimed = await store.sweeps.claim('redis', jobId).catch(() => null);
      if (!claimed) return null;
      await this.begin(store, jobId, jobId, worker);
      return jobId;
    }
    if ((await store.getRun(previous)).status !== 'running') return null;
    const again = await this.crashAndRetry(
      store,
      previous,
      `its worker stopped and BullMQ gave the job to worker ${worker}`,
    );
    await store.sweeps.claim('redis', again);
    await this.begin(store, again, jobId, worker);
    return again;
  }

  private async begin(store: Store, runId: string, jobId: string, worker: string): Promise<void> {
    await store.setStatus(runId, { status: 'running' });
    this.recorders.set(runId, await openRecorder(store, runId, this.log, { remote: true }));
    this.current.set(jobId, runId);
    this.jobOf.set(runId, jobId);
    this.log(`[${runId}] started on worker ${worker}`);
  }

  /** The run ends crashed (what it recorded stays) and a new attempt is queued; returns the new run's id. */
  private async crashAndRetry(store: Store, runId: string, why: string): Promise<string> {
    await this.retire(runId);
    await store.setStatus(runId, { status: 'crashed', reason: `${why}; everything it sent until then is kept` });
    const again = await store.sweeps.retry(runId, 'redis');
    this.log(`[${runId}] crashed: ${why}; queued again as run ${again.id}.`);
    return again.id;
  }

  private async retire(runId: string): Promise<void> {
    await this.recorders.get(runId)?.close();
    this.recorders.delete(runId);
  }

  /** Runs whose job failed without a 'finished' event: a dead or stopped worker (crashed, re-queued) or an error (failed). */
  private async watchJobs(store: Store, sweepId: string): Promise<void> {
    for (const r of await store.sweeps.runs(sweepId, true)) {
      if (r.status !== 'running' && r.status !== 'queued') continue;
      const jobId = this.jobOf.get(r.runId) ?? r.runId;
      const seen = await this.queue.getJob(jobId);
      if (!seen || (await seen.getState()) !== 'failed') continue;
      // Read the job again: the first read can predate the failure (a stalled job fails when a worker next takes it,
      // between the two calls above), and then carries no failedReason.
      const job = (await this.queue.getJob(jobId)) ?? seen;
      const reason = job.failedReason ?? 'unknown';
      await job.remove();
      if (r.status === 'queued') {
        this.log(`[${r.runId}] its worker went away before the run started (${reason}); queued again.`);
        continue; // still in the store's queue: addJobs adds a fresh job next turn
      }
      if (!isHandBack(reason)) {
        this.log(`[${r.runId}] failed on its worker: ${reason}`);
        await this.retire(r.runId);
        await store.setStatus(r.runId, {
          status: 'failed',
          error: reason,
          reason: `the worker failed the job: ${reason}`,
        });
        continue;
      }
      await this.crashAndRetry(store, r.runId, `its worker stopped answering (${reason})`);
    }
  }
}
