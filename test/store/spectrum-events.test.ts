/**
 * Spectrum histograms through recordEngineEvent: an evaluation's per-layer histogram lands in the spectra
 * table (packed, under SPECTRUM_HISTOGRAM_METHOD) and unpacks to the same histogram after a close and reopen;
 * layers without one leave no row.
 */
import { describe, expect, test } from 'vitest';
import type { EngineEvent, EvalEvent, LayerEval } from '../../src/shared/events.js';
import { spectrumHistogram, SPECTRUM_HISTOGRAM_METHOD, unpackSpectrumHistogram } from '../../src/shared/spectrum.js';
import { openStore, recordEngineEvent } from '../../src/main/store/index.js';
import { tempDir } from './helpers.js';

const v = 1;
const layer = (name: string, kind: 'conv' | 'dense', extra: Partial<LayerEval> = {}): LayerEval => ({
  name,
  kind,
  shape: [3, 3, 2, 2],
  stride: 1,
  padding: 'same',
  inputSize: [4, 4],
  f4: { R: 3, S: 4, T: 5, U: 6, min: 3, argmin: 'R' },
  certifiedUpper: 3,
  certifiedBy: 'f4',
  ...extra,
});
const evalAt = (step: number, layers: LayerEval[]): EvalEvent => ({
  type: 'eval',
  v,
  step,
  epoch: step / 10,
  trainAcc: 0.5,
  valAcc: null,
  testAcc: 0.45,
  testLoss: 1.2,
  lipschitz: 20,
  evalMs: 3,
  certified: [],
  layers,
});

describe('spectrum histograms in the store', () => {
  test('round trip through recordEngineEvent, a close and a reopen', async () => {
    const dir = tempDir('spectra');
    const early = spectrumHistogram(Array.from({ length: 32 }, (_, i) => 1 + i / 31));
    const late = spectrumHistogram(Array.from({ length: 32 }, (_, i) => 0.5 + (i * i) / 400));
    const s = await openStore({ dataDir: dir, flushIntervalMs: 60_000 });
    const run = await s.createRun({ config: {} });
    const w = await s.writer(run.id);
    const sink = s.eventSink(w);
    await w.start('cpu');
    await recordEngineEvent(
      sink,
      evalAt(10, [layer('conv1', 'conv', { exactCircular: early.max, spectrum: early }), layer('fc', 'dense')]),
    );
    await recordEngineEvent(
      sink,
      evalAt(20, [layer('conv1', 'conv', { exactCircular: late.max, spectrum: late }), layer('fc', 'dense')]),
    );
    await recordEngineEvent(sink, { type: 'finished', v, status: 'completed', summary: {} } as EngineEvent);
    await s.close();

    const r = await openStore({ dataDir: dir, readonly: true });
    try {
      expect(await r.listSpectra(run.id)).toEqual([
        { layer: 'conv1', method: SPECTRUM_HISTOGRAM_METHOD, step: 10, count: 69 },
        { layer: 'conv1', method: SPECTRUM_HISTOGRAM_METHOD, step: 20, count: 69 },
      ]);
      const latest = await r.getSpectrum(run.id, { layer: 'conv1' });
      expect(latest?.step).toBe(20);
      expect(unpackSpectrumHistogram(latest!.values)).toEqual(late);
      expect(unpackSpectrumHistogram((await r.getSpectrum(run.id, { layer: 'conv1', step: 10 }))!.values)).toEqual(
        early,
      );
      expect(await r.getSpectrum(run.id, { layer: 'fc' })).toBeNull();
    } finally {
      await r.close();
    }
  });
});
