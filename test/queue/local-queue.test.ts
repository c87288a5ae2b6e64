/** The persistent queue in the store (schema v8): sweeps queued in order, claim, move, cancel, retry, and a reopen. */
import { afterEach, describe, expect, it } from 'vitest';
import { safeParseRunConfig } from '../../src/shared/config.js';
import { expandSweep } from '../../src/shared/sweep.js';
import { openStore, type Store } from '../../src/main/store/index.js';
import { tempDir } from '../store/helpers.js';

const validateConfig = (c: unknown) => {
  const r = safeParseRunConfig(c);
  return r.success ? ({ ok: true, value: r.data } as const) : ({ ok: false, error: r.error.message } as const);
};
const spec = {
  name: 'wd grid',
  base: { dataset: { limitTrain: 600, validationSize: 100 }, maxSteps: 4 },
  grid: { 'optimizer.weightDecay': [1e-4, 1e-3], seed: [0, 1] },
};

let open: Store[] = [];
afterEach(async () => {
  for (const s of open) await s.close();
  open = [];
});
async function storeAt(dir: string): Promise<Store> {
  const s = await openStore({ dataDir: dir, validateConfig });
  open.push(s);
  return s;
}
async function newSweep(store: Store) {
  const x = expandSweep(spec);
  return store.sweeps.create({ name: x.name, spec, keys: x.keys, items: x.items, target: 'local' });
}

describe('persistent run queue', () => {
  it('queues a sweep in expansion order, tagged, and claims each run once', async () => {
    const store = await storeAt(tempDir('queue'));
    const { sweepId, runIds } = await newSweep(store);
    expect(runIds).toHaveLength(4);
    const queue = await store.sweeps.list();
    expect(queue.map((e) => [e.runId, e.position, e.sweepId])).toEqual(runIds.map((id, i) => [id, i + 1, sweepId]));
    const first = await store.getRun(runIds[0]);
    expect(first.status).toBe('queued');
    expect(first.tags).toContain('sweep:wd grid');
    expect(first.name).toBe('wd grid · weightDecay=0.0001, seed=0');

    const claims = await Promise.all([store.sweeps.claim(), store.sweeps.claim(), store.sweeps.claim()]);
    expect(claims).toEqual(runIds.slice(0, 3));
    expect((await store.sweeps.list()).map((e) => e.runId)).toEqual([runIds[3]]);
    expect(await store.sweeps.claim('redis')).toBeNull();

    const info = await store.sweeps.get('wd grid');
    expect(info).toMatchObject({
      id: sweepId,
      keys: ['optimizer.weightDecay', 'seed'],
      items: 4,
      counts: { queued: 4 },
      done: false,
    });
    expect((await store.sweeps.runs(sweepId)).map((r) => r.assignment)).toEqual([
      { 'optimizer.weightDecay': 1e-4, seed: 0 },
      { 'optimizer.weightDecay': 1e-4, seed: 1 },
      { 'optimizer.weightDecay': 1e-3, seed: 0 },
      { 'optimizer.weightDecay': 1e-3, seed: 1 },
    ]);
  });

  it('moves and cancels waiting runs; refuses to move a run that is not waiting', async () => {
    const store = await storeAt(tempDir('queue'));
    const { runIds } = await newSweep(store);
    expect(await store.sweeps.move(runIds[3], 1)).toBe(1);
    expect(await store.sweeps.move(runIds[0], 99)).toBe(4);
    expect((await store.sweeps.list()).map((e) => e.runId)).toEqual([runIds[3], runIds[1], runIds[2], runIds[0]]);
    expect(await store.sweeps.cancel(runIds[1])).toBe(true);
    expect((await store.getRun(runIds[1])).status).toBe('cancelled');
    expect(await store.sweeps.cancel(runIds[1])).toBe(false);
    await expect(store.sweeps.move(runIds[1], 1)).rejects.toThrow(/not waiting in the queue .*spectral-lab queue list/);
    expect(await store.sweeps.claim()).toBe(runIds[3]);
  });

  it('keeps the queue across a reopen; a crashed run is retried as a new attempt of the same sweep point', async () => {
    const dir = tempDir('queue');
    let store = await storeAt(dir);
    const { sweepId, runIds } = await newSweep(store);
    const taken = await store.sweeps.claim();
    await store.setStatus(taken!, { status: 'running' });
    await store.setStatus(taken!, { status: 'crashed', reason: 'killed' });
    await store.close();
    open = [];

    store = await storeAt(dir);
    expect((await store.sweeps.list()).map((e) => e.runId)).toEqual(runIds.slice(1));
    await expect(store.sweeps.retry(runIds[1])).rejects.toThrow(
      /only crashed, failed or cancelled runs can be retried/,
    );
    const again = await store.sweeps.retry(taken!);
    expect(again.config).toEqual((await store.getRun(taken!)).config);
    expect((await store.sweeps.list()).map((e) => e.runId)).toEqual([...runIds.slice(1), again.id]);
    await expect(store.sweeps.retry(taken!)).rejects.toThrow(`already retried as run ${again.id}`);
    const latest = await store.sweeps.runs(sweepId, true);
    expect(latest.map((r) => [r.item, r.attempt])).toEqual([
      [0, 2],
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    expect((await store.sweeps.get(sweepId)).counts).toEqual({ queued: 4 });
  });

  it('queues nothing when one expanded config is refused by the store', async () => {
    const store = await storeAt(tempDir('queue'));
    const x = expandSweep(spec);
    const items = [...x.items, { ...x.items[0], config: { epochs: -1 } }];
    await expect(store.sweeps.create({ name: 'bad', spec, keys: x.keys, items, target: 'local' })).rejects.toThrow(
      /run config was refused/,
    );
    expect((await store.listRuns()).total).toBe(0);
    expect(await store.sweeps.list()).toEqual([]);
    expect(await store.sweeps.all()).toEqual([]);
  });
});
