/**
 * The Reproduce view in Chromium against `serve`: it lists the paper's five experiments with what they measure
 * and cost; the smoke form of `curvature` (2 runs of 3 steps, seconds) runs from the Run button end to end with
 * live progress, then shows its findings and its table, written under <store>/reproduce/<id>/; its runs are in
 * the runs list under the tag reproduce:curvature; a second start while one runs is refused; after a restart the
 * finished experiment is still listed and shown, and its saved runs are drawn again when their tables are gone;
 * the run page's Cancel of a run it trains stops the experiment.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_CHROMIUM, launchBrowser, screenshot, type Browser } from './support/browser.js';
import { ensureRenderer } from './support/renderer-build.js';
import { spawnServe, type ServeProcess } from './support/serve-process.js';

const NAMES = ['tightness', 'generalisation', 'robustness', 'curvature', 'overhead'];

describe.skipIf(!HAVE_CHROMIUM)('Reproduce view', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'reproduce-e2e-'));
  let serve: ServeProcess | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    await ensureRenderer();
    [serve, browser] = await Promise.all([spawnServe({ dataDir }), launchBrowser()]);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop(5000);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the smoke form of an experiment from the view: progress, findings, table, tagged runs', async () => {
    const page = browser!.page;
    await page.goto(`${serve!.link.href}#/reproduce`);
    for (const n of NAMES) await page.waitForSelector(`[data-testid="reproduce-exp-${n}"]`);
    expect(await page.locator('[data-testid^="reproduce-exp-"]').count()).toBe(5);
    expect(await page.textContent('[data-testid="reproduce-exp-robustness"]')).toMatch(/certified robust accuracy/);
    expect(await page.textContent('[data-testid="reproduce-out-pattern"]')).toBe(
      `${dataDir}/reproduce/<name>-<size>-<time>/`,
    );
    await page.selectOption('[data-testid="reproduce-size-curvature"]', 'full');
    expect(await page.textContent('[data-testid="reproduce-full-cost-curvature"]')).toMatch(/1 h per run/);
    await page.selectOption('[data-testid="reproduce-size-curvature"]', 'smoke');
    await page.fill('[data-testid="reproduce-seeds-curvature"]', '1');
    await page.click('[data-testid="reproduce-run-curvature"]');

    // Live progress: the job shows which run of how many trains, and the other Run buttons wait for it.
    await page.waitForSelector('[data-testid="reproduce-job"]');
    await page.waitForFunction(() =>
      /run [12] of 2/.test(document.querySelector('[data-testid="reproduce-progress"]')?.textContent ?? ''),
    );
    expect(await page.isDisabled('[data-testid="reproduce-run-robustness"]')).toBe(true);
    // A second start while one runs is refused with what to do (the lab checks it, not only the button).
    const refusal = await page.evaluate(async (token) => {
      const r = await fetch('/api/startReproduce', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ args: [{ experiment: 'robustness', size: 'smoke', seeds: 1 }] }),
      });
      return r.json();
    }, serve!.token);
    expect(refusal).toMatchObject({ ok: false, code: 'busy' });
    expect(refusal.hint).toMatch(/cancel it in the Reproduce view/);

    await page.waitForSelector('[data-testid="reproduce-job"][data-state="done"]', { timeout: 90_000 });
    await page.waitForSelector('[data-testid="reproduce-result"]');
    const id = await page.getAttribute('[data-testid="reproduce-result"]', 'data-result-id');
    expect(id).toMatch(/^curvature-smoke-/);
    expect(await page.evaluate(() => location.hash)).toBe(`#/reproduce/${id}`);
    expect(await page.textContent('[data-testid="reproduce-findings"]')).toMatch(/curvature bound K/);
    const table = page.locator('[data-testid="reproduce-table"] table');
    expect(await table.locator('tbody tr').count()).toBe(2); // the two arms
    expect(await table.locator('tbody').textContent()).toMatch(/no regulariser[\s\S]*F4 β=0\.3/);
    const outDir = join(dataDir, 'reproduce', id!);
    expect(await page.textContent('[data-testid="reproduce-result-dir"]')).toBe(outDir);
    expect(readdirSync(outDir).sort()).toEqual(['README.md', 'curvature.csv', 'curvature.md', 'result.json']);
    expect(existsSync(`${outDir}.json`)).toBe(true);
    expect(await page.locator('[data-testid="reproduce-result-row"]').count()).toBe(1);
    await screenshot(page, 'reproduce-done');

    // Its runs: the runs list filtered by the experiment's tag.
    await page.click('[data-testid="reproduce-job-runs"]');
    await page.waitForSelector('[data-testid="view-runs"]');
    expect(await page.inputValue('[data-testid="runs-filter"]')).toBe('reproduce:curvature');
    await page.waitForFunction(() =>
      /^2 of 2 run/.test(document.querySelector('[data-testid="runs-count"]')?.textContent ?? ''),
    );
    expect(browser!.errors).toEqual([]);
  }, 150_000);

  it('lists and shows the finished experiment after the lab restarts', async () => {
    await serve!.stop(5000);
    serve = await spawnServe({ dataDir });
    const page = browser!.page;
    await page.goto(`${serve.link.href}#/reproduce`);
    await page.waitForSelector('[data-testid="reproduce-result-row"]');
    expect(await page.locator('[data-testid="reproduce-job"]').count()).toBe(0);
    await page.click('[data-testid="reproduce-show"]');
    await page.waitForSelector('[data-testid="reproduce-table"]');
    expect(await page.textContent('[data-testid="reproduce-findings"]')).toMatch(/curvature bound K/);

    // Saved runs without drawn tables (as the command line leaves them): drawn here, without training.
    const id = await page.getAttribute('[data-testid="reproduce-result"]', 'data-result-id');
    rmSync(join(dataDir, 'reproduce', id!), { recursive: true });
    await page.goto(`${serve.link.href}#/reproduce`);
    await page.click('[data-testid="reproduce-draw"]');
    await page.waitForSelector(`[data-testid="reproduce-result"][data-result-id="${id}"]`, { timeout: 30_000 });
    expect(await page.textContent('[data-testid="reproduce-findings"]')).toMatch(/curvature bound K/);
    expect(await page.locator('[data-testid="reproduce-job-runs"]').textContent()).toMatch(/^0 runs/);
    expect(readdirSync(join(dataDir, 'reproduce', id!))).toContain('result.json');
    expect(browser!.errors).toEqual([]);
  }, 90_000);

  it("the run page's Cancel (cancelRun) of a run the experiment trains stops the experiment", async () => {
    const call = async (method: string, ...args: unknown[]) => {
      const r = await fetch(new URL(`/api/${method}`, serve!.origin), {
        method: 'POST',
        body: JSON.stringify({ args }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${serve!.token}` },
      });
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the reply is checked field by field below
      return (await r.json()) as { ok: boolean; result: any };
    };
    // The quick form: a run of minutes, so the cancel surely lands while it trains.
    expect((await call('startReproduce', { experiment: 'robustness', size: 'quick', seeds: 1 })).ok).toBe(true);
    let job = (await call('getReproduceJob')).result;
    while (!job.run) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await call('getReproduceJob')).result;
    }
    expect((await call('cancelRun', job.run.runId)).result).toEqual({ runId: job.run.runId, status: 'cancelled' });
    while (job.state === 'running') {
      await new Promise((r) => setTimeout(r, 100));
      job = (await call('getReproduceJob')).result;
    }
    expect(job.state).toBe('cancelled');
    expect(job.error.message).toMatch(/cancelled from the workbench/);
  }, 60_000);
});
