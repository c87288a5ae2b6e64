/**
 * The lab (the app, or `serve --redis URL`) as the owner of Redis sweeps: each open sweep of the store
 * queued for Redis workers is served by its own SweepOwner (bull-owner.ts, the same code as
 * `sweep --redis URL --store DIR`): jobs for its waiting runs, the workers' events written into the
 * store once each, stalled workers' runs crashed and re-queued. Stopping the lab stops the owners at
 * their next turn; the runs stay queued, and a later `serve --redis` or `sweep --serve SWEEP` owns them again.
 */
import { parseArgs } from 'node:util';
import type { Store } from '../store/index.js';
import type { ControlAction } from '../store/run-control.js';
import { settings, type Settings } from '../settings.js';
import { connectOwner, type OwnerOptions, type SweepOwner } from './bull-owner.js';
import { connectRedis, parseRedisUrl } from './redis-connect.js';

export class RedisSweeps {
  /** Every owner this lab started (kept after its sweep is done: its runs are still shown as remote runs). */
  private readonly owners: SweepOwner[] = [];
  private readonly serving = new Map<string, Promise<void>>();
  private closed = false;

  private constructor(
    private readonly options: OwnerOptions,
    /** The Redis URL without its password, for the UI and messages. */
    readonly display: string,
    private readonly log: (message: string) => void,
  ) {}

  /** Reach Redis once (a PING with a deadline): a RedisUnreachable error, before the lab opens its store, when it cannot be reached. */
  static async connect(options: OwnerOptions): Promise<RedisSweeps> {
    const log = options.log ?? ((m: string) => console.error(m));
    const conn = parseRedisUrl({ url: options.redis ?? 'redis://127.0.0.1:6379', caFile: options['redis-ca'] });
    for (const w of conn.warnings) log(`warning: ${w}`);
    const probe = await connectRedis(conn);
    await probe.quit().catch(() => probe.disconnect());
    // The warnings were said once, here: the owners of each sweep need not repeat them.
    return new RedisSweeps({ ...options, log: (m) => m.startsWith('warning: Redis at') || log(m) }, conn.display, log);
  }

  /** Own every sweep of the store with runs waiting for Redis workers (queued before a restart, or by a `sweep --redis` that stopped). */
  async resume(store: Store): Promise<void> {
    const ids = new Set((await store.sweeps.list('redis')).map((e) => e.sweepId).filter((id): id is string => !!id));
    for (const id of ids) this.serve(store, id);
  }

  /** Serve one sweep in the background until it is done or the lab closes (once per sweep at a time). */
  serve(store: Store, sweepId: string): void {
    if (this.closed || this.serving.has(sweepId)) return;
    const task = this.own(store, sweepId)
      .catch((err: unknown) => {
        this.log(
          `sweep ${sweepId}: stopped owning it on ${this.display}: ${(err as Error).message}. Its waiting runs stay queued: restart serve --redis URL, or run spectral-lab sweep --serve ${sweepId} --redis URL --store DIR.`,
        );
      })
      .finally(() => this.serving.delete(sweepId));
    this.serving.set(sweepId, task);
  }

  /** A run one of the owners wrote from a worker's events. */
  writes(runId: string): boolean {
    return this.owners.some((o) => o.writes(runId));
  }

  /** Pause, resume or cancel a run one of the owners writes: relayed to its worker (false: not ours). */
  async control(runId: string, action: ControlAction, by: string): Promise<boolean> {
    const owner = this.owners.find((o) => o.writes(runId));
    return owner ? owner.control(runId, { action, by, at: Date.now() }) : false;
  }

  /** Stop every owner at its next turn and wait for it (before the lab closes the store). */
  async close(): Promise<void> {
    this.closed = true;
    for (const o of this.owners) o.stop();
    await Promise.allSettled([...this.serving.values()]);
  }

  private async own(store: Store, sweepId: string): Promise<void> {
    const owner = await connectOwner(this.options);
    this.owners.push(owner);
    try {
      if (!this.closed) await owner.serve(store, sweepId);
    } finally {
      await owner.close();
    }
  }
}

/**
 * The app's Redis: `--redis URL [--redis-ca FILE] [--queue NAME]` on its command line (the options of
 * `serve`), else the SPECTRAL_LAB_REDIS / SPECTRAL_LAB_REDIS_CA settings (settings.ts); null: none.
 */
export function appRedisOptions(
  argv: string[],
  s: Pick<Settings, 'redis' | 'redisCa'> = settings(),
): OwnerOptions | null {
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: { redis: { type: 'string' }, 'redis-ca': { type: 'string' }, queue: { type: 'string' } },
  });
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const redis = str(values.redis) ?? s.redis ?? undefined;
  if (!redis) return null;
  return { redis, 'redis-ca': str(values['redis-ca']) ?? s.redisCa ?? undefined, queue: str(values.queue) };
}
