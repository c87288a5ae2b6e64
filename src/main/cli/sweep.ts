/**
 * `spectral-lab sweep FILE`: expand a sweep file into queued runs of the store, tagged with the sweep.
 * Every expanded config is validated first; on any problem nothing is queued. With --run the runs are
 * trained here (the local queue); with --redis URL they go to BullMQ workers on other machines and this
 * process writes their events into the store until the sweep is done.
 */
import { parseArgs } from 'node:util';
import type { JsonObject } from '../../shared/api.js';
import { expandSweep, SweepError, type ExpandedSweep } from '../../shared/sweep.js';
import type { Store } from '../store/index.js';
import { defaultJobs, LocalQueueRunner } from '../queue/local-runner.js';
import type { SweepOwner } from '../queue/bull-owner.js';
import { openRunStore } from '../queue/store-open.js';
import { readJsonFile, UsageError } from './usage-error.js';

const USAGE = `Usage: spectral-lab sweep FILE [options]
       spectral-lab sweep --list | --show SWEEP [--store DIR]
       spectral-lab sweep --serve SWEEP --redis URL [--store DIR]

A sweep file: { "name": "wd", "base": {run config}, "grid": {"optimizer.weightDecay": [1e-4, 1e-3], "seed": [0, 1, 2]},
                "random": {"count": 8, "regularizer.beta": {"min": 1e-3, "max": 1, "log": true}} }
Every combination of the grid values is a run (x count random draws when "random" is given).

Options:
  --store DIR        the run store (default: the app's data folder)
  --dry-run          expand and validate, print the runs, queue nothing
  --run              then train the queued runs here, --jobs at a time (same as: spectral-lab queue run)
  --jobs N           with --run: runs at once (default: ${defaultJobs()})
  --data DIR         with --run: dataset folder (overrides dataset.path)
  --redis URL        queue the runs for workers (spectral-lab worker --redis URL) and wait until the sweep
                     is done, writing the workers' events into the store. redis://[user:password@]host:port[/db],
                     rediss:// for TLS (see docs/distributed.md)
  --redis-ca FILE    with rediss://: the CA certificate that signed the server's certificate
  --queue NAME       with --redis: the BullMQ queue (default: spectral-lab-runs; the workers' --queue)
  --list             the sweeps in the store
  --show SWEEP       one sweep (id or name): its runs and their states
  --serve SWEEP      with --redis: own a sweep queued earlier again (after this process was stopped):
                     its waiting runs go back to the workers and their events into the store
  -h, --help         this help

Exit code: 0 queued (or done), 1 a run failed, 2 bad usage or a refused sweep (nothing queued).`;

