/**
 * A zoom's step range (fromStep/toStep) through the store, the store adapter (the UI contract) and the API
 * boundary: a range read returns exactly the stored points inside it, at full resolution, while the whole
 * series at the same budget is downsampled; bad ranges are refused with a clear error.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildHandlerTable } from '../../src/main/app/handlers.js';
import { SqliteStorePort } from '../../src/main/app/store-adapter.js';
import { openStore, type Store } from '../../src/main/store/index.js';
import type { LabApi } from '../../src/shared/api.js';
import { sampleConfig, tempDir } from './helpers.js';

const STEPS = 6000;
/** Every step's loss, with a spike the overview keeps (min/max buckets) and wiggles it cannot. */
const loss = (s: number): number => (s === 3100 ? 9 : 1 / (1 + s / 100) + 0.01 * Math.sin(s));
const EVERY = 500;
const epochOf = (s: number): number => s / 1000;

let store: Store;
let port: SqliteStorePort;
let runId: string;

beforeAll(async () => {
  store = await openStore({ dataDir: tempDir('series-range') });
  runId = (
    await store.createRun({ name: 'range', config: sampleConfig({ regularizer: { kind: 'f4-min', beta: 0.02 } }) })
  ).id;
  const w = await store.writer(runId);
  await w.start('cpu');
  for (let s = 1; s <= STEPS; s++) {
    w.scalar('train/loss', s, loss(s), epochOf(s));
    if (s % EVERY === 0) {
      w.scalar('eval/test_acc', s, s / (STEPS * 2), epochOf(s));
      w.cert({ step: s, eps: 0.1, accuracy: s / (STEPS * 4), pairwise: null });
    }
    if ((s & 1023) === 0) await w.throttle();
  }
  await w.finish('completed');
  port = new SqliteStorePort(store, 'test');
});

afterAll(() => port.close());

const range = (lo: number, hi: number, every = 1): number[] => {
  const out: number[] = [];
  for (let s = Math.ceil(lo / every) * every; s <= hi; s += every) out.push(s);
  return out;
};

describe('store: getSeries with a step range', () => {
  test('returns exactly the points in range, raw, where the whole series at that budget is downsampled', async () => {
    const whole = (await store.getSeries({ runIds: [runId], names: ['train/loss'], budget: 400 })).series[0];
    expect(whole.downsampled).toBe(true);
    expect(whole.steps.length).toBeLessThanOrEqual(400);

    const s = (
      await store.getSeries({ runIds: [runId], names: ['train/loss'], budget: 400, fromStep: 3000, toStep: 3350 })
    ).series[0];
    expect(s.downsampled).toBe(false);
    expect(s.steps).toEqual(range(3000, 3350));
    expect(s.y).toEqual(range(3000, 3350).map(loss));
    expect(s.totalPoints).toBe(STEPS);
    // Full resolution: every point of the range, which the overview had merged into a few buckets.
    expect(s.steps.length).toBeGreaterThan(whole.steps.filter((x) => x >= 3000 && x <= 3350).length * 5);
  });

  test('open ends, ends past the data, and a range between points', async () => {
    const q = { runIds: [runId], names: ['eval/test_acc'], budget: 100 };
    expect((await store.getSeries({ ...q, fromStep: 5000 })).series[0].steps).toEqual([5000, 5500, 6000]);
    expect((await store.getSeries({ ...q, toStep: 1000 })).series[0].steps).toEqual([500, 1000]);
    expect((await store.getSeries({ ...q, fromStep: -50, toStep: 1e9 })).series[0].steps).toEqual(
      range(500, 6000, 500),
    );
    const none = (await store.getSeries({ ...q, fromStep: 501, toStep: 999 })).series[0];
    expect(none.steps).toEqual([]);
    expect(none.totalPoints).toBe(12);
  });

  test('the epoch axis of a range: x is the epoch of each returned step', async () => {
    const s = (
      await store.getSeries({
        runIds: [runId],
        names: ['train/loss'],
        xAxis: 'epoch',
        budget: 400,
        fromStep: 1990,
        toStep: 2010,
      })
    ).series[0];
    expect(s.steps).toEqual(range(1990, 2010));
    expect(s.x).toEqual(range(1990, 2010).map(epochOf));
  });

  test('refuses a reversed range and non-numbers, saying what to do', async () => {
    const q = { runIds: [runId], names: ['train/loss'] };
    await expect(store.getSeries({ ...q, fromStep: 20, toStep: 10 })).rejects.toThrow(/fromStep 20 is after toStep 10/);
    await expect(store.getSeries({ ...q, fromStep: Number.NaN })).rejects.toThrow(/fromStep NaN is not a number/);
    await expect(store.getSeries({ ...q, toStep: '5' as unknown as number })).rejects.toThrow(
      /toStep 5 is not a number/,
    );
  });
});

