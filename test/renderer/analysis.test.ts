import { describe, expect, it } from 'vitest';
import { aggregateSeries, groupBySeed, interpolateAt } from '../../src/renderer/src/lib/seed-groups.js';
import { rowAlarms, seriesAlarms, tightnessGrid } from '../../src/renderer/src/lib/tightness.js';
import { boundLayers, parseBoundSeries } from '../../src/renderer/src/lib/series-names.js';
import { curveOf, curvesAtLatest } from '../../src/renderer/src/lib/certified.js';
import { matchesFilter, sortRuns, visibleWindow } from '../../src/renderer/src/lib/runs-table.js';
import { layerTableRows } from '../../src/renderer/src/lib/layer-rows.js';
import { EMPTY_HEADLINE, type LayerBoundsRow, type RunRecord } from '../../src/shared/api.js';

describe('seed groups', () => {
  it('groups runs that differ only in seed and name', () => {
    const g = groupBySeed([
      { id: 'a', name: 'x', config: { seed: 0, lr: 0.1 } },
      { id: 'b', name: 'y', config: { seed: 1, lr: 0.1 } },
      { id: 'c', name: 'z', config: { seed: 0, lr: 0.2 } },
    ]);
    expect(g.map((x) => x.runIds)).toEqual([['a', 'b'], ['c']]);
    // Named by what the runs share (the field that sets them apart from the other group), not after run 'x'.
    expect(g[0].label).toBe('lr=0.1 (seeds 0, 1)');
    expect(g[1].label).toBe('z');
    const named = groupBySeed([
      {
        id: 'a',
        name: 'first',
        config: {
          seed: 3,
          dataset: { name: 'mnist' },
          model: { arch: 'lip-cnn' },
          regularizer: { kind: 'f4', beta: 0.01 },
        },
      },
      {
        id: 'b',
        name: 'second',
        config: {
          seed: 4,
          dataset: { name: 'mnist' },
          model: { arch: 'lip-cnn' },
          regularizer: { kind: 'f4', beta: 0.01 },
        },
      },
    ]);
    expect(named[0].label).toBe('mnist · lip-cnn · f4 · β=0.01 (seeds 3, 4)');
  });
  it('averages members on a common grid with ± sd', () => {
    expect(interpolateAt([0, 2], [0, 4], 1)).toBe(2);
    expect(interpolateAt([0, 2], [0, 4], 3)).toBeNull();
    const a = aggregateSeries([
      { x: [0, 1, 2], y: [1, 2, 3] },
      { x: [0, 1, 2], y: [3, 4, 5] },
    ]);
    expect(a.mean).toEqual([2, 3, 4]);
    expect(a.lo).toEqual([1, 2, 3]);
    expect(a.hi).toEqual([3, 4, 5]);
  });
});

describe('bound tightness and alarms', () => {
  const byLayer = new Map([
    [
      'conv1',
      [
        { method: 'f4', x: [10, 20], y: [3, 2] },
        { method: 'sedghi-exact', x: [10, 20], y: [2, 2.5] },
        { method: 'operator-power', x: [10, 20], y: [1.5, 1.6] },
      ],
    ],
  ]);
  it('computes bound / best lower value of the same operator per layer and step', () => {
    // Zero-padded (the default when the geometry is unknown): F4 is judged against the layer's operator estimate.
    const g = tightnessGrid(byLayer, 'f4');
    expect(g.steps).toEqual([10, 20]);
    expect(g.ratio[0]).toEqual([2, 1.25]);
    expect(g.reference[0]).toMatch(/operator estimate \(zero padding, stride 1\)/);
    // A circular stride-1 layer: the exact circular norm is that layer's norm.
    const c = tightnessGrid(byLayer, 'f4', new Map([['conv1', { padding: 'circular', stride: 1 }]]));
    expect(c.ratio[0]).toEqual([1.5, 0.8]);
    expect(c.alarm[0]).toEqual([false, true]);
  });
  it('raises an alarm where an upper bound falls below a value of an operator it bounds, not elsewhere', () => {
    const alarms = seriesAlarms(byLayer);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({ layer: 'conv1', step: 20, method: 'f4', against: 'sedghi-exact' });
    const rows: LayerBoundsRow[] = [
      {
        layer: 'c',
        index: 0,
        kernelShape: [3, 3, 1, 1],
        geometry: { padding: 'same', stride: 2 },
        certified: 0.5,
        bounds: [
          {
            method: 'f4',
            value: 1,
            kind: 'upper bound',
            validFor: { padding: 'any', stride: 1 },
            iterations: 0,
            timeMs: 0,
          },
          {
            method: 'f4-polyphase',
            value: 0.5,
            kind: 'upper bound',
            validFor: { padding: 'any', stride: 2 },
            iterations: 0,
            timeMs: 0,
          },
          {
            method: 'sedghi-exact',
            value: 0.9,
            kind: 'exact',
            validFor: { padding: 'circular', stride: 1 },
            iterations: 0,
            timeMs: 0,
          },
          {
            method: 'operator-power',
            value: 0.45,
            kind: 'estimate (lower)',
            validFor: { padding: 'zero-same', stride: 2 },
            iterations: 0,
            timeMs: 0,
          },
        ],
      },
    ];
    // The polyphase and certified bounds hold for the strided layer, which lies below the circular stride-1 norm: no alarm.
    expect(rowAlarms(rows, 5)).toEqual([]);
    rows[0].certified = 0.4;
    expect(rowAlarms(rows, 5).map((a) => [a.method, a.against])).toEqual([['certified', 'operator-power']]);
  });
  it('tabulates the four reshapes with their minimum, one column per method and the ratio', () => {
    const rows = layerTableRows([
      {
        layer: 'c',
        index: 0,
        kernelShape: [3, 3, 2, 4],
        f4Matrices: { R: 1, S: 0.5, T: 2, U: 1 },
        bounds: [
          {
            method: 'sedghi-exact',
            value: 1,
            kind: 'exact',
            validFor: { padding: 'circular', stride: 1 },
            iterations: 0,
            timeMs: 0,
          },
        ],
      },
    ]);
    expect(rows[0]).toMatchObject({
      argmin: 'S',
      f4: 1.5,
      values: { 'sedghi-exact': 1 },
      ratio: 1.5,
      shape: '3×3×2×4',
    });
    expect(rows[0].reference).toMatch(/circular, stride 1/);
  });
});

