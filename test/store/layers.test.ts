/**
 * Layer metadata and bound details through recordEngineEvent: the model's conv and dense layers
 * (kernel HWIO, stride, padding) from 'started', input sizes and every bound's iterations and time from
 * 'eval', read back with layers() and layerBounds() after the store is closed and opened again.
 */
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import type { BoundResult } from '../../src/shared/bounds.js';
import type { EngineEvent, EvalEvent, LayerEval } from '../../src/shared/events.js';
import { openStore, recordEngineEvent, StoreError } from '../../src/main/store/index.js';
import { SqliteDb } from '../../src/main/store/sqlite.js';
import { tempDir } from './helpers.js';

const v = 1;
const started = (runId: string): EngineEvent => ({
  type: 'started',
  v,
  runId,
  backend: { name: 'cpu', requested: 'auto', tried: [{ name: 'cpu', available: true }], versions: {}, summary: 'cpu' },
  model: {
    arch: 'test-cnn',
    inputShape: [28, 28, 1],
    totalParams: 0,
    layers: [
      {
        name: 'conv1',
        kind: 'conv',
        shape: [3, 3, 1, 8],
        outputShape: [28, 28, 8],
        params: 80,
        stride: 1,
        padding: 'same',
      },
      { name: 'bn1', kind: 'batchnorm', shape: [8], outputShape: [28, 28, 8], params: 16 },
      {
        name: 'conv2',
        kind: 'conv',
        shape: [4, 4, 8, 16],
        outputShape: [13, 13, 16],
        params: 2064,
        stride: 2,
        padding: 'valid',
      },
      { name: 'fc', kind: 'dense', shape: [2704, 10], outputShape: [10], params: 27050 },
    ],
  },
  dataset: { name: 'mnist', train: 64, validation: 0, test: 32, source: 'test' },
  totalSteps: 20,
  stepsPerEpoch: 10,
});

const result = (
  method: BoundResult['method'],
  value: number,
  kind: BoundResult['kind'],
  iterations: number,
  timeMs: number,
): BoundResult => ({
  method,
  value,
  kind,
  validFor: { padding: 'any', stride: 1 },
  iterations,
  timeMs,
});

function layerEval(
  name: string,
  kind: 'conv' | 'dense',
  shape: number[],
  stride: number,
  padding: 'same' | 'valid',
  inputSize: [number, number],
  ms: number,
): LayerEval {
  return {
    name,
    kind,
    shape,
    stride,
    padding,
    inputSize,
    f4: { R: 3, S: 4, T: 5, U: 6, min: 3, argmin: 'R' },
    certifiedUpper: 2.5,
    certifiedBy: 'toeplitz-norm2toep',
    exactCircular: 2.2,
    operatorEstimate: 2.1,
    gram: 2.4,
    bounds: [
      result('f4', 3, 'upper bound', 0, ms),
      result('sedghi-exact', 2.2, 'exact', 0, ms + 0.25),
      result('gram-iteration', 2.4, 'upper bound', 6, ms + 0.5),
      result('operator-power', 2.1, 'estimate (lower)', 100, ms + 1 / 3),
      result('toeplitz-norm2toep', 2.5, 'upper bound', 4, ms + 2),
      ...(stride > 1 ? [result('f4-polyphase', 2.9, 'upper bound', 0, ms + 3)] : []),
    ],
  };
}

const evalAt = (step: number, ms: number): EvalEvent => ({
  type: 'eval',
  v,
  step,
  epoch: step / 10,
  trainAcc: 0.5,
  valAcc: null,
  testAcc: 0.45,
  testLoss: 1.2,
  lipschitz: 20,
  evalMs: 3,
  certified: [],
  layers: [
    layerEval('conv1', 'conv', [3, 3, 1, 8], 1, 'same', [28, 28], ms),
    layerEval('conv2', 'conv', [4, 4, 8, 16], 2, 'valid', [28, 28], ms),
    layerEval('fc', 'dense', [1, 1, 2704, 10], 1, 'same', [1, 1], ms),
  ],
});

async function recordedRun(dir: string): Promise<string> {
  const s = await openStore({ dataDir: dir, flushIntervalMs: 60_000 });
  const run = await s.createRun({ config: {} });
  const w = await s.writer(run.id);
  const sink = s.eventSink(w);
  await recordEngineEvent(sink, started(run.id));
  // Before any evaluation the shapes are known, the input sizes not yet.
  expect((await s.layers(run.id)).map((l) => [l.index, l.name, l.inputSize])).toEqual([
    [0, 'conv1', null],
    [1, 'conv2', null],
    [2, 'fc', null],
  ]);
  await recordEngineEvent(sink, evalAt(10, 7.125));
  await recordEngineEvent(sink, evalAt(20, 9.5));
  await recordEngineEvent(sink, { type: 'finished', v, status: 'completed', summary: {} } as EngineEvent);
  await s.close();
  return run.id;
}

