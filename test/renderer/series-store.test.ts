/**
 * The series store behind every run chart, against a scripted lab: downsampled loads, full resolution
 * for a zoom, and pushed points (also those pushed before the chart existed) merged without duplicates.
 */
import { effectScope, ref } from 'vue';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { LabEvent, LabEventListener, SeriesQuery } from '../../src/shared/api.js';
import { minMaxDownsample } from '../../src/shared/downsample.js';

const listeners = new Set<LabEventListener>();
const stored = new Map<string, { x: number[]; y: number[] }>();
const queries: SeriesQuery[] = [];

vi.mock('../../src/renderer/src/lab.js', () => ({
  lab: {
    subscribe: (l: LabEventListener) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    getSeries: async (q: SeriesQuery) => {
      queries.push(q);
      return {
        series: q.runIds.flatMap((runId) =>
          q.names.flatMap((name) => {
            const s = stored.get(name);
            if (!s) return [];
            const d = minMaxDownsample(s.x, s.y, q.budget ?? 2000);
            return [{ runId, name, xAxis: 'step', x: d.steps, y: d.values, totalPoints: s.x.length, downsampled: d.downsampled }];
          }),
        ),
      };
    },
  },
}));

const { useSeriesStore } = await import('../../src/renderer/src/composables/useSeriesStore.js');
const { startLiveLog } = await import('../../src/renderer/src/composables/liveLog.js');

/** The store as a component would hold it: inside an effect scope, disposed after the test. */
const inScope = <T>(make: () => T): T => effectScope().run(make) as T;

const push = (step: number, values: Record<string, number>) => {
  const e: LabEvent = { kind: 'metrics', runId: 'r1', at: 1000 + step, phase: 'train', step, epoch: step / 100, values };
  for (const l of [...listeners]) l(e);
};

describe('series store', () => {
  beforeEach(() => {
    stored.clear();
    queries.length = 0;
  });

  it('loads downsampled series and reads full resolution for a zoom', async () => {
    const x = Array.from({ length: 1000 }, (_, i) => i + 1);
    stored.set('train/loss', { x, y: x.map((v) => 1 / v) });
    const store = inScope(() => useSeriesStore({ runIds: () => ['r1'], names: () => ['train/loss'], xAxis: ref('step'), budget: 100 }));
    await store.reload();
    const s = store.get('r1', 'train/loss');
    expect(s?.downsampled).toBe(true);
    expect(s?.x.length).toBeLessThanOrEqual(100);
    expect(s?.totalPoints).toBe(1000);
    const full = await store.fullResolution('r1', ['train/loss']);
    expect(full?.[0].x.length).toBe(1000);
    expect(queries.at(-1)?.budget).toBe(1000);
  });

  it('needs no second query for a zoom when everything is loaded', async () => {
    stored.set('train/loss', { x: [1, 2, 3], y: [3, 2, 1] });
    const store = inScope(() => useSeriesStore({ runIds: () => ['r1'], names: () => ['train/loss'], xAxis: ref('step') }));
    await store.reload();
    expect(await store.fullResolution('r1', ['train/loss'])).toBeNull();
  });

  it('merges points pushed before it loaded (not yet stored by the lab) and extends with later ones, once each', async () => {
    startLiveLog();
    stored.set('bound/f4/conv1', { x: [10], y: [5] });
    push(10, { 'bound/f4/conv1': 5 });
    push(20, { 'bound/f4/conv1': 4.5 }); // pushed, not yet in the store
    const store = inScope(() => useSeriesStore({ runIds: () => ['r1'], names: () => ['bound/f4/conv1'], accept: (n) => n.startsWith('bound/'), xAxis: ref('step'), live: true }));
    await store.reload();
    expect(store.get('r1', 'bound/f4/conv1')).toMatchObject({ x: [10, 20], y: [5, 4.5] });
    expect(store.knownNames.value.has('bound/f4/conv1')).toBe(true);
    push(20, { 'bound/f4/conv1': 4.5 }); // the same point again: not appended twice
    push(30, { 'bound/f4/conv1': 4.2, 'train/loss': 1 });
    expect(store.get('r1', 'bound/f4/conv1')).toMatchObject({ x: [10, 20, 30], y: [5, 4.5, 4.2] });
    expect(store.get('r1', 'train/loss')).toBeUndefined();
  });
});
