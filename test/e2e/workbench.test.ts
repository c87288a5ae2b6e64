/**
 * The workbench in a real browser against a real lab: the `spectral-lab serve` command run as a child
 * process, as a user runs it (SQLite store, engine worker threads, the built renderer in out/renderer),
 * driven by headless Chromium; the test checks the lab's state through the same token-guarded HTTP API
 * the page uses. One lab and one browser for the whole file; the tests run in order (later ones look at
 * the runs earlier ones made). Screenshots go to test-results/screenshots/.
 */
import { readFileSync } from 'node:fs';
import { methodSpec } from '../../src/shared/bound-methods.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  HAVE_CHROMIUM,
  CHROMIUM,
  launchBrowser,
  pointCount,
  screenshot,
  waitForPoints,
  type Browser,
} from './support/browser.js';
import { fieldError, fillForm, quickMnist } from './support/form.js';
import { startLabServer, type LabServer } from './support/lab-server.js';
import { ensureRenderer } from './support/renderer-build.js';

let lab: LabServer;
let browser: Browser;
let page: Page;
const runIds: string[] = [];

const status = (p: Page) => p.getAttribute('[data-testid=run-status]', 'data-status');
const waitStatus = (p: Page, s: string, timeout = 30_000) =>
  p.waitForSelector(`[data-testid=run-status][data-status=${s}]`, { timeout });
