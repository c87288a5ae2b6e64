/**
 * A remote worker: takes run jobs from the BullMQ queue, trains each in an engine worker thread (the
 * best backend of this machine unless the config names one), and streams every engine event to the
 * owner through Redis with the run id and a sequence number. It never writes a store.
 *
 * Liveness is BullMQ's: the job lock is renewed while the run trains; a worker that dies stops renewing
 * it, another worker's stalled check finds the job, and with maxStalledCount 0 the job fails as
 * stalled (never silently restarted), so the owner marks the run crashed and queues a new attempt.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Worker, type Job } from 'bullmq';
import { startRun, type EngineHandle } from '../engine/host.js';
import { connectRedis, type RedisClient, type RedisConnection } from './redis-connect.js';
import { CONTROL_POLL_MS, controlKey, encodeEvent, type RunJobData } from './wire.js';

export interface RemoteWorkerOptions {
  redis: RedisConnection;
  queue: string;
  /** Runs trained at once on this machine. */
  concurrency: number;
  /** Lock duration = stalled-check interval (ms): how long a dead worker's run goes unnoticed. */
  stalledMs: number;
  dataDir?: string;
  checkpointRoot: string;
  log: (message: string) => void;
}

export interface RemoteWorker {
  /** Stop taking jobs, cancel the runs in progress (their runs end 'cancelled'), disconnect. */
  close(): Promise<void>;
  readonly closed: Promise<void>;
}

export const WORKER_TAG = `${os.hostname()}:${process.pid}`;
/** The failure of a job whose worker was stopped mid-run: the owner re-queues such a run like a crashed one. */
export const WORKER_STOPPED = 'the worker was stopped during the run';

export async function startRemoteWorker(o: RemoteWorkerOptions): Promise<RemoteWorker> {
  // Two connections: BullMQ's (it blocks while waiting for jobs) and one for the event stream.
  const bullConnection = await connectRedis(o.redis);
  const events: RedisClient = await connectRedis(o.redis);
  const running = new Map<string, EngineHandle>();
  let stopping = false;
  /** Runs whose job lock was lost: BullMQ fails their job as stalled, and the owner re-queues them. */
  const handedBack = new Set<string>();
  const wasmThreads = Math.max(1, Math.floor(os.availableParallelism() / o.concurrency));

  const processor = async (job: Job<RunJobData>): Promise<{ status: string }> => {
    const { runId, config } = job.data;
    const session = `${WORKER_TAG}/${randomUUID().slice(0, 8)}`;
    o.log(`[${runId}] taken from the queue`);
    const handle = startRun(config, {
      runId,
      dataDir: o.dataDir,
      checkpointDir: path.join(o.checkpointRoot, runId),
      wasmThreads,
    });
    running.set(runId, handle);
    let seq = 0;
    // XADD in event order; ioredis queues commands while reconnecting and resends unanswered ones (the owner drops duplicates by seq).
    let sent: Promise<unknown> = Promise.resolve();
    handle.on((event) => {
      // Stopped mid-run or lock lost: no 'finished' goes out; the job fails instead and the owner re-queues the run.
      if ((stopping || handedBack.has(runId)) && event.type === 'finished') return;
      const fields = encodeEvent({ runId, seq: seq++, worker: WORKER_TAG, session, event });
      sent = sent.then(() => events.xadd(job.data.events, '*', ...Object.entries(fields).flat()));
    });
    const stopControl = watchControl(events, controlKey(o.queue, runId), handle, (m) => o.log(`[${runId}] ${m}`));
    try {
      const finished = await handle.done;
      await sent;
      o.log(`[${runId}] ${finished.status}${finished.reason ? ` (${finished.reason})` : ''}`);
      if ((stopping || handedBack.has(runId)) && finished.status === 'cancelled') throw new Error(WORKER_STOPPED);
      return { status: finished.status };
    } finally {
      stopControl();
      running.delete(runId);
      handedBack.delete(runId);
    }
  };

  const worker = new Worker<RunJobData>(o.queue, processor, {
    connection: bullConnection as never,
    concurrency: o.concurrency,
    lockDuration: o.stalledMs,
    stalledInterval: o.stalledMs,
    maxStalledCount: 0,
  });
  worker.on('error', (err) => o.log(`worker: ${err.message}`));
  // Our lock is gone: another worker or the owner treats the run as crashed. Stop training it here.
  worker.on('lockRenewalFailed', (jobIds: string[]) => {
    for (const id of jobIds) {
      handedBack.add(id);
      running.get(id)?.cancel('this worker lost the job lock (Redis unreachable too long); the run was handed back');
    }
  });
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  return {
    closed,
    async close() {
      stopping = true;
      for (const h of running.values()) h.cancel(WORKER_STOPPED);
      await worker.close();
      await events.quit().catch(() => events.disconnect());
      await bullConnection.quit().catch(() => bullConnection.disconnect());
      resolveClosed();
    },
  };
}

/** Act on the pause / resume / cancel the owner relays for this run (wire.ts controlKey). */
function watchControl(redis: RedisClient, key: string, handle: EngineHandle, log: (m: string) => void): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    redis
      .getdel(key)
      .then((text) => {
        if (!text) return;
        const r = JSON.parse(text) as { action?: string; by?: string };
        const by = r.by ?? 'the workbench';
        log(`${r.action} requested from ${by}`);
        if (r.action === 'pause') handle.pause();
        else if (r.action === 'resume') handle.resume();
        else if (r.action === 'cancel') handle.cancel(`cancelled from ${by}`);
      })
      // Redis away for a moment: the request stays in its key and is read on a later poll.
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, CONTROL_POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
