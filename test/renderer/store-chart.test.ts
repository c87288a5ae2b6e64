/**
 * The chart side of stored series (useStoreChart, behind RunSeriesChart and CompareChart): the overview
 * and a zoom are built by the same function, a zoom swaps in full-resolution points per run, and series a
 * zoom could not read again keep what is loaded instead of vanishing.
 */
import { effectScope } from 'vue';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { LabEvent } from '../../src/shared/api.js';
import type { PlotSeries } from '../../src/renderer/src/lib/plot.js';

vi.mock('../../src/renderer/src/lab.js', async () => ({ lab: (await import('./scripted-lab.js')).scriptedLab }));
const { listeners, queries, stored } = await import('./scripted-lab.js');
const { useStoreChart } = await import('../../src/renderer/src/composables/useStoreChart.js');
type PointsOf = import('../../src/renderer/src/composables/useStoreChart.js').PointsOf;

const display = { title: 'Loss', testid: 'chart-loss', yLabel: 'loss', yRange: null, logY: false };
const RUNS = ['a', 'b'];

/** One line per (run, name) that has points, labelled by both. */
function lines(names: string[]) {
  return (of: PointsOf): PlotSeries[] =>
    RUNS.flatMap((run) =>
      names.flatMap((name) => {
        const p = of(run, name);
        return p && p.x.length ? [{ id: `${run}:${name}`, label: `${run} ${name}`, x: p.x, y: p.y }] : [];
      }),
    );
}

function chartOf(names: string[]) {
  return effectScope().run(() =>
    useStoreChart(display, {
      runIds: () => RUNS,
      names: () => names,
      accept: (n) => names.includes(n),
      build: lines(names),
      zoomed: () => RUNS.map((runId) => ({ runId, names })),
      emptyText: () => 'nothing yet',
    }),
  ) as ReturnType<typeof useStoreChart>;
}

describe('useStoreChart', () => {
  beforeEach(() => {
    stored.clear();
    queries.length = 0;
  });

  it('draws the loaded overview and answers a zoom with full-resolution points of every run', async () => {
    const x = Array.from({ length: 10_000 }, (_, i) => i + 1);
    stored.set('train/loss', { x, y: x.map((v) => Math.sin(v)) });
    const chart = chartOf(['train/loss']);
    await chart.store.reload();
    const overview = chart.chartProps.value.series;
    expect(overview.map((s) => s.id)).toEqual(['a:train/loss', 'b:train/loss']);
    expect(overview[0].x.length).toBeLessThanOrEqual(2000);
    expect(chart.chartProps.value).toMatchObject({
      title: 'Loss',
      testid: 'chart-loss',
      xLabel: 'step',
      xAxisChoices: ['step', 'epoch', 'time'],
      emptyText: 'nothing yet',
    });

    const zoomed = await chart.chartProps.value.loadRange([2500.4, 2700.6]);
    expect(zoomed?.map((s) => s.id)).toEqual(['a:train/loss', 'b:train/loss']);
    for (const s of zoomed ?? []) expect(s.x).toEqual(x.slice(2499, 2701));
    expect(queries.slice(-2).map((q) => q.runIds)).toEqual([['a'], ['b']]);
  });

  it('asks a zoom for no more points per run than the chart draws (its width in device pixels)', async () => {
    const x = Array.from({ length: 200_000 }, (_, i) => i + 1);
    stored.set('train/loss', { x, y: x.map((v) => Math.cos(v / 1000)) });
    const chart = chartOf(['train/loss']);
    await chart.store.reload();
    const zoomed = await chart.chartProps.value.loadRange([1, 100_000], 640);
    const asked = queries.slice(-2);
    expect(asked.map((q) => q.runIds)).toEqual([['a'], ['b']]);
    for (const q of asked) expect(q.budget).toBe(640);
    for (const s of zoomed ?? []) expect(s.x.length).toBeLessThanOrEqual(640);
    // A narrow zoom holding fewer points than pixels reads every one of them.
    const narrow = await chart.chartProps.value.loadRange([1000, 1200], 640);
    expect(narrow?.[0].x).toEqual(x.slice(999, 1200));
  });

  it('leaves the chart as loaded when nothing was downsampled', async () => {
    stored.set('train/loss', { x: [1, 2, 3], y: [3, 2, 1] });
    const chart = chartOf(['train/loss']);
    await chart.store.reload();
    expect(await chart.chartProps.value.loadRange([1, 2])).toBeNull();
  });

  it('keeps points only pushed live (not yet stored by the lab) when the zoom re-reads the rest', async () => {
    const x = Array.from({ length: 5000 }, (_, i) => i + 1);
    stored.set('train/loss', { x, y: x.map((v) => 1 / v) });
    const chart = chartOf(['train/loss', 'train/acc']);
    await chart.store.reload();
    const e: LabEvent = {
      kind: 'metrics',
      runId: 'a',
      at: 9000,
      phase: 'train',
      step: 5001,
      epoch: 50,
      values: { 'train/acc': 0.5 },
    };
    for (const l of [...listeners]) l(e);
    const zoomed = await chart.chartProps.value.loadRange([4000, 5001]);
    expect(zoomed?.find((s) => s.id === 'a:train/acc')).toMatchObject({ x: [5001], y: [0.5] });
    expect(zoomed?.find((s) => s.id === 'a:train/loss')?.x.length).toBe(1001);
  });
});
