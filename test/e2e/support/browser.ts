/** Headless Debian Chromium for the e2e tests (playwright-core drives it; no browser download). */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium; another Chromium-based browser can be named in SPECTRAL_LAB_CHROMIUM. */
export const CHROMIUM = process.env.SPECTRAL_LAB_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const SCREENSHOTS = path.resolve(import.meta.dirname, '../../../test-results/screenshots');

export interface Browser {
  context: BrowserContext;
  page: Page;
  errors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'lab-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    acceptDownloads: true,
    viewport: { width: 1400, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  // Page errors and CSP violations are failures of the UI even when the test's own checks pass.
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The number a chart reports as plotted (data-point-count on its root). */
export async function pointCount(page: Page, testid: string): Promise<number> {
  return Number((await page.getAttribute(`[data-testid=${testid}]`, 'data-point-count')) ?? '0');
}

export async function waitForPoints(page: Page, testid: string, atLeast: number, timeout = 60_000): Promise<number> {
  await page.waitForFunction(
    ([id, n]) => Number(document.querySelector(`[data-testid=${id}]`)?.getAttribute('data-point-count') ?? 0) >= n,
    [testid, atLeast] as const,
    { timeout },
  );
  return pointCount(page, testid);
}
