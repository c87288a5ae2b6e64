/**
 * Singular-value spectra of a layer. The LabApi has no spectrum method yet (the store keeps spectra:
 * SpectrumRecord in src/shared/records.ts); this adapter uses one as soon as the lab offers
 * `getSpectrum(runId, layer, step)`, and the view says plainly that it is not offered until then.
 */
import type { LabApi } from '../../../shared/api';

export interface SpectrumAnswer {
  layer: string;
  step: number;
  method?: string;
  values: number[];
}

export type SpectrumFetcher = (runId: string, layer: string, step: number | 'latest') => Promise<SpectrumAnswer>;

export function spectrumFetcher(api: LabApi): SpectrumFetcher | null {
  const fn = (api as unknown as Record<string, unknown>).getSpectrum;
  if (typeof fn !== 'function') return null;
  return (runId, layer, step) => (fn as (...a: unknown[]) => Promise<SpectrumAnswer>).call(api, runId, layer, step);
}

/** Equal-width histogram: bin centres and counts. */
export function histogram(values: readonly number[], bins: number): { x: number[]; y: number[]; width: number } {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { x: [], y: [], width: 0 };
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const n = Math.max(1, bins);
  const width = hi > lo ? (hi - lo) / n : 1;
  const y = new Array<number>(n).fill(0);
  for (const v of finite) y[Math.min(n - 1, Math.floor((v - lo) / width))]++;
  return { x: y.map((_, i) => lo + (i + 0.5) * width), y, width };
}
