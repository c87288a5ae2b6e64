/**
 * `export --format pdf`: the HTML report printed by the real headless Chromium, checked with poppler's
 * pdfinfo / pdftotext (page count, A4, the table values in the text), and the print layout checked in
 * the browser: at A4's printable width no table is wider than the page.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run } from '../../src/main/cli/export.js';
import { chromiumPath } from '../../src/main/report/pdf.js';
import { buildFixture, type Fixture } from './fixture.js';

const CHROMIUM = chromiumPath();
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
const HAVE_POPPLER = ['/usr/bin/pdftotext', '/usr/bin/pdfinfo'].every((p) => fs.existsSync(p));
if (!HAVE_CHROMIUM || !HAVE_POPPLER)
  console.warn(
    `pdf export tests skipped: need ${CHROMIUM} (apt install chromium) and poppler-utils (apt install poppler-utils).`,
  );

let fx: Fixture;
let tmp: string;

async function exp(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stderr = { isTTY: false, write: (s: string) => ((err += s), true) } as unknown as NodeJS.WriteStream;
  const code = await run(['--data', fx.dataDir, ...args], { stdout: { write: (s: string) => (out += s) }, stderr });
  return { code, out, err };
}

/** The cells of every table row of a Markdown export, trimmed (Markdown escapes removed). */
function markdownCells(md: string): string[] {
  return md
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|[ :-]+\|/.test(l))
    .flatMap((l) => l.split(/(?<!\\)\|/).slice(1, -1))
    .map((c) => c.trim().replace(/\\(.)/g, '$1'))
    .filter((c) => c !== '' && c !== '—');
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spectral-pdf-'));
  fx = await buildFixture(path.join(tmp, 'data'));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!HAVE_CHROMIUM || !HAVE_POPPLER)('export --format pdf', () => {
  test('writes an A4 PDF whose text holds every value of the report tables', async () => {
    const file = path.join(tmp, 'report.pdf');
    const r = await exp(['--out', file]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`wrote ${file} (pdf, 3 runs)`);
    const bytes = fs.readFileSync(file);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
    const pages = Number(/^Pages:\s+(\d+)/m.exec(info)?.[1]);
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(pages).toBeLessThanOrEqual(6);
    // A4 is 595 x 842 points.
    expect(info).toMatch(/Page size:\s+59[45](\.\d+)? x 84[12](\.\d+)? pts \(A4\)/);

    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    const md = await exp(['--format', 'markdown']);
    const values = markdownCells(md.out);
    expect(values.length).toBeGreaterThan(60);
    // Every number of every table (a clipped column would be missing from the text); names are wrapped, so numbers only.
    const numbers = values.filter((v) => /^[\d.e+-]+$/.test(v));
    expect(numbers.length).toBeGreaterThan(40);
    const flat = text.replace(/\s+/g, ' ');
    // The HTML report writes 1.235e4 as 1.235×10<sup>4</sup> and minus signs as U+2212.
    const printed = (v: string) => v.replace(/e([+-]?\d+)$/, '×10$1').replace(/-/g, '−');
    const missing = numbers.filter((v) => !flat.includes(printed(v)));
    expect(missing).toEqual([]);
    expect(flat).toContain('Per-layer bounds');
    expect(flat).toContain(`${pages}/${pages}`); // the page-number footer
  });

  test('the print layout keeps every table within A4 width', async () => {
    const html = path.join(tmp, 'report.html');
    expect((await exp(['--out', html])).code).toBe(0);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
    });
    try {
      // A4 (210 mm) less the report's 12 mm side margins, in CSS pixels (96 per inch).
      const width = Math.floor(((210 - 24) / 25.4) * 96);
      const page = await browser.newPage({ viewport: { width, height: 1000 } });
      await page.emulateMedia({ media: 'print' });
      await page.setContent(fs.readFileSync(html, 'utf8'), { waitUntil: 'load' });
      // A string, evaluated in the page (this file is typed without the DOM).
      const overflow = await page.evaluate<{ tag: string; right: number; scroll: number }[]>(
        `[...document.querySelectorAll('table, figure, pre')].map((e) => ({ tag: e.tagName, right: Math.ceil(e.getBoundingClientRect().right), scroll: e.scrollWidth - e.clientWidth }))`,
      );
      expect(overflow.length).toBeGreaterThan(4);
      for (const o of overflow) {
        expect(o.right, `${o.tag} ends at ${o.right}px`).toBeLessThanOrEqual(width);
        expect(o.scroll, `${o.tag} scrolls`).toBeLessThanOrEqual(0);
      }
    } finally {
      await browser.close();
    }
  });

  test('refuses stdout, and names what to install when there is no Chromium', async () => {
    const r = await exp(['--format', 'pdf']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/binary file: pass --out FILE\.pdf/);
    const out = path.join(tmp, 'none.pdf');
    const prev = process.env.SPECTRAL_LAB_CHROMIUM;
    process.env.SPECTRAL_LAB_CHROMIUM = path.join(tmp, 'no-such-chromium');
    try {
      const miss = await exp(['--out', out]);
      expect(miss.code).toBe(1);
      expect(miss.err).toMatch(/No Chromium at .*no-such-chromium.*apt install chromium.*SPECTRAL_LAB_CHROMIUM/);
      expect(fs.existsSync(out)).toBe(false);
      expect(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      if (prev === undefined) delete process.env.SPECTRAL_LAB_CHROMIUM;
      else process.env.SPECTRAL_LAB_CHROMIUM = prev;
    }
  });
});
