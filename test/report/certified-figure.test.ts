/**
 * The report's certified-accuracy figure drawn from stored radii: a real certificate and a real PGD curve of a linear
 * model (where the radii are exact) recorded into a real store, read back by the export's collector and drawn. The
 * drawn certified curves equal the accuracies computed directly from the logits at 20 ε values; the PGD curve is
 * dashed, above both certificates, up to its grid's top; a run without radii keeps its configured-ε points.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certifiedAccuracy, pgdCurve, pgdGrid, pgdStoredRadii } from '../../src/main/engine/certify/index.js';
import { certifiedSeries } from '../../src/main/report/certified-figure.js';
import { collectReportData, type ReportData } from '../../src/main/report/data.js';
import { htmlReport } from '../../src/main/report/html-report.js';
import { openStore, recordEngineEvent, type Store } from '../../src/main/store/index.js';
import { RADIUS_LABELS, sortRadii } from '../../src/shared/certify-math.js';
import type { EngineEvent, EvalEvent } from '../../src/shared/events.js';
import { randMat, rng, spectralNorm } from '../certify/helpers.js';

const D = 8;
const C = 4;
const N = 60;

function evalEvent(step: number, radii: EvalEvent['radii'], acc: number): EngineEvent {
  return {
    type: 'eval',
    v: 1,
    step,
    epoch: 1,
    trainAcc: 0.5,
    valAcc: null,
    testAcc: 1,
    testLoss: 1,
    lipschitz: 1,
    evalMs: 1,
    layers: [],
    certified: [{ eps: 0.1, acc, accPairwise: acc }],
    ...(radii ? { radii } : {}),
  };
}

/** The value a drawn step curve shows at eps (not at a drop): its last vertex at or left of eps. */
function drawnAt(x: readonly number[], y: readonly number[], eps: number): number {
  let v = Number.NaN;
  for (let i = 0; i < x.length && x[i] <= eps; i++) v = y[i];
  return v;
}

