/**
 * Resuming a cancelled run from its last checkpoint, end to end: LabService over the real store and the
 * real engine (a worker thread training on real MNIST). The resumed run continues at the checkpoint's
 * step + 1 under the same id, and its series hold every step exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabError, type LabEvent } from '../../src/shared/api.js';
import { hostEngine } from '../../src/main/app/engine-adapter.js';
import { LabService } from '../../src/main/app/service.js';
import { SqliteStorePort } from '../../src/main/app/store-adapter.js';
import { openStore, storePaths } from '../../src/main/store/index.js';

const TOTAL = 48;
const EVERY = 8;
const config = {
  name: 'resumable',
  dataset: { name: 'mnist', limitTrain: 512, limitTest: 128, validationSize: 0 },
  model: { arch: 'mnist-cnn' },
  batchSize: 32,
  maxSteps: TOTAL,
  backend: 'wasm',
  evaluation: { everySteps: EVERY, trainSubset: 128, exactNorm: false, operatorIterations: 2, gramIterations: 0 },
};

let dir: string;
let lab: LabService;
const events: LabEvent[] = [];

function until(pred: (e: LabEvent) => boolean, timeoutMs = 90_000): Promise<LabEvent> {
  const seen = events.find(pred);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for a lab event')), timeoutMs);
    const off = lab.subscribe((e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lab-resume-'));
  const store = await openStore({ dataDir: dir });
  lab = new LabService({
    engine: hostEngine({ checkpointRoot: storePaths(dir).checkpoints }),
    store: new SqliteStorePort(store, 'test'),
    dataDir: dir,
    shell: 'test',
    version: '0',
    controlWaitMs: 20_000,
  });
  lab.subscribe((e) => events.push(e));
});
afterAll(async () => {
  await lab.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('resume from checkpoint', () => {
  it('continues a cancelled run from its last checkpoint, with the same id, to the end', async () => {
    const { runId } = await lab.startRun(config);
    await until((e) => e.kind === 'checkpoint' && e.runId === runId && e.checkpoint.step === EVERY);
    expect((await lab.cancelRun(runId)).status).toBe('cancelled');

    const cancelled = await lab.getRun(runId);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.lastStep).toBeLessThan(TOTAL);
    const from = cancelled.resumableFrom as number;
    expect(from).toBeGreaterThanOrEqual(EVERY);
    expect(from % EVERY).toBe(0);

    const before = events.length;
    expect(await lab.resumeFromCheckpoint(runId)).toEqual({ runId, status: 'running', queuePosition: null });
    // A run that is running again cannot be resumed twice.
    const twice = await lab.resumeFromCheckpoint(runId).catch((e: unknown) => e);
    expect((twice as LabError).code).toBe('conflict');

    await until((e) => e.kind === 'run-status' && e.runId === runId && e.status === 'completed', 120_000);
    const after = events.slice(before);
    const firstStep = after.find(
      (e): e is Extract<LabEvent, { kind: 'metrics' }> =>
        e.kind === 'metrics' && e.runId === runId && e.phase === 'train',
    );
    expect(firstStep?.step, 'training continues right after the checkpoint').toBe(from + 1);
    expect(after.some((e) => e.kind === 'progress' && e.runId === runId && e.progress.phase === 'evaluating')).toBe(
      true,
    );
    // Each evaluation's results are pushed live too (the runs list's test accuracy follows them).
    expect(
      after.some(
        (e) =>
          e.kind === 'metrics' &&
          e.runId === runId &&
          e.phase === 'eval' &&
          typeof e.values['eval/test_acc'] === 'number',
      ),
    ).toBe(true);

    const done = await lab.getRun(runId);
    expect(done).toMatchObject({ status: 'completed', lastStep: TOTAL, error: null, resumableFrom: null });
    expect(done.checkpoints.map((c) => c.step)).toEqual(
      Array.from({ length: TOTAL / EVERY }, (_, i) => (i + 1) * EVERY),
    );
    const [loss] = (await lab.getSeries({ runIds: [runId], names: ['train/loss'], budget: 10_000 })).series;
    expect(loss.steps, 'every step once: the interrupted attempt after the checkpoint was rewound').toEqual(
      Array.from({ length: TOTAL }, (_, i) => i + 1),
    );
    const log = (await lab.getRunLog(runId)).entries.map((l) => l.message);
    expect(log).toContain(`resuming from the checkpoint at step ${from} (optimiser state restarts)`);
    expect(log).toContain(`continuing from the checkpoint at step ${from} of ${TOTAL}`);
    expect(log.at(-1)).toBe(`completed after ${TOTAL} steps`);
    const evals = log.filter((m) => m.startsWith('evaluation at step'));
    expect(new Set(evals.map((m) => m.split(' ')[3])).size, 'one evaluation line per step kept').toBeGreaterThanOrEqual(
      TOTAL / EVERY,
    );
  }, 240_000);

  it('refuses runs that cannot be resumed, saying what to do', async () => {
    const { runId } = await lab.startRun(config, { queue: true });
    const err = (await lab.resumeFromCheckpoint(runId).catch((e: unknown) => e)) as LabError;
    expect(err).toBeInstanceOf(LabError);
    expect(err.message).toMatch(/cannot be resumed from a checkpoint/);
    await lab.cancelRun(runId);
    // cancelRun answers after at most a few seconds; a worker still starting up on a busy machine ends a moment later.
    for (let i = 0; i < 300 && (await lab.getRun(runId)).status !== 'cancelled'; i++) await sleep(100);
    const none = (await lab.resumeFromCheckpoint(runId).catch((e: unknown) => e)) as LabError;
    expect(none.message).toMatch(/has no intact checkpoint/);
    expect(none.hint).toMatch(/new experiment from this run/);
  });
});
