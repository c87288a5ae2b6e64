/**
 * Singular-value spectra of a layer, as the lab serves them (LabApi.getSpectrum: a fixed-bin histogram of
 * src/shared/spectrum.ts, whose max is the exact circular norm), turned into what a line chart draws: the
 * histogram's bar outline and a vertical marker at the exact norm. Pure TS.
 */
import type { LabApi, LayerSpectrum, SpectrumHistogram } from '../../../shared/api';
import { methodSpec } from '../../../shared/bound-methods';
import type { PlotSeries } from './plot';

export type SpectrumFetcher = (runId: string, layer: string, step: number | 'latest') => Promise<LayerSpectrum>;

export function spectrumFetcher(api: LabApi): SpectrumFetcher {
  return (runId, layer, step) => api.getSpectrum(runId, { layer, step });
}

/** Bars as a closed outline (x up each edge and across each bin), so a line chart draws a histogram. */
export function histogramOutline(h: SpectrumHistogram): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  if (h.count === 0) return { x, y };
  for (let i = 0; i < h.counts.length; i++) {
    x.push(h.edges[i], h.edges[i], h.edges[i + 1]);
    y.push(i === 0 ? 0 : h.counts[i - 1], h.counts[i], h.counts[i]);
  }
  x.push(h.edges[h.edges.length - 1]);
  y.push(0);
  return { x, y };
}

/** The chart's series: the histogram and the exact norm as a dashed vertical line as tall as the tallest bar. */
export function spectrumSeries(s: LayerSpectrum): PlotSeries[] {
  const h = s.histogram;
  if (!h || h.count === 0) return [];
  const o = histogramOutline(h);
  const top = Math.max(...h.counts);
  const out: PlotSeries[] = [
    { id: 'spectrum', label: `${s.layer} singular values (${h.count}, step ${s.step})`, x: o.x, y: o.y, colorIndex: 0 },
  ];
  if (s.exactNorm !== null) {
    out.push({
      id: 'exact-norm',
      // The spectrum is the stride-1 circular operator's (Sedghi et al.): its marker says so, like every other view.
      label: `${methodSpec('sedghi-exact')?.label ?? 'exact (circular, stride 1)'} ${s.exactNorm.toPrecision(6)}`,
      x: [s.exactNorm, s.exactNorm],
      y: [0, top],
      colorIndex: 1,
      dashed: true,
    });
  }
  return out;
}
