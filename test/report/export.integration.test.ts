/**
 * `spectral-lab export` end to end on a small store made with the store API: every format, the run
 * selection, the errors, and that the store is left exactly as it was.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run } from '../../src/main/cli/export.js';
import { BASE_LAYERS, buildFixture, type Fixture } from './fixture.js';
import { csvRecords } from './csv-parse.js';

let fx: Fixture;
let tmp: string;
let before: string;

/**
 * The database file's bytes and the folder's entries. A read-only SQLite connection to a WAL database
 * may leave an empty -wal and a -shm index behind (SQLite's own bookkeeping, no data): those are
 * checked to hold nothing instead.
 */
function snapshot(dir: string): string {
  const h = crypto.createHash('sha256');
  for (const f of fs.readdirSync(dir).sort()) {
    if (f.endsWith('-shm')) continue;
    if (f.endsWith('-wal')) {
      expect(fs.statSync(path.join(dir, f)).size, `${f} holds changes`).toBe(0);
      continue;
    }
    h.update(f);
    const p = path.join(dir, f);
    if (fs.statSync(p).isFile()) h.update(fs.readFileSync(p));
  }
  return h.digest('hex');
}

async function exp(args: string[], tty = false): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stderr = { isTTY: tty, write: (s: string) => ((err += s), true) } as unknown as NodeJS.WriteStream;
  const code = await run(['--data', fx.dataDir, ...args], { stdout: { write: (s: string) => (out += s) }, stderr });
  return { code, out, err };
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spectral-export-'));
  fx = await buildFixture(path.join(tmp, 'data'));
  before = snapshot(fx.dataDir);
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('markdown', () => {
  test('summary and per-layer tables with the stored numbers', async () => {
    const { code, out } = await exp(['--format', 'markdown']);
    expect(code).toBe(0);
    const baseRow = out.split('\n').find((l) => l.startsWith('| baseline')) as string;
    const cells = baseRow
      .split(/(?<!\\)\|/)
      .map((c) => c.trim())
      .slice(1, -1);
    // Run, dataset, model, regulariser, beta, clean, cert@36/255, cert@72/255, Lipschitz, F4/ref mean, max, backend.
    // F4/ref: every layer runs zero-padded, so F4 is judged against its operator estimate, never the circular norm.
    expect(cells).toEqual([
      'baseline\\_50% & #1',
      'mnist',
      'mnist-cnn',
      'none',
      '—',
      '91.3',
      '68.6',
      '67.2',
      '1.235e4',
      '1.244',
      '1.391',
      'wasm',
    ]);
    expect(out).toMatch(
      /\| F4 β=0\.01, "quoted" \| cifar10 \| lip-cnn +\| f4-min +\| +0\.01 \| +61\.0 \| +40\.0 \| +— \|/,
    );
    // Layers in network order at the last evaluation (step 200, not the doubled values of step 100); after argmin the
    // certified bound the Lipschitz bound used (the only other upper bound stored here), then exact, operator, F4/ref.
    const layerLines = out.split('\n').filter((l) => /^\| (conv|layer|fc)/.test(l));
    expect(layerLines.slice(0, 4).map((l) => l.split('|')[1].trim())).toEqual(Object.keys(BASE_LAYERS));
    expect(layerLines[0]).toMatch(
      /\| conv1 +\| 3×3, 1→16 +\| +28 \| +2\.000 \| +1\.500 \| +3\.000 \| +2\.500 \| +1\.500 \| S +\| +1\.500 \| +1\.200 \| +1\.100 \| +1\.364 \|/,
    );
    expect(layerLines[2]).toMatch(/\| conv2 +\| 3×3, 16→32, stride 2 \|/);
    expect(out).toContain('step 200');
    expect(out).toContain('_No per-layer bounds recorded for: waiting._');
  });

  test('--runs takes ids in the given order, --filter searches', async () => {
    const { out } = await exp(['--format', 'md', '--runs', `${fx.reg},${fx.base}`]);
    expect(out.indexOf('| F4 β')).toBeLessThan(out.indexOf('| baseline'));
    expect(out).not.toContain('| waiting');
    const f = await exp(['--format', 'md', '--filter', 'f4-min']);
    expect(f.out).toContain('| F4 β');
    expect(f.out).not.toContain('| baseline');
  });
});

