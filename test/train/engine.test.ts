/**
 * The engine end to end: a real worker thread (spawned under tsx) training on real MNIST, the protocol's
 * events, pause/resume/cancel, crash handling; and runTraining in-process for divergence and memory.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRunConfig, RunConfigError, type RunConfigInput } from '../../src/shared/config.js';
import { ENGINE_PROTOCOL_VERSION, type EngineEvent, type EngineEventOf } from '../../src/shared/events.js';
import { selectBackend } from '../../src/main/engine/backends/index.js';
import { startRun, type EngineHandle } from '../../src/main/engine/host.js';
import { sha256 } from '../../src/main/engine/train/checkpoint.js';
import { RunControl } from '../../src/main/engine/train/control.js';
import { runTraining } from '../../src/main/engine/train/run.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'slab-engine-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function collect(h: EngineHandle): EngineEvent[] {
  const events: EngineEvent[] = [];
  h.on((e) => events.push(e));
  return events;
}

const of = <T extends EngineEvent['type']>(events: EngineEvent[], type: T) =>
  events.filter((e): e is EngineEventOf<T> => e.type === type);

function waitFor(h: EngineHandle, pred: (e: EngineEvent) => boolean, timeoutMs = 60_000): Promise<EngineEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for an engine event')), timeoutMs);
    const off = h.on((e) => {
      if (pred(e) || e.type === 'finished') {
        clearTimeout(timer);
        off();
        resolve(e);
      }
    });
  });
}

const base: RunConfigInput = {
  dataset: { name: 'mnist', validationSize: 1000, limitTrain: 20_000, limitTest: 2000 },
  model: { arch: 'mnist-cnn' },
  optimizer: { kind: 'adam', lr: 2e-3, weightDecay: 0 },
  batchSize: 128,
  backend: 'wasm',
};

describe('engine in a worker thread', () => {
  it('trains the small CNN on real MNIST to >= 90% test accuracy in 150 steps, with every event', async () => {
    const ckptDir = path.join(tmp, 'ckpt');
    const h = startRun(
      { ...base, maxSteps: 150, evaluation: { everySteps: 1000, trainSubset: 2000 } },
      { runId: 'itest', checkpointDir: ckptDir },
    );
    const events = collect(h);
    const fin = await h.done;
    expect(fin.status, fin.reason).toBe('completed');

    const started = of(events, 'started')[0];
    expect(started).toMatchObject({
      v: ENGINE_PROTOCOL_VERSION,
      runId: 'itest',
      totalSteps: 150,
      dataset: { train: 19_000, validation: 1000, test: 2000 },
    });
    expect(started.backend.name).toBe('wasm');
    expect(started.model.layers.map((l) => l.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2']);
    expect(started.model.totalParams).toBe(206_922);

    // Step points arrive batched, every step exactly once, in order.
    const stepEvents = of(events, 'step');
    const points = stepEvents.flatMap((e) => e.points);
    expect(points.map((p) => p.step)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    expect(stepEvents.length).toBeLessThan(points.length);
    expect(of(events, 'progress').length).toBeGreaterThan(0);

    const ev = of(events, 'eval');
    expect(ev).toHaveLength(1);
    const e = ev[0];
    expect(e.step).toBe(150);
    expect(e.testAcc).toBeGreaterThanOrEqual(0.9);
    expect(e.valAcc).toBeGreaterThanOrEqual(0.88);
    expect(e.layers).toHaveLength(4);
    for (const l of e.layers) {
      expect(l.certifiedUpper).toBeLessThanOrEqual(l.f4.min);
      // F4 is sqrt(hw) times the smallest *certified* norm; a norm without a certificate is a float32 estimate, left
      // uncertified only when within 1e-5 (relative) above that certified value or more (f4-certified.ts, TIE).
      const smallest = Math.min(l.f4.R, l.f4.S, l.f4.T, l.f4.U);
      expect(l.f4.min).toBeGreaterThanOrEqual(smallest);
      expect(l.f4.min).toBeLessThanOrEqual(smallest * (1 + 1.001e-5));
      // No upper bound below the power-iteration estimate of the layer as it runs.
      expect(l.certifiedUpper).toBeGreaterThanOrEqual(l.operatorEstimate! * (1 - 1e-4));
      if (l.kind === 'conv') {
        expect(l.exactCircular).toBeGreaterThan(0);
        // The histogram of every singular value, from the same run as the exact norm (its max).
        expect(l.spectrum!.max).toBe(l.exactCircular);
        expect(l.spectrum!.count).toBe(l.inputSize[0] * l.inputSize[1] * Math.min(l.shape[2], l.shape[3]));
        expect(l.spectrum!.counts.reduce((a, b) => a + b, 0)).toBe(l.spectrum!.count);
      } else expect(l.spectrum).toBeUndefined();
    }
    const product = e.layers.reduce((p, l) => p * l.certifiedUpper, 1);
    expect(e.lipschitz).toBeCloseTo(product, 6);
    expect(e.certified).toHaveLength(1);
    expect(e.certified[0].eps).toBe(1.58);
    expect(e.certified[0].accPairwise).toBeGreaterThanOrEqual(e.certified[0].acc);

    const ck = of(events, 'checkpoint');
    expect(ck).toHaveLength(1);
    expect(existsSync(ck[0].path)).toBe(true);
    expect(sha256(readFileSync(ck[0].path))).toBe(ck[0].sha256);

    expect(fin.summary).toMatchObject({ steps: 150, backend: 'wasm', testAcc: e.testAcc, lipschitz: e.lipschitz });
    expect(fin.summary.imagesPerSecond).toBeGreaterThan(0);
    expect(events.at(-1)).toBe(fin);
  });

  it('pauses, resumes and cancels between steps (in a worker given its own WASM thread count)', async () => {
    const h = startRun(
      {
        ...base,
        dataset: { ...base.dataset, limitTrain: 3000 },
        batchSize: 32,
        maxSteps: 2000,
        evaluation: { everySteps: 5000 },
        checkpoints: { enabled: false },
      },
      { runId: 'ctl', wasmThreads: 2 },
    );
    const events = collect(h);
    // The suite pins SPECTRAL_LAB_WASM_THREADS=1; this worker was started with 2 (engine-adapter.wasmThreadsPerRun).
    expect(((await waitFor(h, (e) => e.type === 'started')) as EngineEventOf<'started'>).backend.threads).toBe(2);
    await waitFor(h, (e) => e.type === 'step');
    h.pause();
    const paused = (await waitFor(h, (e) => e.type === 'paused')) as EngineEventOf<'paused'>;
    expect(paused.type).toBe('paused');
    const countAtPause = events.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(events.length).toBe(countAtPause);
    h.resume();
    await waitFor(h, (e) => e.type === 'resumed');
    await waitFor(h, (e) => e.type === 'step' && e.points.some((p) => p.step > paused.step + 1));
    h.cancel('enough');
    const fin = await h.done;
    expect(fin).toMatchObject({ status: 'cancelled', reason: 'enough' });
    expect(fin.summary.steps).toBeGreaterThan(paused.step);
    expect(fin.summary.steps).toBeLessThan(2000);
    expect(of(events, 'resumed')[0].step).toBe(paused.step);
  });

  it('refuses a bad config on the host, before any thread starts', () => {
    expect(() => startRun({ model: { arch: 'vgg' }, batchSize: -1 })).toThrow(RunConfigError);
  });

  it("ends with 'finished' failed when the worker crashes", async () => {
    const h = startRun({}, { workerUrl: new URL('./fixtures/crash-worker.mjs', import.meta.url) });
    const seen: string[] = [];
    for await (const e of h.events()) seen.push(e.type);
    expect(seen).toEqual(['finished']);
    const fin = await h.done;
    expect(fin.status).toBe('failed');
    expect(fin.reason).toMatch(/the training worker crashed: boom while loading the worker/);
    // An iterator opened after the end still yields the final event once.
    const late: string[] = [];
    for await (const e of h.events()) late.push(e.type);
    expect(late).toEqual(['finished']);
  });
});

describe('runTraining in-process', () => {
  it("reports divergence as 'finished' failed with the step, and releases every tensor", async () => {
    const events: EngineEvent[] = [];
    await selectBackend('wasm');
    const before = tf.memory().numTensors;
    await runTraining(
      {
        type: 'start',
        v: ENGINE_PROTOCOL_VERSION,
        runId: 'nan',
        config: parseRunConfig({ ...base, maxSteps: 20, checkpoints: { enabled: false } }),
      },
      {
        emit: (e) => events.push(e),
        control: new RunControl(),
        // Plant a NaN weight after step 3, as a diverging run would produce.
        prepare: (t) => {
          const step = t.trainStep.bind(t);
          t.trainStep = async (s) => {
            if (s === 4) tf.tidy(() => t.model.linear[0].kernel.assign(tf.mul(t.model.linear[0].kernel, NaN)));
            return step(s);
          };
        },
      },
    );
    const fin = events.at(-1) as EngineEventOf<'finished'>;
    // WASM's ReLU maps NaN to 0, so the loss may stay finite: the weight check names the layer instead.
    expect(fin).toMatchObject({ type: 'finished', status: 'failed' });
    expect(fin.reason).toMatch(/^diverged at step 4: (loss|conv1\/kernel) is NaN; lower the learning rate or β$/);
    expect(fin.summary.steps).toBe(3);
    expect(
      of(events, 'step')
        .flatMap((e) => e.points)
        .map((p) => p.step),
    ).toEqual([1, 2, 3]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
