/**
 * A reproduce call trains outside the run queue, so it holds one of the queue's slots while it runs: a run
 * started "now" beside it is refused (busy) at maxConcurrent 1, a queued run waits and starts when the call
 * ends, a call that fails to start gives the slot back, and redrawing saved outcomes (no training) takes none.
 */
import { describe, expect, it } from 'vitest';
import { LabError, type ReproduceRequest } from '../../src/shared/api.js';
import { LabService } from '../../src/main/app/service.js';
import type { ReproduceControl } from '../../src/main/app/reproduce.js';
import { FakeEngine, MemoryStore } from './fakes.js';

/** The service's view of ReproduceControl: a call that ends when the test says so. */
class StubReproduce {
  ended: (() => void) | null = null;
  failNext = false;
  assertIdle() {}
  async start(req: ReproduceRequest, _publish: unknown, ended: () => void = () => {}) {
    if (this.failNext) throw new LabError('bad-request', `No experiment '${req.experiment}'.`, 'Choose one.');
    this.ended = ended;
    return { id: 'call-1', state: 'queued' };
  }
}

const tiny = { name: 'tiny', dataset: { name: 'mnist', limitTrain: 64, validationSize: 0 }, epochs: 1 };
const said = (e: unknown) => `${(e as LabError).message} ${(e as LabError).hint}`;
const request = { experiment: 'curvature', size: 'smoke', seeds: 1 } as const;

function setup() {
  const engine = new FakeEngine();
  const reproduce = new StubReproduce();
  const service = new LabService({
    engine,
    store: new MemoryStore(),
    dataDir: '/tmp/lab',
    shell: 'test',
    version: '0',
    maxConcurrent: 1,
    reproduce: reproduce as unknown as ReproduceControl,
  });
  return { engine, reproduce, service };
}

describe('a reproduce call holds a slot of the run queue', () => {
  it('refuses a run started now, starts a queued one when the call ends', async () => {
    const { engine, reproduce, service } = setup();
    await service.startReproduce(request);
    const busy = await service.startRun(tiny).catch((e: unknown) => e);
    expect((busy as LabError).code).toBe('busy');
    expect(said(busy)).toMatch(/reproduce experiment.*Queue the run/s);
    const queued = await service.startRun(tiny, { queue: true });
    expect(queued.status).toBe('queued');
    expect(engine.runs).toHaveLength(0);
    reproduce.ended!();
    expect(engine.runs.map((r) => r.runId)).toEqual([queued.runId]);
  });

  it('is refused while runs fill the slots, and gives the slot back when it cannot start', async () => {
    const { reproduce, service } = setup();
    reproduce.failNext = true;
    await expect(service.startReproduce(request)).rejects.toThrow(/No experiment/);
    const run = await service.startRun(tiny);
    expect(run.status).toBe('running');
    reproduce.failNext = false;
    const busy = await service.startReproduce(request).catch((e: unknown) => e);
    expect((busy as LabError).code).toBe('busy');
    expect(said(busy)).toMatch(/1 run\(s\) are active.*--max-concurrent/s);
  });

  it('takes no slot to redraw saved outcomes', async () => {
    const { service } = setup();
    await service.startRun(tiny);
    await expect(service.startReproduce({ ...request, from: 'curvature-smoke-x' })).resolves.toBeTruthy();
  });
});
