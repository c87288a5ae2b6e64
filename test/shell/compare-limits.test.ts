/**
 * Compare at the scale of a sweep: the API takes a few hundred runs per call (the workbench asks in batches),
 * and past its limits it says what to do, not a schema's wording.
 */
import { describe, expect, it } from 'vitest';
import { MAX_REPORT_RUNS, MAX_RUNS_PER_CALL } from '../../src/shared/api.js';
import { buildHandlerTable } from '../../src/main/app/handlers.js';
import { LabService } from '../../src/main/app/service.js';
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
