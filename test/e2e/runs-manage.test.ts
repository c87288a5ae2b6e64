/**
 * Managing runs in a real browser against a real lab (`spectral-lab serve` as a child process, the built
 * renderer, headless Chromium): edit tags and notes and find the run by them after a reload; delete a run
 * (refused while it trains, then gone with its checkpoints); "New experiment from this run" submits the
 * same config. The lab's state is checked through the token-guarded HTTP API the page uses.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { LabError } from '../../src/shared/api.js';
import { HAVE_CHROMIUM, launchBrowser, screenshot, type Browser } from './support/browser.js';
import { startLabServer, type LabServer } from './support/lab-server.js';
import { ensureRenderer } from './support/renderer-build.js';

let lab: LabServer;
let browser: Browser;
let page: Page;
let finished = '';
let training = '';

/** A few steps of MNIST with an evaluation (and so a checkpoint) at the end. */
const short = {
  name: 'e2e managed run',
  dataset: { name: 'mnist', limitTrain: 256, limitTest: 128, validationSize: 0 },
  model: { arch: 'mnist-cnn' },
  batchSize: 32,
  maxSteps: 8,
  optimizer: { lr: 0.03 },
  evaluation: { everySteps: 8, trainSubset: 128, exactNorm: false, operatorIterations: 2, gramIterations: 0 },
};

async function waitForStatus(runId: string, want: string, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    last = (await lab.api('getRun', runId)).status;
    if (last === want) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`run ${runId} is still ${last} after ${timeoutMs} ms, not ${want}`);
}

async function openRun(runId: string): Promise<void> {
  await page.goto(`${lab.origin}/#/run/${encodeURIComponent(runId)}`);
  await page.waitForSelector(`[data-testid=view-run][data-run-id="${runId}"] [data-testid=run-status]`);
}

