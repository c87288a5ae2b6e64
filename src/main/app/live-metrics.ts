/**
 * The metric values a step or eval event carries, under the series names the store records them by.
 * Rather than restating the store's naming, the event is replayed through the store's own
 * recordEngineEvent into a writer that only collects, so a live chart and getSeries always agree.
 */
import type { EngineEvent } from '../../shared/events.js';
import type { CertPoint, LayerBoundPoint } from '../../shared/records.js';
import { boundSeriesName, recordEngineEvent, type StoreWriter } from '../store/index.js';
import { certifiedSeriesName } from './store-mapping.js';

export interface MetricGroup {
  phase: 'train' | 'eval';
  step: number;
  epoch: number;
  values: Record<string, number>;
}

class CollectingWriter {
  readonly groups = new Map<number, MetricGroup>();
  constructor(
    private readonly phase: 'train' | 'eval',
    private readonly epochOf: (step: number) => number,
  ) {}
  private group(step: number, epoch?: number): MetricGroup {
    let g = this.groups.get(step);
    if (!g) {
      g = { phase: this.phase, step, epoch: epoch ?? this.epochOf(step), values: {} };
      this.groups.set(step, g);
    }
    return g;
  }
  scalar(name: string, step: number, value: number, epoch?: number): void {
    this.group(step, epoch).values[name] = value;
  }
  bounds(points: readonly LayerBoundPoint[]): void {
    for (const p of points) this.group(p.step).values[boundSeriesName(p.method, p.layer)] = p.value;
  }
  bound(p: LayerBoundPoint): void {
    this.bounds([p]);
  }
  cert(p: CertPoint): void {
    const g = this.group(p.step);
    g.values[certifiedSeriesName(p.eps)] = p.accuracy;
    if (p.pairwise !== null && p.pairwise !== undefined) g.values[certifiedSeriesName(p.eps, true)] = p.pairwise;
  }
  /** Spectrum histograms are read with getSpectrum when 'layer-bounds' is announced, not streamed as metrics. */
  spectrum(): void {}
  /** Certified radii are read with getCertifiedRadii, not streamed as metrics. */
  async certRadii(): Promise<void> {}
  async layers(): Promise<void> {}
  async start(): Promise<void> {}
  async finish(): Promise<void> {}
  async flush(): Promise<void> {}
}

/** Metric groups (one per step) of a 'step' or 'eval' event; [] for every other event. */
export async function liveMetrics(event: EngineEvent): Promise<MetricGroup[]> {
  if (event.type !== 'step' && event.type !== 'eval') return [];
  const epoch = event.type === 'eval' ? event.epoch : 0;
  const w = new CollectingWriter(event.type === 'step' ? 'train' : 'eval', () => epoch);
  await recordEngineEvent({ writer: w as unknown as StoreWriter, addCheckpoint: async () => undefined }, event);
  return [...w.groups.values()].sort((a, b) => a.step - b.step);
}
