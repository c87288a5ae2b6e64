/**
 * Certified accuracy as a curve: an evaluation's certified radii go through the real engine certificate, the
 * engine-event recorder and the SQLite store (migration 5), come back through the API's store port, and the curve
 * drawn from them equals the accuracies computed directly from the logits at 20 eps values.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certifiedAccuracy } from '../../src/main/engine/certify/index.js';
import { openStore, recordEngineEvent, type Store } from '../../src/main/store/index.js';
import { SqliteStorePort } from '../../src/main/app/store-adapter.js';
import { parseArgs } from '../../src/main/app/args.js';
import {
  certifiedAccuracyAt,
  certifiedAccuracyCurve,
  certifiedCurvePoints,
  sortRadii,
} from '../../src/shared/certify-math.js';
import type { EngineEvent } from '../../src/shared/events.js';

const N = 997;
const C = 10;
/** Deterministic logits: a class-dependent margin, some points misclassified. */
function logits(): { z: Float32Array; y: Uint8Array } {
  const z = new Float32Array(N * C);
  const y = new Uint8Array(N);
  let s = 12345;
  const rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < N; i++) {
    y[i] = i % C;
    for (let c = 0; c < C; c++) z[i * C + c] = rand() * 2;
    z[i * C + y[i]] += rand() * 3 - 0.5;
  }
  return { z, y };
}

describe('certified radii in the store: a curve at every eps', () => {
  let dir: string;
  let store: Store;
  let runId: string;
  const { z, y } = logits();
  const lipschitz = 3.7;
  // The pairwise certificate of a last dense layer [4, 10] with Lip_rest 1.3.
  const kernel = Float64Array.from({ length: 4 * C }, (_, i) => Math.sin(i * 0.77));
  let direct: Awaited<ReturnType<typeof certifiedAccuracy>>;
  let w: Awaited<ReturnType<Store['writer']>>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lab-radii-'));
    store = await openStore({ dataDir: dir });
    runId = (await store.createRun({ name: 'radii', config: { seed: 0 } })).id;
    direct = await certifiedAccuracy(z, y, lipschitz, [0.1], { kernel, lipschitzBefore: 1.3 });
    w = await store.writer(runId);
    await w.start('cpu');
    const event: EngineEvent = {
      type: 'eval',
      v: 1,
      step: 40,
      epoch: 1,
      trainAcc: 0.5,
      valAcc: null,
      testAcc: direct.cleanAccuracy,
      testLoss: 1,
      lipschitz,
      evalMs: 1,
      layers: [],
      certified: [{ eps: 0.1, acc: direct.standard.accuracy[0], accPairwise: direct.pairwise?.accuracy[0] ?? 0 }],
      radii: {
        lipschitz: Array.from(sortRadii(direct.standard.radii)),
        pairwise: Array.from(sortRadii(direct.pairwise?.radii ?? [])),
      },
    };
    await recordEngineEvent({ writer: w, addCheckpoint: async () => undefined }, event);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads back every radius of the evaluation, sorted, per certificate', async () => {
    const port = new SqliteStorePort(store, 'test');
    const got = await port.getCertifiedRadii(
      runId,
      parseArgs('getCertifiedRadii', [runId, { step: 'latest' }])[1] ?? {},
    );
    expect(got.step).toBe(40);
    expect(got.availableSteps).toEqual([40]);
    expect(got.radii.lipschitz).toHaveLength(N);
    expect(got.radii.pairwise).toHaveLength(N);
    expect(await port.getCertifiedRadii(runId, { step: 39 })).toMatchObject({
      step: null,
      availableSteps: [40],
      radii: {},
    });
  });

  it('draws the curve from stored radii equal to the accuracies computed directly at 20 eps values', async () => {
    const got = await new SqliteStorePort(store, 'test').getCertifiedRadii(runId, {});
    const top = Math.max(...direct.standard.radii.filter(Number.isFinite));
    const eps = Array.from({ length: 20 }, (_, i) => (top * (i + 0.5)) / 20);
    const fromLogits = await certifiedAccuracy(z, y, lipschitz, eps, { kernel, lipschitzBefore: 1.3 });
    const stored = got.radii.lipschitz ?? [];
    expect(eps.map((e) => certifiedAccuracyAt(stored, e))).toEqual(fromLogits.standard.accuracy);
    expect(eps.map((e) => certifiedAccuracyAt(got.radii.pairwise ?? [], e))).toEqual(fromLogits.pairwise?.accuracy);
    expect(certifiedAccuracyCurve(stored, eps)).toEqual(fromLogits.standard.accuracy);
    // Some of them strictly between 0 and clean accuracy: the test is not met by a flat curve.
    expect(new Set(fromLogits.standard.accuracy).size).toBeGreaterThan(5);
    // The drawn points lie on the same step function, starting at the clean (certified at 0) accuracy.
    const curve = certifiedCurvePoints(stored, 100000);
    expect(curve.x[0]).toBe(0);
    expect(curve.y[0]).toBeCloseTo(direct.cleanAccuracy, 12);
    for (let i = 1; i + 1 < curve.x.length; i += 2) {
      expect(curve.x[i + 1]).toBe(curve.x[i]);
      expect(curve.y[i]).toBe(certifiedAccuracyAt(stored, curve.x[i]));
      expect(curve.y[i + 1]).toBeLessThan(curve.y[i]);
    }
  });

  it('refuses radii that are not sorted or negative, writing nothing', async () => {
    await expect(w.certRadii(41, { lipschitz: [0.2, 0.1] })).rejects.toThrow(/ascending order/);
    await expect(w.certRadii(41, { lipschitz: [-1] })).rejects.toThrow(/>= 0/);
    await w.finish('completed');
    expect((await store.certRadii(runId)).availableSteps).toEqual([40]);
  });
});