describe.skipIf(!HAVE_CHROMIUM)('managing runs in Chromium against serve', () => {
  beforeAll(async () => {
    await ensureRenderer();
    lab = await startLabServer();
    browser = await launchBrowser();
    page = browser.page;
    await page.goto(lab.url);
    await page.waitForSelector('[data-testid=view-runs]');
    if (await page.isVisible('[data-testid=missing-dismiss]')) await page.click('[data-testid=missing-dismiss]');
    finished = (await lab.api('startRun', short)).runId;
    await waitForStatus(finished, 'completed');
    training = (
      await lab.api('startRun', {
        ...short,
        name: 'e2e still training',
        maxSteps: 100_000,
        evaluation: { ...short.evaluation, everySteps: 4 },
      })
    ).runId;
    await waitForStatus(training, 'running');
  }, 300_000);

  afterEach(() => lab?.assertAlive());
  afterAll(async () => {
    await browser?.close();
    await lab?.close();
  });

  it('edits tags and notes; after a reload the page shows them and the runs filter finds the run by them', async () => {
    await openRun(finished);
    await page.fill('[data-testid=edit-tags]', 'baseline, e2e-tagged');
    await page.fill('[data-testid=edit-notes]', 'Learning rate 0.03 looked too high.');
    await page.click('[data-testid=save-notes]');
    await page.waitForSelector('[data-testid=notes-saved]');
    expect(await lab.api('getRun', finished)).toMatchObject({
      tags: ['baseline', 'e2e-tagged'],
      notes: 'Learning rate 0.03 looked too high.',
    });

    await page.reload();
    await page.waitForSelector(`[data-testid=view-run][data-run-id="${finished}"] [data-testid=edit-tags]`);
    expect(await page.inputValue('[data-testid=edit-tags]')).toBe('baseline, e2e-tagged');
    expect(await page.inputValue('[data-testid=edit-notes]')).toBe('Learning rate 0.03 looked too high.');
    // The finished run's stored log is shown (evaluation included), and its full settings.
    await expect.poll(() => page.textContent('[data-testid=run-log]')).toMatch(/evaluation at step 8 .*test accuracy/);
    expect(await page.textContent('[data-testid="setting-optimizer.lr"]')).toContain('0.03');

    await page.goto(`${lab.origin}/#/runs`);
    await page.waitForSelector(`[data-testid=run-row-${finished}]`);
    await page.fill('[data-testid=runs-filter]', 'too high');
    await expect.poll(() => page.getAttribute('[data-testid=runs-table]', 'data-row-count')).toBe('1');
    expect(await page.isVisible(`[data-testid=run-row-${finished}]`)).toBe(true);
    await page.fill('[data-testid=runs-filter]', 'e2e-tagged');
    await expect.poll(() => page.getAttribute('[data-testid=runs-table]', 'data-row-count')).toBe('1');
    // Test accuracy comes from the evaluation: a percentage for the finished run.
    expect(await page.textContent(`[data-testid=run-row-${finished}] [data-testid=run-acc]`)).toMatch(/\d+(\.\d)?\s?%/);
    await page.fill('[data-testid=runs-filter]', '');
    await screenshot(page, 'runs-manage-list');
  });

  it('refuses to delete a training run, then deletes it with its checkpoints once cancelled', async () => {
    await openRun(training);
    await page.click('[data-testid=btn-delete]');
    await page.waitForSelector('[data-testid=delete-active-note]');
    await page.click('[data-testid=btn-delete-confirm]');
    await expect
      .poll(() => page.textContent('[data-testid=delete-refused]'))
      .toMatch(/running.*cannot be deleted.*Cancel it first/s);
    expect((await lab.api('getRun', training)).status).toBe('running');
    await page.click('[data-testid=btn-delete-keep]');

    // Cancelled once it has a checkpoint (one per evaluation, every 4 steps).
    await expect
      .poll(async () => (await lab.api('getRun', training)).checkpoints.length, { timeout: 90_000 })
      .toBeGreaterThan(0);
    await lab.api('cancelRun', training);
    await waitForStatus(training, 'cancelled');
    const ckptDir = path.join(lab.dataDir, 'checkpoints', training);
    await expect.poll(() => existsSync(ckptDir)).toBe(true);

    // The cancelled run's page offers to resume it from its last checkpoint; it trains again, same id.
    // Still on its page: the page learns of the cancel from the pushed status and offers to resume.
    await openRun(training);
    const resume = page.locator('[data-testid=btn-resume-checkpoint]');
    await resume.waitFor();
    const from = Number(/Resume from step (\d+)/.exec((await resume.textContent()) ?? '')?.[1]);
    expect(from).toBeGreaterThanOrEqual(4);
    await resume.click();
    await page.waitForSelector('[data-testid=run-status][data-status=running]');
    await expect
      .poll(async () => (await lab.api('getRun', training)).lastStep, { timeout: 60_000 })
      .toBeGreaterThan(from);
    await lab.api('cancelRun', training);
    await waitForStatus(training, 'cancelled');

    await page.goto(`${lab.origin}/#/runs`);
    await page.waitForSelector(`[data-testid=select-${training}]`);
    await page.click(`[data-testid=select-${training}]`);
    await page.click('[data-testid=btn-delete]');
    await page.waitForSelector('[data-testid=delete-confirm]');
    await page.click('[data-testid=btn-delete-confirm]');
    await page.waitForSelector(`[data-testid=run-row-${training}]`, { state: 'detached' });
    const gone = (await lab.api('getRun', training).catch((e: unknown) => e)) as LabError;
    expect(gone.code).toBe('not-found');
    expect((await lab.api('listRuns', {})).runs.map((r) => r.id)).toEqual([finished]);
    expect(existsSync(ckptDir) ? readdirSync(ckptDir) : [], 'its checkpoint files are deleted too').toEqual([]);
  });

  it('"New experiment from this run" opens the form filled in and submits the same config', async () => {
    await openRun(finished);
    await page.click('[data-testid=new-from-run]');
    await page.waitForSelector('[data-testid=from-run]');
    await expect.poll(() => page.textContent('[data-testid=form-status]')).toMatch(/valid/);
    await page.click('[data-testid=btn-start]');
    await page.waitForFunction((id) => /#\/run\/[^/?]+/.test(location.hash) && !location.hash.includes(id), finished);
    const copy = decodeURIComponent(/#\/run\/([^/?]+)/.exec(page.url())?.[1] ?? '');
    const [a, b] = await Promise.all([lab.api('getRun', finished), lab.api('getRun', copy)]);
    expect(b.config).toEqual(a.config);
    expect(b.tags).toEqual(a.tags);
    await lab.api('cancelRun', copy).catch(() => undefined);
    expect(browser.errors).toEqual([]);
  });
});
