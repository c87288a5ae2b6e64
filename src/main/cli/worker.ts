/**
 * `spectral-lab worker --redis URL`: train runs taken from the BullMQ queue on Redis and stream their
 * events back to the process that owns the store (`sweep --redis`). Runs on any machine that reaches
 * the Redis server; it opens no port and writes no store.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startRemoteWorker } from '../queue/bull-worker.js';
import { connectRedis, parseRedisUrl, RedisUnreachable } from '../queue/redis-connect.js';
import { DEFAULT_QUEUE } from '../queue/wire.js';

const USAGE = `Usage: spectral-lab worker --redis URL [options]

Take runs from the queue on Redis, train them here, stream their events to the sweep's owner.

Options:
  --redis URL          redis://[user:password@]host:6379[/db], or rediss://... for TLS (required)
  --redis-ca FILE      with rediss://: the CA certificate that signed the server's certificate
  --queue NAME         the BullMQ queue (default: ${DEFAULT_QUEUE}; must match the owner's)
  --concurrency N      runs trained at once (default 1; each run uses the cores it can)
  --stalled-ms MS      lock time: a worker silent this long is taken for dead (default 30000)
  --data DIR           dataset folder here (overrides dataset.path of each config)
  --checkpoint-dir DIR where this machine keeps the runs' checkpoints (default: <tmp>/spectral-lab-worker)
  -h, --help           this help

Stop with Ctrl-C: the runs in progress are handed back (crashed, and queued again by the owner).`;

function positive(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new RedisUnreachable(`${flag} must be a positive integer, got '${text}'.`);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        redis: { type: 'string' },
        'redis-ca': { type: 'string' },
        queue: { type: 'string' },
        concurrency: { type: 'string' },
        'stalled-ms': { type: 'string' },
        data: { type: 'string' },
        'checkpoint-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    console.error(`worker: ${(err as Error).message}\n\nRun 'spectral-lab worker --help' for the options.`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    if (!values.redis)
      throw new RedisUnreachable(
        '--redis URL is required, e.g. spectral-lab worker --redis redis://10.0.0.5:6379 (see docs/distributed.md).',
      );
    const redis = parseRedisUrl({ url: values.redis, caFile: values['redis-ca'] });
    for (const w of redis.warnings) console.error(`warning: ${w}`);
    const concurrency = positive('--concurrency', values.concurrency, 1);
    const stalledMs = positive('--stalled-ms', values['stalled-ms'], 30_000);
    // Fail fast with the reason when the server cannot be reached.
    const probe = await connectRedis(redis);
    await probe.quit();
    const worker = await startRemoteWorker({
      redis,
      queue: values.queue ?? DEFAULT_QUEUE,
      concurrency,
      stalledMs,
      dataDir: values.data,
      checkpointRoot: values['checkpoint-dir'] ?? path.join(os.tmpdir(), 'spectral-lab-worker'),
      log: (m) => console.error(m),
    });
    console.error(
      `worker ${os.hostname()}:${process.pid} waiting for runs on ${redis.display} (queue "${values.queue ?? DEFAULT_QUEUE}", ${concurrency} at a time)`,
    );
    const stop = (): void => void worker.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await worker.closed;
    return 0;
  } catch (err) {
    if (err instanceof RedisUnreachable) {
      console.error(`worker: ${err.message}`);
      return 2;
    }
    throw err;
  }
}
