/**
 * Compare at the scale of a sweep: the API takes a few hundred runs per call (the workbench asks in batches),
 * and past its limits it says what to do, not a schema's wording.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_REPORT_RUNS, MAX_RUNS_PER_CALL } from '../../src/shared/api.js';
import { buildHandlerTable } from '../../src/main/app/handlers.js';
import { LabService } from '../../src/main/app/service.js';
import { SqliteStorePort } from '../../src/main/app/store-adapter.js';
import { openStore } from '../../src/main/store/index.js';
import { FakeEngine, MemoryStore } from './fakes.js';

const table = buildHandlerTable(
  new LabService({ engine: new FakeEngine(), store: new MemoryStore(), dataDir: '/tmp', shell: 'test', version: '0' }),
  () => {},
);
const ids = (n: number) => Array.from({ length: n }, (_, i) => `run-${i}`);

describe('runs per call', () => {
  it('takes a sweep of hundreds of runs (the arguments pass; the runs here do not exist)', async () => {
    expect(MAX_RUNS_PER_CALL).toBeGreaterThanOrEqual(300);
    for (const [method, args] of [
      ['runSummaries', [ids(300)]],
      ['diffConfigs', [ids(300)]],
      ['getRuns', [ids(300)]],
      ['getCertifiedRadiiOfRuns', [ids(300), { step: 'latest' }]],
      ['getSeries', [{ runIds: ids(300), names: ['train/loss'] }]],
    ] as const) {
      const r = await table.get(method)!.handle(args);
      // Past the argument checks: the service answers (series of unknown runs are empty; summaries say not found).
      expect(r.ok || r.code).not.toBe('bad-request');
    }
  });

  it('refuses more than the limit saying to ask in batches; a report names the command for more runs', async () => {
    const over = await table.get('runSummaries')!.handle([ids(MAX_RUNS_PER_CALL + 1)]);
    expect(over).toMatchObject({ ok: false, code: 'bad-request' });
    expect(!over.ok && over.error).toMatch(new RegExp(`at most ${MAX_RUNS_PER_CALL} runs per call; ask in batches`));
    const report = await table.get('getReport')!.handle([ids(MAX_REPORT_RUNS + 1), { format: 'html' }]);
    expect(report).toMatchObject({ ok: false, code: 'bad-request' });
    expect(!report.ok && report.error).toMatch(
      /a report takes at most 64 runs; .*spectral-lab export --filter TEXT --format html/,
    );
  });
});

describe('getRuns and getCertifiedRadiiOfRuns', () => {
  it('answer for several runs of a real store in one call, in request order, as getRun and getCertifiedRadii do', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-batch-'));
    const store = await openStore({ dataDir: dir });
    try {
      const lab = new LabService({
        engine: new FakeEngine(),
        store: new SqliteStorePort(store, 'test'),
        dataDir: dir,
        shell: 'test',
        version: '0',
      });
      const made: string[] = [];
      for (const name of ['a', 'b', 'c']) {
        const rec = await store.createRun({ name, config: { seed: made.length } });
        const w = await store.writer(rec.id);
        await w.start('cpu');
        w.scalar('train/loss', 1, 0.5, 0.1);
        await w.finish('completed');
        await w.close();
        made.push(rec.id);
      }
      const order = [made[2], made[0], made[1]];
      const runs = await lab.getRuns(order);
      expect(runs.map((r) => r.name)).toEqual(['c', 'a', 'b']);
      expect(runs[1]).toEqual(await lab.getRun(made[0]));
      const radii = await lab.getCertifiedRadiiOfRuns(order, { step: 'latest' });
      expect(radii.map((r) => r.runId)).toEqual(order);
      expect(radii[0]).toEqual(await lab.getCertifiedRadii(made[2], { step: 'latest' }));
      await expect(lab.getRuns([made[0], 'no-such-run'])).rejects.toMatchObject({ code: 'not-found' });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
