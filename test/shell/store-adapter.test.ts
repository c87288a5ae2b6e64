/**
 * LabService over the real SQLite store (src/main/store) with a scripted engine: what the UI reads back
 * after a run — series under the live event names, layer bounds with shapes, summaries, diffs.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabEvent } from '../../src/shared/api.js';
import type { EngineEvent } from '../../src/shared/events.js';
import { LabService } from '../../src/main/app/service.js';
import { SqliteStorePort } from '../../src/main/app/store-adapter.js';
import { openStore } from '../../src/main/store/index.js';
import { FakeEngine, finished } from './fakes.js';
import { spectrumHistogram } from '../../src/shared/spectrum.js';
import { parseArgs } from '../../src/main/app/args.js';

const v = 1;
const layer = {
  name: 'conv1',
  kind: 'conv' as const,
  shape: [3, 3, 1, 4],
  stride: 1,
  padding: 'same' as const,
  inputSize: [28, 28] as [number, number],
};
const fc = {
  name: 'fc',
  kind: 'dense' as const,
  shape: [1, 1, 3136, 10],
  stride: 1,
  padding: 'same' as const,
  inputSize: [1, 1] as [number, number],
};
const validFor = { padding: 'any' as const, stride: 1 };
/** conv1's 28 * 28 * min(1, 4) singular values, the largest being the exact norm 2.9. */
const convSpectrum = spectrumHistogram(Array.from({ length: 784 }, (_, i) => 2.9 * Math.sqrt((i + 1) / 784)));

function script(ckpt: string, sha256: string): EngineEvent[] {
  return [
    {
      type: 'started',
      v,
      runId: 'x',
      backend: {
        name: 'cpu',
        requested: 'auto',
        tried: [{ name: 'cpu', available: true }],
        versions: {},
        summary: 'cpu',
      },
      model: {
        arch: 'mnist-cnn',
        inputShape: [28, 28, 1],
        totalParams: 31418,
        layers: [
          {
            name: 'conv1',
            kind: 'conv',
            shape: [3, 3, 1, 4],
            outputShape: [28, 28, 4],
            params: 40,
            stride: 1,
            padding: 'same',
          },
          { name: 'bn1', kind: 'batchnorm', shape: [4], outputShape: [28, 28, 4], params: 8 },
          { name: 'fc', kind: 'dense', shape: [3136, 10], outputShape: [10], params: 31370 },
        ],
      },
      dataset: { name: 'mnist', train: 64, validation: 0, test: 32, source: 'test' },
      totalSteps: 2,
      stepsPerEpoch: 2,
    },
    {
      type: 'step',
      v,
      points: [1, 2].map((s) => ({
        step: s,
        epoch: s / 2,
        loss: 2 / s,
        ce: 2 / s,
        reg: 0,
        acc: 0.2 * s,
        lr: 0.1,
        stepMs: 4,
      })),
    },
    {
      type: 'eval',
      v,
      step: 2,
      epoch: 1,
      trainAcc: 0.5,
      valAcc: null,
      testAcc: 0.45,
      testLoss: 1.2,
      lipschitz: 7.5,
      evalMs: 3,
      // The evaluation lists fc first: rows still come in model order.
      layers: [
        { ...fc, f4: { R: 1, S: 1, T: 1, U: 1, min: 1, argmin: 'R' }, certifiedUpper: 1, certifiedBy: 'f4' },
        {
          ...layer,
          f4: { R: 3, S: 4.5, T: 6, U: 6, min: 3, argmin: 'R' },
          certifiedUpper: 2.9,
          certifiedBy: 'sedghi-exact',
          exactCircular: 2.9,
          operatorEstimate: 2.7,
          spectrum: convSpectrum,
          bounds: [
            { method: 'sedghi-exact', value: 2.9, kind: 'exact', validFor, iterations: 0, timeMs: 1.25 },
            { method: 'operator-power', value: 2.7, kind: 'estimate (lower)', validFor, iterations: 50, timeMs: 3.5 },
          ],
        },
      ],
      certified: [{ eps: 1.58, acc: 0.1, accPairwise: 0.12 }],
    },
    { type: 'checkpoint', v, step: 2, epoch: 1, path: ckpt, sha256 },
    finished('completed'),
  ];
}