const OPTIONS = {
  store: { type: 'string' },
  'dry-run': { type: 'boolean' },
  run: { type: 'boolean' },
  jobs: { type: 'string' },
  data: { type: 'string' },
  redis: { type: 'string' },
  'redis-ca': { type: 'string' },
  queue: { type: 'string' },
  list: { type: 'boolean' },
  show: { type: 'string' },
  serve: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export type SweepArgs = ReturnType<typeof parse>['values'];

async function readSweepFile(file: string): Promise<{ spec: JsonObject; sweep: ExpandedSweep }> {
  const json = await readJsonFile(file);
  return { spec: json as JsonObject, sweep: expandSweep(json) };
}

function printRuns(sweep: ExpandedSweep, runIds?: string[]): void {
  for (const it of sweep.items) console.log(`  ${runIds ? `${runIds[it.index]}  ` : ''}${it.label}`);
}

async function show(store: Store, idOrName: string): Promise<number> {
  const info = await store.sweeps.get(idOrName);
  const counts = Object.entries(info.counts)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  console.log(
    `sweep ${info.id} "${info.name}": ${info.items} runs (${counts}); keys ${info.keys.join(', ')}${info.done ? '; done' : ''}`,
  );
  for (const r of await store.sweeps.runs(info.id)) {
    const label = Object.entries(r.assignment)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(' ');
    console.log(
      `  ${r.runId.padEnd(24)} ${r.status.padEnd(9)} #${r.item + 1}${r.attempt > 1 ? ` try ${r.attempt}` : ''}  ${label}`,
    );
  }
  return 0;
}

async function list(store: Store): Promise<number> {
  const all = await store.sweeps.all();
  if (all.length === 0) console.log('No sweeps in this store yet: spectral-lab sweep FILE');
  for (const s of all)
    console.log(`${s.id.padEnd(40)} ${String(s.items).padStart(5)} runs  ${s.done ? 'done' : 'open'}  ${s.name}`);
  return 0;
}

async function trainHere(store: Store, values: SweepArgs): Promise<number> {
  const jobs = values.jobs === undefined ? defaultJobs() : Number(values.jobs);
  const runner = new LocalQueueRunner({ store, jobs, dataDir: values.data, log: (m) => console.error(m) });
  const stop = (): void => runner.stop('stopped by a signal to `sweep --run`');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const { ended } = await runner.drain();
    return Object.values(ended).every((s) => s === 'completed') ? 0 : 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

async function serveRemote(owner: SweepOwner, store: Store, sweepId: string): Promise<number> {
  const stop = (): void => owner.stop();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    return await owner.serve(store, sweepId);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** --serve SWEEP: hand an existing sweep's waiting runs to the Redis workers. `open` opens the run store (run closes it). */
async function serveSweep(values: SweepArgs, sweepId: string, open: () => Promise<Store>): Promise<number> {
  if (!values.redis) throw new UsageError('--serve SWEEP needs --redis URL: the Redis the workers take runs from.');
  const owner = await (await import('../queue/bull-owner.js')).connectOwner(values);
  try {
    const store = await open();
    const info = await store.sweeps.get(sweepId);
    console.log(`sweep ${info.id} "${info.name}": ${info.items} runs, ${info.counts.queued ?? 0} waiting`);
    return await serveRemote(owner, store, info.id);
  } finally {
    await owner.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  let store: Store | null = null;
  try {
    const { values, positionals } = parse(argv);
    const openStore = (): Promise<Store> => openRunStore(values.store, (m) => console.error(`warning: ${m}`));
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (values.jobs !== undefined && !(Number.isInteger(Number(values.jobs)) && Number(values.jobs) >= 1))
      throw new UsageError(`--jobs must be a positive integer, got '${values.jobs}'.`);
    if (values.run && values.redis)
      throw new UsageError('--run trains here and --redis sends the runs to workers: pick one.');
    if (values.list || values.show) {
      store = await openStore();
      return values.list ? await list(store) : await show(store, values.show as string);
    }
    if (values.serve) return await serveSweep(values, values.serve, async () => (store = await openStore()));
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length === 0
          ? 'missing the sweep file, e.g. spectral-lab sweep wd-grid.json'
          : `one sweep file only (got ${positionals.join(', ')}).`,
      );
    const { spec, sweep } = await readSweepFile(positionals[0]);
    if (values['dry-run']) {
      console.log(
        `sweep "${sweep.name}": ${sweep.items.length} runs over ${sweep.keys.join(', ')} (dry run: nothing queued)`,
      );
      printRuns(sweep);
      return 0;
    }
    // Redis is checked before the store is touched: an unreachable server leaves nothing queued.
    const redis = values.redis ? await (await import('../queue/bull-owner.js')).connectOwner(values) : null;
    try {
      store = await openStore();
      const made = await store.sweeps.create({
        name: sweep.name,
        spec,
        keys: sweep.keys,
        items: sweep.items,
        target: redis ? 'redis' : 'local',
      });
      console.log(
        `sweep ${made.sweepId} "${sweep.name}": ${made.runIds.length} runs queued${redis ? ' for the Redis workers' : ''} in ${store.paths.dataDir}`,
      );
      printRuns(sweep, made.runIds);
      if (redis) return await serveRemote(redis, store, made.sweepId);
      if (values.run) return await trainHere(store, values);
      console.log(
        'Train them with: spectral-lab queue run' +
          (values.store ? ` --store ${values.store}` : '') +
          ' (or open the app / serve on this store).',
      );
      return 0;
    } finally {
      await redis?.close();
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof SweepError) {
      console.error(`sweep: ${err.message}\n\nRun 'spectral-lab sweep --help' for the file format and options.`);
      return 2;
    }
    if ((err as { name?: string }).name === 'RedisUnreachable') {
      console.error(`sweep: ${(err as Error).message}`);
      return 2;
    }
    throw err;
  } finally {
    await store?.close();
  }
}
