/**
 * The workbench's reproduce calls (app/reproduce.ts over reproduce/job.ts) with real worker threads and a real
 * store: a call pushes its state from queued through every run to done and writes its result where the list
 * finds it; a second start while one runs is refused ('busy'); saved runs are drawn again without training; a
 * cancel stops the running run (left cancelled in the store) and writes nothing, as does the run page's cancel
 * of the run training now, and a cancel during the analysis (which computes bounds in this process, after the
 * experiment list loaded the backend probes here: fails without tf.ready() in usableBackends).
 */
import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabError, type LabEvent, type ReproduceJob } from '../../src/shared/api.js';
import { safeParseRunConfig } from '../../src/shared/config.js';
import { ReproduceControl } from '../../src/main/app/reproduce.js';
import { openStore, type Store } from '../../src/main/store/index.js';
import { tempDir } from '../store/helpers.js';

const validateConfig = (c: unknown) => {
  const r = safeParseRunConfig(c);
  return r.success ? ({ ok: true, value: r.data } as const) : ({ ok: false, error: r.error.message } as const);
};

let store: Store | null = null;
beforeAll(async () => {
  store = await openStore({ dataDir: tempDir('reproduce-control'), validateConfig });
});
afterAll(async () => {
  await store?.close();
});

/** Starts a call and resolves with every job state pushed until it ended. */
async function runToEnd(
  control: ReproduceControl,
  request: Parameters<ReproduceControl['start']>[0],
  onEvent: (job: ReproduceJob) => void = () => {},
): Promise<ReproduceJob[]> {
  const states: ReproduceJob[] = [];
  let ended: () => void = () => {};
  const done = new Promise<void>((r) => (ended = r));
  await control.start(request, (e: LabEvent) => {
    if (e.kind !== 'reproduce') return;
    states.push(e.job);
    onEvent(e.job);
    if (!['queued', 'running'].includes(e.job.state)) ended();
  });
  await done;
  return states;
}

describe('reproduce from the workbench', () => {
  it('runs a call to done, refuses a second meanwhile, lists and draws its result, and redraws saved runs', async () => {
    const s = store!;
    const control = new ReproduceControl(s);
    const names = (await control.experiments()).map((e) => e.name);
    expect(names).toEqual(['tightness', 'generalisation', 'robustness', 'curvature', 'overhead']);

    let refused: unknown = null;
    const states = await runToEnd(control, { experiment: 'curvature', size: 'smoke', seeds: 1 }, (job) => {
      if (job.run && !refused)
        refused = control.start({ experiment: 'robustness', size: 'smoke', seeds: 1 }, () => {}).catch((e) => e);
    });
    const busy = await refused;
    expect(busy).toBeInstanceOf(LabError);
    expect((busy as LabError).code).toBe('busy');
    expect((busy as LabError).hint).toMatch(/cancel it in the Reproduce view/);

    const last = states.at(-1)!;
    expect(last).toMatchObject({ state: 'done', runCount: 2, fraction: 1, error: null });
    expect(states.map((s) => s.state)[0]).toBe('queued');
    // Progress went through both runs, with an ETA while training.
    expect(new Set(states.map((s) => s.run?.runId).filter(Boolean))).toEqual(new Set(states.at(-1)!.runIds));
    expect(states.some((s) => s.phase === 'training' && s.etaSeconds !== null)).toBe(true);
    expect(last.runIds).toHaveLength(2);
    for (const id of last.runIds) {
      expect(control.writes(id)).toBe(true);
      expect((await s.getRun(id)).tags).toContain('reproduce:curvature');
    }

    const [info] = await control.results();
    expect(info).toMatchObject({ id: last.id, experiment: 'curvature', size: 'smoke', drawn: true });
    expect(info.runIds).toEqual(last.runIds);
    const result = await control.result(last.id);
    expect(result.findings.join('\n')).toMatch(/curvature bound K/);
    expect(result.tables[0].rows.map((r) => r[0])).toEqual(['no regulariser', 'F4 β=0.3']);
    expect(result.tables[0].columns.length).toBe(result.tables[0].rows[0].length);

    // Drawn again from the saved runs: no run trained, the same result folder rewritten.
    const runsBefore = (await s.listRuns({})).total;
    const redraw = await runToEnd(control, { experiment: 'curvature', size: 'quick', seeds: 3, from: last.id });
    expect(redraw.at(-1)).toMatchObject({ state: 'done', id: last.id, size: 'smoke', seeds: 1, runCount: 0 });
    expect((await s.listRuns({})).total).toBe(runsBefore);
    await expect(control.result('../../etc')).rejects.toMatchObject({ code: 'not-found' });
  }, 120_000);

  it('a cancel stops the running run, leaves it cancelled in the store, and writes nothing', async () => {
    const s = store!;
    const control = new ReproduceControl(s);
    let cancelled = false;
    const states = await runToEnd(control, { experiment: 'robustness', size: 'smoke', seeds: 1 }, (job) => {
      if (job.run && !cancelled) {
        cancelled = true;
        control.cancel(job.id);
      }
    });
    const last = states.at(-1)!;
    expect(last.state).toBe('cancelled');
    expect(last.error?.message).toMatch(/cancelled/);
    expect(last.error?.hint).toMatch(/reproduce:robustness/);
    expect((await s.getRun(last.runIds[0])).status).toBe('cancelled');
    expect(last.runIds).toHaveLength(1);
    expect(existsSync(last.outDir)).toBe(false);
    expect(readdirSync(`${s.paths.dataDir}/reproduce`).filter((f) => f.startsWith('robustness'))).toEqual([]);
  }, 120_000);

  it("the run page's cancel of the run training now stops the experiment", async () => {
    const s = store!;
    const control = new ReproduceControl(s);
    expect(control.control('no-such-run', 'cancel')).toBe(false);
    let asked = false;
    // The quick form: a run of minutes, so the request (taken within 0.3 s) surely lands while it trains.
    const states = await runToEnd(control, { experiment: 'curvature', size: 'quick', seeds: 1 }, (job) => {
      if (job.run && !asked) asked = control.control(job.run.runId, 'cancel');
    });
    expect(asked).toBe(true);
    const last = states.at(-1)!;
    expect(last.state).toBe('cancelled');
    expect(last.error?.message).toMatch(/cancelled from the workbench/);
    expect((await s.getRun(last.runIds[0])).status).toBe('cancelled');
  }, 60_000);

  it('a cancel while the runs are analysed stops the analysis and writes nothing', async () => {
    const s = store!;
    const control = new ReproduceControl(s);
    // Listing the experiments loads the backend probes into this process: the analysis computes bounds here after it.
    await control.experiments();
    const states = await runToEnd(control, { experiment: 'tightness', size: 'smoke', seeds: 1 }, (job) => {
      if (job.state === 'running' && (job.analysis?.done ?? 0) >= 2) control.cancel(job.id);
    });
    const last = states.at(-1)!;
    expect(states.some((j) => j.phase === 'analysing')).toBe(true);
    expect(last).toMatchObject({ state: 'cancelled', runCount: 2 });
    expect(last.error?.message).toMatch(/cancelled while analysing/);
    for (const id of last.runIds) expect((await s.getRun(id)).status).toBe('completed');
    expect(existsSync(last.outDir)).toBe(false);
  }, 60_000);
});
