import { describe, expect, it } from 'vitest';
import { LabError, type LabEvent } from '../../src/shared/api.js';
import { LabService } from '../../src/main/app/service.js';
import { FakeEngine, finished, MemoryStore } from './fakes.js';

function setup(opts: { maxConcurrent?: number; autoAck?: boolean } = {}) {
  const engine = new FakeEngine(opts.autoAck ?? true);
  const store = new MemoryStore();
  const service = new LabService({
    engine,
    store,
    dataDir: '/tmp/lab',
    shell: 'test',
    version: '9.9.9',
    maxConcurrent: opts.maxConcurrent,
    controlWaitMs: 200,
  });
  const events: LabEvent[] = [];
  service.subscribe((e) => events.push(e));
  return { engine, store, service, events };
}

const tiny = { name: 'tiny', dataset: { name: 'mnist', limitTrain: 64, validationSize: 0 }, epochs: 1 };
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('LabService', () => {
  it('refuses an invalid config with one issue per field and creates no run', async () => {
    const { service, store } = setup();
    const err = await service.startRun({ epochs: -1, optimizer: { lr: 'fast' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('invalid-config');
    const paths = ((err as LabError).details as { path: string }[]).map((d) => d.path).sort();
    expect(paths).toEqual(['epochs', 'optimizer.lr']);
    expect(store.runs.size).toBe(0);
    const v = await service.validateConfig({ batchSize: 0 });
    expect(v.ok).toBe(false);
    expect(v.errors[0].path).toBe('batchSize');
    const ok = await service.validateConfig(tiny);
    expect(ok.ok).toBe(true);
    expect((ok.config as { batchSize: number }).batchSize).toBe(128);
  });

  it('starts now, refuses a second start beyond maxConcurrent, and queues on request', async () => {
    const { service, engine, store } = setup({ maxConcurrent: 1 });
    const a = await service.startRun(tiny);
    expect(a).toEqual({ runId: 'run-1', status: 'running', queuePosition: null });
    expect(engine.runs).toHaveLength(1);
    const busy = await service.startRun(tiny).catch((e: unknown) => e);
    expect((busy as LabError).code).toBe('busy');
    expect(store.runs.size).toBe(1);
    const b = await service.startRun(tiny, { queue: true, name: 'second' });
    expect(b).toEqual({ runId: 'run-2', status: 'queued', queuePosition: 1 });
    expect((await service.getRun(b.runId)).queuePosition).toBe(1);
    expect(engine.runs).toHaveLength(1);
    engine.run(a.runId).emit(finished('completed'));
    await tick();
    expect(engine.runs.map((r) => r.runId)).toEqual(['run-1', 'run-2']);
    expect((await service.getRun('run-1')).status).toBe('completed');
    expect((await service.getRun('run-2')).status).toBe('running');
    expect((await service.getInfo()).queue).toEqual({ running: ['run-2'], queued: [], maxConcurrent: 1 });
  });

  it('records engine events in order and pushes them as LabEvents keyed by series name', async () => {
    const { service, engine, store, events } = setup();
    const { runId } = await service.startRun(tiny);
    const run = engine.run(runId);
    run.emit({ type: 'progress', v: 1, step: 1, totalSteps: 4, epoch: 0.25, etaSeconds: 3 });
    run.emit({
      type: 'step',
      v: 1,
      points: [{ step: 1, epoch: 0.25, loss: 2.3, ce: 2.3, reg: 0, acc: 0.1, lr: 0.1, stepMs: 5 }],
    });
    run.emit({ type: 'log', v: 1, level: 'warn', message: 'slow backend' });
    run.emit(finished('completed'));
    await tick();
    expect(store.events.get(runId)?.map((e) => e.type)).toEqual(['progress', 'step', 'log', 'finished']);
    const kinds = events.filter((e) => 'runId' in e && e.runId === runId).map((e) => e.kind);
    // The last line is the run log's own ("completed after 3 steps"), pushed as it is stored.
    expect(kinds).toEqual(['run-status', 'run-status', 'progress', 'metrics', 'log', 'run-status', 'log']);
    const m = events.find((e) => e.kind === 'metrics');
    expect(m && m.kind === 'metrics' && m.values['train/loss']).toBe(2.3);
    const p = events.find((e) => e.kind === 'progress');
    expect(p && p.kind === 'progress' && p.progress.fraction).toBe(0.25);
    expect(store.statusLog).toEqual([
      [runId, 'running'],
      [runId, 'completed'],
    ]);
  });

  it('pauses, resumes and cancels through the engine, answering with the acknowledged status', async () => {
    const { service, engine } = setup();
    const { runId } = await service.startRun(tiny);
    expect(await service.pauseRun(runId)).toEqual({ runId, status: 'paused' });
    expect(await service.resumeRun(runId)).toEqual({ runId, status: 'running' });
    expect(await service.cancelRun(runId)).toEqual({ runId, status: 'cancelled' });
    expect(engine.run(runId).commands).toEqual(['pause', 'resume', 'cancel']);
    const again = await service.pauseRun(runId).catch((e: unknown) => e);
    expect((again as LabError).code).toBe('conflict');
    expect(await service.cancelRun(runId)).toEqual({ runId, status: 'cancelled' });
  });

  it('cancels a queued run without starting it', async () => {
    const { service, engine } = setup();
    const a = await service.startRun(tiny);
    const b = await service.startRun(tiny, { queue: true });
    expect(await service.cancelRun(b.runId)).toEqual({ runId: b.runId, status: 'cancelled' });
    engine.run(a.runId).emit(finished('completed'));
    await tick();
    expect(engine.runs).toHaveLength(1);
  });

  it('marks a run failed when its worker crashes, with the reason', async () => {
    const { service, engine, store } = setup();
    const { runId } = await service.startRun(tiny);
    engine.run(runId).crash(new Error('out of memory'));
    await tick();
    await tick();
    expect(store.runs.get(runId)?.status).toBe('failed');
    expect(store.runs.get(runId)?.error).toMatch(/crashed: out of memory/);
  });

  it('answers not-found for unknown runs and normalises tags', async () => {
    const { service } = setup();
    const err = await service.getRun('nope').catch((e: unknown) => e);
    expect((err as LabError).code).toBe('not-found');
    const { runId } = await service.startRun(tiny);
    expect(await service.setTags(runId, [' a ', 'b', 'a', ''])).toEqual({ runId, tags: ['a', 'b'] });
    expect(await service.setNotes(runId, 'hello')).toEqual({ runId, notes: 'hello' });
  });

  it('close() cancels queued runs, marks runs that do not stop in time crashed, and closes the store', async () => {
    const { service, store } = setup({ autoAck: false });
    const { runId } = await service.startRun(tiny);
    const queued = await service.startRun(tiny, { queue: true });
    await service.close(50);
    expect(store.runs.get(runId)?.status).toBe('crashed');
    expect(store.runs.get(queued.runId)?.status).toBe('cancelled');
    expect(store.closed).toBe(true);
    expect(((await service.startRun(tiny).catch((e: unknown) => e)) as LabError).code).toBe('unavailable');
  });

  it('describes the config as JSON schema with defaults and help', async () => {
    const { service } = setup();
    const s = await service.getConfigSchema();
    const props = s.jsonSchema.properties as Record<string, { default?: unknown; description?: string }>;
    expect(props.batchSize.default).toBe(128);
    expect(props.batchSize.description).toMatch(/Images per step/);
    expect((s.defaults as { epochs: number }).epochs).toBeGreaterThan(0);
  });
});
