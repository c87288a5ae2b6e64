/**
 * Queries for the UI and reports: run lists, multi-run series with min/max downsampling (checked
 * point for point against the pure algorithm over the raw points), summaries and config diffs.
 */
import { beforeAll, afterAll, describe, expect, test } from 'vitest';
import { MinMaxBuckets } from '../../src/shared/downsample.js';
import { openStore, type Store } from '../../src/main/store/index.js';
import { planBuckets } from '../../src/main/store/series-read.js';
import { sampleConfig, tempDir } from './helpers.js';

let store: Store;
const ids: Record<string, string> = {};
/** The long series of run "long": the raw truth the downsampled reads are checked against. */
const LONG = 300_000;
const longValue = (s: number): number =>
  s === 123_457 ? 50 : s === 201_003 ? -40 : Math.exp(-s / 1e5) + 0.01 * Math.sin(s * 0.7);
const sparseValue = (s: number): number => (s % 7_000 === 0 ? Number.NaN : Math.cos(s / 900));

beforeAll(async () => {
  store = await openStore({ dataDir: tempDir('queries') });
  const mk = async (
    key: string,
    over: Record<string, unknown>,
    extra: { tags?: string[]; notes?: string } = {},
  ): Promise<void> => {
    ids[key] = (await store.createRun({ name: key, config: sampleConfig(over), ...extra })).id;
  };
  await mk('base', {}, { tags: ['baseline', 'paper'] });
  await mk(
    'f4',
    {
      regularizer: { kind: 'f4-min', beta: 0.01 },
      optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, schedule: { kind: 'step', milestones: [100, 150] } },
    },
    { tags: ['paper'], notes: 'beta sweep 100%_done' },
  );
  await mk('cifar', { dataset: { name: 'cifar10' }, model: { arch: 'resnet20' } });
  await mk('long', { name: 'long' });

  for (const [key, acc] of [
    ['base', 0.9],
    ['f4', 0.95],
  ] as const) {
    const w = await store.writer(ids[key]);
    await w.start('cpu');
    for (let s = 0; s <= 1000; s++) w.scalar('train/loss', s, 2 / (s + 1), s / 100, 1_000_000 + s * 10);
    for (let s = 100; s <= 1000; s += 100) {
      w.scalar('eval/test_acc', s, s === 500 ? acc + 0.02 : acc - 0.1 + s / 10_000, s / 100);
      w.bound({ layer: 'conv1', method: 'f4', kind: 'upper', step: s, value: 3 - s / 1000 });
      w.bound({ layer: 'conv1', method: 'sedghi-exact', kind: 'exact', step: s, value: 2 - s / 1000 });
      for (const eps of [36 / 255, 72 / 255])
        w.cert({ step: s, eps, accuracy: acc - eps - s / 1e5, pairwise: acc - eps / 2 });
    }
    await w.finish('completed');
  }
  const w = await store.writer(ids.long);
  await w.start('wasm');
  for (let s = 0; s < LONG; s++) {
    w.scalar('train/loss', s, longValue(s));
    if (s % 3 === 0) w.scalar('sparse', s, sparseValue(s));
    if ((s & 8191) === 0) await w.throttle();
  }
  await w.close();
});

afterAll(() => store.close());

