/**
 * Figures and reports from the built UI in real Chromium, against `spectral-lab serve` over a store with a
 * finished run (test/report/fixture.ts): with the UI in dark mode, a chart's PNG export is a light paper
 * figure at 2× (192 dpi) or 300 dpi with its pHYs chunk, the SVG keeps its legend right of the plot, the
 * accuracy axis fits the data and zooms in y, and the run's Report / PDF buttons download the export's
 * report (the PDF's pages and text checked with poppler). Screenshots go to test-results/screenshots/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Download, Page } from 'playwright-core';
import { pngChunks, pngInfo } from '../../src/renderer/src/lib/png-phys.js';
import { openStore } from '../../src/main/store/index.js';
import { buildFixture, type Fixture } from '../report/fixture.js';
import { HAVE_CHROMIUM, launchBrowser, screenshot, type Browser } from './support/browser.js';
import { ensureRenderer } from './support/renderer-build.js';
import { spawnServe, type ServeProcess } from './support/serve-process.js';

const HAVE_POPPLER = existsSync('/usr/bin/pdftotext') && existsSync('/usr/bin/pdfinfo');
let tmp: string;
let fx: Fixture;
let serve: ServeProcess;
let browser: Browser;
let page: Page;
let loose: string;

/** A second run with bounds three times its operator estimate (the base run's conv1: 1.5 / 1.1). */
async function addLooseRun(dataDir: string): Promise<string> {
  const store = await openStore({ dataDir });
  try {
    const rec = await store.createRun({
      name: 'loose',
      config: { dataset: { name: 'mnist' }, model: { arch: 'mnist-cnn' }, regularizer: { kind: 'none', beta: 0 } },
    });
    const w = await store.writer(rec.id);
    await w.start('wasm');
    await w.layers([
      {
        name: 'conv1',
        kind: 'conv',
        kernelShape: [3, 3, 1, 16],
        stride: 1,
        padding: 'same',
        inputSize: [28, 28],
        index: 0,
      },
    ]);
    // The regulariser's penalty is ~1000x the loss: it needs its own axis.
    for (let step = 0; step <= 20; step++) {
      w.scalar('train/loss', step, 2 / (step + 1), step / 10);
      w.scalar('train/reg', step, 3000 - 50 * step, step / 10);
    }
    for (const step of [10, 20]) {
      w.bound({ layer: 'conv1', method: 'f4', kind: 'upper', step, value: 3 });
      w.bound({ layer: 'conv1', method: 'certified', kind: 'upper', step, value: 3 });
      w.bound({ layer: 'conv1', method: 'operator-power', kind: 'estimate', step, value: 1 });
    }
    await w.finish('completed');
    await w.close();
    return rec.id;
  } finally {
    await store.close();
  }
}

async function download(p: Page, click: () => Promise<void>): Promise<{ name: string; bytes: Buffer }> {
  const [d] = (await Promise.all([p.waitForEvent('download', { timeout: 60_000 }), click()])) as [Download, void];
  const file = path.join(tmp, `dl-${Date.now()}-${d.suggestedFilename()}`);
  await d.saveAs(file);
  return { name: d.suggestedFilename(), bytes: readFileSync(file) };
}

/** A chart's export, chosen from its toolbar's Export menu (the menu closes again). */
async function exportFrom(p: Page, chart: string, kind: 'png' | 'png300' | 'svg' | 'csv'): Promise<void> {
  await p.click(`[data-testid=${chart}-export]`);
  await p.click(`[data-testid=${chart}-export-${kind}]`);
  await p.waitForSelector(`[data-testid=${chart}-export-${kind}]`, { state: 'detached' });
}

/** RGBA of the top-left pixel of an 8-bit RGBA PNG (for the first pixel every PNG filter predicts 0). */
function firstPixel(png: Uint8Array): number[] {
  const idat = Buffer.concat(
    pngChunks(png)
      .filter((c) => c.type === 'IDAT')
      .map((c) => Buffer.from(c.data)),
  );
  const raw = inflateSync(idat);
  return [...raw.subarray(1, 5)];
}

async function cssSize(p: Page, testid: string): Promise<{ width: number; height: number }> {
  const box = await p.locator(`[data-testid=${testid}] canvas`).boundingBox();
  if (!box) throw new Error(`no canvas in ${testid}`);
  return { width: box.width, height: box.height };
}

