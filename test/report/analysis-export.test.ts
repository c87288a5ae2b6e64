/**
 * Stored model analyses in the reports: a small ONNX network written here is analysed and certified on Fashion-MNIST
 * test images with the engine, stored in a real run store beside two recorded runs, and exported with
 * `export --analysis` in every format. The per-layer values (F4, F4 polyphase, certified bound, operator estimate),
 * the network's Lipschitz bound, the waterfall and the certified-accuracy curve (drawn from the stored radii, equal to
 * the accuracies the certificate computed) appear in the HTML, the PDF's text (pdftotext), Markdown, LaTeX and CSV;
 * an unknown id says how analyses are made and listed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run } from '../../src/main/cli/export.js';
import { createLab } from '../../src/main/app/create.js';
import { buildHandlerTable } from '../../src/main/app/handlers.js';
import { analyseModel, inferShapes, openModel } from '../../src/main/engine/models/imported/index.js';
import { certifyImported, loadLabelledSet } from '../../src/main/engine/models/imported/certify.js';
import { FMT, formatNumber } from '../../src/main/report/format.js';
import { openStore } from '../../src/main/store/index.js';
import { certifiedAccuracyAt } from '../../src/shared/certify-math.js';
import { waterfallNodes, type ModelAnalysis, type ModelAnalysisSummary } from '../../src/shared/model-analysis.js';
import { randomWeights, writeOnnxModel } from '../models/onnx-writer.js';
import { buildFixture, type Fixture } from './fixture.js';
import { csvRecords } from './csv-parse.js';

const FASHION = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
const EPS = [0.02, 0.05];

let tmp: string;
let fx: Fixture;
let stored: ModelAnalysisSummary;
let analysis: ModelAnalysis;

async function exp(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stderr = { isTTY: false, write: (s: string) => ((err += s), true) } as unknown as NodeJS.WriteStream;
  const code = await run(['--store', fx.dataDir, ...args], { stdout: { write: (s: string) => (out += s) }, stderr });
  return { code, out, err };
}

const bound = (v: number | null | undefined, target: 'text' | 'html' | 'markdown' = 'text'): string =>
  formatNumber(v ?? null, FMT.bound, target);

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'analysis-export-'));
  fx = await buildFixture(path.join(tmp, 'data'));
  // A strided conv (F4 polyphase), ReLU, and a dense classifier: 1x28x28 -> 2x14x14 -> 10 classes.
  const file = writeOnnxModel(tmp, 'small-net.onnx', {
    inputShape: ['N', 1, 28, 28],
    outputName: 'y',
    weights: {
      k: { dims: [2, 1, 3, 3], data: randomWeights(18, 3) },
      w: { dims: [10, 392], data: randomWeights(3920, 4, 0.05) },
    },
    nodes: [
      {
        op: 'Conv',
        inputs: ['input', 'k'],
        outputs: ['c'],
        name: 'conv',
        ints: { pads: [1, 1, 1, 1], strides: [2, 2] },
      },
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'Flatten', inputs: ['r'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'w'], outputs: ['y'], name: 'fc', int: { transB: 1 } },
    ],
  });
  const graph = openModel(file);
  analysis = analyseModel(graph, {});
  const set = await loadLabelledSet(FASHION, 60);
  analysis.certificates = await certifyImported(inferShapes(graph), analysis, set, { epsilons: EPS, pgdSteps: 2 });
  const store = await openStore({ dataDir: fx.dataDir });
  try {
    stored = await store.modelAnalyses.add('small net', analysis);
  } finally {
    await store.close();
  }
}, 120_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('export --analysis', () => {
  test('the analysis was made for real: a strided conv with F4 polyphase, certificates with radii', () => {
    const conv = analysis.layers[0];
    expect(conv.stride).toEqual([2, 2]);
    expect(conv.f4_polyphase?.min_bound).toBeGreaterThan(0);
    const c = analysis.certificates!;
    expect(c.radii?.lipschitz).toHaveLength(60);
    // The stored radii give back the accuracies the certificate computed at its own radii.
    const sorted = c.radii!.lipschitz.map((r) => r ?? Infinity);
    EPS.forEach((e, j) => expect(certifiedAccuracyAt(sorted, e)).toBeCloseTo(c.standard[j], 12));
  });

  test('html: per-layer values, the Lipschitz bound, the waterfall and the certified curve beside the runs', async () => {
    const out = path.join(tmp, 'report.html');
    const { code, err } = await exp(['--analysis', stored.id, '--runs', fx.base, '--format', 'html', '--out', out]);
    expect(err).toContain('1 run and 1 model analysis');
    expect(code).toBe(0);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toContain('<h2>Imported networks</h2>');
    for (const l of analysis.layers) {
      for (const v of [l.f4?.min_bound, l.f4_polyphase?.min_bound, l.certified_upper_bound, l.operator_estimate].filter(
        (x) => x != null,
      )) {
        expect(html).toContain(`>${bound(v, 'html')}<`);
      }
    }
    expect(html).toContain(bound(analysis.lipschitz_upper_bound, 'html'));
    expect(html).toContain('ln L node by node: small net');
    // Waterfall: one bar per node that changes the bound (conv, fc), each titled with its ln σ.
    const waterfall = html.slice(
      html.indexOf('ln L node by node'),
      html.indexOf('</svg>', html.indexOf('ln L node by node')),
    );
    const bars = waterfallNodes(analysis.nodes);
    expect(bars.map((n) => n.name)).toEqual(['conv', 'fc']);
    expect(waterfall.match(/<rect /g)).toHaveLength(bars.length);
    for (const n of bars) expect(waterfall).toContain(`ln σ ${(n.log_bound_out - n.log_bound_in).toFixed(3)}`);
    // One certified figure holding the run's curves and the network's (from radii: no "configured ε" for it).
    expect(html).toContain('small net: certified (global Lipschitz)<');
    expect(html).not.toContain('small net: certified (global Lipschitz) (configured ε)');
    expect(html).toContain('baseline');
  });

  test('pdf: pdftotext finds the table values and the bound', async () => {
    const out = path.join(tmp, 'report.pdf');
    const { code } = await exp(['--analysis', stored.id, '--format', 'pdf', '--out', out]);
    expect(code).toBe(0);
    const text = execFileSync('pdftotext', ['-layout', out, '-'], { encoding: 'utf8' });
    expect(text).toContain('Imported networks');
    expect(text).toContain('small net');
    const conv = analysis.layers[0];
    for (const v of [
      conv.f4?.min_bound,
      conv.f4_polyphase?.min_bound,
      conv.certified_upper_bound,
      analysis.lipschitz_upper_bound,
    ])
      expect(text).toContain(bound(v));
  }, 60_000);

  test('markdown, latex, csv and json carry the same numbers; an analysis alone has no run sections', async () => {
    const md = (await exp(['--analysis', stored.id, '--format', 'md'])).out;
    expect(md).toContain('## Imported networks');
    expect(md).not.toContain('## Summary');
    const fc = analysis.layers[1];
    const fcRow = md.split('\n').find((l) => l.startsWith('| fc'))!;
    expect(fcRow).toContain(bound(fc.certified_upper_bound, 'markdown'));
    expect(fcRow).toContain(bound(fc.operator_estimate, 'markdown'));
    const tex = (await exp(['--analysis', 'small net', '--format', 'latex'])).out;
    expect(tex).toContain('Per-layer bounds of the imported network small net');
    expect(tex).toContain(bound(analysis.layers[0].f4?.min_bound));
    const csv = csvRecords((await exp(['--analysis', stored.id, '--format', 'csv'])).out);
    expect(Object.keys(csv[0])).toEqual(['analysis_id', 'analysis_name', 'layer', 'op', 'method', 'value']);
    const poly = csv.find((r) => r.layer === 'conv' && r.method === 'f4-polyphase')!;
    expect(Number(poly.value)).toBe(analysis.layers[0].f4_polyphase?.min_bound);
    const folder = path.join(tmp, 'csv') + path.sep;
    expect((await exp(['--analysis', stored.id, '--runs', fx.base, '--format', 'csv', '--out', folder])).code).toBe(0);
    expect(fs.readdirSync(folder).sort()).toEqual([
      'certified.csv',
      'layer_bounds.csv',
      'model_layers.csv',
      'models.csv',
      'series.csv',
      'summary.csv',
    ]);
    const json = JSON.parse((await exp(['--analysis', stored.id, '--format', 'json'])).out);
    expect(json.analyses[0]).toMatchObject({
      id: stored.id,
      name: 'small net',
      lipschitz_upper_bound: analysis.lipschitz_upper_bound,
    });
  });

  test('an unknown id: the error says how analyses are made and listed; --list shows them', async () => {
    const { code, err } = await exp(['--analysis', 'model-nope', '--format', 'html']);
    expect(code).toBe(1);
    expect(err).toContain('No model analysis with id "model-nope"');
    expect(err).toContain('spectral-lab bounds --model FILE --store DIR');
    expect(err).toContain('spectral-lab export --list');
    const list = await exp(['--list']);
    expect(list.out).toContain('Model analyses (export --analysis ID):');
    expect(list.out).toContain(stored.id);
    const help = await exp(['--help']);
    expect(help.out).toContain('--analysis ID,ID');
    // Runs and analyses in one CSV file cannot be: a folder is asked for.
    const both = await exp(['--analysis', stored.id, '--runs', fx.base, '--format', 'csv']);
    expect(both.code).toBe(2);
    expect(both.err).toContain('--out FOLDER/');
  });
});

describe("getReport with model analyses (the Models view's Report / PDF buttons)", () => {
  const timeless = (html: string): string => html.replace(/Exported [^<]*? from [^<]*?;/, 'Exported;');

  test('the same HTML as export --analysis, alone or beside a run; an unknown id is not-found; no ids at all is refused', async () => {
    const lab = await createLab({ dataDir: fx.dataDir, shell: 'serve', presetsDir: null, log: () => undefined });
    try {
      const alone = await lab.getReport([], { format: 'html', analyses: [stored.id] });
      expect(alone.filename).toBe('small-net_report.html');
      expect(timeless(alone.content)).toBe(timeless((await exp(['--analysis', stored.id, '--format', 'html'])).out));
      const beside = await lab.getReport([fx.base], { format: 'html', analyses: [stored.id] });
      expect(beside.filename).toBe('small-net-and-1-run_report.html');
      expect(beside.content).toContain('Imported networks');
      expect(beside.content).toContain('Per-layer bounds of baseline_50% &amp; #1');
      await expect(lab.getReport([], { format: 'html', analyses: ['model-gone'] })).rejects.toMatchObject({
        code: 'not-found',
        message: expect.stringContaining('No model analysis with id "model-gone"'),
      });
      const table = buildHandlerTable(lab);
      expect(await table.get('getReport')?.handle([[], { format: 'html' }])).toMatchObject({
        ok: false,
        code: 'bad-request',
      });
      expect(await table.get('getReport')?.handle([[], { format: 'html', analyses: [stored.id] }])).toMatchObject({
        ok: true,
      });
    } finally {
      await lab.close();
    }
  });
});
