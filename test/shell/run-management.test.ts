/**
 * Runs a researcher can manage, through LabService over the real SQLite store (a scripted engine): delete
 * (refused while active), tags and notes searchable, the stored log of a failed run, a paused run stored as
 * paused, and the list's test accuracy taken from evaluations only.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LabError, type LabEvent } from '../../src/shared/api.js';
import type { EngineEvent } from '../../src/shared/events.js';
import { LabService } from '../../src/main/app/service.js';
import { SqliteStorePort } from '../../src/main/app/store-adapter.js';
import { openStore, recordEngineEvent, storePaths, type Store } from '../../src/main/store/index.js';
import { FakeEngine, finished } from './fakes.js';

const v = 1;
const tiny = { name: 'managed', dataset: { name: 'mnist', limitTrain: 64, validationSize: 0 }, epochs: 1 };
const started: EngineEvent = {
  type: 'started',
  v,
  runId: 'x',
  backend: {
    name: 'cpu',
    requested: 'auto',
    tried: [{ name: 'cpu', available: true }],
    versions: {},
    summary: 'cpu (test)',
  },
  model: { arch: 'mnist-cnn', inputShape: [28, 28, 1], totalParams: 40, layers: [] },
  dataset: { name: 'mnist', train: 64, validation: 0, test: 32, source: 'test' },
  totalSteps: 4,
  stepsPerEpoch: 4,
};
const steps = (from: number, to: number, acc: number): EngineEvent => ({
  type: 'step',
  v,
  points: Array.from({ length: to - from + 1 }, (_, i) => ({
    step: from + i,
    epoch: (from + i) / 4,
    loss: 1,
    ce: 1,
    reg: 0,
    acc,
    lr: 0.1,
    stepMs: 3,
  })),
});
const evaluation = (step: number, testAcc: number): EngineEvent => ({
  type: 'eval',
  v,
  step,
  epoch: step / 4,
  trainAcc: 0.5,
  valAcc: null,
  testAcc,
  testLoss: 1.5,
  lipschitz: 9,
  evalMs: 12,
  layers: [],
  certified: [{ eps: 0.5, acc: 0.2, accPairwise: 0.25 }],
});

let dir: string;
let lab: LabService;
let engine: FakeEngine;
let store: Store;
let events: LabEvent[];

/** The service writes to the store in the background (one chain per run): wait until `check` passes. */
async function eventually<T>(check: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const until = (pred: (e: LabEvent) => boolean) =>
  new Promise<void>((res) => {
    const off = lab.subscribe((e) => pred(e) && (off(), res()));
  });
const statusIs = (runId: string, status: string) =>
  until((e) => e.kind === 'run-status' && e.runId === runId && e.status === status);

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lab-manage-'));
  engine = new FakeEngine();
  store = await openStore({ dataDir: dir, flushIntervalMs: 50 });
  lab = new LabService({
    engine,
    store: new SqliteStorePort(store, 'test'),
    dataDir: dir,
    shell: 'test',
    version: '0',
    controlWaitMs: 2000,
  });
  events = [];
  lab.subscribe((e) => events.push(e));
});
afterEach(async () => {
  await lab.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('deleting a run', () => {
  it('is refused while the run is active, then removes its rows and checkpoint files once it has ended', async () => {
    const { runId } = await lab.startRun(tiny);
    const run = engine.run(runId);
    run.emit(started);
    run.emit(steps(1, 2, 0.5));
    // A checkpoint inside the data folder, as the real engine writes it.
    const ckptDir = path.join(storePaths(dir).checkpoints, runId);
    mkdirSync(ckptDir, { recursive: true });
    const ckpt = path.join(ckptDir, 'step-2.slw');
    writeFileSync(ckpt, 'weights');
    run.emit({
      type: 'checkpoint',
      v,
      step: 2,
      epoch: 0.5,
      path: ckpt,
      sha256: createHash('sha256').update('weights').digest('hex'),
    });

    const refused = await lab.deleteRun(runId).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LabError);
    expect((refused as LabError).code).toBe('conflict');
    expect((refused as LabError).message).toMatch(/is running; a running run cannot be deleted/);
    expect((refused as LabError).hint).toMatch(/Cancel it first/);
    expect((await lab.getRun(runId)).status).toBe('running');

    expect((await lab.cancelRun(runId)).status).toBe('cancelled');
    expect(existsSync(ckpt)).toBe(true);
    expect(await eventually(() => lab.deleteRun(runId))).toEqual({ runId, deletedFiles: 1 });
    expect(existsSync(ckpt)).toBe(false);
    expect(events.some((e) => e.kind === 'run-deleted' && e.runId === runId)).toBe(true);
    const gone = await lab.getRun(runId).catch((e: unknown) => e);
    expect((gone as LabError).code).toBe('not-found');
    expect((await lab.listRuns()).total).toBe(0);
  });
});

describe('tags and notes', () => {
  it('are kept, and the runs filter finds a run by a tag or a word of its notes', async () => {
    const a = (await lab.startRun(tiny, { queue: true })).runId;
    const b = (await lab.startRun({ ...tiny, name: 'other' }, { queue: true })).runId;
    await lab.setTags(a, ['Baseline', 'paper-fig2', 'paper-fig2', ' ']);
    await lab.setNotes(b, 'Lower learning rate than the baseline; diverged twice.');
    expect((await lab.getRun(a)).tags).toEqual(['Baseline', 'paper-fig2']);
    expect((await lab.getRun(b)).notes).toMatch(/diverged twice/);
    expect((await lab.listRuns({ search: 'fig2' })).runs.map((r) => r.id)).toEqual([a]);
    expect((await lab.listRuns({ search: 'DIVERGED' })).runs.map((r) => r.id)).toEqual([b]);
    expect((await lab.listRuns({ tags: ['Baseline'] })).runs.map((r) => r.id)).toEqual([a]);
    expect((await lab.listRuns({ search: 'baseline' })).runs.map((r) => r.id).sort()).toEqual([a, b].sort());
  });
});

describe('the stored log and the list headline', () => {
  it('keeps messages, warnings, each evaluation and the failure; test accuracy only from evaluations', async () => {
    const { runId } = await lab.startRun(tiny);
    const run = engine.run(runId);
    run.emit(started);
    run.emit(steps(1, 2, 0.984));
    await until((e) => e.kind === 'metrics' && e.runId === runId);
    // Before the first evaluation: a training batch's 98.4% is not a test accuracy.
    let item = await eventually(async () => {
      await store.flush();
      const [r] = (await lab.listRuns()).runs;
      expect(r.lastStep).toBe(2);
      return r;
    });
    expect(item.headline).toEqual({ testAccuracy: null, evalStep: null, certified: null, lipschitz: null });

    run.emit(evaluation(2, 0.41));
    run.emit({ type: 'log', v, level: 'warn', message: 'certification skipped for layer fc: no input size' });
    run.emit(steps(3, 3, 0.07));
    run.emit(finished('failed', 'diverged at step 3: loss is NaN; lower the learning rate or β'));
    await statusIs(runId, 'failed');
    item = await eventually(async () => {
      const [r] = (await lab.listRuns()).runs;
      expect(r.headline.testAccuracy).not.toBeNull();
      return r;
    });
    expect(item.status).toBe('failed');
    expect(item.headline).toEqual({
      testAccuracy: 0.41,
      evalStep: 2,
      certified: { eps: 0.5, accuracy: 0.2 },
      lipschitz: 9,
    });

    const log = await eventually(async () => {
      const entries = (await lab.getRunLog(runId)).entries;
      expect(entries.at(-1)?.level).toBe('error');
      return entries;
    });
    const text = log.map((l) => `${l.level}: ${l.message}`);
    expect(text[0]).toMatch(/^info: training on cpu \(test\): mnist-cnn, mnist \(64 train \/ 32 test\), 4 steps$/);
    expect(text).toContain(
      'info: evaluation at step 2 (epoch 0.50): test accuracy 41.0%, test loss 1.500, Lipschitz bound 9.000, certified 20.0% at ε=0.5 (0.0 s)',
    );
    expect(text).toContain('warn: certification skipped for layer fc: no input size');
    expect(text[text.length - 1]).toBe(
      'error: failed after 3 steps: diverged at step 3: loss is NaN; lower the learning rate or β',
    );
    expect(log.map((l) => l.seq)).toEqual(log.map((_, i) => i + 1));
    // The page of a failed run explains it, and the log it points to is there.
    expect((await lab.getRun(runId)).error).toMatch(/diverged at step 3/);
  });

  it('stores a paused run as paused (seen by any process reading the store), with no ETA', async () => {
    const { runId } = await lab.startRun(tiny);
    const run = engine.run(runId);
    run.emit(started);
    run.emit({ type: 'progress', v, step: 3, totalSteps: 4, epoch: 0.75, etaSeconds: 5 });
    await until((e) => e.kind === 'progress' && e.runId === runId && e.progress.step === 3);
    expect((await lab.pauseRun(runId)).status).toBe('paused');
    // The store itself says paused (not only this lab's live overlay): another process sees it too.
    await eventually(async () => expect((await store.getRun(runId)).status).toBe('paused'));
    expect((await store.listRuns({ status: ['paused'] })).runs.map((r) => r.id)).toEqual([runId]);
    expect((await store.listRuns({ status: ['running'] })).total).toBe(0);
    const progress = events
      .filter((e): e is Extract<LabEvent, { kind: 'progress' }> => e.kind === 'progress' && e.runId === runId)
      .at(-1);
    expect(progress?.progress.etaMs).toBeNull();
    expect((await lab.resumeRun(runId)).status).toBe('running');
    await eventually(async () => expect((await store.getRun(runId)).status).toBe('running'));
  });
});

describe('resuming a crashed run', () => {
  it('rewinds what came after its last intact checkpoint and starts the engine from it, under the same id', async () => {
    // A run left 'crashed' by another process: points to step 6, checkpoints at 2 and 4 (the one at 4 intact).
    const run = await store.createRun({ config: tiny, name: 'crashed elsewhere', status: 'running' });
    const w = await store.writer(run.id);
    for (let s = 1; s <= 6; s++) w.scalar('train/loss', s, 1 / s, s / 4);
    w.scalar('eval/test_acc', 4, 0.5, 1);
    w.scalar('eval/test_acc', 6, 0.6, 1.5);
    await w.flush();
    const dirOf = path.join(storePaths(dir).checkpoints, run.id);
    mkdirSync(dirOf, { recursive: true });
    for (const step of [2, 4]) {
      const file = path.join(dirOf, `step-${step}.slw`);
      writeFileSync(file, `weights ${step}`);
      await store.addCheckpoint(run.id, {
        step,
        path: file,
        sha256: createHash('sha256').update(`weights ${step}`).digest('hex'),
      });
    }
    await store.setStatus(run.id, { status: 'crashed', error: 'process 1234 stopped without finishing the run' });
    expect((await lab.getRun(run.id)).resumableFrom).toBe(4);

    expect(await lab.resumeFromCheckpoint(run.id)).toEqual({ runId: run.id, status: 'running', queuePosition: null });
    expect(engine.run(run.id).resumeFrom).toMatchObject({ step: 4, path: path.join(dirOf, 'step-4.slw') });
    const resumed = await lab.getRun(run.id);
    expect(resumed).toMatchObject({ status: 'running', lastStep: 4, error: null, endedAt: null });
    const [loss] = (await lab.getSeries({ runIds: [run.id], names: ['train/loss'] })).series;
    expect(loss.steps).toEqual([1, 2, 3, 4]);
    expect(resumed.headline).toMatchObject({ testAccuracy: 0.5, evalStep: 4 });
    expect((await lab.getRunLog(run.id)).entries.map((l) => l.message)).toContain(
      'resuming from the checkpoint at step 4 (optimiser state restarts)',
    );
  });
});

describe('pause recorded by any host', () => {
  it("a worker's paused / resumed events are stored, as the CLI and other processes record them", async () => {
    const run = await store.createRun({ config: tiny, status: 'running' });
    const sink = store.eventSink(await store.writer(run.id));
    await recordEngineEvent(sink, { type: 'paused', v, step: 3 });
    expect((await store.getRun(run.id)).status).toBe('paused');
    await recordEngineEvent(sink, { type: 'resumed', v, step: 3 });
    expect((await store.getRun(run.id)).status).toBe('running');
    expect((await store.runLog(run.id)).map((l) => l.message)).toEqual(['paused after step 3', 'resumed after step 3']);
  });
});
