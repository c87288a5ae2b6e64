/**
 * Compare at the scale of a sweep (issue 15), in Chromium against `serve`: a recorded sweep of 150 runs
 * (25 β x 6 seeds) opens from the Sweeps view's "Compare all" with no error; it is drawn as 25 seed
 * groups, or every run on request (listed in the legend under its group), in colours that never repeat; the plot keeps the height it has for 2
 * runs, the legend outside it scrolls and hovering an entry highlights its line; a zoom asks each run
 * for no more points than the chart is wide in device pixels.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RUNS_PER_CALL } from '../../src/shared/api.js';
import { expandSweep } from '../../src/shared/sweep.js';
import { openStore } from '../../src/main/store/index.js';
import { HAVE_CHROMIUM, launchBrowser, screenshot, type Browser } from './support/browser.js';
import { ensureRenderer } from './support/renderer-build.js';
import { spawnServe, type ServeProcess } from './support/serve-process.js';

const BETAS = Array.from({ length: 25 }, (_, i) => Number((0.01 * (i + 1)).toFixed(2)));
const SEEDS = [0, 1, 2, 3, 4, 5];
/** More loss points per run than the overview loads (2,000), so a zoom reads the range again. */
const STEPS = 2400;
const SHOTS = process.env.COMPARE_SHOTS;

/** The sweep written straight into a store, as finished runs (queued for Redis, so serve trains none). */
async function recordSweep(dataDir: string): Promise<string[]> {
  const store = await openStore({ dataDir });
  const spec = {
    name: 'compare-150',
    base: { regularizer: { kind: 'f4-min', beta: 0.1 } },
    grid: { 'regularizer.beta': BETAS, seed: SEEDS },
  };
  const x = expandSweep(spec);
  const { runIds } = await store.sweeps.create({ name: x.name, spec, keys: x.keys, items: x.items, target: 'redis' });
  for (const [i, id] of runIds.entries()) {
    const beta = Number(x.items[i].assignment['regularizer.beta']);
    const seed = Number(x.items[i].assignment.seed);
    await store.sweeps.claim('redis', id);
    const w = await store.writer(id);
    await w.start('cpu');
    for (let s = 1; s <= STEPS; s++) w.scalar('train/loss', s, (1 + beta * 10) / Math.sqrt(s) + 0.01 * seed, s / 100);
    w.scalar('eval/test_acc', STEPS, 0.9 - beta, STEPS / 100);
    await w.finish('completed');
    await w.close();
  }
  await store.close();
  return runIds;
}

const legend = (page: Page) => page.locator('[data-testid=compare-loss-legend]');

/** With COMPARE_SHOTS set: the viewport (no scrolling, so a hover stays) in the light and the dark theme. */
async function shots(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => (document.documentElement.dataset.theme = t), theme);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SHOTS, `compare-${name}-${theme}.png`) });
  }
  await page.evaluate(() => delete document.documentElement.dataset.theme);
}

async function plotHeight(page: Page): Promise<number> {
  await page.waitForFunction(
    () => Number(document.querySelector('[data-testid=compare-loss]')?.getAttribute('data-point-count') ?? 0) > 0,
    null,
    { timeout: 60_000 },
  );
  return Number(await page.getAttribute('[data-testid=compare-loss]', 'data-plot-height'));
}