describe('listRuns', () => {
  const names = async (f: Parameters<Store['listRuns']>[0]): Promise<string[]> =>
    (await store.listRuns(f)).runs.map((r) => r.name);

  test('filters by status, facets, tags and free text', async () => {
    expect((await names({ status: ['completed'] })).sort()).toEqual(['base', 'f4']);
    expect(await names({ status: ['running'] })).toEqual(['long']);
    expect(await names({ dataset: 'cifar10' })).toEqual(['cifar']);
    expect(await names({ model: 'resnet20' })).toEqual(['cifar']);
    expect(await names({ regulariser: 'f4-min' })).toEqual(['f4']);
    expect((await names({ tags: ['paper'] })).sort()).toEqual(['base', 'f4']);
    expect(await names({ tags: ['paper', 'baseline'] })).toEqual(['base']);
    expect(await names({ search: 'SWEEP' }), 'notes, case-insensitive').toEqual(['f4']);
    expect(await names({ search: '100%_' }), 'LIKE wildcards are literal').toEqual(['f4']);
    expect(await names({ search: '0%_x' })).toEqual([]);
    expect(await names({ search: 'resnet20' }), 'config text').toEqual(['cifar']);
  });

  test('sorts and pages with a total', async () => {
    expect(await names({ sort: 'name', order: 'asc' })).toEqual(['base', 'cifar', 'f4', 'long']);
    expect(await names({ sort: 'created', order: 'asc' })).toEqual(['base', 'f4', 'cifar', 'long']);
    const page = await store.listRuns({ sort: 'name', order: 'asc', limit: 2, offset: 2 });
    expect(page.runs.map((r) => r.name)).toEqual(['f4', 'long']);
    expect(page.total).toBe(4);
    expect((await store.listRuns({ sort: 'lastStep', order: 'desc', limit: 1 })).runs[0].name).toBe('long');
    await expect(store.listRuns({ limit: 0 })).rejects.toThrow(/limit/);
    await expect(store.listRuns({ status: ['finished' as 'completed'] })).rejects.toThrow(/unknown states/);
  });

  test('records carry facets, tags, environment and the config hash', async () => {
    const [r] = (await store.listRuns({ search: 'sweep' })).runs;
    expect(r).toMatchObject({
      dataset: 'mnist',
      model: 'mnist-cnn',
      regulariser: 'f4-min',
      tags: ['paper'],
      status: 'completed',
      backend: 'cpu',
      lastStep: 1000,
    });
    expect(r.environment?.node).toBe(process.versions.node);
    expect(r.configHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('getSeries', () => {
  /** What the store must return: the pure min/max buckets over the raw points of the range. */
  function reference(
    value: (s: number) => number,
    every: number,
    lo: number,
    hi: number,
    budget: number,
  ): { steps: number[]; values: number[] } {
    const b = new MinMaxBuckets(planBuckets(lo, hi, budget).width);
    for (let s = Math.ceil(lo / every) * every; s <= hi; s += every) b.add(s, value(s));
    return b.result();
  }

  test.each([
    [0, LONG - 1, 2000],
    [0, LONG - 1, 500],
    [12_345, 250_000, 2000],
    [100_001, 100_999, 200],
    [123_000, 124_000, 64],
  ])('1 series, steps %i..%i to %i points = min/max buckets of the raw points', async (lo, hi, budget) => {
    const { series } = await store.getSeries({
      runIds: [ids.long],
      names: ['train/loss'],
      budget,
      fromStep: lo,
      toStep: hi,
    });
    const [s] = series;
    expect(s.downsampled).toBe(true);
    expect(s.totalPoints).toBe(LONG);
    expect(s.steps.length).toBeLessThanOrEqual(budget);
    expect(s.steps.length).toBeGreaterThanOrEqual(budget / 3);
    expect({ steps: s.steps, values: s.y }).toEqual(reference(longValue, 1, lo, hi, budget));
    for (const spike of [123_457, 201_003]) if (spike >= lo && spike <= hi) expect(s.steps).toContain(spike);
  });

  test('a sparse series with NaN values downsamples like the raw points (NaN never hides numbers)', async () => {
    const { series } = await store.getSeries({
      runIds: [ids.long],
      names: ['sparse'],
      budget: 1000,
      fromStep: 5,
      toStep: 299_990,
    });
    const ref = reference(sparseValue, 3, 5, 299_990, 1000);
    expect(series[0].y.some((v) => Number.isNaN(v))).toBe(false);
    expect({ steps: series[0].steps, values: series[0].y }).toEqual(ref);
  });

  test('within the budget the points come back raw, NaN included', async () => {
    const { series } = await store.getSeries({
      runIds: [ids.long],
      names: ['sparse'],
      budget: 2000,
      fromStep: 20_990,
      toStep: 21_010,
    });
    const steps = [20_991, 20_994, 20_997, 21_000, 21_003, 21_006, 21_009];
    expect(series[0].downsampled).toBe(false);
    expect(series[0].steps).toEqual(steps);
    expect(series[0].y).toEqual(steps.map(sparseValue)); // toEqual treats NaN as equal to NaN
    expect(series[0].y[3]).toBeNaN();
  });

  test('several runs and names at once, on step, epoch and time axes', async () => {
    const q = { runIds: [ids.base, ids.f4], names: ['train/loss', 'eval/test_acc', 'missing'] };
    const { series } = await store.getSeries(q);
    expect(series.map((s) => [s.runId, s.name, s.steps.length])).toEqual([
      [ids.base, 'train/loss', 1001],
      [ids.base, 'eval/test_acc', 10],
      [ids.base, 'missing', 0],
      [ids.f4, 'train/loss', 1001],
      [ids.f4, 'eval/test_acc', 10],
      [ids.f4, 'missing', 0],
    ]);
    const epoch = (await store.getSeries({ ...q, names: ['eval/test_acc'], xAxis: 'epoch' })).series[0];
    expect(epoch.x).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const time = (
      await store.getSeries({
        ...q,
        runIds: [ids.base],
        names: ['train/loss'],
        xAxis: 'time',
        fromStep: 10,
        toStep: 12,
      })
    ).series[0];
    const run = await store.getRun(ids.base);
    const origin = (run.startedAt as number) - run.createdAt;
    expect(time.x.map((x) => Math.round(x * 1000 + origin))).toEqual(
      [10, 11, 12].map((s) => 1_000_000 + s * 10 - run.createdAt),
    );
    await expect(store.getSeries({ ...q, runIds: [ids.base, 'nope'] })).rejects.toThrow(/No run with id "nope"/);
    await expect(store.getSeries({ ...q, budget: 2 })).rejects.toThrow(/budget/);
  });

  test('listSeries tells what a run has', async () => {
    const info = await store.listSeries(ids.base);
    expect(info.map((i) => [i.name, i.kind, i.points])).toEqual([
      ['bound/f4/conv1', 'bound', 10],
      ['bound/sedghi-exact/conv1', 'bound', 10],
      ['epoch', 'scalar', 1001],
      ['eval/test_acc', 'scalar', 10],
      ['train/loss', 'scalar', 1001],
    ]);
    expect(info[1]).toMatchObject({
      layer: 'conv1',
      method: 'sedghi-exact',
      boundKind: 'exact',
      firstStep: 100,
      lastStep: 1000,
    });
  });
});

describe('comparison', () => {
  test('runSummaries: best and last accuracy, final bounds per layer, certified accuracy at each eps', async () => {
    const [base, f4] = await store.runSummaries([ids.base, ids.f4]);
    expect(f4.accuracy).toEqual({ name: 'eval/test_acc', best: 0.97, bestStep: 500, last: 0.95, lastStep: 1000 });
    expect(base.accuracy?.best).toBe(0.92);
    const loss = f4.metrics.find((m) => m.name === 'train/loss');
    expect(loss).toMatchObject({
      goal: 'min',
      best: 2 / 1001,
      bestStep: 1000,
      last: 2 / 1001,
      max: 2,
      maxStep: 0,
      points: 1001,
    });
    expect(f4.finalBounds).toEqual([
      { layer: 'conv1', method: 'f4', kind: 'upper', step: 1000, value: 2 },
      { layer: 'conv1', method: 'sedghi-exact', kind: 'exact', step: 1000, value: 1 },
    ]);
    expect(f4.certified).toEqual(
      [36 / 255, 72 / 255].map((eps) => ({ step: 1000, eps, accuracy: 0.95 - eps - 0.01, pairwise: 0.95 - eps / 2 })),
    );
    const [long] = await store.runSummaries([ids.long]);
    expect(long.metrics.find((m) => m.name === 'train/loss')).toMatchObject({
      max: 50,
      maxStep: 123_457,
      min: -40,
      minStep: 201_003,
      points: LONG,
    });
  });

  test('diffConfigs lists only what differs, by dotted path', async () => {
    const d = await store.diffConfigs([ids.base, ids.f4, ids.cifar]);
    // cifar's config replaced the whole dataset/model objects: their other keys are absent there.
    expect(d.rows.map((r) => r.path)).toEqual([
      'dataset.name',
      'dataset.validationSize',
      'model.arch',
      'model.activation',
      'optimizer.lr',
      'regularizer.kind',
      'regularizer.beta',
    ]);
    expect(d.rows[1].cells).toEqual([
      { present: true, value: 5000 },
      { present: true, value: 5000 },
      { present: false },
    ]);
    expect(d.rows[4].cells).toEqual([
      { present: true, value: 0.1 },
      { present: true, value: 0.05 },
      { present: true, value: 0.1 },
    ]);
  });

  test('layer bounds at a step, and the certified curves', async () => {
    const latest = await store.layerBounds(ids.f4);
    expect(latest.step).toBe(1000);
    expect(latest.availableSteps).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect((await store.layerBounds(ids.f4, 300)).bounds.map((b) => [b.method, b.value])).toEqual([
      ['f4', 2.7],
      ['sedghi-exact', 1.7],
    ]);
    expect((await store.layerBounds(ids.cifar)).step).toBeNull();
    const [curve] = await store.certifiedCurves([ids.base]);
    expect(curve.points.length).toBe(20);
  });
});
