/**
 * `spectral-lab queue <action>`: the persistent local queue of a store. list / run / cancel / move /
 * retry. `run` trains the waiting runs here, N at a time, until none is left; killed, it leaves its
 * active runs 'crashed' (retry them) and the waiting ones queued for the next `queue run`.
 */
import { parseArgs } from 'node:util';
import type { Store } from '../store/index.js';
import { defaultJobs, LocalQueueRunner } from '../queue/local-runner.js';
import { openRunStore } from '../queue/store-open.js';
import { UsageError } from './usage-error.js';

const USAGE = `Usage: spectral-lab queue <action> [options]

Actions:
  list                 the runs waiting, in order (local queue, then Redis)
  run                  train the waiting local runs here until the queue is empty
  cancel RUN...        take waiting runs out of the queue ('cancelled')
  move RUN POSITION    move a waiting run to a place in its queue (1 = next)
  retry RUN...         queue a new attempt of crashed, failed or cancelled runs

Options:
  --store DIR          the run store (default: the app's data folder)
  --jobs N             run: runs trained at once (default: ${defaultJobs()}, one per two cores)
  --data DIR           run: dataset folder (overrides dataset.path of each config)
  -h, --help           this help

Exit code: 0 done, 1 a run failed or an action was refused, 2 bad usage.`;

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        store: { type: 'string' },
        jobs: { type: 'string' },
        data: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function positiveInt(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got '${text}'.`);
  return n;
}

async function list(store: Store): Promise<number> {
  const entries = await store.sweeps.list();
  if (entries.length === 0) {
    console.log('The queue is empty.');
    return 0;
  }
  console.log(`${'#'.padStart(4)}  ${'target'.padEnd(6)}  ${'run'.padEnd(24)}  ${'attempt'.padStart(7)}  name`);
  for (const e of entries)
    console.log(
      `${String(e.position).padStart(4)}  ${e.target.padEnd(6)}  ${e.runId.padEnd(24)}  ${String(e.attempt).padStart(7)}  ${e.name}`,
    );
  return 0;
}

async function runQueue(store: Store, jobs: number, data: string | undefined): Promise<number> {
  const waiting = (await store.sweeps.list('local')).length;
  console.error(
    `queue: ${waiting} run(s) waiting; training ${jobs} at a time (Ctrl-C stops: active runs are cancelled, waiting ones stay queued).`,
  );
  const runner = new LocalQueueRunner({ store, jobs, dataDir: data, log: (m) => console.error(m) });
  const onSignal = (): void => runner.stop('stopped by a signal to `queue run`');
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { ended, stopped } = await runner.drain();
    const statuses = Object.values(ended);
    const count = (s: string): number => statuses.filter((x) => x === s).length;
    console.log(
      `queue: ${count('completed')} completed, ${count('failed')} failed, ${count('cancelled')} cancelled${stopped ? ' (stopped; the rest stay queued)' : ''}.`,
    );
    return statuses.every((s) => s === 'completed') ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function each(ids: string[], what: string, fn: (id: string) => Promise<string>): Promise<number> {
  if (ids.length === 0) throw new UsageError(`${what} needs at least one run id (see: spectral-lab queue list).`);
  let code = 0;
  for (const id of ids) {
    try {
      console.log(await fn(id));
    } catch (err) {
      console.error(
        `queue ${what}: ${(err as Error).message}${(err as { hint?: string }).hint ? ` ${(err as { hint?: string }).hint}` : ''}`,
      );
      code = 1;
    }
  }
  return code;
}

export async function run(argv: string[]): Promise<number> {
  let store: Store | null = null;
  try {
    const { values, positionals } = parse(argv);
    const [action, ...rest] = positionals;
    if (values.help || !action) {
      (values.help ? console.log : console.error)(USAGE);
      return values.help ? 0 : 2;
    }
    const jobs = positiveInt('--jobs', values.jobs, defaultJobs());
    if (!['list', 'run', 'cancel', 'move', 'retry'].includes(action))
      throw new UsageError(`unknown action '${action}'; use list, run, cancel, move or retry.`);
    if (action === 'move' && (rest.length !== 2 || !Number.isInteger(Number(rest[1]))))
      throw new UsageError('move needs a run id and a position, e.g. queue move 20250131-142501-3fa9c2 1');
    store = await openRunStore(values.store, (m) => console.error(`warning: ${m}`));
    const s = store;
    switch (action) {
      case 'list':
        return await list(s);
      case 'run':
        return await runQueue(s, jobs, values.data);
      case 'cancel':
        return await each(rest, 'cancel', async (id) =>
          (await s.sweeps.cancel(id))
            ? `${id}: cancelled`
            : Promise.reject(new Error(`${id} is not waiting in the queue (see: spectral-lab queue list).`)),
        );
      case 'move':
        return await each(
          [rest[0]],
          'move',
          async (id) => `${id}: now number ${await s.sweeps.move(id, Number(rest[1]))} in the queue`,
        );
      default:
        return await each(rest, 'retry', async (id) => `${id}: queued again as run ${(await s.sweeps.retry(id)).id}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`queue: ${err.message}\n\nRun 'spectral-lab queue --help' for the actions and options.`);
      return 2;
    }
    throw err;
  } finally {
    await store?.close();
  }
}