const runIdFromUrl = (p: Page) => decodeURIComponent(/#\/run\/([^/?]+)/.exec(p.url())?.[1] ?? '');

if (!HAVE_CHROMIUM)
  console.warn(`e2e: skipped, no browser at ${CHROMIUM} (apt install chromium, or set SPECTRAL_LAB_CHROMIUM).`);

describe.skipIf(!HAVE_CHROMIUM)('the workbench in Chromium against serve', () => {
  beforeAll(async () => {
    await ensureRenderer();
    lab = await startLabServer();
    browser = await launchBrowser();
    page = browser.page;
    await page.goto(lab.url);
    await page.waitForSelector('[data-testid=view-runs]');
    // The optional-pieces notice (no Electron here) is dismissed once so screenshots show the views.
    await page.waitForSelector('[data-testid=lab-backend]', { timeout: 60_000 });
    if (await page.isVisible('[data-testid=missing-dismiss]')) await page.click('[data-testid=missing-dismiss]');
  }, 240_000);

  // A server that died mid-file fails the test that saw it, with the server's output.
  afterEach(() => lab?.assertAlive());

  afterAll(async () => {
    await browser?.close();
    await lab?.close();
  });

  describe('serve access', () => {
    it('refuses API requests without the token, and with a wrong one', async () => {
      const none = await fetch(`${lab.origin}/api/listRuns`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"args":[]}',
      });
      expect(none.status).toBe(401);
      expect(await none.json()).toMatchObject({
        ok: false,
        code: 'unauthorized',
        hint: expect.stringContaining('token'),
      });
      const wrong = await fetch(`${lab.origin}/api/listRuns`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer 1234' },
        body: '{"args":[]}',
      });
      expect(wrong.status).toBe(403);
      const pageNoToken = await fetch(`${lab.origin}/`);
      expect(pageNoToken.status).toBe(401);
      expect(await pageNoToken.text()).not.toContain('<div id="app">');
    });

    it('loads the UI under the strict CSP with the token (cookie) and removes the token from the address bar', async () => {
      expect(page.url()).not.toContain('token=');
      const csp =
        (await fetch(`${lab.origin}/`, { headers: { Authorization: `Bearer ${lab.token}` } })).headers.get(
          'content-security-policy',
        ) ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(browser.errors).toEqual([]);
    });
  });

  describe('new experiment form', () => {
    it('refuses bad input at the field and starts nothing', async () => {
      await page.keyboard.press('n');
      await page.waitForSelector('[data-testid=view-new] [data-testid=field-regularizer\\.beta]');
      await fillForm(page, {
        'regularizer.beta': '-1',
        'certification.epsilons': '0.5, 20',
        'dataset.path': '   ',
        batchSize: '12.5',
      });
      await expect.poll(() => fieldError(page, 'regularizer.beta').textContent()).toMatch(/β .*≥ 0/);
      expect(await fieldError(page, 'certification.epsilons').textContent()).toMatch(/20 is out of range/);
      expect(await fieldError(page, 'dataset.path').textContent()).toMatch(/blank/);
      expect(await fieldError(page, 'batchSize').textContent()).toMatch(/whole number/);
      expect(await page.getAttribute('[data-testid="field-regularizer.beta"]', 'aria-invalid')).toBe('true');
      await page.click('[data-testid=btn-start]');
      await page.waitForSelector('[data-testid=submit-error]');
      expect(page.url()).toContain('#/new');
      await screenshot(page, 'new-experiment-errors');

      // A rule only the lab knows (a regulariser with beta 0) comes back from validateConfig to the field.
      await page.click('[data-testid=btn-reset]');
      await fillForm(page, { 'regularizer.kind': 'f4-min', 'regularizer.beta': '0' });
      await expect
        .poll(() => fieldError(page, 'regularizer.beta').textContent(), { timeout: 5000 })
        .toMatch(/beta > 0/);
      expect((await lab.api('listRuns', {})).total).toBe(0);
    });

    it('creates a quick MNIST run from a preset and the form; loss and bound charts receive points; pause and resume', async () => {
      await page.click('[data-testid=btn-reset]');
      const preset = page.locator('[data-testid^=preset-mnist]').first();
      if ((await preset.count()) > 0) await preset.click();
      // Long enough (40 epochs of 28 steps) that it is still training when the later tests pause and compare it,
      // however fast the machine trains; closing the lab stops it.
      await fillForm(page, quickMnist('e2e quick mnist', 40, 0.01));
      await expect.poll(() => page.textContent('[data-testid=form-status]')).toMatch(/valid/);
      await screenshot(page, 'new-experiment');
      await page.click('[data-testid=btn-start]');
      await page.waitForSelector('[data-testid=view-run]');
      runIds.push(runIdFromUrl(page));
      expect(runIds[0]).not.toBe('');

      await waitForPoints(page, 'chart-loss', 4, 90_000);
      await waitForPoints(page, 'chart-bounds', 2, 90_000);
      await expect.poll(() => page.textContent('[data-testid=run-backend]')).toMatch(/backend: (wasm|cpu|tensorflow)/);
      await expect.poll(() => page.locator('[data-testid^=layer-row-]').count()).toBeGreaterThan(1);
      await screenshot(page, 'run-live');

      await page.click('[data-testid=btn-pause]');
      await waitStatus(page, 'paused');
      const frozen = await pointCount(page, 'chart-loss');
      await page.waitForTimeout(1500);
      expect(await pointCount(page, 'chart-loss')).toBe(frozen);
      await screenshot(page, 'run-paused');
      // The bound chart holds every evaluation, the first one too (pushed before the layer was known).
      await page.click('[data-testid=chart-bounds-export]');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click('[data-testid=chart-bounds-export-csv]'),
      ]);
      const rows = readFileSync((await download.path()) as string, 'utf8')
        .trim()
        .split('\n')
        .slice(1);
      const steps = new Set(
        rows.filter((r) => r.startsWith(`conv1 ${methodSpec('f4')?.label}`)).map((r) => Number(r.split(',')[2])),
      );
      expect(steps.has(10)).toBe(true);

      await page.locator('body').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('Space');
      await waitStatus(page, 'running');
      await waitForPoints(page, 'chart-loss', frozen + 2, 60_000);
      // The run goes on training (the later tests compare it while it runs; closing the lab stops it).
      expect(browser.errors).toEqual([]);
    }, 180_000);

    it('cancels another run while it trains (alongside the first)', async () => {
      await page.keyboard.press('n');
      await fillForm(page, quickMnist('e2e baseline to cancel', 2, 0));
      await page.click('[data-testid=btn-start]');
      await page.waitForSelector('[data-testid=view-run]');
      runIds.push(runIdFromUrl(page));
      await waitForPoints(page, 'chart-loss', 2, 60_000);
      await page.click('[data-testid=btn-cancel]');
      await page.click('[data-testid=btn-cancel-confirm]');
      await waitStatus(page, 'cancelled');
      expect(await status(page)).toBe('cancelled');
      expect((await lab.api('getRun', runIds[1])).status).toBe('cancelled');
    }, 120_000);
  });

  describe('runs, compare, exports, bounds', () => {
    it('lists, filters and multi-selects runs, then compares them with a config diff', async () => {
      // The first run is paused from here on, so the charts hold still for the exact export checks.
      expect((await lab.api('pauseRun', runIds[0])).status).toBe('paused');
      await page.keyboard.press('r');
      await page.waitForSelector(`[data-testid=run-row-${runIds[1]}]`);
      await page.fill('[data-testid=runs-filter]', 'cancel');
      await expect.poll(() => page.getAttribute('[data-testid=runs-table]', 'data-row-count')).toBe('1');
      await page.fill('[data-testid=runs-filter]', 'e2e');
      await expect.poll(() => page.getAttribute('[data-testid=runs-table]', 'data-row-count')).toBe('2');
      for (const id of runIds) await page.check(`[data-testid=select-${id}]`);
      await screenshot(page, 'runs');
      await page.keyboard.press('c');
      await page.waitForSelector('[data-testid=view-compare] [data-testid=config-diff]');
      const diffRows = page.locator('[data-testid=config-diff] tbody tr');
      await expect.poll(() => diffRows.count()).toBeGreaterThan(0);
      const paths = await page.locator('[data-testid=config-diff] tbody tr td:first-child').allTextContents();
      expect(paths).toEqual(expect.arrayContaining(['name', 'regularizer.kind', 'regularizer.beta']));
      expect(paths).not.toContain('batchSize');
      expect(await page.locator('[data-testid^=summary-row-]').count()).toBe(2);
      await waitForPoints(page, 'compare-loss', 4);
      await screenshot(page, 'compare');
    });

    it('exports a chart as CSV, PNG and SVG holding exactly the plotted points', async () => {
      const id = 'compare-loss';
      await waitForPoints(page, id, 4);
      const plotted = await pointCount(page, id);
      const save = async (kind: string) => {
        await page.click(`[data-testid=${id}-export]`); // the toolbar's Export menu
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.click(`[data-testid=${id}-export-${kind}]`),
        ]);
        // File names carry the compared runs' names and the metric (issue 10), in the order Compare lists them.
        const name = download.suggestedFilename();
        expect(name).toMatch(
          new RegExp(
            `^e2e-(quick-mnist|baseline-to-cancel)-e2e-(quick-mnist|baseline-to-cancel)_train-loss\\.${kind}$`,
          ),
        );
        expect(name).toContain('quick-mnist');
        expect(name).toContain('baseline-to-cancel');
        return readFileSync((await download.path()) as string);
      };
      const csv = save('csv').then((b) => b.toString('utf8').trim().split(/\r?\n/)); // RFC 4180 rows end in CRLF
      const lines = await csv;
      expect(lines[0]).toBe('series,role,step,loss');
      const lineRows = lines.slice(1).filter((l) => l.split(',').at(-3) === 'line' && l.split(',').at(-1) !== '');
      expect(lineRows.length).toBe(plotted);
      expect(lines.slice(1).every((l) => /^"?e2e /.test(l))).toBe(true);

      const png = await save('png');
      expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
      expect(png.length).toBeGreaterThan(2000);

      const svg = (await save('svg')).toString('utf8');
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      const drawn = [...svg.matchAll(/<polyline points="([^"]+)"/g)].reduce((n, m) => n + m[1].split(' ').length, 0);
      expect(drawn).toBe(plotted);
      expect(svg).toContain('e2e quick mnist');
    });

    it('zooms a chart by dragging across it and resets', async () => {
      const full = await pointCount(page, 'compare-loss');
      const canvas = page.locator('[data-testid=compare-loss] canvas');
      const box = (await canvas.boundingBox()) as { x: number; y: number; width: number; height: number };
      await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
      await page.mouse.up();
      await expect.poll(() => page.getAttribute('[data-testid=compare-loss]', 'data-zoomed')).toBe('true');
      const zoomed = await pointCount(page, 'compare-loss');
      expect(zoomed).toBeGreaterThan(0);
      expect(zoomed).toBeLessThan(full);
      await screenshot(page, 'compare-zoomed');
      await page.click('[data-testid=compare-loss-zoom-reset]');
      expect(await page.getAttribute('[data-testid=compare-loss]', 'data-zoomed')).toBe('false');
      await expect.poll(() => pointCount(page, 'compare-loss')).toBe(full);
    });

    it('shows per-layer tightness over training and no alarm for correct bounds', async () => {
      await page.goto(`${lab.origin}/#/bounds/${encodeURIComponent(runIds[0])}`);
      await page.waitForSelector('[data-testid=tightness-heatmap]');
      expect(Number(await page.getAttribute('[data-testid=tightness-heatmap]', 'data-cells'))).toBeGreaterThan(0);
      expect(await page.getAttribute('[data-testid=bound-alarms]', 'data-count')).toBe('0');
      await expect.poll(() => page.locator('[data-testid^=layer-row-]').count()).toBeGreaterThan(1);
      // The first conv layer's singular-value histogram (64 bars drawn as an outline) and its exact-norm marker.
      expect(await waitForPoints(page, 'chart-spectrum', 64 * 3, 30_000)).toBeGreaterThanOrEqual(64 * 3 + 2);
      await screenshot(page, 'bound-explorer');
    });

    it('remembers the dark theme and shows the shortcut help', async () => {
      await page.selectOption('[data-testid=theme-select]', 'dark');
      await page.reload();
      await page.waitForSelector('[data-testid=view-bounds] [data-testid=tightness-heatmap]');
      expect(await page.getAttribute('html', 'data-theme')).toBe('dark');
      await screenshot(page, 'bound-explorer-dark');
      await page.goto(`${lab.origin}/#/run/${encodeURIComponent(runIds[0])}`);
      await waitForPoints(page, 'chart-loss', 4);
      await screenshot(page, 'run-dark');
      await page.keyboard.press('?');
      await page.waitForSelector('[data-testid=help-overlay]');
      expect(await page.textContent('[data-testid=help-overlay]')).toContain('Pause / resume this run');
      await screenshot(page, 'help-dark');
      await page.keyboard.press('Escape');
      await page.keyboard.press('r');
      await page.waitForSelector('[data-testid=view-runs]');
      await screenshot(page, 'runs-dark');
      expect(browser.errors).toEqual([]);
    });
  });
});