describe('store adapter (the UI contract): getSeries with a step range', () => {
  test('passes the range through: exactly the points in range, full resolution', async () => {
    const { series } = await port.getSeries({
      runIds: [runId],
      names: ['train/loss'],
      budget: 400,
      fromStep: 4000,
      toStep: 4399,
    });
    expect(series).toHaveLength(1);
    expect(series[0]).toMatchObject({
      runId,
      name: 'train/loss',
      xAxis: 'step',
      downsampled: false,
      totalPoints: STEPS,
    });
    expect(series[0].x).toEqual(range(4000, 4399));
    expect(series[0].y).toEqual(range(4000, 4399).map(loss));
    expect(series[0].steps, 'one series shape (records.ts SeriesData): the steps come on every axis').toEqual(
      series[0].x,
    );
  });

  test('on the epoch axis each point carries its step, so a zoom can map an epoch range back to steps', async () => {
    const [s] = (
      await port.getSeries({
        runIds: [runId],
        names: ['train/loss'],
        xAxis: 'epoch',
        budget: 400,
        fromStep: 10,
        toStep: 12,
      })
    ).series;
    expect(s.steps).toEqual([10, 11, 12]);
    expect(s.x).toEqual([0.01, 0.011, 0.012]);
  });

  test('certified accuracy (its own table) is cut to the range too', async () => {
    const [c] = (await port.getSeries({ runIds: [runId], names: ['certified/0.1'], fromStep: 1000, toStep: 2600 }))
      .series;
    expect(c.x).toEqual([1000, 1500, 2000, 2500]);
    expect(c.y).toEqual([1000, 1500, 2000, 2500].map((s) => s / (STEPS * 4)));
    expect(c.totalPoints).toBe(12);
    const [e] = (await port.getSeries({ runIds: [runId], names: ['certified/0.1'], xAxis: 'epoch', fromStep: 5500 }))
      .series;
    expect(e).toMatchObject({ xAxis: 'epoch', x: [5.5, 6], steps: [5500, 6000] });
  });

  test('a reversed range is a bad request with a hint', async () => {
    await expect(
      port.getSeries({ runIds: [runId], names: ['train/loss'], fromStep: 9, toStep: 3 }),
    ).rejects.toMatchObject({
      code: 'bad-request',
      message: expect.stringMatching(/fromStep 9 is after toStep 3/),
      hint: expect.stringMatching(/fromStep <= toStep/),
    });
  });

  test('list items carry the regulariser and its β', async () => {
    const { runs } = await port.listRuns({});
    expect(runs.find((r) => r.id === runId)).toMatchObject({ regulariser: 'f4-min', beta: 0.02 });
  });
});

describe('API boundary (the handler table both transports mount)', () => {
  const call = (args: unknown[]) => {
    const table = buildHandlerTable(port as unknown as Omit<LabApi, 'subscribe'>, () => undefined);
    return table.get('getSeries')!.handle(args);
  };

  test('a valid range reaches the store', async () => {
    const reply = await call([{ runIds: [runId], names: ['train/loss'], fromStep: 7, toStep: 9 }]);
    expect(reply).toMatchObject({ ok: true, result: { series: [{ x: [7, 8, 9] }] } });
  });

  test.each([
    [{ fromStep: 10, toStep: 2 }, /fromStep must not be after toStep/],
    [{ fromStep: '10' }, /args\[0\]\.fromStep/],
    [{ toStep: null }, /args\[0\]\.toStep/],
  ])('refuses %o with a LabError naming the field', async (range, message) => {
    const reply = await call([{ runIds: [runId], names: ['train/loss'], ...range }]);
    expect(reply).toMatchObject({
      ok: false,
      code: 'bad-request',
      error: expect.stringMatching(message),
      hint: expect.any(String),
    });
  });
});