describe('latex', () => {
  test('booktabs tables, escaped names, typeset numbers', async () => {
    const file = path.join(tmp, 'tables', 'report.tex');
    const { code, err } = await exp(['--format', 'latex', '--out', file]);
    expect(code).toBe(0);
    expect(err).toContain(`wrote ${file}`);
    const tex = fs.readFileSync(file, 'utf8');
    expect(tex.match(/\\toprule/g)).toHaveLength(3);
    expect(tex).toContain(
      'baseline\\_50\\% \\& \\#1 & mnist & mnist-cnn & none & --- & 91.3 & 68.6 & 67.2 & $1.235\\times 10^{4}$ & 1.244 & 1.391 & wasm \\\\',
    );
    expect(tex).toContain('F4 $\\beta$=0.01, "quoted"');
    expect(tex).toContain(
      'conv1 & $3{\\times}3$, 1$\\to$16 & 28 & 2.000 & 1.500 & 3.000 & 2.500 & 1.500 & S & 1.500 & 1.200 & 1.100 & 1.364 \\\\',
    );
    expect(tex).not.toContain('\\documentclass');
    const doc = (await exp(['--format', 'tex', '--standalone', '--runs', fx.base])).out;
    expect(doc).toMatch(/^\\documentclass/);
    expect(doc).toContain('\\usepackage{booktabs}');
    expect(doc.trim().endsWith('\\end{document}')).toBe(true);
  });
});

describe('csv', () => {
  test('a folder gets series, layer bounds, certified accuracy and the summary', async () => {
    const dir = path.join(tmp, 'csv-out');
    const { code } = await exp(['--format', 'csv', '--out', `${dir}${path.sep}`]);
    expect(code).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(['certified.csv', 'layer_bounds.csv', 'series.csv', 'summary.csv']);

    const series = csvRecords(fs.readFileSync(path.join(dir, 'series.csv'), 'utf8'));
    const loss = series.filter((r) => r.run_id === fx.base && r.series === 'train/loss');
    expect(loss).toHaveLength(201);
    for (const r of loss) {
      const s = Number(r.step);
      expect(Number(r.value)).toBe(2 / (s + 1));
      expect(Number(r.epoch)).toBeCloseTo(s / 100, 12);
      expect(r.wall_time).toBe(new Date(1_700_000_000_000 + s * 1000).toISOString());
    }
    expect(series.filter((r) => r.run_id === fx.reg).every((r) => r.run_name === 'F4 β=0.01, "quoted"')).toBe(true);
    expect(series.some((r) => r.series === 'epoch' || r.series.startsWith('bound/'))).toBe(false);

    const bounds = csvRecords(fs.readFileSync(path.join(dir, 'layer_bounds.csv'), 'utf8'));
    expect(bounds).toHaveLength(Object.keys(BASE_LAYERS).length * 8 * 2 + 2);
    const exact = bounds.find(
      (r) => r.run_id === fx.base && r.layer === 'conv2' && r.method === 'sedghi-exact' && r.step === '200',
    );
    expect(exact).toMatchObject({ kind: 'exact', value: '2.4', epoch: '2' });

    const cert = csvRecords(fs.readFileSync(path.join(dir, 'certified.csv'), 'utf8'));
    expect(cert).toHaveLength(5);
    const c = cert.find((r) => r.run_id === fx.base && r.step === '200' && Number(r.eps) === 36 / 255);
    expect(Number(c?.accuracy)).toBe(0.7 - 36 / 255 / 10);
    expect(cert.find((r) => r.step === '100')?.pairwise).toBe('');

    const summary = csvRecords(fs.readFileSync(path.join(dir, 'summary.csv'), 'utf8'));
    expect(summary.map((r) => r.Run)).toEqual(['baseline_50% & #1', 'F4 β=0.01, "quoted"', 'waiting']);
    expect(Number(summary[0]['Clean acc. (%)'])).toBeCloseTo(91.25, 10);
  });

  test('stdout gets the selected series; a small budget downsamples and says so', async () => {
    const { code, out, err } = await exp([
      '--format',
      'csv',
      '--runs',
      fx.base,
      '--series',
      'eval/*,train/loss',
      '--budget',
      '10',
    ]);
    expect(code).toBe(0);
    const rows = csvRecords(out);
    expect(new Set(rows.map((r) => r.series))).toEqual(new Set(['eval/test_acc', 'eval/lipschitz', 'train/loss']));
    const loss = rows.filter((r) => r.series === 'train/loss');
    expect(loss.length).toBeLessThanOrEqual(10);
    // Min/max downsampling keeps the extremes of the whole series.
    expect(loss.map((r) => Number(r.value))).toContain(2);
    expect(err).toMatch(/train\/loss: 201 points downsampled/);
    const none = await exp(['--format', 'csv', '--runs', fx.base, '--series', 'nope/*']);
    expect(none.err).toContain('--series "nope/*" matched no series');
  });
});

