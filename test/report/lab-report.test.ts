/**
 * The Report button's API (getReport) on a real lab over a real store: the same HTML as
 * `export --format html`, a PDF from the headless Chromium, and the errors (bad format, unknown run,
 * no browser to print with).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLab } from '../../src/main/app/create.js';
import { buildHandlerTable } from '../../src/main/app/handlers.js';
import type { LabService } from '../../src/main/app/service.js';
import { run as exportRun } from '../../src/main/cli/export.js';
import { chromiumPath, chromiumPrinter } from '../../src/main/report/pdf.js';
import { reportFileName } from '../../src/main/report/lab-report.js';
import { buildFixture, type Fixture } from './fixture.js';

let fx: Fixture;
let tmp: string;
let lab: LabService;
const HAVE_CHROMIUM = fs.existsSync(chromiumPath());

/** The report without its "Exported <time> from <folder>" line. */
const timeless = (html: string) => html.replace(/Exported [^<]*? from [^<]*?;/, 'Exported;');

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spectral-lab-report-'));
  fx = await buildFixture(path.join(tmp, 'data'));
  lab = await createLab({ dataDir: fx.dataDir, shell: 'serve', presetsDir: null, log: () => undefined });
});

afterAll(async () => {
  await lab?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('getReport', () => {
  test('HTML: the same report as `export --format html` of the same runs', async () => {
    const file = await lab.getReport([fx.base, fx.reg], { format: 'html' });
    expect(file).toMatchObject({
      filename: 'compare-2-runs_report.html',
      mimeType: 'text/html;charset=utf-8',
      encoding: 'utf8',
    });
    let out = '';
    const stderr = { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;
    const code = await exportRun(['--data', fx.dataDir, '--format', 'html', '--runs', `${fx.base},${fx.reg}`], {
      stdout: { write: (s: string) => (out += s) },
      stderr,
    });
    expect(code).toBe(0);
    expect(timeless(file.content)).toBe(timeless(out));
    expect(file.content).toContain('Per-layer bounds of baseline_50% &amp; #1');
    const one = await lab.getReport([fx.base], { format: 'html' });
    expect(one.filename).toBe('baseline-50-1_report.html');
  });

  test.skipIf(!HAVE_CHROMIUM)('PDF: printed by the headless Chromium, base64 in the reply', async () => {
    const file = await lab.getReport([fx.base], { format: 'pdf' });
    expect(file).toMatchObject({
      filename: 'baseline-50-1_report.pdf',
      mimeType: 'application/pdf',
      encoding: 'base64',
    });
    const bytes = Buffer.from(file.content, 'base64');
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(bytes.length).toBeGreaterThan(10_000);
  });

  test('errors: a bad format, an unknown run, and no browser to print with say what to do', async () => {
    const table = buildHandlerTable(lab, () => undefined);
    const bad = await table.get('getReport')?.handle([[fx.base], { format: 'docx' }]);
    expect(bad).toMatchObject({ ok: false, code: 'bad-request' });
    const gone = await table.get('getReport')?.handle([['no-such-run'], { format: 'html' }]);
    expect(gone).toMatchObject({ ok: false, code: 'not-found' });
    const noBrowser = await createLab({
      dataDir: fx.dataDir,
      shell: 'serve',
      presetsDir: null,
      log: () => undefined,
      printPdf: () => chromiumPrinter(path.join(tmp, 'no-chromium')),
    });
    try {
      const reply = await buildHandlerTable(noBrowser, () => undefined)
        .get('getReport')
        ?.handle([[fx.base], { format: 'pdf' }]);
      expect(reply).toMatchObject({ ok: false, code: 'unavailable' });
      const body = reply as { error: string; hint: string };
      expect(body.error).toMatch(/No Chromium at .*no-chromium.*apt install chromium/);
      expect(body.hint).toMatch(/HTML report/);
    } finally {
      await noBrowser.close();
    }
    expect(reportFileName(['a', 'b', 'c'], 'pdf')).toBe('compare-3-runs_report.pdf');
  });
});