describe('the report draws certified accuracy from stored radii', () => {
  let dir: string;
  let store: Store;
  let data: ReportData;
  let exact: Float32Array | number[];
  let lipschitzRadii: ArrayLike<number>;
  let grid: number[];
  let L: number;
  let logits: tf.Tensor2D;
  let labels: Uint8Array;
  let W: number[][];

  beforeAll(async () => {
    await tf.setBackend('cpu');
    const r = rng(21);
    W = randMat(D, C, r);
    const x = tf.tensor4d(
      Array.from({ length: N * D }, () => 0.3 + 0.4 * r()),
      [N, 1, 1, D],
    );
    const forward = (v: tf.Tensor4D) => tf.matMul(tf.reshape(v, [v.shape[0], D]), tf.tensor2d(W)) as tf.Tensor2D;
    logits = tf.tidy(() => forward(x));
    labels = Uint8Array.from(tf.tidy(() => tf.argMax(logits, 1)).dataSync());
    labels[0] = (labels[0] + 1) % C;
    L = spectralNorm(W);
    const cert = await certifiedAccuracy(logits, labels, L, [0.1], { kernel: W, lipschitzBefore: 1 });
    exact = Array.from(cert.pairwise!.radii);
    lipschitzRadii = cert.standard.radii;
    grid = pgdGrid([0.1], Math.max(...exact.filter(Number.isFinite)));
    const pgd = await pgdCurve(forward, x, labels, grid, { steps: 30, seed: 2 });
    x.dispose();

    dir = mkdtempSync(path.join(os.tmpdir(), 'lab-report-radii-'));
    store = await openStore({ dataDir: dir });
    const withRadii = (await store.createRun({ name: 'with radii', config: { seed: 0 } })).id;
    const old = (await store.createRun({ name: 'before radii', config: { seed: 1 } })).id;
    for (const [id, ev] of [
      [
        withRadii,
        evalEvent(
          40,
          {
            lipschitz: Array.from(sortRadii(lipschitzRadii)),
            pairwise: Array.from(sortRadii(exact)),
            pgd: pgdStoredRadii(pgd),
          },
          cert.standard.accuracy[0],
        ),
      ],
      [old, evalEvent(40, undefined, 0.25)],
    ] as const) {
      const w = await store.writer(id);
      await w.start('cpu');
      await recordEngineEvent({ writer: w, addCheckpoint: async () => undefined }, ev);
      await w.close();
    }
    data = await collectReportData(store, [withRadii, old], {
      budget: 1000,
      series: [],
      times: false,
      boundHistory: false,
    });
  });
  afterAll(async () => {
    logits?.dispose();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws each certificate from the stored radii, equal to the accuracy computed directly at 20 eps values', async () => {
    const names = new Map(data.runs.map((r) => [r.record.id, r.record.name]));
    const { lines, steps } = certifiedSeries(data.runs, names);
    expect(steps).toEqual(['with radii: step 40']);
    const byName = new Map(lines.map((l) => [l.name, l]));
    const lip = byName.get(`with radii: ${RADIUS_LABELS.lipschitz}`)!;
    const pair = byName.get(`with radii: ${RADIUS_LABELS.pairwise}`)!;
    const pgd = byName.get(`with radii: ${RADIUS_LABELS.pgd}`)!;
    const top = Math.max(...exact.filter(Number.isFinite));
    const eps = Array.from({ length: 20 }, (_, i) => (top * (i + 0.5)) / 20);
    const direct = await certifiedAccuracy(logits, labels, L, eps, { kernel: W, lipschitzBefore: 1 });
    expect(eps.map((e) => drawnAt(lip.x, lip.y, e) / 100)).toEqual(
      direct.standard.accuracy.map((a) => expect.closeTo(a, 12)),
    );
    expect(eps.map((e) => drawnAt(pair.x, pair.y, e) / 100)).toEqual(
      direct.pairwise!.accuracy.map((a) => expect.closeTo(a, 12)),
    );
    expect(new Set(direct.pairwise!.accuracy).size).toBeGreaterThan(5);
    // PGD: dashed, never below either certificate, up to the top of its grid.
    expect(pgd.dash).toBe('7 4');
    for (const e of eps) {
      expect(drawnAt(pgd.x, pgd.y, e)).toBeGreaterThanOrEqual(drawnAt(pair.x, pair.y, e));
      expect(drawnAt(pgd.x, pgd.y, e)).toBeGreaterThanOrEqual(drawnAt(lip.x, lip.y, e));
    }
    expect(pgd.x[pgd.x.length - 1]).toBe(grid[grid.length - 1]);
    // The run recorded before radii were kept: its configured-eps point.
    const old = lines.filter((l) => l.name.startsWith('before radii'));
    expect(old.map((l) => [l.x, l.y])).toEqual([
      [[0.1], [25]],
      [[0.1], [25]],
    ]);
  });

  it('puts those curves in the HTML report, PGD dashed', () => {
    const html = htmlReport(data);
    const figure = html.slice(html.indexOf('Certified accuracy against the radius'));
    const pgdPath = new RegExp(
      `<title>with radii: ${RADIUS_LABELS.pgd.replace(/[()]/g, '\\$&')}</title>\\s*<path d="([^"]+)"[^>]*stroke-dasharray="7 4"`,
    ).exec(figure);
    expect(pgdPath).not.toBeNull();
    const names = new Map(data.runs.map((r) => [r.record.id, r.record.name]));
    const pgd = certifiedSeries(data.runs, names).lines.find((l) => l.name.endsWith(RADIUS_LABELS.pgd))!;
    expect(pgdPath![1].split(/[ML]/).filter(Boolean)).toHaveLength(pgd.x.length);
    expect(figure).toContain('PGD dashed, an empirical upper estimate');
  });
});