describe('json', () => {
  test('runs with config, environment, summary, layers and series', async () => {
    const file = path.join(tmp, 'export.json');
    expect((await exp(['--out', file])).code).toBe(0);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(doc).toMatchObject({ format: 'spectral-lab-export', version: 1 });
    expect(doc.runs.map((r: { id: string }) => r.id)).toEqual([fx.base, fx.reg, fx.queued]);
    const base = doc.runs[0];
    expect(base.config.dataset.name).toBe('mnist');
    expect(base.environment.node).toBe(process.versions.node);
    expect(base.summary).toMatchObject({ cleanAccuracy: 0.9125, lipschitzBound: 12345.6, beta: null });
    expect(base.layers.step).toBe(200);
    expect(base.layers.rows.map((r: { argmin: string }) => r.argmin)).toEqual(['S', 'U', 'T', 'R']);
    expect(base.layers.rows[2].model).toMatchObject({
      name: 'conv2',
      index: 2,
      kernelShape: [3, 3, 16, 32],
      stride: 2,
      inputSize: [28, 28],
    });
    const loss = base.series.find((s: { name: string }) => s.name === 'train/loss');
    expect(loss.steps).toHaveLength(201);
    expect(loss.values[3]).toBe(0.5);
    expect(loss.wallTimes[1]).toBe(1_700_000_001_000);
    expect(base.layerBounds).toHaveLength(Object.keys(BASE_LAYERS).length * 8);
    expect(base.certified).toHaveLength(4);
    expect(doc.runs[1].notes).toBe('line one\nline two');
    expect(doc.runs[2].series).toEqual([]);
  });
});

describe('html', () => {
  test('one self-contained file: tables, inline SVG charts, nothing to fetch, no script', async () => {
    const file = path.join(tmp, 'report.html');
    expect((await exp(['--format', 'html', '--out', file])).code).toBe(0);
    const html = fs.readFileSync(file, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(/i);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
    for (const title of [
      'Training loss',
      'Clean test accuracy',
      'Network Lipschitz bound',
      'Certified accuracy against the radius',
      'Per-layer spectral norms: baseline_50% &amp; #1',
    ]) {
      expect(html).toContain(`<title>${title}</title>`);
    }
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(6);
    expect(html).toContain('<td>baseline_50% &amp; #1</td>');
    expect(html).toContain('<td>F4 &beta;=0.01, &quot;quoted&quot;</td>'.replace('&beta;', 'β'));
    expect(html).toContain('@media print');
    expect(html.indexOf('Training loss')).toBeLessThan(html.indexOf('Clean test accuracy'));
  });
});

describe('errors', () => {
  test('no store in the data folder', async () => {
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    let err = '';
    const stderr = { isTTY: false, write: (s: string) => ((err += s), true) } as unknown as NodeJS.WriteStream;
    const code = await run(['--data', empty, '--format', 'md'], { stdout: { write: () => true }, stderr });
    expect(code).toBe(1);
    expect(err).toContain(`No runs database at ${path.join(empty, 'runs.sqlite')}`);
    expect(err).toContain('spectral-lab train');
    expect(fs.readdirSync(empty)).toEqual([]);
  });

  test('an unknown run id lists close matches', async () => {
    const typo = `${fx.base.slice(0, -1)}${fx.base.endsWith('x') ? 'y' : 'x'}`;
    const { code, err } = await exp(['--format', 'md', '--runs', typo]);
    expect(code).toBe(1);
    expect(err).toContain(`No run with id "${typo}". Close matches: ${fx.base} (baseline_50% & #1)`);
  });

  test('unknown format, conflicting selections, bad budget', async () => {
    const f = await exp(['--format', 'docx']);
    expect(f.code).toBe(2);
    expect(f.err).toContain("Unknown format 'docx'; choose one of csv, json, markdown, latex, html");
    expect((await exp(['--format', 'md', '--all', '--runs', fx.base])).err).toContain(
      'only one of --runs, --all and --filter',
    );
    expect((await exp(['--format', 'csv', '--budget', '2'])).code).toBe(2);
    expect((await exp([])).err).toContain('Which format?');
  });

  test('an unwritable --out is refused before reading anything', async () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'x');
    const { code, err } = await exp(['--format', 'md', '--out', path.join(file, 'sub', 'r.md')]);
    expect(code).toBe(1);
    expect(err).toContain('Cannot write --out');
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });
});

test('a terminal gets the progress bar', async () => {
  const { err } = await exp(['--format', 'html', '--out', path.join(tmp, 'p.html')], true);
  expect(err).toMatch(/export .*100%/);
});

test('--list prints the runs', async () => {
  const { code, out } = await exp(['--list']);
  expect(code).toBe(0);
  expect(out.split('\n').filter(Boolean)).toHaveLength(3);
  expect(out).toContain(fx.queued);
});

test('the store is left exactly as it was', () => {
  expect(snapshot(fx.dataDir)).toBe(before);
});