describe.skipIf(!HAVE_CHROMIUM)('Compare a sweep of 150 runs', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'compare-sweep-e2e-'));
  let serve: ServeProcess | undefined;
  let browser: Browser | undefined;
  let ids: string[] = [];

  beforeAll(async () => {
    await ensureRenderer();
    ids = await recordSweep(dataDir);
    serve = await spawnServe({ dataDir });
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop(5000);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens all 150 from the Sweeps view, grouped, with the plot as tall as for 2 runs and a legend that scrolls', async () => {
    const page = browser!.page;
    await page.goto(`${serve!.link.href}#/compare?runs=${ids.slice(0, 2).join(',')}`);
    const twoRuns = await plotHeight(page);
    expect(twoRuns).toBeGreaterThan(150);

    await page.goto(`${serve!.link.href}#/sweeps`);
    // The runs and their certified radii are read in one call each, not one per run.
    const calls: string[] = [];
    const onCall = (r: Request) => {
      const m = /\/api\/(getRuns?|getCertifiedRadii(?:OfRuns)?)$/.exec(new URL(r.url()).pathname);
      if (m) calls.push(m[1]);
    };
    page.on('request', onCall);
    await page.click('[data-testid=sweep-compare]');
    await page.waitForSelector('[data-testid=view-compare] [data-testid=config-diff]', { timeout: 60_000 });
    await page.waitForSelector('[data-testid=compare-certified-empty]');
    page.off('request', onCall);
    expect(calls.sort()).toEqual(['getCertifiedRadiiOfRuns', 'getRuns']);
    expect(await page.textContent('[data-testid=view-compare]')).toContain('150 run(s)');
    expect(await page.locator('[data-testid=view-compare] [role=alert]').count()).toBe(0);
    expect(await plotHeight(page)).toBe(twoRuns);
    // One line per seed group (mean ± sd), one legend entry each.
    await expect.poll(() => legend(page).getAttribute('data-entries')).toBe('25');
    // The groups' labels drop the fields they all share (named once above them); the tooltip keeps the full label.
    const first = legend(page).locator('li[data-series]').first();
    expect((await first.locator('.label').textContent())?.trim()).toBe('β=0.01 (seeds 0, 1, 2, 3, 4, 5) mean ± sd');
    expect(await first.getAttribute('title')).toMatch(/^mnist · mnist-cnn · f4-min · β=0\.01 \(seeds/);
    expect(await page.textContent('[data-testid=compare-loss-legend-shared]')).toContain('mnist · mnist-cnn · f4-min');
    expect(await page.locator('[data-testid^=summary-row-]').count()).toBe(150);
    // The config differences: a row per run, a column per swept field, nothing to scroll sideways.
    const diff = page.locator('[data-testid=config-diff]');
    expect(await diff.getAttribute('data-layout')).toBe('by-run');
    expect(await diff.locator('[data-testid^=diff-run-]').count()).toBe(150);
    expect((await diff.locator('thead th').allTextContents()).map((t) => t.trim())).toEqual([
      'Run',
      'regularizer.beta',
      'seed',
    ]);
    expect(await diff.locator(`[data-testid=diff-run-${ids[7]}] td`).allTextContents()).toEqual([
      expect.stringContaining('beta=0.02, seed=1'),
      '0.02',
      '1',
    ]);
    const scroll = await diff.locator('.tall').evaluate((el) => ({ sw: el.scrollWidth, cw: el.clientWidth }));
    expect(scroll.sw).toBeLessThanOrEqual(scroll.cw);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shots(page, '150-runs-grouped');

    await page.check('[data-testid=compare-every-run]');
    await expect.poll(() => legend(page).getAttribute('data-entries'), { timeout: 30_000 }).toBe('150');
    expect(await plotHeight(page)).toBe(twoRuns);
    // Listed under their seed groups, by what differs in their names ("compare-150 · " dropped).
    expect(await legend(page).locator('[data-legend-group]').count()).toBe(25);
    const labels = await legend(page).locator('li[data-series] .label').allTextContents();
    expect(labels[0].trim()).toBe('beta=0.01, seed=0');
    for (const l of labels) expect(l.trim()).toMatch(/^beta=0\.\d+, seed=\d$/);
    const box = await legend(page).evaluate((el) => ({
      scroll: el.scrollHeight,
      client: el.clientHeight,
      overflow: getComputedStyle(el).overflowY,
    }));
    expect(box.overflow).toBe('auto');
    expect(box.scroll).toBeGreaterThan(box.client * 2);
    // 150 lines, 150 colours.
    const colors = await legend(page)
      .locator('.swatch')
      .evaluateAll((els) => els.map((e) => getComputedStyle(e).borderTopColor));
    expect(new Set(colors).size).toBe(150);

    // Hovering an entry highlights its series; leaving the legend clears it.
    const entry = legend(page).locator('li[data-series]').nth(40);
    await entry.scrollIntoViewIfNeeded();
    await entry.hover();
    const series = await entry.getAttribute('data-series');
    await expect.poll(() => page.getAttribute('[data-testid=compare-loss]', 'data-highlight')).toBe(series);
    expect(await entry.getAttribute('class')).toContain('on');
    await shots(page, '150-runs-legend-hover');
    await page.mouse.move(5, 5);
    await expect.poll(() => page.getAttribute('[data-testid=compare-loss]', 'data-highlight')).toBe('');
    // Hovering a line highlights it and its legend entry.
    const c = (await page.locator('[data-testid=compare-loss] canvas').boundingBox()) as {
      x: number;
      y: number;
      width: number;
      height: number;
    };
    await page.mouse.move(c.x + c.width * 0.5, c.y + c.height * 0.7);
    await expect.poll(() => page.getAttribute('[data-testid=compare-loss]', 'data-highlight')).not.toBe('');
    const lit = (await page.getAttribute('[data-testid=compare-loss]', 'data-highlight')) as string;
    expect(await legend(page).locator(`li[data-series="${lit}"]`).getAttribute('class')).toContain('on');
    await page.mouse.move(5, 5);
    await screenshot(page, 'compare-150-runs');
    expect(browser!.errors).toEqual([]);
  });

  it('says "no radii" inside the certified chart\'s plot area, clear of its y-axis labels', async () => {
    const page = browser!.page;
    const empty = page.locator('[data-testid=compare-certified-empty]');
    await empty.scrollIntoViewIfNeeded();
    const box = async (l: ReturnType<Page['locator']>) => {
      const b = await l.boundingBox();
      if (!b) throw new Error('not drawn');
      return b;
    };
    const canvas = await box(page.locator('[data-testid=compare-certified] canvas'));
    const area = await box(empty);
    const text = await box(empty.locator('span'));
    // The y axis (ticks 0 to 1 and its title) is left of the plot area, the ε axis below it.
    expect(area.x - canvas.x).toBeGreaterThan(30);
    expect(area.y + area.height).toBeLessThan(canvas.y + canvas.height - 20);
    expect(text.x).toBeGreaterThanOrEqual(area.x);
    expect(text.x + text.width).toBeLessThanOrEqual(area.x + area.width + 0.5);
    // Centred in it.
    expect(Math.abs(text.x + text.width / 2 - (area.x + area.width / 2))).toBeLessThan(2);
  });

  it('zooms with reads of at most one point per device pixel of the drawn width, per run', async () => {
    const page = browser!.page;
    const asked: { runIds: string[]; budget: number }[] = [];
    const onRequest = (r: Request) => {
      if (!r.url().includes('/api/getSeries')) return;
      const q = (
        JSON.parse(r.postData() ?? '{}') as { args: [{ runIds: string[]; budget: number; fromStep?: number }] }
      ).args[0];
      if (q.fromStep !== undefined) asked.push(q);
    };
    page.on('request', onRequest);
    try {
      const canvas = page.locator('[data-testid=compare-loss] canvas');
      const b = (await canvas.boundingBox()) as { x: number; y: number; width: number; height: number };
      await page.mouse.move(b.x + b.width * 0.2, b.y + b.height / 2);
      await page.mouse.down();
      await page.mouse.move(b.x + b.width * 0.9, b.y + b.height / 2, { steps: 5 });
      await page.mouse.up();
      await expect
        .poll(() => page.getAttribute('[data-testid=compare-loss]', 'data-zoom-state'), { timeout: 60_000 })
        .toBe('full');
      const dpr = await page.evaluate(() => window.devicePixelRatio);
      expect(asked).toHaveLength(150);
      for (const q of asked) {
        expect(q.runIds).toHaveLength(1);
        expect(q.budget).toBeLessThanOrEqual(Math.ceil(b.width * Math.min(dpr, 2)));
        expect(q.budget).toBeLessThan(STEPS);
      }
      expect(browser!.errors).toEqual([]);
    } finally {
      page.off('request', onRequest);
    }
  });

  it('says how to compare fewer when more runs are asked for than the lab reads at once, and reads no run', async () => {
    const page = browser!.page;
    let calls = 0;
    const count = (r: Request) =>
      void (
        /\/api\/(getRuns?|runSummaries|diffConfigs|getSeries|getCertifiedRadii(OfRuns)?)$/.test(
          new URL(r.url()).pathname,
        ) && calls++
      );
    await page.goto(`${serve!.link.href}#/runs`);
    await page.waitForSelector('[data-testid=view-runs]');
    page.on('request', count);
    try {
      const many = Array.from({ length: MAX_RUNS_PER_CALL + 1 }, (_, i) => `no-such-run-${i}`);
      await page.evaluate((h) => (location.hash = h), `#/compare?runs=${many.join(',')}`);
      await page.waitForSelector('[data-testid=compare-too-many]');
      expect(await page.textContent('[data-testid=compare-too-many]')).toMatch(
        new RegExp(
          `at most ${MAX_RUNS_PER_CALL} runs at once, and ${MAX_RUNS_PER_CALL + 1} are selected. Select fewer`,
        ),
      );
      expect(calls).toBe(0);
    } finally {
      page.off('request', count);
    }
  });
});