describe('series names', () => {
  it('reads bound series in either order', () => {
    expect(parseBoundSeries('bound/f4/conv1')).toMatchObject({ layer: 'conv1', method: 'f4' });
    expect(parseBoundSeries('bound/conv2/sedghi_exact')).toMatchObject({ layer: 'conv2', method: 'sedghi-exact' });
    expect(boundLayers(['bound/f4/conv10', 'bound/f4/conv2', 'train/loss'])).toEqual(['conv2', 'conv10']);
  });
  it('reads certified-accuracy curves at the latest evaluation', () => {
    expect(curveOf('eval/pgd_acc@0.5')).toEqual({ kind: 'pgd', eps: 0.5 });
    const c = curvesAtLatest(['certified/0.5', 'certified/0.1', 'train/loss'], (n) =>
      n === 'certified/0.1' ? 0.9 : 0.4,
    );
    expect(c.get('certified')).toEqual({ x: [0.1, 0.5], y: [0.9, 0.4] });
  });
});

describe('runs table', () => {
  const run = (id: string, over: Partial<RunRecord>): RunRecord => ({
    id,
    name: id,
    status: 'completed',
    createdAt: 0,
    startedAt: null,
    endedAt: null,
    dataset: 'mnist',
    model: 'm',
    regulariser: 'none',
    beta: 0,
    tags: [],
    notes: '',
    lastStep: 0,
    headline: EMPTY_HEADLINE,
    progress: null,
    backend: null,
    config: {},
    configHash: '',
    heartbeatAt: null,
    pid: null,
    host: null,
    error: null,
    reason: null,
    environment: null,
    ...over,
  });
  const acc = (testAccuracy: number) => ({ ...EMPTY_HEADLINE, testAccuracy, evalStep: 100 });
  it('filters by words (tags and notes too), status and dataset; sorts with missing values last', () => {
    const runs = [
      run('a', { tags: ['paper'], headline: acc(0.5) }),
      run('b', { dataset: 'cifar10', headline: acc(0.9), notes: 'lower lr than a' }),
      run('c', { status: 'failed' }),
    ];
    expect(runs.filter((r) => matchesFilter(r, { text: 'paper', status: '', dataset: '' })).map((r) => r.id)).toEqual([
      'a',
    ]);
    expect(
      runs.filter((r) => matchesFilter(r, { text: 'LOWER lr', status: '', dataset: '' })).map((r) => r.id),
    ).toEqual(['b']);
    expect(runs.filter((r) => matchesFilter(r, { text: '', status: 'failed', dataset: '' })).map((r) => r.id)).toEqual([
      'c',
    ]);
    expect(sortRuns(runs, 'accuracy', 'desc').map((r) => r.id)).toEqual(['b', 'a', 'c']);
    expect(sortRuns(runs, 'accuracy', 'asc').map((r) => r.id)).toEqual(['a', 'b', 'c']);
    // β comes with every list item, so the whole list sorts by it (no per-row config fetch).
    const betas = [run('x', { beta: 0.1 }), run('y', { beta: null }), run('z', { beta: 0.01 })];
    expect(sortRuns(betas, 'beta', 'asc').map((r) => r.id)).toEqual(['z', 'x', 'y']);
    expect(sortRuns(betas, 'beta', 'desc').map((r) => r.id)).toEqual(['x', 'z', 'y']);
  });
  it('renders only the rows on screen', () => {
    expect(visibleWindow(34 * 1000, 340, 34, 5000, 5)).toEqual({ start: 995, end: 1015 });
  });
});

describe('certified-accuracy curves of a seed group', () => {
  it('gives each eps the exact accuracy of every member, with mean ± sd kept within [0, 1]', async () => {
    const { curveBand, epsGrid } = await import('../../src/renderer/src/lib/certified.js');
    const a = [0, 0, 0.1, 0.2, 0.4];
    const b = [0, 0.05, 0.1, 0.3, 0.3];
    const grid = epsGrid([a, b], 4);
    expect(grid).toEqual([0, 0.1, 0.2, 0.30000000000000004, 0.4]);
    const band = curveBand([a, b], grid);
    // eps 0: 3/5 and 4/5 certified; eps 0.4: 1/5 and 0/5.
    expect(band.mean[0]).toBeCloseTo(0.7, 12);
    expect(band.mean[4]).toBeCloseTo(0.1, 12);
    expect(band.lo[4]).toBe(0);
    expect(band.hi.every((h) => h <= 1)).toBe(true);
  });
});
