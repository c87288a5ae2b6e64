/**
 * Sweeps through the LabApi of the app / serve (createLab: real store, real engine worker threads):
 * runs a sweep queued in the store before the lab opened, keeps queued runs across a close and reopen,
 * moves, cancels and retries through the API, and refuses a bad sweep with every problem, queueing nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LabError, type LabEvent } from '../../src/shared/api.js';
import { safeParseRunConfig } from '../../src/shared/config.js';
import { expandSweep } from '../../src/shared/sweep.js';
import { createLab } from '../../src/main/app/create.js';
import type { LabService } from '../../src/main/app/service.js';
import { openStore } from '../../src/main/store/index.js';
import { tempDir } from '../store/helpers.js';
import { TINY_BASE } from './tiny.js';

const base = { ...TINY_BASE, maxSteps: 3, evaluation: { ...TINY_BASE.evaluation, everySteps: 3 } };
let labs: LabService[] = [];
afterEach(async () => {
  for (const l of labs) await l.close();
  labs = [];
});

async function open(dataDir: string): Promise<LabService> {
  const lab = await createLab({ dataDir, shell: 'serve', presetsDir: null, log: () => undefined });
  labs.push(lab);
  return lab;
}

/** The store has the final states shortly after the run-status events: poll the sweep until it is done. */
async function doneSweep(lab: LabService, sweepId: string) {
  for (let i = 0; i < 100; i++) {
    const d = await lab.getSweep(sweepId);
    if (d.sweep.done) return d;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sweep ${sweepId} is not done`);
}

function ended(lab: LabService, runIds: string[]): Promise<void> {
  const left = new Set(runIds);
  return new Promise((resolve) => {
    const check = (e: LabEvent) => {
      if (e.kind === 'run-status' && ['completed', 'failed', 'cancelled', 'crashed'].includes(e.status))
        left.delete(e.runId);
      if (left.size === 0) resolve();
    };
    lab.subscribe(check);
  });
}

describe('sweeps through the LabApi', () => {
  it('refuses a bad sweep with every problem and queues nothing', async () => {
    const lab = await open(tempDir('lab-sweep'));
    const err = await lab
      .startSweep({ name: 'bad', base, grid: { 'optimizer.rate': [1], seed: [] } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('invalid-config');
    expect((err as LabError).details).toEqual([
      expect.stringMatching(/grid "seed" has no values/),
      expect.stringMatching(/unknown key "optimizer.rate"/),
    ]);
    expect(await lab.listSweeps()).toEqual([]);
    expect((await lab.listRuns()).total).toBe(0);
  });

  it('trains a sweep queued before the lab opened; queued runs survive a close; move, cancel and retry', async () => {
    const dir = tempDir('lab-sweep');
    const validateConfig = (c: unknown) => {
      const r = safeParseRunConfig(c);
      return r.success ? ({ ok: true, value: r.data } as const) : ({ ok: false, error: r.error.message } as const);
    };
    // Queued by `spectral-lab sweep` while no lab was open.
    const store = await openStore({ dataDir: dir, validateConfig });
    const spec = { name: 'pre', base, grid: { seed: [0] } };
    const x = expandSweep(spec);
    const { sweepId, runIds } = await store.sweeps.create({
      name: x.name,
      spec,
      keys: x.keys,
      items: x.items,
      target: 'local',
    });
    await store.close();

    let lab = await open(dir);
    const waiting = (await lab.listQueue()).map((e) => e.runId);
    expect(waiting.length).toBeLessThanOrEqual(1); // it may already have started
    await ended(lab, runIds);
    const detail = await doneSweep(lab, sweepId);
    expect(detail.points.map((p) => p.status)).toEqual(['completed']);
    expect(detail.metricNames[0]).toBe('test accuracy');
    expect(detail.points[0].metrics['test accuracy']).toBeGreaterThan(0);
    expect(detail.epsilons).toEqual([1.58]);
    expect(detail.points[0].params.seed).toBe(0);

    // A second sweep: close the lab while its first run trains and the others wait.
    const second = await lab.startSweep({ name: 'later', base, grid: { seed: [5, 6, 7] } });
    const [first, ...rest] = second.runIds;
    await lab.close();
    labs = [];
    const s2 = await openStore({ dataDir: dir, validateConfig, readonly: true });
    expect((await s2.getRun(first)).status).toBe('cancelled'); // it was active: the close cancelled it
    expect(await Promise.all(rest.map(async (id) => (await s2.getRun(id)).status))).toEqual(['queued', 'queued']);
    await s2.close();

    // Opened again: the waiting runs are still queued, in order; move, cancel and retry through the API.
    lab = await open(dir);
    const [a, b] = rest;
    expect((await lab.listQueue()).map((e) => e.runId).filter((id) => id === b)).toEqual([b]);
    expect(await lab.moveQueuedRun(b, 1)).toEqual({ runId: b, position: 1 });
    expect(await lab.cancelRun(b)).toEqual({ runId: b, status: 'cancelled' });
    const b2 = (await lab.retryRun(b)).runId;
    const first2 = (await lab.retryRun(first)).runId;
    await expect(lab.retryRun(first)).rejects.toThrow(`already retried as run ${first2}`);
    await ended(lab, [a, b2, first2]);
    const info = (await doneSweep(lab, second.sweepId)).sweep;
    expect(info).toMatchObject({ items: 3, counts: { completed: 3 }, done: true });
  }, 240_000);
});
