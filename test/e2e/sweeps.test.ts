/**
 * The Sweeps view in Chromium against `serve`: a recorded sweep of 6 runs (3 β x 2 seeds) shows as parallel
 * coordinates and a scatter; seed groups give 3 points; the Pareto front of clean vs certified accuracy
 * rings exactly the non-dominated runs; clicking a point opens its run; the grid editor lists a refused key
 * and queues nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandSweep } from '../../src/shared/sweep.js';
import { openStore } from '../../src/main/store/index.js';
import { HAVE_CHROMIUM, launchBrowser, screenshot, type Browser } from './support/browser.js';
import { ensureRenderer } from './support/renderer-build.js';
import { spawnServe, type ServeProcess } from './support/serve-process.js';

const EPS = 0.5;
/** Clean and certified accuracy per (β, seed): a larger β trades clean for certified accuracy; (β 0.1, seed 1) is dominated. */
const RESULTS: Record<string, [number, number]> = {
  '0.01/0': [0.95, 0.1],
  '0.01/1': [0.94, 0.12],
  '0.1/0': [0.9, 0.3],
  '0.1/1': [0.85, 0.25],
  '1/0': [0.7, 0.5],
  '1/1': [0.72, 0.45],
};
const FRONT = ['0.01/0', '0.01/1', '0.1/0', '1/1', '1/0'];

async function recordSweep(dataDir: string): Promise<Record<string, string>> {
  const store = await openStore({ dataDir });
  const spec = {
    name: 'beta-e2e',
    base: { regularizer: { kind: 'f4-min', beta: 0.1 } },
    grid: { 'regularizer.beta': [0.01, 0.1, 1], seed: [0, 1] },
  };
  const x = expandSweep(spec);
  // Queued for Redis workers, so serve does not train them: this test records their results itself.
  const { runIds } = await store.sweeps.create({ name: x.name, spec, keys: x.keys, items: x.items, target: 'redis' });
  const ids: Record<string, string> = {};
  for (const [i, id] of runIds.entries()) {
    const key = `${String(x.items[i].assignment['regularizer.beta'])}/${String(x.items[i].assignment.seed)}`;
    ids[key] = id;
    await store.sweeps.claim('redis', id);
    const w = await store.writer(id);
    await w.start('cpu');
    w.scalar('eval/test_acc', 10, RESULTS[key][0], 1);
    w.cert({ step: 10, eps: EPS, accuracy: RESULTS[key][1], pairwise: null });
    await w.finish('completed');
    await w.close();
  }
  // One more run waiting for a Redis worker (no sweep): the Queue panel marks it.
  const waiting = await store.createRun({ name: 'waits-for-redis', config: {} });
  await store.sweeps.enqueue(waiting.id, 'redis');
  ids.waiting = waiting.id;
  await store.close();
  return ids;
}

describe.skipIf(!HAVE_CHROMIUM)('Sweeps view', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sweeps-e2e-'));
  let serve: ServeProcess | undefined;
  let browser: Browser | undefined;
  let ids: Record<string, string> = {};

  beforeAll(async () => {
    await ensureRenderer();
    ids = await recordSweep(dataDir);
    serve = await spawnServe({ dataDir });
    browser = await launchBrowser();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop(5000);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('draws the sweep, its seed groups and its Pareto front; a click opens the run', async () => {
    const page = browser!.page;
    await page.goto(`${serve!.link.href}#/sweeps`);
    await page.waitForSelector('[data-testid="sweep-scatter"]');
    expect(await page.locator('[data-testid="sweep-parallel"] .lines path').count()).toBe(6);
    // Seed groups on (the default): one point per β.
    expect(await page.locator('[data-testid="sweep-scatter"] .dot').count()).toBe(3);
    await page.selectOption('[data-testid="sweep-x"]', 'test accuracy');
    await page.selectOption('[data-testid="sweep-y"]', `certified@${EPS}`);
    await page.uncheck('[data-testid="sweep-groups"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="sweep-scatter"] .dot').length === 6);
    const ringed = await page.locator('[data-testid="pareto-point"] title').allTextContents();
    const onFront = FRONT.map((k) => ids[k]);
    expect(ringed).toHaveLength(FRONT.length);
    expect(await page.locator('[data-testid="pareto-line"]').count()).toBe(1);
    await screenshot(page, 'sweeps-pareto');
    expect(browser!.errors).toEqual([]);
    await page.locator('[data-testid="sweep-point"] circle').first().click();
    await page.waitForFunction(() => location.hash.startsWith('#/run/'));
    const opened = decodeURIComponent(await page.evaluate(() => location.hash.slice('#/run/'.length)));
    expect(opened).toBe(ids['0.1/1']); // the one dominated run is the only unringed point
    expect(onFront).not.toContain(opened);
  });

  it('marks the runs queued for Redis workers in the Queue panel', async () => {
    const page = browser!.page;
    await page.goto(`${serve!.link.href}#/sweeps`);
    const badge = page.locator(`[data-testid="queue-redis-${ids.waiting}"]`);
    await badge.waitFor();
    expect((await badge.textContent())?.trim()).toBe('Redis');
    // This serve has no --redis: the tooltip says how a worker takes it.
    expect(await badge.getAttribute('title')).toMatch(/spectral-lab worker --redis URL/);
    expect(await page.locator('[data-testid="queue-table"] .badge.redis').count()).toBe(1);
  });

  it('lists every refused key of a new sweep and queues nothing', async () => {
    const page = browser!.page;
    await page.goto(`${serve!.link.href}#/sweeps`);
    await page.click('[data-testid="sweep-new"]');
    await page.fill('[data-testid="grid-key-0"]', 'optimizer.learningRate');
    await page.click('[data-testid="sweep-queue"]');
    await page.waitForSelector('[data-testid="sweep-problems"]');
    expect(await page.textContent('[data-testid="sweep-problems"]')).toMatch(
      /unknown key "optimizer.learningRate".*known: kind, lr/,
    );
    expect(await page.textContent('[data-testid="sweep-error"]')).toMatch(/nothing was queued/);
    await page.click('[data-testid="sweeps-reload"]');
    expect(await page.locator('.list li').count()).toBe(1);
    expect(browser!.errors).toEqual([]);
  });
});
