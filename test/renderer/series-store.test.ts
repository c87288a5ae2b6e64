/**
 * The series store behind every run chart, against a scripted lab: downsampled loads, full resolution
 * for a zoom, and pushed points (also those pushed before the chart existed) merged without duplicates.
 */
import { effectScope, ref } from 'vue';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { LabEvent, SeriesQuery } from '../../src/shared/api.js';

vi.mock('../../src/renderer/src/lab.js', async () => ({ lab: (await import('./scripted-lab.js')).scriptedLab }));
const { listeners, queries, script, stored } = await import('./scripted-lab.js');

const { useSeriesStore } = await import('../../src/renderer/src/composables/useSeriesStore.js');
const { startLiveLog } = await import('../../src/renderer/src/composables/liveLog.js');

/** The store as a component would hold it: inside an effect scope, disposed after the test. */
const inScope = <T>(make: () => T): T => effectScope().run(make) as T;

const push = (step: number, values: Record<string, number>) => {
  const e: LabEvent = {
    kind: 'metrics',
    runId: 'r1',
    at: 1000 + step,
    phase: 'train',
    step,
    epoch: step / 100,
    values,
  };
  for (const l of [...listeners]) l(e);
};

describe('series store', () => {
  beforeEach(() => {
    stored.clear();
    queries.length = 0;
    script.sendSteps = true;
  });

  it('loads downsampled series and reads full resolution for a zoom', async () => {
    const x = Array.from({ length: 1000 }, (_, i) => i + 1);
    stored.set('train/loss', { x, y: x.map((v) => 1 / v) });
    const store = inScope(() =>
      useSeriesStore({ runIds: () => ['r1'], names: () => ['train/loss'], xAxis: ref('step'), budget: 100 }),
    );
    await store.reload();
    const s = store.get('r1', 'train/loss');
    expect(s?.downsampled).toBe(true);
    expect(s?.x.length).toBeLessThanOrEqual(100);
    expect(s?.totalPoints).toBe(1000);
    const full = await store.fullResolution('r1', ['train/loss']);
    expect(full?.[0].x.length).toBe(1000);
    expect(queries.at(-1)?.budget).toBe(1000);
  });

  it('reads only the visible step range of a zoom, at full resolution', async () => {
    const x = Array.from({ length: 10_000 }, (_, i) => i + 1);
    stored.set('train/loss', { x, y: x.map((v) => Math.sin(v)) });
    const store = inScope(() =>
      useSeriesStore({ runIds: () => ['r1'], names: () => ['train/loss'], xAxis: ref('step'), budget: 100 }),
    );
    await store.reload();
    const zoomed = await store.fullResolution('r1', ['train/loss'], [2500.4, 2700.6]);
    expect(queries.at(-1)).toMatchObject({ fromStep: 2500, toStep: 2701, xAxis: 'step' });
    expect(zoomed?.[0].downsampled).toBe(false);
    expect(zoomed?.[0].x).toEqual(x.slice(2499, 2701));
    expect(zoomed?.[0].y).toEqual(x.slice(2499, 2701).map((v) => Math.sin(v)));
  });

  it('maps a zoom on the epoch axis to the steps that bracket it (epoch grows with the step)', async () => {
    const x = Array.from({ length: 10_000 }, (_, i) => i + 1);
    stored.set('train/loss', { x, y: x.map((v) => Math.cos(v)) });
    const store = inScope(() =>
      useSeriesStore({ runIds: () => ['r1'], names: () => ['train/loss'], xAxis: ref('epoch'), budget: 100 }),
    );
    await store.reload();
    const zoomed = await store.fullResolution('r1', ['train/loss'], [25, 27]);
    const q = queries.at(-1) as SeriesQuery;
    // Loaded points are ~200 steps apart (10,000 points to 100): the range is widened by at most that.
    expect(q.fromStep).toBeLessThanOrEqual(2500);
    expect(q.fromStep).toBeGreaterThan(2500 - 250);
    expect(q.toStep).toBeGreaterThanOrEqual(2700);
    expect(q.toStep).toBeLessThan(2700 + 250);
    const inRange = (zoomed?.[0].x ?? []).filter((e) => e >= 25 && e <= 27);
    expect(inRange).toEqual(x.slice(2499, 2700).map((s) => s / 100));
  });

  it('reads whole series for a zoom it cannot map to steps (no steps sent for epoch points)', async () => {
    script.sendSteps = false;
    const x = Array.from({ length: 1000 }, (_, i) => i + 1);
    stored.set('train/loss', { x, y: x.map((v) => 1 / v) });
    const store = inScope(() =>
      useSeriesStore({ runIds: () => ['r1'], names: () => ['train/loss'], xAxis: ref('epoch'), budget: 100 }),
    );
    await store.reload();
    const zoomed = await store.fullResolution('r1', ['train/loss'], [2, 3]);
    expect(queries.at(-1)?.fromStep).toBeUndefined();
    expect(queries.at(-1)?.toStep).toBeUndefined();
    expect(zoomed?.[0].x.length).toBe(1000);
  });

  it('needs no second query for a zoom when everything is loaded', async () => {
    stored.set('train/loss', { x: [1, 2, 3], y: [3, 2, 1] });
    const store = inScope(() =>
      useSeriesStore({ runIds: () => ['r1'], names: () => ['train/loss'], xAxis: ref('step') }),
    );
    await store.reload();
    expect(await store.fullResolution('r1', ['train/loss'])).toBeNull();
  });

  it('merges points pushed before it loaded (not yet stored by the lab) and extends with later ones, once each', async () => {
    startLiveLog();
    stored.set('bound/f4/conv1', { x: [10], y: [5] });
    push(10, { 'bound/f4/conv1': 5 });
    push(20, { 'bound/f4/conv1': 4.5 }); // pushed, not yet in the store
    const store = inScope(() =>
      useSeriesStore({
        runIds: () => ['r1'],
        names: () => ['bound/f4/conv1'],
        accept: (n) => n.startsWith('bound/'),
        xAxis: ref('step'),
        live: true,
      }),
    );
    await store.reload();
    expect(store.get('r1', 'bound/f4/conv1')).toMatchObject({ x: [10, 20], y: [5, 4.5] });
    expect(store.knownNames.value.has('bound/f4/conv1')).toBe(true);
    push(20, { 'bound/f4/conv1': 4.5 }); // the same point again: not appended twice
    push(30, { 'bound/f4/conv1': 4.2, 'train/loss': 1 });
    expect(store.get('r1', 'bound/f4/conv1')).toMatchObject({ x: [10, 20, 30], steps: [10, 20, 30], y: [5, 4.5, 4.2] });
    expect(store.get('r1', 'train/loss')).toBeUndefined();
  });
});