describe('LabService over the SQLite store', () => {
  let dir: string;
  let lab: LabService;
  let engine: FakeEngine;
  const events: LabEvent[] = [];
  let runId = '';
  let layersAtAnnouncement: string[] = [];
  let pending: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lab-store-'));
    const store = await openStore({ dataDir: dir, flushIntervalMs: 5000 });
    engine = new FakeEngine();
    lab = new LabService({
      engine,
      store: new SqliteStorePort(store, 'test'),
      dataDir: dir,
      shell: 'test',
      version: '0',
    });
    lab.subscribe((e) => {
      events.push(e);
      // Read at once, as the UI does when told (the store batches appends every 5 s here).
      if (e.kind === 'layer-bounds')
        pending = lab
          .getLayerBounds(e.runId, { step: e.step })
          .then((lb) => void (layersAtAnnouncement = lb.layers.map((l) => l.layer)));
    });
    const ckpt = path.join(dir, 'ck.bin');
    writeFileSync(ckpt, 'weights');
    const sha = createHash('sha256').update('weights').digest('hex');
    ({ runId } = await lab.startRun(
      { name: 'scripted', dataset: { name: 'mnist', limitTrain: 64, validationSize: 0 }, epochs: 1 },
      { tags: ['t1'] },
    ));
    const run = engine.run(runId);
    for (const e of script(ckpt, sha)) run.emit(e);
    await new Promise<void>((res) => {
      const off = lab.subscribe((e) => e.kind === 'run-status' && e.status === 'completed' && (off(), res()));
    });
    await pending;
    await lab.close(); // flushes the store
    lab = new LabService({
      engine,
      store: new SqliteStorePort(await openStore({ dataDir: dir }), 'test'),
      dataDir: dir,
      shell: 'test',
      version: '0',
    });
  });
  afterAll(async () => {
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the run with its status, tags, checkpoint and series names', async () => {
    const run = await lab.getRun(runId);
    expect(run).toMatchObject({
      name: 'scripted',
      status: 'completed',
      dataset: 'mnist',
      model: 'mnist-cnn',
      tags: ['t1'],
      lastStep: 2,
      backend: 'cpu',
    });
    expect(run.checkpoints).toEqual([expect.objectContaining({ step: 2, epoch: 1 })]);
    expect(run.seriesNames).toEqual(
      expect.arrayContaining([
        'train/loss',
        'eval/test_acc',
        'bound/f4/conv1',
        'certified/1.58',
        'certified_pairwise/1.58',
      ]),
    );
    expect(run.headline).toMatchObject({ testAccuracy: 0.45, evalStep: 2 });
    const list = await lab.listRuns({ status: ['completed'], limit: 5000 });
    expect(list.runs.map((r) => r.id)).toEqual([runId]);
  });

  it('names live metrics exactly as getSeries returns them', async () => {
    const live = events.filter((e): e is Extract<LabEvent, { kind: 'metrics' }> => e.kind === 'metrics');
    const names = [...new Set(live.flatMap((e) => Object.keys(e.values)))];
    const got = await lab.getSeries({ runIds: [runId], names, budget: 100 });
    for (const s of got.series) expect(s.totalPoints, s.name).toBeGreaterThan(0);
    const loss = got.series.find((s) => s.name === 'train/loss')!;
    expect(loss.x).toEqual([1, 2]);
    expect(loss.y).toEqual([2, 1]);
    const cert = got.series.find((s) => s.name === 'certified/1.58')!;
    expect(cert).toMatchObject({ x: [2], y: [0.1] });
  });

  it('announces the backend and makes bounds readable before announcing them', async () => {
    expect(events.find((e) => e.kind === 'run-started')).toMatchObject({ runId, backend: 'cpu', totalSteps: 2 });
    const announced = events.find((e) => e.kind === 'layer-bounds');
    expect(announced).toMatchObject({ runId, step: 2 });
    expect(layersAtAnnouncement).toEqual(['conv1', 'fc']);
  });

  it('gives per-layer bounds in model order with the kernel shape, the four reshape norms, iterations and time', async () => {
    const lb = await lab.getLayerBounds(runId);
    expect(lb.step).toBe(2);
    expect(lb.layers.map((l) => [l.index, l.layer, l.kernelShape])).toEqual([
      [0, 'conv1', [3, 3, 1, 4]],
      [1, 'fc', [1, 1, 3136, 10]],
    ]);
    const row = lb.layers[0];
    expect(row.f4Matrices).toEqual({ R: 1, S: 1.5, T: 2, U: 2 }); // stored sqrt(hw)*||M|| divided by sqrt(9)
    const byMethod = Object.fromEntries(row.bounds.map((b) => [b.method, b]));
    expect(byMethod.f4).toMatchObject({ value: 3, kind: 'upper bound', validFor: { padding: 'any' } });
    expect(byMethod['sedghi-exact']).toMatchObject({
      value: 2.9,
      kind: 'exact',
      validFor: { padding: 'circular', n: 28 },
      iterations: 0,
      timeMs: 1.25,
    });
    expect(byMethod['operator-power']).toMatchObject({
      kind: 'estimate (lower)',
      validFor: { padding: 'zero-same' },
      iterations: 50,
      timeMs: 3.5,
    });
    // Not reported by the engine for this value: 0, as the contract has no "unknown".
    expect(byMethod.f4).toMatchObject({ iterations: 0, timeMs: 0 });
    // Everything is in the store: no side files next to it.
    expect(existsSync(path.join(dir, 'run-layers'))).toBe(false);
    expect((await lab.getLayerBounds(runId, { methods: ['f4'] })).layers[0].bounds.map((b) => b.method)).toEqual([
      'f4',
    ]);
  });

  it('serves the spectrum histogram of a conv layer with its steps, and says when there is none', async () => {
    const sp = await lab.getSpectrum(runId, { layer: 'conv1' });
    expect(sp).toEqual({
      runId,
      layer: 'conv1',
      step: 2,
      availableSteps: [2],
      histogram: convSpectrum,
      exactNorm: 2.9,
    });
    expect(sp.histogram!.counts.reduce((a, b) => a + b, 0)).toBe(784);
    expect(await lab.getSpectrum(runId, { layer: 'conv1', step: 2 })).toEqual(sp);
    expect(await lab.getSpectrum(runId, { layer: 'conv1', step: 1 })).toMatchObject({
      step: null,
      availableSteps: [2],
      histogram: null,
      exactNorm: null,
    });
    expect(await lab.getSpectrum(runId, { layer: 'fc' })).toMatchObject({
      step: null,
      availableSteps: [],
      histogram: null,
    });
    await expect(lab.getSpectrum(runId, { layer: 'conv9' })).rejects.toMatchObject({
      code: 'not-found',
      hint: 'Pick one of: conv1, fc.',
    });
    await expect(lab.getSpectrum('no-such-run', { layer: 'conv1' })).rejects.toMatchObject({ code: 'not-found' });
    expect(parseArgs('getSpectrum', [runId, { layer: 'conv1', step: 'latest' }])).toEqual([
      runId,
      { layer: 'conv1', step: 'latest' },
    ]);
    expect(() => parseArgs('getSpectrum', [runId, { step: 2 }])).toThrow(/args\[1\]\.layer/);
  });

  it('summarises and diffs runs', async () => {
    const [s] = await lab.runSummaries([runId]);
    expect(s.run).toMatchObject({ id: runId, status: 'completed' });
    expect(s.metrics.find((m) => m.name === 'eval/test_acc')).toMatchObject({ last: 0.45, goal: 'max' });
    const d = await lab.diffConfigs([runId, runId], { all: true });
    expect(d.rows.length).toBeGreaterThan(10);
    expect(d.rows.every((r) => !r.differs)).toBe(true);
    expect(await lab.setNotes(runId, 'seen')).toEqual({ runId, notes: 'seen' });
  });
});