describe.skipIf(!HAVE_CHROMIUM)('figures and reports in Chromium', () => {
  beforeAll(async () => {
    await ensureRenderer();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'lab-figures-'));
    fx = await buildFixture(path.join(tmp, 'data'));
    loose = await addLooseRun(fx.dataDir);
    serve = await spawnServe({ dataDir: fx.dataDir });
    browser = await launchBrowser();
    page = browser.page;
    await page.goto(serve.link.href);
    await page.waitForSelector('[data-testid=view-runs]');
    await page.selectOption('[data-testid=theme-select]', 'dark');
    await page.goto(`${serve.origin}/#/run/${encodeURIComponent(fx.base)}`);
    await page.waitForSelector('[data-testid=chart-loss][data-point-count]:not([data-point-count="0"])');
    await page.waitForSelector('[data-testid=chart-accuracy][data-point-count]:not([data-point-count="0"])');
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop(15_000);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('exports a light PNG at 2× (192 dpi) and at 300 dpi while the UI is dark, named after the run and metric', async () => {
    expect(await page.getAttribute('html', 'data-theme')).toBe('dark');
    await screenshot(page, 'figures-run-dark');
    const css = await cssSize(page, 'chart-loss');
    const two = await download(page, () => exportFrom(page, 'chart-loss', 'png'));
    expect(two.name).toBe('baseline-50-1_loss.png');
    const info = pngInfo(two.bytes);
    expect(info.dpi).toEqual({ x: 192, y: 192 });
    // Re-drawn at twice the chart's size, wider by the legend column beside the plot.
    expect(info.width).toBeGreaterThan(2 * css.width);
    expect(info.height).toBeGreaterThanOrEqual(2 * css.height);
    expect(firstPixel(two.bytes)).toEqual([255, 255, 255, 255]);
    writeFileSync(path.join(tmp, 'loss.png'), two.bytes);

    const hi = await download(page, () => exportFrom(page, 'chart-loss', 'png300'));
    expect(hi.name).toBe('baseline-50-1_loss_300dpi.png');
    const hiInfo = pngInfo(hi.bytes);
    expect(hiInfo.dpi).toEqual({ x: 300, y: 300 });
    expect(hiInfo.width / info.width).toBeCloseTo(300 / 192, 1);
    expect(firstPixel(hi.bytes)).toEqual([255, 255, 255, 255]);
    // The page itself stayed dark.
    expect(await page.getAttribute('html', 'data-theme')).toBe('dark');
    if (process.env.FIGURES_SHOTS)
      writeFileSync(path.join(process.env.FIGURES_SHOTS, 'figures-export-loss-300dpi.png'), hi.bytes);
  });

  it('exports an SVG in the paper style with its title naming the run and the legend outside the plot', async () => {
    const svg = (await download(page, () => exportFrom(page, 'chart-accuracy', 'svg'))).bytes.toString('utf8');
    expect(svg).toContain('<title>Accuracy: baseline_50% &amp; #1</title>');
    expect(svg).toMatch(/<rect width="100%" height="100%" fill="#ffffff"\/>/);
    const clip = /<clipPath id="plot-area"><rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/.exec(svg);
    const plotRight = Number(clip?.[1]) + Number(clip?.[2]);
    const legend = /<g class="legend">([\s\S]*?)<\/g>/.exec(svg)?.[1] ?? '';
    const xs = [...legend.matchAll(/ x1?="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(xs.length).toBeGreaterThan(0);
    for (const x of xs) expect(x).toBeGreaterThan(plotRight);
  });

  it("keeps the accuracy chart's title and controls on one line on a 1400 px wide page", async () => {
    expect(page.viewportSize()?.width).toBe(1400);
    const box = async (sel: string) => {
      const b = await page.locator(`[data-testid=chart-accuracy] ${sel}`).first().boundingBox();
      if (!b) throw new Error(`no ${sel} in the accuracy chart's toolbar`);
      return b;
    };
    const title = await box('.title');
    const lastControl = await box('[data-testid=chart-accuracy-export]');
    const toolbar = await box('.toolbar');
    // One line: the last control (the Export menu) sits beside the title, not under it.
    expect(Math.abs(lastControl.y + lastControl.height / 2 - (title.y + title.height / 2))).toBeLessThan(6);
    expect(toolbar.height).toBeLessThan(2 * title.height);
    // Side by side in the grid, the Loss and Accuracy cards start at the same height.
    const tops = await Promise.all(
      ['chart-loss', 'chart-accuracy'].map(async (id) => (await page.locator(`[data-testid=${id}]`).boundingBox())?.y),
    );
    expect(tops[1]).toBeCloseTo(tops[0] as number, 0);
  });

  it('fits the accuracy axis to the data, offers the full 0–1 range, and zooms in y by dragging a box', async () => {
    const chart = page.locator('[data-testid=chart-accuracy]');
    const yRange = async () => ((await chart.getAttribute('data-y-range')) ?? '').split(',').map(Number);
    // The run's test accuracy is 0.8 then 0.9125: the axis fits them instead of spanning 0 to 1.
    expect(await chart.getAttribute('data-full-y')).toBe('false');
    const [fitLo, fitHi] = await yRange();
    expect(fitLo).toBeGreaterThan(0.5);
    expect(fitLo).toBeLessThanOrEqual(0.8);
    expect(fitHi).toBeGreaterThanOrEqual(0.9125);
    expect(fitHi).toBeLessThan(1);
    await page.check('[data-testid=chart-accuracy-fully]');
    expect(await chart.getAttribute('data-full-y')).toBe('true');
    await expect.poll(yRange).toEqual([0, 1]);
    await page.uncheck('[data-testid=chart-accuracy-fully]');
    await expect.poll(async () => (await yRange())[0]).toBe(fitLo);
    const box = await page.locator('[data-testid=chart-accuracy] canvas').boundingBox();
    if (!box) throw new Error('no accuracy canvas');
    // A box in the middle of the plot: x and y both zoom.
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.3);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.6, { steps: 5 });
    await page.mouse.up();
    await expect.poll(() => chart.getAttribute('data-y-zoomed')).toBe('true');
    // The chart redraws on the next animation frame: wait for the drawn range to change.
    await expect.poll(async () => (await yRange())[0]).toBeGreaterThan(fitLo);
    expect((await yRange())[1]).toBeLessThan(fitHi);
    await page.click('[data-testid=chart-accuracy-zoom-reset]');
    await expect.poll(() => chart.getAttribute('data-y-zoomed')).toBe('false');
  });

  it('downloads the HTML report and the PDF from the Report buttons', async () => {
    await page.selectOption('[data-testid=theme-select]', 'light');
    await screenshot(page, 'figures-run-light');
    const html = await download(page, () => page.click('[data-testid=report-html]'));
    expect(html.name).toBe('baseline-50-1_report.html');
    expect(html.bytes.toString('utf8')).toContain('<h1>Spectral Lab report</h1>');
    expect(html.bytes.toString('utf8')).toContain('Per-layer bounds of baseline_50% &amp; #1');
    const pdf = await download(page, () => page.click('[data-testid=report-pdf]'));
    expect(pdf.name).toBe('baseline-50-1_report.pdf');
    expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    if (HAVE_POPPLER) {
      const file = path.join(tmp, 'report.pdf');
      writeFileSync(file, pdf.bytes);
      const pages = Number(/^Pages:\s+(\d+)/m.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))?.[1]);
      expect(pages).toBeGreaterThanOrEqual(1);
      const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' });
      expect(text).toContain('baseline_50% & #1');
      expect(text).toContain('1.235×104'); // the Lipschitz bound of the summary table
    }
    expect(browser.errors).toEqual([]);
  });

  it('puts the Report buttons on a comparison too, and draws the tightness of the runs on one colour scale', async () => {
    await page.goto(`${serve.origin}/#/compare?runs=${encodeURIComponent(`${fx.base},${fx.reg},${loose}`)}`);
    const base = page.locator(`[data-testid=compare-heatmap-${fx.base}]`);
    const other = page.locator(`[data-testid=compare-heatmap-${loose}]`);
    await base.waitFor();
    await other.waitFor();
    // The loose run's 3x sets the top of both scales; alone, the base run's scale would end at 1.5 / 1.1.
    expect(Number(await page.getAttribute('[data-testid=compare-tightness]', 'data-scale-max'))).toBeCloseTo(3, 3);
    expect(Number(await base.getAttribute('data-scale-max'))).toBeCloseTo(3, 3);
    expect(Number(await other.getAttribute('data-scale-max'))).toBeCloseTo(3, 3);
    await page
      .locator('[data-testid=compare-tightness]')
      .screenshot({ path: path.join(process.env.FIGURES_SHOTS ?? tmp, 'figures-compare-tightness.png') });
    await page.waitForSelector('[data-testid=view-compare] [data-testid=report-pdf]');
    const html = await download(page, () => page.click('[data-testid=view-compare] [data-testid=report-html]'));
    expect(html.name).toBe('compare-3-runs_report.html');
    // A chart of the comparison names its runs in the figure's title and file name.
    const svg = await download(page, () => exportFrom(page, 'compare-accuracy', 'svg'));
    expect(svg.name).toBe('baseline-50-1-f4-0-01-quoted-loose_eval-test-acc.svg');
    expect(svg.bytes.toString('utf8')).toContain(
      '<title>Test accuracy: baseline_50% &amp; #1, F4 β=0.01, &quot;quoted&quot;, loose</title>',
    );
    expect(html.bytes.toString('utf8')).toContain('F4 β=0.01, &quot;quoted&quot;');
  });

  it('draws the regulariser on its own right-hand axis, on screen and in the SVG', async () => {
    await page.goto(`${serve.origin}/#/run/${encodeURIComponent(loose)}`);
    await page.waitForSelector('[data-testid=chart-loss][data-point-count]:not([data-point-count="0"])');
    await page
      .locator('[data-testid=chart-loss]')
      .screenshot({ path: path.join(process.env.FIGURES_SHOTS ?? tmp, 'figures-loss-reg-axis.png') });
    // The left axis fits the loss (at most 2), not the penalty (up to 3000).
    expect(
      Number((await page.getAttribute('[data-testid=chart-loss]', 'data-y-range'))?.split(',')[1]),
    ).toBeLessThanOrEqual(2.5);
    const svg = (await download(page, () => exportFrom(page, 'chart-loss', 'svg'))).bytes.toString('utf8');
    expect(svg).toContain('<title>Loss: loose</title>');
    expect(svg.match(/rotate\(-90\)/g)).toHaveLength(2);
    expect(svg).toMatch(/rotate\(-90\)" text-anchor="middle" fill="[^"]+">regulariser \(before β\)<\/text>/);
  });
});
