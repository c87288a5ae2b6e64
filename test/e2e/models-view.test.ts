/**
 * The Models view in a real browser against `serve` (child process, built renderer): an ONNX file with a
 * residual block chosen in the file input, analysed by the lab, its per-layer table and waterfall shown; the
 * analysis stored and listed, its Report button writes the analysis's HTML report; a damaged file shows an error naming it. (Certificates on MNIST are covered by
 * test/models/certificates.test.ts; here the view must only draw what the lab returns.)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_CHROMIUM, launchBrowser, screenshot } from './support/browser.js';
import { ensureRenderer } from './support/renderer-build.js';
import { spawnServe, type ServeProcess } from './support/serve-process.js';
import { randomWeights, writeOnnxModel } from '../models/onnx-writer.js';

describe.skipIf(!HAVE_CHROMIUM)('Models view (serve + Chromium)', () => {
  let serve: ServeProcess | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'models-e2e-'));
  const files = mkdtempSync(join(tmpdir(), 'models-e2e-files-'));
  const W = (dims: number[], seed: number) => ({
    dims,
    data: randomWeights(
      dims.reduce((a, b) => a * b, 1),
      seed,
    ),
  });
  const model = writeOnnxModel(files, 'block.onnx', {
    inputShape: ['N', 2, 8, 8],
    outputName: 'y',
    weights: { a: W([4, 2, 3, 3], 1), b: W([4, 4, 3, 3], 2), fc: W([3, 4], 3) },
    nodes: [
      {
        op: 'Conv',
        inputs: ['input', 'a'],
        outputs: ['c1'],
        name: 'stem',
        ints: { strides: [2, 2], pads: [1, 1, 1, 1] },
      },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'Conv', inputs: ['r1', 'b'], outputs: ['c2'], name: 'branch', ints: { pads: [1, 1, 1, 1] } },
      { op: 'Add', inputs: ['c2', 'r1'], outputs: ['s'], name: 'residual' },
      { op: 'GlobalAveragePool', inputs: ['s'], outputs: ['p'], name: 'gap' },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'fc'], outputs: ['y'], name: 'head', int: { transB: 1 } },
    ],
  });
  const damaged = join(files, 'damaged.onnx');
  writeFileSync(damaged, Buffer.from([0x08, 0x07, 0x12, 0xff, 0xff]));

  beforeAll(async () => {
    await ensureRenderer();
    serve = await spawnServe({ dataDir });
  }, 240_000);
  afterAll(async () => {
    await serve?.stop(5000);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(files, { recursive: true, force: true });
  });

  it('analyses an uploaded ONNX file: table, waterfall, stored; a damaged file names itself', async () => {
    const b = await launchBrowser();
    try {
      await b.page.goto((serve as ServeProcess).link.href);
      // The first load can be slow on a busy 2-core machine (the bundle is ~1 MB).
      await b.page.waitForSelector('[data-testid=nav-models]', { timeout: 90_000 });
      await b.page.click('[data-testid=nav-models]');
      await b.page.waitForSelector('[data-testid=model-file]', { timeout: 30_000 });
      await b.page.setInputFiles('[data-testid=model-file]', model);
      await b.page.click('[data-testid=model-analyse]');
      await b.page.waitForSelector('[data-testid=model-layers]', { timeout: 120_000 });
      const rows = await b.page.$$eval('[data-testid=model-layers] tbody tr td:first-child', (tds) =>
        tds.map((t) => t.textContent?.trim()),
      );
      expect(rows).toEqual(['stem', 'branch', 'head']);
      await expect(b.page.textContent('[data-testid=model-lipschitz]')).resolves.toMatch(/Lipschitz upper bound \d/);
      // Bars: stem, branch, the residual Add, the pooling and the head (relu and flatten leave ln L unchanged).
      expect(Number(await b.page.getAttribute('[data-testid=model-waterfall]', 'data-bars'))).toBe(5);
      await expect(b.page.textContent('[data-testid=model-list]')).resolves.toContain('block.onnx');
      await screenshot(b.page, 'models-view');
      // Exported like the CLI's CSV: the per-layer table.
      const [csv] = await Promise.all([
        b.page.waitForEvent('download'),
        b.page.click('[data-testid=model-export-csv]'),
      ]);
      const lines = readFileSync(await csv.path(), 'utf8')
        .trim()
        .split('\r\n');
      expect(lines[0]).toMatch(/^name,op,weight_shape,/);
      expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['stem', 'branch', 'head']);
      // The Report button writes the analysis's report (as export --analysis): its layer table and waterfall.
      const [report] = await Promise.all([b.page.waitForEvent('download'), b.page.click('[data-testid=report-html]')]);
      expect(report.suggestedFilename()).toBe('block-onnx_report.html');
      const html = readFileSync(await report.path(), 'utf8');
      expect(html).toContain('Per-layer bounds of the imported network block.onnx');
      expect(html).toContain('ln L node by node: block.onnx');
      expect(html).toContain('>branch</td>');

      await b.page.setInputFiles('[data-testid=model-file]', damaged);
      await b.page.click('[data-testid=model-analyse]');
      await b.page.waitForSelector('[data-testid=model-error]', { timeout: 60_000 });
      await expect(b.page.textContent('[data-testid=model-error]')).resolves.toMatch(
        /damaged\.onnx is not a readable ONNX model/,
      );
      expect(b.errors).toEqual([]);
    } finally {
      await b.close();
    }
  });
});
