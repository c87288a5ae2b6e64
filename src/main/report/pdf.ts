/**
 * The HTML report printed to PDF by a headless Chromium (driven by playwright-core; no browser is
 * downloaded, the system's is used): what `export --format pdf` and `serve` do. The Electron app prints
 * with its own webContents.printToPDF instead (app/report-pdf.ts). A4, the report's print CSS decides
 * the layout; page numbers in the footer.
 */
import fs from 'node:fs';
import { ExportError } from './errors.js';
import { settings } from '../settings.js';

/** Debian's chromium, or the Chromium-based browser named in SPECTRAL_LAB_CHROMIUM (settings.ts). */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return settings(env).chromium;
}

/** Renders HTML to PDF bytes. */
export type PdfPrinter = (html: string) => Promise<Uint8Array>;

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Page numbers at the foot of every page (the same in the app and the CLI). */
export const PDF_FOOTER = `<div style="width:100%;font:8px system-ui,sans-serif;color:#666;text-align:center"><span class="pageNumber"></span> / <span class="totalPages"></span></div>`;

/**
 * Imported by a non-literal specifier (as main/index.ts imports electron): the package is a dev
 * dependency the bundler must leave out of the main build, loaded at run time when a PDF is printed.
 */
const PLAYWRIGHT = 'playwright-core';

async function loadPlaywright(): Promise<typeof import('playwright-core')> {
  try {
    return (await import(PLAYWRIGHT)) as typeof import('playwright-core');
  } catch {
    throw new ExportError(
      'PDF export needs the playwright-core package (it drives a headless Chromium): run `npm install playwright-core`, or export --format html and print that file from a browser.',
      1,
    );
  }
}

/** A printer over the Chromium at `executablePath`; fails with what to install when it is absent. */
export function chromiumPrinter(executablePath = chromiumPath()): PdfPrinter {
  return async (html) => {
    if (!fs.existsSync(executablePath)) {
      throw new ExportError(
        `No Chromium at ${executablePath} to print the PDF with: install it (Debian/Ubuntu: \`sudo apt install chromium\`), ` +
          'or set SPECTRAL_LAB_CHROMIUM to a Chromium or Chrome binary, or export --format html and print that file from a browser.',
        1,
      );
    }
    const { chromium } = await loadPlaywright();
    const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      // The report loads nothing (its CSP says so): 'load' is when its inline SVG and CSS are laid out.
      await page.setContent(html, { waitUntil: 'load' });
      const pdf = await page.pdf({
        format: 'A4',
        printBackground: true,
        preferCSSPageSize: true,
        displayHeaderFooter: true,
        headerTemplate: '<div></div>',
        footerTemplate: PDF_FOOTER,
      });
      return new Uint8Array(pdf);
    } finally {
      await browser.close();
    }
  };
}