describe('layer metadata and bound details', () => {
  test('round-trip through recordEngineEvent, a close and a reopen', async () => {
    const dir = tempDir('layers');
    const runId = await recordedRun(dir);
    const s = await openStore({ dataDir: dir, readonly: true });

    expect(await s.layers(runId)).toEqual([
      {
        runId,
        index: 0,
        name: 'conv1',
        kind: 'conv',
        kernelShape: [3, 3, 1, 8],
        stride: 1,
        padding: 'same',
        inputSize: [28, 28],
      },
      {
        runId,
        index: 1,
        name: 'conv2',
        kind: 'conv',
        kernelShape: [4, 4, 8, 16],
        stride: 2,
        padding: 'valid',
        inputSize: [28, 28],
      },
      // dense [in, out] from the model summary is stored as the 1x1 convolution it is
      {
        runId,
        index: 2,
        name: 'fc',
        kind: 'dense',
        kernelShape: [1, 1, 2704, 10],
        stride: 1,
        padding: 'same',
        inputSize: [1, 1],
      },
    ]);

    const latest = await s.layerBounds(runId);
    expect(latest.step).toBe(20);
    expect(latest.availableSteps).toEqual([10, 20]);
    const at = (layer: string, method: string) => latest.bounds.find((b) => b.layer === layer && b.method === method);
    expect(at('conv1', 'operator-power')).toEqual({
      layer: 'conv1',
      method: 'operator-power',
      kind: 'estimate',
      step: 20,
      value: 2.1,
      iterations: 100,
      timeMs: 9.5 + 1 / 3,
    });
    expect(at('conv1', 'gram-iteration')).toMatchObject({ kind: 'upper', iterations: 6, timeMs: 10 });
    expect(at('conv1', 'sedghi-exact')).toMatchObject({ kind: 'exact', iterations: 0, timeMs: 9.75 });
    expect(at('conv1', 'f4')).toMatchObject({ value: 3, iterations: 0, timeMs: 9.5 });
    // Methods without a LayerEval field of their own are recorded from the results list.
    expect(at('conv1', 'toeplitz-norm2toep')).toMatchObject({ kind: 'upper', value: 2.5, iterations: 4, timeMs: 11.5 });
    expect(at('conv2', 'f4-polyphase')).toMatchObject({ value: 2.9, timeMs: 12.5 });
    expect(at('conv1', 'f4-polyphase')).toBeUndefined();
    // Values the engine reports without a computation of their own carry no details.
    expect(at('conv1', 'f4-R')).not.toHaveProperty('iterations');
    expect(at('conv1', 'certified')).not.toHaveProperty('timeMs');

    const first = await s.layerBounds(runId, 10);
    expect(first.bounds.find((b) => b.layer === 'fc' && b.method === 'operator-power')).toMatchObject({
      step: 10,
      iterations: 100,
      timeMs: 7.125 + 1 / 3,
    });
    await s.close();
  });

  test('deleting a run deletes its layers and bound details', async () => {
    const dir = tempDir('layers-del');
    const runId = await recordedRun(dir);
    const s = await openStore({ dataDir: dir });
    await s.deleteRun(runId);
    await s.close();
    const db = await SqliteDb.open(path.join(dir, 'runs.sqlite'), 'readonly');
    expect(
      await db.get('SELECT (SELECT count(*) FROM layers) AS layers, (SELECT count(*) FROM bound_details) AS details'),
    ).toEqual({ layers: 0, details: 0 });
    await db.close();
  });

  test('bad layer descriptions and bound details are refused with what to fix; the evaluation is kept', async () => {
    const s = await openStore({ dataDir: tempDir('layers-bad') });
    const run = await s.createRun({ config: {} });
    const w = await s.writer(run.id);
    const bad = evalAt(5, 1);
    bad.layers[1] = { ...bad.layers[1], kind: 'pool' as 'conv' };
    const err = await recordEngineEvent(s.eventSink(w), bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toMatch(
      /layer "conv2": kind "pool" is not "conv" or "dense".*leave out batch norm/,
    );
    expect(await s.layers(run.id)).toEqual([]); // refused as a whole
    await s.flush();
    // f4, its four reshapes, certified, sedghi-exact, operator-power, gram-iteration, toeplitz, polyphase F4
    expect((await s.layerBounds(run.id)).bounds.filter((b) => b.layer === 'conv2')).toHaveLength(11);
    expect((await s.getSeries({ runIds: [run.id], names: ['eval/test_acc'] })).series[0].y).toEqual([0.45]);

    await expect(
      w.layers([{ name: 'c', kind: 'conv', kernelShape: [3, 3, 1], stride: 1, padding: 'same', inputSize: null }]),
    ).rejects.toThrow(/kernel shape \[3,3,1\] is not four positive integers.*\[1, 1, in, out\]/);
    await expect(
      w.layers([{ name: 'c', kind: 'conv', kernelShape: [3, 3, 1, 2], stride: 1, padding: 'same', inputSize: [0, 4] }]),
    ).rejects.toThrow(/input size \[0,4\]/);
    expect(() =>
      w.bound({ layer: 'c', method: 'gram-iteration', kind: 'upper', step: 1, value: 1, iterations: -1 }),
    ).toThrow(/iterations -1 is not a non-negative integer/);
    expect(() =>
      w.bound({ layer: 'c', method: 'gram-iteration', kind: 'upper', step: 1, value: 1, timeMs: Number.NaN }),
    ).toThrow(/timeMs NaN is not a finite/);
    await s.close();
  });
});
