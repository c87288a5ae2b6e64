/**
 * A full disk under `serve` / the app: the run must stop and end as failed with what to do, as `train` does
 * (test/store/faults.test.ts covers the real tmpfs for the CLI), instead of training on unrecorded.
 */
import { describe, expect, it } from 'vitest';
import type { LabEvent } from '../../src/shared/api.js';
import type { EngineEvent } from '../../src/shared/events.js';
import { LabService } from '../../src/main/app/service.js';
import { FakeEngine, MemoryStore } from './fakes.js';

/** A store whose disk fills after `okWrites` recorded events (SQLite's SQLITE_FULL, as node-sqlite3 reports it). */
class FillingStore extends MemoryStore {
  writes = 0;
  constructor(private readonly okWrites: number) {
    super();
  }
  override async record(runId: string, e: EngineEvent): Promise<void> {
    if (++this.writes > this.okWrites) {
      throw Object.assign(new Error('SQLITE_FULL: database or disk is full'), { code: 'SQLITE_FULL' });
    }
    return super.record(runId, e);
  }
}

const step = (n: number): EngineEvent => ({
  type: 'step',
  v: 1,
  points: [{ step: n, epoch: n / 10, loss: 1, ce: 1, reg: 0, acc: 0.5, lr: 0.1, stepMs: 3 }],
});
const tiny = { name: 'tiny', dataset: { name: 'mnist', limitTrain: 64, validationSize: 0 }, epochs: 1 };
const lab = (engine: FakeEngine, store: MemoryStore) =>
  new LabService({ engine, store, dataDir: '/data/lab', shell: 'test', version: '0', controlWaitMs: 200 });
const settle = () => new Promise((r) => setTimeout(r, 20));

describe('a full disk while the lab trains', () => {
  it('stops the run and ends it as failed, saying to free space and resume', async () => {
    const engine = new FakeEngine();
    const store = new FillingStore(1);
    const service = lab(engine, store);
    const events: LabEvent[] = [];
    service.subscribe((e) => events.push(e));
    const { runId } = await service.startRun(tiny);
    const run = engine.run(runId);
    run.emit(step(1));
    run.emit(step(2));
    await settle();
    expect(run.commands).toEqual(['cancel']);
    const status = events.filter((e) => e.kind === 'run-status').at(-1);
    expect(status).toMatchObject({ status: 'failed' });
    expect((await service.getRun(runId)).status).toBe('failed');
    const log = events.find((e) => e.kind === 'log' && e.level === 'error');
    expect(log && 'message' in log ? log.message : '').toMatch(
      /\/data\/lab is full or failing.*free some space.*resume/s,
    );
  });

  it('keeps training on other write errors (reported, not fatal)', async () => {
    const engine = new FakeEngine();
    const store = new MemoryStore();
    store.record = async () => {
      throw Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY' });
    };
    const service = lab(engine, store);
    const { runId } = await service.startRun(tiny);
    engine.run(runId).emit(step(1));
    await settle();
    expect(engine.run(runId).commands).toEqual([]);
    expect((await service.getRun(runId)).status).toBe('running');
  });
});
